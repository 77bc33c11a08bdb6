"""Decide whether a parsed page is an article, a listing, some other page, or empty.

The common crawl recipe stores home, section, tag, author and about pages as articles. No single
signal separates them (some article templates lack JSON-LD, some listings carry og:type=article,
live blogs look like lists), so ``classify_page`` adds up weighted evidence from structured data,
meta tags, the URL and the page's text layout, and names the strongest pieces in its reason.

Layout evidence is language-independent: an article has one block of sibling paragraphs that
holds most of its prose, while a listing spreads short text over many repeated teasers, each
with a heading that links to another page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import lxml.html

from pipelines.models import Extracted, PageKind
from pipelines.urlkind import url_kind_hint, url_shape

if TYPE_CHECKING:
    from pipelines.extraction.page import PageInfo

_ARTICLE_TYPES = frozenset(
    {
        "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle",
        "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle",
        "askpublicnewsarticle", "satiricalarticle", "blogposting", "liveblogposting",
        "socialmediaposting", "discussionforumposting", "techarticle", "scholarlyarticle",
        "report", "advertisercontentarticle", "review", "medicalscholarlyarticle",
    }
)  # fmt: skip
_LISTING_TYPES = frozenset({"collectionpage", "itemlist", "searchresultspage", "profilepage"})
_OTHER_TYPES = frozenset({"aboutpage", "contactpage", "faqpage", "checkoutpage"})
_PAGE_TYPES = frozenset({"webpage", "itempage"})
_MAX_JSONLD_CHARS = 200_000  # bigger blobs are app state, not page metadata; skip the parse cost
_TYPE_RE = re.compile(r'"@type"\s*:\s*\[?\s*"([^"]+)"')
# Scripts written without spaces between words, with rough characters per word: about 2 for
# Chinese and Japanese, about 4 code points (vowel and tone marks included) for Thai, Lao,
# Khmer and Burmese, which put spaces only between phrases.
_UNSPACED = (
    (re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]"), 2),
    (re.compile(r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]"), 4),
)
_HEADINGS = ("h1", "h2", "h3", "h4")

# Score at or above which a page is an article. Weights below are in the same unit.
_ARTICLE_THRESHOLD = 1.0
_EMPTY_WORDS = 40
_LEVELS = 4  # how far above a paragraph its text block may be (BBC-style wrappers need 4)


def _words(text: str) -> int:
    """Word count that also works for scripts written without spaces (Chinese, Thai...)."""
    n = len(text.split())
    if len(text) > 12 * max(n, 1):
        for script, chars_per_word in _UNSPACED:
            if script.search(text):
                return max(n, len(text) // chars_per_word)
    return n


def _median_paragraph_words(body: str) -> int:
    sizes = sorted(_words(p) for p in body.split("\n\n") if p.strip())
    return sizes[len(sizes) // 2] if sizes else 0


@dataclass(slots=True)
class _JsonLd:
    article_types: list[str] = field(default_factory=list)
    article_ids: set[str] = field(default_factory=set)
    listing_types: list[str] = field(default_factory=list)
    other_types: list[str] = field(default_factory=list)
    page_types: list[str] = field(default_factory=list)
    date_published: bool = False


def _type_names(node: dict[str, Any]) -> list[str]:
    raw = node.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    return [v.rsplit("/", 1)[-1].lower() for v in values if isinstance(v, str)]


def _note_node(node: dict[str, Any], out: _JsonLd, depth: int = 0) -> None:
    types = _type_names(node)
    if any(t in _ARTICLE_TYPES for t in types):
        out.article_types.append(next(t for t in types if t in _ARTICLE_TYPES))
        ident = node.get("url") or node.get("@id") or node.get("headline") or len(out.article_ids)
        out.article_ids.add(str(ident))
        out.date_published |= bool(node.get("datePublished"))
    elif any(t in _LISTING_TYPES for t in types):
        out.listing_types.append(next(t for t in types if t in _LISTING_TYPES))
    elif any(t in _OTHER_TYPES for t in types):
        out.other_types.append(next(t for t in types if t in _OTHER_TYPES))
    elif any(t in _PAGE_TYPES for t in types):
        out.page_types.append(types[0])
    # A WebPage often names what it is about in mainEntity; one level is enough.
    main = node.get("mainEntity")
    if depth == 0 and isinstance(main, dict):
        _note_node(main, out, depth + 1)


def _read_jsonld(text: str, out: _JsonLd) -> None:
    if len(text) > _MAX_JSONLD_CHARS:
        return
    try:
        data = json.loads(text, strict=False)
    except ValueError:
        _note_broken(text, out)
        return
    _note_data(data, out)


def _note_broken(text: str, out: _JsonLd) -> None:
    # Broken JSON is common (trailing commas, raw newlines); the first @type still tells.
    match = _TYPE_RE.search(text)
    if match:
        _note_node({"@type": match.group(1)}, out)


def _note_data(data: Any, out: _JsonLd) -> None:
    """One parsed JSON-LD document: top-level items and their @graph nodes."""
    stack = data if isinstance(data, list) else [data]
    for item in stack[:50]:
        if not isinstance(item, dict):
            continue
        graph = item.get("@graph")
        if isinstance(graph, list):
            for node in graph[:50]:
                if isinstance(node, dict):
                    _note_node(node, out)
        if "@type" in item:
            _note_node(item, out)


def _link_target(heading: lxml.html.HtmlElement) -> str:
    """href of the link a heading carries or sits in; '' for none or an in-page anchor."""
    link = next(heading.iter("a"), None)
    if link is None:
        parent = heading.getparent()
        for _ in range(3):
            if parent is None or parent.tag == "a":
                break
            parent = parent.getparent()
        link = parent
    if link is None:
        return ""
    href = (link.get("href") or "").strip()
    if not href or href.startswith(("#", "javascript:")):
        return ""
    return href


def _inside_link(el: lxml.html.HtmlElement) -> bool:
    parent = el.getparent()
    for _ in range(4):
        if parent is None:
            return False
        if parent.tag == "a":
            return True
        parent = parent.getparent()
    return False


@dataclass(slots=True)
class _Block:
    words: int = 0
    link_words: int = 0
    paragraphs: int = 0


@dataclass(slots=True)
class PageSignals:
    """Everything the classifier reads from the tree, in one walk (``read_page_signals``).

    The extractor computes it before its body step and passes it to ``classify_page``.
    """

    jsonld: _JsonLd = field(default_factory=_JsonLd)
    og_type: str = ""
    published_meta: bool = False
    rel_next: bool = False
    h1_texts: list[str] = field(default_factory=list)
    teasers: dict[str, lxml.html.HtmlElement] = field(default_factory=dict)
    article_tags: int = 0
    p_words: int = 0
    main_words: int = 0
    main_paragraphs: int = 0
    main_link_density: float = 0.0
    main_teasers: int = 0
    # visible words of the whole page; only counted when the paragraphs hold almost nothing
    visible_words: int | None = None
    # elements holding two or more prose paragraphs (<p>) as their own children, in document
    # order (the extractor looks here for a story split over several containers)
    paragraph_parents: list[lxml.html.HtmlElement] = field(default_factory=list)


def _best_block(groups: dict[lxml.html.HtmlElement, _Block]) -> tuple[Any, _Block]:
    best_el: Any = None
    best = _Block()
    for el, block in groups.items():
        if block.words - block.link_words > best.words - best.link_words:
            best_el, best = el, block
    return best_el, best


def _teasers_in(block_el: lxml.html.HtmlElement, teasers: list[Any], max_depth: int) -> int:
    """Teaser headings at most ``max_depth`` levels inside ``block_el``.

    Deeper ones sit in a box beside the prose; ones inside a <p> are cards embedded in it.
    """
    count = 0
    for h in teasers:
        parent = h.getparent()
        for _ in range(max_depth):
            if parent is None or parent.tag == "p":
                break
            if parent is block_el:
                count += 1
                break
            parent = parent.getparent()
    return count


def _br_block(el: lxml.html.HtmlElement) -> _Block:
    """Prose written as text runs between <br> tags directly inside ``el``."""
    chunks = [el.text or ""] + [child.tail or "" for child in el]
    words = [_words(c) for c in chunks]
    return _Block(words=sum(words), paragraphs=sum(1 for n in words if n >= 8))


def _head_from_info(page: PageSignals, info: PageInfo) -> None:
    """Head and JSON-LD signals from the extractor's sweep, instead of reading them again."""
    page.og_type = info.first("og:type").strip().lower()
    page.published_meta = bool(info.first("article:published_time", "og:article:published_time"))
    page.rel_next = bool(info.links.get("next"))
    for data in info.jsonld_docs:
        _note_data(data, page.jsonld)
    for text in info.jsonld_broken:
        _note_broken(text, page.jsonld)


def read_page_signals(
    tree: lxml.html.HtmlElement, url: str, info: PageInfo | None = None
) -> PageSignals:
    """Read the tree once. With ``info`` (the extractor's head sweep) meta, link and JSON-LD
    are taken from it and not read again."""
    page = PageSignals()
    tags: Iterable[str] = ("article", "p", "br", *_HEADINGS)
    if info is None:
        tags = ("meta", "link", "script", *tags)
    else:
        _head_from_info(page, info)
    # levels[k] maps each element k+1 levels above a paragraph to the paragraphs under it.
    levels: list[dict[lxml.html.HtmlElement, _Block]] = [{} for _ in range(_LEVELS)]
    br_parents: dict[lxml.html.HtmlElement, int] = {}
    for el in tree.iter(*tags):
        tag = el.tag
        if tag == "br":
            parent = el.getparent()
            if parent is not None and parent.tag != "p":
                br_parents[parent] = br_parents.get(parent, 0) + 1
        elif tag == "p":
            words = _words(el.text_content())
            if not words or (words < 60 and _inside_link(el)):
                continue  # a card whose whole body is one link is a teaser, not prose
            link_words = sum(_words(a.text_content()) for a in el.iter("a"))
            page.p_words += words
            key = el.getparent()
            for groups in levels:
                if key is None:
                    break
                block = groups.get(key)
                if block is None:
                    block = groups[key] = _Block()
                block.words += words
                block.link_words += link_words
                block.paragraphs += 1
                key = key.getparent()
        elif tag in _HEADINGS:
            text = " ".join(el.text_content().split())
            if tag == "h1":
                if text:
                    page.h1_texts.append(text)
                continue
            href = _link_target(el)
            if href and _words(text) >= 3:
                page.teasers.setdefault(href.split("#", 1)[0], el)
        elif tag == "meta":
            prop = (el.get("property") or el.get("name") or "").lower()
            if prop == "og:type":
                page.og_type = (el.get("content") or "").strip().lower()
            elif prop in ("article:published_time", "og:article:published_time"):
                page.published_meta = bool((el.get("content") or "").strip())
        elif tag == "link":
            if (el.get("rel") or "").lower() == "next":
                page.rel_next = True
        elif tag == "script":
            if "ld+json" in (el.get("type") or "").lower() and el.text:
                _read_jsonld(el.text, page.jsonld)
        elif tag == "article":
            page.article_tags += 1

    # A heading that links to this very page (a self-linked headline) is not a teaser.
    try:
        own_path = urlsplit(url).path.rstrip("/")
    except ValueError:
        own_path = ""
    if len(own_path) > 1:
        for href in [h for h in page.teasers if h.split("?", 1)[0].rstrip("/").endswith(own_path)]:
            del page.teasers[href]
    page.paragraph_parents = [el for el, block in levels[0].items() if block.paragraphs >= 2]
    teaser_els = list(page.teasers.values())
    for el, n_br in br_parents.items():
        if n_br >= 3:  # a div of <br>-separated text runs counts as a block of paragraphs
            block = _br_block(el)
            if block.paragraphs >= 2:
                levels[0][el] = block
    # The main block is the element with the most non-link paragraph text right above the
    # paragraphs; a higher ancestor wins when it holds clearly more (one <p> per wrapper div),
    # unless its extra text comes from a list of teasers.
    main_el: Any = None
    main = _Block()
    for depth, groups in enumerate(levels, start=1):
        el, block = _best_block(groups)
        if el is None or block.words - block.link_words <= 1.3 * (main.words - main.link_words):
            continue
        n_teasers = _teasers_in(el, teaser_els, depth + 2)
        if n_teasers >= 3 and block.paragraphs <= 2.5 * n_teasers:
            if main_el is None:
                # Excerpts under linked headings: a teaser list, whatever its length.
                main_el, main, page.main_teasers = el, block, n_teasers
            break
        main_el, main, page.main_teasers = el, block, 0
    if main_el is not None:
        page.main_words = main.words - main.link_words
        page.main_paragraphs = main.paragraphs
        page.main_link_density = main.link_words / max(main.words, 1)
        if page.main_teasers:
            page.main_words //= page.main_teasers
    if page.p_words < _EMPTY_WORDS:
        page.visible_words = _visible_words(tree)
    return page


_INVISIBLE = ("script", "style", "noscript", "template")


def _visible_words(tree: lxml.html.HtmlElement, enough: int = _EMPTY_WORDS) -> int:
    """Words of the body's text outside script/style/noscript/template, counted up to
    ``enough`` (the walk stops there: only "fewer than ``enough``" matters)."""
    body = next(tree.iter("body"), None)
    if body is None:
        return 0
    hidden: set[lxml.html.HtmlElement] = set()
    for root in body.iter(*_INVISIBLE):
        hidden.update(root.iter())
    count = 0
    for el in body.iter():
        if el not in hidden and el.text:
            count += _words(el.text)
        if el is not body and el.tail and el.getparent() not in hidden:
            count += _words(el.tail)
        if count >= enough:
            break
    return count


def _canonical_is_root(canonical: str, url: str) -> bool:
    if not canonical:
        return False
    try:
        c, u = urlsplit(urljoin(url, canonical)), urlsplit(url)
    except ValueError:
        return False
    return c.path.strip("/") == "" and not c.query and u.path.strip("/") != ""


@dataclass(slots=True)
class _Score:
    total: float = 0.0
    notes: list[tuple[float, str]] = field(default_factory=list)

    def add(self, weight: float, note: str) -> None:
        self.total += weight
        self.notes.append((weight, note))

    def reason(self, positive: bool, limit: int = 3) -> str:
        picked = sorted((n for n in self.notes if (n[0] > 0) == positive), key=lambda n: -abs(n[0]))
        return " + ".join(note for _, note in picked[:limit])


@dataclass(frozen=True, slots=True)
class Verdict:
    """A classification with the evidence behind it (for debugging and benchmarks)."""

    kind: PageKind
    reason: str
    score: float = 0.0
    notes: tuple[tuple[float, str], ...] = ()


def classify_page(
    tree: lxml.html.HtmlElement,
    url: str,
    extracted: Extracted,
    signals: PageSignals | None = None,
) -> tuple[PageKind, str]:
    """Return what the page is and a short human-readable reason.

    ``tree`` is the page as parsed (it is only read), ``extracted`` the fields the extractor
    found on it. Only ``PageKind.ARTICLE`` pages should be stored as articles. ``signals``, when
    given, is ``read_page_signals`` of that page, computed earlier; the tree is then not read.
    """
    verdict = explain_page(tree, url, extracted, signals)
    return verdict.kind, verdict.reason


def explain_page(
    tree: lxml.html.HtmlElement,
    url: str,
    extracted: Extracted,
    signals: PageSignals | None = None,
) -> Verdict:
    """``classify_page`` with its score and every weighted signal it used."""
    page = signals if signals is not None else read_page_signals(tree, url)
    body_words = _words(extracted.body)
    body_paras = extracted.body.count("\n\n") + 1 if extracted.body.strip() else 0
    ld = page.jsonld

    if body_words < _EMPTY_WORDS and page.p_words < _EMPTY_WORDS:
        visible = page.visible_words if page.visible_words is not None else _visible_words(tree)
        if visible < _EMPTY_WORDS:
            return Verdict(PageKind.EMPTY, f"empty: {visible} visible words")

    score = _Score()
    listing_evidence = 0.0  # separates LISTING from OTHER once a page is no article
    other_evidence = 0.0

    # Structured data, as the publisher describes the page.
    n_articles = len(ld.article_ids)
    if 1 <= n_articles <= 2:
        score.add(3.0, f"json-ld {ld.article_types[0]}")
    elif n_articles >= 3:
        score.add(-2.0, f"json-ld lists {n_articles} articles")
        listing_evidence += 2
    if ld.listing_types:
        weight = -1.0 if n_articles else -3.0
        score.add(weight, f"json-ld {ld.listing_types[0]}")
        listing_evidence += 2
    if ld.other_types:
        score.add(-1.0 if n_articles else -3.0, f"json-ld {ld.other_types[0]}")
        other_evidence += 2
    if ld.page_types and not n_articles and not ld.listing_types:
        score.add(-0.5, f"json-ld {ld.page_types[0]} only")

    if page.og_type == "article":
        score.add(1.5, "og:type article")
    elif page.og_type == "profile":
        score.add(-2.0, "og:type profile")
        listing_evidence += 2
    elif page.og_type:
        score.add(-0.5, f"og:type {page.og_type}")

    # Dates and bylines: articles are dated; indexes and service pages rarely are.
    if page.published_meta:
        score.add(1.0, "article:published_time")
    method = extracted.published_method
    strong_date = bool(extracted.published_at) and method in {"json-ld", "meta", "time", "feed"}
    if extracted.published_at:
        # A date picked out of running text may be a founding year or a copyright line.
        weight = 1.0 if strong_date else 0.25 if method == "text" else 0.5
        score.add(weight, f"date via {method or '?'}")
    elif not page.published_meta and not ld.date_published:
        score.add(-1.0, "no date")
        other_evidence += 0.5
    if extracted.authors:
        score.add(0.5, "byline")
    try:
        # no URL (a saved page given without one) says nothing: it is not the site's root
        shape = url_shape(url) if url.strip() else None
    except ValueError:
        shape = None
    # A permalink with the date and a slug (/2012/05/31/the-headline/) is the publisher's own
    # statement that the page is a dated post, as markup would be.
    dated_slug = shape is not None and shape.has_date and shape.slug_words >= 2
    marked_up = (
        bool(ld.article_ids) or page.og_type == "article" or page.published_meta or dated_slug
    )
    if not marked_up and not extracted.authors and not strong_date:
        # Nothing says "article": typical of about, legal and landing pages.
        score.add(-1.5, "no article metadata")
        other_evidence += 1

    # Headline: a single <h1> that is the title.
    title = extracted.title.casefold().strip()
    if len(page.h1_texts) == 1:
        h1 = page.h1_texts[0].casefold()
        if title and (h1 in title or title in h1) and _words(h1) >= 3:
            score.add(0.75, "h1 = title")
        else:
            score.add(0.25, "single h1")

    # Text layout: one block of prose vs. many short teasers.
    main = page.main_words
    teasers = len(page.teasers)
    if main >= 250:
        score.add(2.5, f"{main}-word text block")
    elif main >= 120:
        score.add(1.5, f"{main}-word text block")
    elif main >= 60:
        score.add(0.5, f"{main}-word text block")
    elif main < 30:
        score.add(-1.5, f"main text block {main} words")
        if body_words < 80:
            score.add(-1.0, f"{body_words}-word body")
    if page.main_paragraphs >= 4 and page.main_link_density < 0.3:
        score.add(0.5, f"{page.main_paragraphs} paragraphs")
    if page.main_link_density >= 0.5 and page.main_paragraphs >= 3:
        score.add(-1.5, f"link density {page.main_link_density:.2f}")
        listing_evidence += 1
    # Prose has paragraphs of sentences; a listing's text is headlines and one-line excerpts.
    median_para = _median_paragraph_words(extracted.body)
    prose_body = median_para >= 15
    if body_paras >= 15 and median_para < 12 and main < 60:
        score.add(-1.0, f"body is {body_paras} short lines")
        listing_evidence += 1.5
    if body_words >= 150 and body_paras >= 3 and main < 60 and prose_body:
        # Prose the extractor found outside <p> (div/br templates).
        score.add(2.0 if main < 30 else 1.0, f"{body_words}-word body")
    if page.main_teasers >= 3:
        score.add(-1.5, f"{page.main_teasers} teasers inside the main block")
        listing_evidence += 2
    if teasers >= 12 and main < 150:
        score.add(-3.0, f"{teasers} teaser links")
    elif teasers >= 6 and main < 80:
        score.add(-2.0, f"{teasers} teaser links")
    elif teasers >= 25 and main < 400:
        score.add(-1.5, f"{teasers} teaser links")
    if teasers >= 6:
        listing_evidence += 1.5 + (teasers >= 12)
    if page.article_tags >= 6 and main < 150:
        score.add(-1.0, f"{page.article_tags} <article> cards")
        listing_evidence += 1

    # URL shape.
    hint = url_kind_hint(url)
    if shape is not None and shape.is_root:
        score.add(-4.0, "home page URL")
        listing_evidence += 3
    elif hint is PageKind.LISTING:
        score.add(-3.0, "listing URL")
        listing_evidence += 2
    elif hint is PageKind.OTHER:
        score.add(-3.0, "service-page URL")
        other_evidence += 2
    elif shape is not None:
        if shape.has_date and shape.slug_words >= 2:
            score.add(1.0, "dated slug URL")
        elif shape.slug_words >= 4 or shape.has_long_id:
            score.add(1.0, "slug/id URL")
        elif len(shape.segments) == 1 and shape.slug_words <= 2:
            score.add(-1.0, "section-like URL")
            listing_evidence += 0.5
        if shape.page_number > 1:
            score.add(-1.0, f"page {shape.page_number}")
            listing_evidence += 1
    if _canonical_is_root(extracted.canonical_url, url):
        score.add(-3.0, "canonical is the site root")
        listing_evidence += 1
    if page.rel_next and teasers >= 6:
        score.add(-0.5, "rel=next pagination")
        listing_evidence += 1

    notes = tuple(score.notes)
    if score.total >= _ARTICLE_THRESHOLD:
        return Verdict(PageKind.ARTICLE, score.reason(positive=True), score.total, notes)
    kind = PageKind.LISTING if listing_evidence > other_evidence else PageKind.OTHER
    label = "listing" if kind is PageKind.LISTING else "other"
    return Verdict(kind, f"{label}: {score.reason(positive=False)}", score.total, notes)
