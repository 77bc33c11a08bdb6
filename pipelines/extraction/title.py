"""The headline: declared titles (og, JSON-LD, twitter, <title>) checked against the visible one.

Every candidate is cleaned the same way: HTML entities that publishers double-escape in JSON-LD
are decoded, whitespace collapsed, invisible format characters (zero-width space, soft hyphen...)
removed, and leading/trailing parts between separators are removed when they name the site
(og:site_name, application-name, JSON-LD publisher, the domain's labels, a truncated site name;
an og:site_name that repeats the page title counts by its last part), carry a byline ("| by Jane
Doe") or name the page's section (article:section, JSON-LD articleSection, the items of a JSON-LD
breadcrumb trail but the page itself; never the longest part, nor across a spaced colon).

Publishers often declare several headlines: a social one (og:title, twitter:title), an SEO one
(JSON-LD, <title>) and the one printed on the page. The printed one is the headline, so it
decides: the visible heading is the first <h1> that is not a breadcrumb item (German and other
templates put the SEO title in an <h1> inside the breadcrumb trail or a "crumb" element and
print the headline in an <h2>), and, for a heading built of a kicker and a headline element
("Dachzeile"), its headline part; headings marked that way count among the <h2>s too, as does
an <h2> in an <hgroup> (HTML's group of a headline and its kicker or standfirst). The first
declared title, in the order og:title, JSON-LD headline, twitter:title, <title>, that equals a
visible heading (compared by ``title_key``) is the title. When none does and the declared titles
are different headlines (not variants of one: two of them share less than half of their words),
the visible <h1> is taken when it has 3 words or more and shares a word with one of them (so a
section name in an <h1> is not); when they are variants of one, the one sharing most words with
an <h1> of 3 words or more, if it shares more than the first and more than half. Otherwise the
first non-empty candidate wins, in the order og:title, JSON-LD headline, twitter:title, first
<h1>, <title>, a title cut short with an ellipsis giving way to a longer candidate it starts; a
trailing part of it is then removed when what is left equals another candidate or a printed
<h2>: "Headline - National | Site" next to an h1 "Headline" shows that " - National" is an
affix, whatever it says. Failing that, a leading part is removed the same way ("Site name -
Headline"), but never one ended by a colon: a leading "Kicker: " belongs to many headlines.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Collection, Iterator
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from pipelines.extraction.page import PageInfo, ld_text
from pipelines.extraction.text import absolute_url, clean_space, fold, host_labels, is_site_name

MAX_TITLE_CHARS = 500
# separators between a headline and a site/section name: spaced ASCII/typographic ones, and the
# full-width bar that CJK titles use without spaces
_SEPARATORS = re.compile(r"\s+(?:[|•·»«/\\~*]|::|-{1,2}|–|—|:)\s+|\s*[｜]\s*")
# separators that may end a headline before an affix (not ":", which joins kicker and headline)
_AFFIX_SEPARATORS = re.compile(r"\s+(?:[|•·»«/\\~*]|::|-{1,2}|–|—)\s+|\s*[｜]\s*")
_BYLINE_PART = re.compile(r"^(?:by|von|por|par|door|di)\s+\S", re.IGNORECASE)
_MAX_H1 = 6
_INVISIBLE = str.maketrans("", "", "\u200b\u2060\ufeff\u00ad")
_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "«": '"',
                         "»": '"', "–": "-", "—": "-"})  # fmt: skip


def _is_affix(part: str, site_names: list[str]) -> bool:
    return is_site_name(part, site_names) or bool(_BYLINE_PART.match(part.strip()))


def strip_site_name(
    title: str,
    site_names: list[str],
    sections: Collection[str] = frozenset(),
    folders: Collection[str] = frozenset(),
) -> str:
    """Drop leading/trailing separator-delimited parts that name the site (or are a byline),
    and those equal to one of ``sections`` (folded section names: "Headline | Politics | Site"),
    unless joined by a spaced colon, which joins a kicker to its headline, or the longest part:
    a breadcrumb trail may end with the headline itself. ``folders`` (the folders of the page's
    URL, folded) count as sections at the end only: a leading part may be the headline's own
    word that a blog also files the post under."""
    title = clean_space(title)
    spans = _parts(title)
    if len(spans) < 2:
        return title
    longest = max(range(len(spans)), key=lambda i: spans[i][1] - spans[i][0])

    def part(i: int) -> str:
        return title[spans[i][0] : spans[i][1]]

    def section(i: int, joint: int, names: Collection[str]) -> bool:
        # ``joint``: the separator after part ``joint``
        if i == longest or not names or fold(part(i)) not in names:
            return False
        return ":" not in title[spans[joint][1] : spans[joint + 1][0]]

    trailing = {*sections, *folders} if folders else sections
    first, last = 0, len(spans) - 1
    while last > first and (_is_affix(part(last), site_names) or section(last, last - 1, trailing)):
        last -= 1
    while first < last and (
        is_site_name(part(first), site_names) or section(first, first, sections)
    ):
        first += 1
    return title[spans[first][0] : spans[last][1]].strip()


def _parts(title: str, separators: re.Pattern[str] = _SEPARATORS) -> list[tuple[int, int]]:
    """(start, end) of the text between separators, in order."""
    spans = []
    start = 0
    for match in separators.finditer(title):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(title)))
    return spans


def title_key(text: str) -> str:
    """Comparison key: quotes and dashes unified, then ``fold``."""
    return fold(text.translate(_QUOTES))


def _norm(text: str | None) -> str:
    """Whitespace collapsed, invisible format characters (zero-width space, word joiner, byte
    order mark, soft hyphen) removed: they split or join words unseen and break comparison."""
    if not text:
        return ""
    if "\u200b" in text or "\u2060" in text or "\ufeff" in text or "\u00ad" in text:
        text = text.translate(_INVISIBLE)
    return clean_space(text)


def _clean(
    raw: str,
    site_names: list[str],
    sections: Collection[str] = frozenset(),
    folders: Collection[str] = frozenset(),
) -> str:
    text = _norm(raw)
    if "&" in text and ";" in text:
        text = _norm(html.unescape(text))  # "&#8217;" double-escaped in JSON-LD
    text = strip_site_name(text, site_names, sections, folders)
    return "" if not text or is_site_name(text, site_names) else text[:MAX_TITLE_CHARS]


def _cut_affix(text: str, others: set[str], printed: Callable[[], set[str]] = lambda: set()) -> str:
    """The longest leading part of ``text``, ended at an affix separator, that equals another
    candidate, else one that equals a heading printed on the page (``others``, ``printed()``:
    their ``title_key``), else the longest trailing part started at one that equals another
    candidate ("Site name - Headline" next to an <h1> "Headline"); ``text`` itself when none
    does."""
    spans = _parts(text, _AFFIX_SEPARATORS)
    heads = [text[: spans[last][1]].strip() for last in range(len(spans) - 2, -1, -1)]
    keys = [title_key(head) for head in heads]
    for known in (others, printed()):
        for head, key in zip(heads, keys, strict=True):
            if key in known:
                return head
    for first in range(1, len(spans)):
        tail = text[spans[first][0] :].strip()
        if title_key(tail) in others:
            return tail
    return text


def _h1_texts(info: PageInfo) -> list[str]:
    texts = []
    for el in info.h1s[:_MAX_H1]:
        text = _norm(el.text_content())
        if 3 <= len(text) <= MAX_TITLE_CHARS:
            texts.append(text)
    return texts


# class values or data-* attribute names that mark the kicker (the line above a headline) and the
# headline inside one heading element
_KICKER_MARK = re.compile(
    r"kicker|dachzeile|topline|overline|eyebrow|roofline|catchline|spitzmarke|supertitle",
    re.IGNORECASE,
)
_HEADLINE_MARK = re.compile(r"headline", re.IGNORECASE)
_KICKER_JOINT = " :|-–—"
_MAX_H2 = 8
_CRUMB_DEPTH = 6  # ancestors looked at for a breadcrumb trail
_MIN_SHARED_WORD = 4  # letters of a word an <h1> must share with a declared title
_MIN_H1_WORDS = 3
_DIFFERENT = 0.5  # declared titles sharing less than this share of words are different ones


def _marks(el: HtmlElement) -> str:
    return " ".join([el.get("class") or "", *(a for a in el.attrib if a.startswith("data-"))])


def _in_breadcrumb(el: HtmlElement) -> bool:
    """Whether a heading is an item of a breadcrumb trail or menu (inside <nav> or <li>, or in
    an element whose class or id says "crumb": "breadcrumb", "crumbs", "header__crumb"): such an
    <h1> holds the SEO title."""
    node: HtmlElement | None = el
    for _ in range(_CRUMB_DEPTH + 1):
        if node is None:
            return False
        if node is not el and node.tag in ("nav", "li"):
            return True
        if "crumb" in f"{node.get('class') or ''} {node.get('id') or ''}".lower():
            return True
        node = node.getparent()
    return False


def _headline_part(heading: HtmlElement) -> str:
    """The headline of a heading made of a kicker element and a headline element (one wrapper
    such as an <a> is looked through); "" when the heading is not built that way."""
    children = [c for c in heading if isinstance(c.tag, str)]
    if len(children) == 1 and not (heading.text or "").strip():
        children = [c for c in children[0] if isinstance(c.tag, str)]
    if len(children) < 2:
        return ""
    for index, child in enumerate(children):
        marks = _marks(child)
        if _KICKER_MARK.search(marks):
            kicker = _norm(child.text_content())
            full = _norm(heading.text_content())
            if kicker and full.startswith(kicker):
                return full[len(kicker) :].lstrip(_KICKER_JOINT)
            return ""
        if index and _HEADLINE_MARK.search(marks):
            return _norm(child.text_content())
    return ""


def visible_headings(info: PageInfo, site_names: list[str], h1: list[str]) -> Iterator[str]:
    """Texts the page shows as its headline, most specific first, read as far as needed. The
    visible <h1> (its headline part for a kicker heading) is put in ``h1``."""
    for el in info.h1s[:_MAX_H1]:
        full = _norm(el.text_content())
        if not 3 <= len(full) <= MAX_TITLE_CHARS or is_site_name(full, site_names):
            continue
        if _in_breadcrumb(el):
            continue
        part = _headline_part(el)
        h1.append(part or full)
        if part:
            yield part
        yield full
        break
    for el in info.h2s[:_MAX_H2]:
        parent = el.getparent()
        # an <h2> in an <hgroup> (HTML's heading group: a kicker and the headline) is printed
        # as the headline; templates that put the SEO title in a breadcrumb <h1> print it so
        part = _headline_part(el) or (
            _norm(el.text_content()) if parent is not None and parent.tag == "hgroup" else ""
        )
        if 3 <= len(part) <= MAX_TITLE_CHARS:
            yield part


def _words(text: str) -> set[str]:
    return set(title_key(text).split())


def _dice(first: set[str], second: set[str]) -> float:
    """Shared words over the mean size of two word sets."""
    return 2 * len(first & second) / (len(first) + len(second)) if first or second else 0.0


def _different_headlines(declared: list[str]) -> bool:
    """Whether two declared titles are different headlines rather than variants of one (an
    affix, a spelling): they share less than half of their words (Dice coefficient)."""
    sets = [_words(d) for d in declared]
    for i, first in enumerate(sets):
        for second in sets[i + 1 :]:
            if first and second and _dice(first, second) < _DIFFERENT:
                return True
    return False


def _closest_variant(declared: list[str], h1: str) -> str:
    """Of declared variants of one headline, none printed as it is, the one closest in words
    to the printed <h1> when it is closer than the first ("" otherwise, so the first wins): a
    page declaring a social and an SEO wording prints one of them, edited."""
    printed = _words(h1)
    if len(printed) < _MIN_H1_WORDS:  # a section name, not an edited headline
        return ""
    scores = [_dice(_words(d), printed) for d in declared]
    best = max(range(len(declared)), key=lambda i: scores[i])
    return declared[best] if scores[best] > max(scores[0], _DIFFERENT) else ""


def _visible_choice(declared: list[str], info: PageInfo, site_names: list[str]) -> str:
    """The declared title that the page shows as its headline; when none is shown, the visible
    <h1> itself if the declared ones are different headlines and it shares a word with one of
    them, or the declared variant closest to the <h1> if they are variants of one headline;
    "" otherwise."""
    if not declared:
        return ""
    keys = [title_key(d) for d in declared]
    found: list[str] = []
    for text in visible_headings(info, site_names, found):
        key = title_key(text)
        if key and key in keys:
            return declared[keys.index(key)]
    h1 = found[0] if found else ""
    if not h1:
        return ""
    if not _different_headlines(declared):
        return _closest_variant(declared, h1)
    words = {w for w in _words(h1) if len(w) >= _MIN_SHARED_WORD}
    if len(_words(h1)) >= _MIN_H1_WORDS and any(words & _words(d) for d in declared):
        return h1
    return ""


def find_title(tree: HtmlElement, info: PageInfo, url: str, site_name: str) -> str:
    """The declared title the visible headline confirms, else the visible <h1> when the
    declared ones disagree, else og:title, the JSON-LD headline, twitter:title, the first <h1>
    and <title>, the first non-empty one cleaned (see the module docstring).

    ``tree`` is the page ``info`` was collected from (its headings are in ``info``)."""
    del tree  # kept in the signature: callers pass the page; everything needed is in ``info``
    article = info.article or {}
    raws = [
        info.first("og:title"),
        ld_text(article.get("headline")),
        info.first("twitter:title"),
        "",  # the first <h1> that is not the site name: filled in when no declared title won
        info.title_tag,
    ]
    names = (
        site_name,
        info.first("application-name"),
        ld_text(info.resolve(article.get("publisher"))),
    )
    site_names = [_own_name(n, raws) for n in names if n] + host_labels(url)
    parted = any(_SEPARATORS.search(r) for r in raws if r)
    sections = _section_names(info, url) if parted else frozenset()
    folders = _url_folders(url) if parted else frozenset()
    h1_index = 3
    memo: dict[str, str] = {"": ""}  # og:title, twitter:title and <title> are often one text
    for raw in raws:
        if raw not in memo:
            memo[raw] = _clean(raw, site_names, sections, folders)
    cleaned = [memo[raw] for raw in raws]
    declared = [c for i, c in enumerate(cleaned) if i != h1_index and c]
    chosen = _visible_choice(declared, info, site_names)
    if chosen:
        return chosen[:MAX_TITLE_CHARS]
    h1 = _first_h1(info, site_names)
    cleaned[h1_index] = _clean(h1, site_names) if h1 else ""
    best = _untruncated(next((c for c in cleaned if c), ""), cleaned)
    if not best or not _AFFIX_SEPARATORS.search(best):
        return best
    others = {title_key(c) for c in cleaned if c and c != best}
    others.discard("")

    def printed() -> set[str]:
        return {title_key(_norm(el.text_content())) for el in info.h2s[:_MAX_H2]} - {""}

    return _cut_affix(best, others, printed)[:MAX_TITLE_CHARS]


def _own_name(name: str, titles: list[str]) -> str:
    """A site name declared as the page's whole title ("Post title - Blog name" as og:site_name,
    a template fault) names the site by its last part only; any other name as it is."""
    if name not in titles:
        return name
    spans = _parts(name, _AFFIX_SEPARATORS)
    return name[spans[-1][0] :].strip() if len(spans) > 1 else name


_MAX_SECTION_CHARS = 60


def _url_folders(url: str) -> frozenset[str]:
    """The folders of the page's URL path, folded ("/la-bas-magazine/chroniques/<slug>" gives
    "la bas magazine" and "chroniques"): sites file a story under its section's folder."""
    folders = urlsplit(url).path.strip("/").split("/")[:-1]
    return frozenset(fold(f) for f in folders if f and not f.isdigit()) - {""}


def _url_path(url: str) -> str:
    return url.split("#", 1)[0].split("?", 1)[0].rstrip("/").split("://", 1)[-1].lower()


def _section_names(info: PageInfo, url: str) -> frozenset[str]:
    """Folded names of the page's section: article:section, the JSON-LD articleSection and the
    items of a JSON-LD breadcrumb trail but the page itself (the item without a link or with
    the page's own address, often its last one, named with the headline)."""
    found = list(info.all("article:section"))
    section = (info.article or {}).get("articleSection")
    found.extend(s for s in (section if isinstance(section, list) else [section]) if s)
    own: set[str] | None = None
    for obj in info.jsonld:
        kind = obj.get("@type")
        if kind != "BreadcrumbList" and not (isinstance(kind, list) and "BreadcrumbList" in kind):
            continue
        trail = obj.get("itemListElement")
        for entry in trail if isinstance(trail, list) else ():
            if not isinstance(entry, dict):
                continue
            item = entry.get("item")
            name = entry.get("name") or (item.get("name") if isinstance(item, dict) else "")
            link = (item.get("@id") or item.get("url")) if isinstance(item, dict) else item
            if not isinstance(link, str) or not link.strip():
                continue
            if own is None:
                pages = (url, info.first("og:url"), *info.links.get("canonical", ()))
                own = {_url_path(u) for u in pages if u}
            if not link.startswith("http"):
                link = absolute_url(url, link) or link
            if _url_path(link) not in own:
                found.append(name)
    keys = {fold(n) for n in found if isinstance(n, str) and len(n) <= _MAX_SECTION_CHARS}
    return frozenset(keys - {""})


_ELLIPSES = ("…", "...")


def _untruncated(best: str, candidates: list[str]) -> str:
    """A title cut short with an ellipsis ("Headline that goes o…") gives way to a longer
    candidate that starts with it."""
    stem = next((best[: -len(e)] for e in _ELLIPSES if best.endswith(e)), "")
    key = title_key(stem)
    if not key:
        return best
    for other in candidates:
        longer = len(other) > len(stem) and not other.endswith(_ELLIPSES)
        if longer and title_key(other).startswith(key):
            return other
    return best


def _first_h1(info: PageInfo, site_names: list[str]) -> str:
    return next((h for h in _h1_texts(info) if not is_site_name(h, site_names)), "")
