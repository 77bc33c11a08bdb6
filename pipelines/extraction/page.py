"""One sweep over a parsed page collecting <meta>, <link>, <title>, JSON-LD and the html lang."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from lxml.html import HtmlElement

from pipelines.extraction.text import clean_space

_MAX_JSONLD_CHARS = 1_000_000
_ARTICLE_TYPES = frozenset(
    {
        "article", "newsarticle", "blogposting", "reportagenewsarticle", "analysisnewsarticle",
        "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "liveblogposting",
        "socialmediaposting", "techarticle", "scholarlyarticle", "report", "posting",
    }
)  # fmt: skip
_SVG_TAGS = frozenset({"svg", "g", "symbol", "a"})
# Elements the body extractor (trafilatura's tree_cleaning) deletes with their content before it
# extracts anything; test_extract checks that they stay a subset of its list. Deleting them
# first spares it copying and scanning them. Left out: <form> (some sites wrap the whole page
# in one; trafilatura handles forms apart), <figure> (kept when holding a table), <math>
# (formulas are salvaged first), <head> (JSON-LD in it is read) and <time> (read by the date
# step; cheap). Plus <meta> (no text) and scripts other than JSON-LD.
BODY_DROPPED_TAGS = frozenset(
    {"aside", "embed", "fencedframe", "footer", "iframe", "menu", "object", "applet", "audio",
     "canvas", "map", "picture", "svg", "video", "area", "blink", "button", "datalist", "dialog",
     "frame", "frameset", "fieldset", "link", "input", "label", "legend", "marquee", "menuitem",
     "nav", "noindex", "noscript", "optgroup", "option", "output", "param", "progress", "rp",
     "rt", "rtc", "select", "source", "style", "track", "textarea", "use"}
)  # fmt: skip
_INERT_TAGS = BODY_DROPPED_TAGS | {"meta"}
_WATCHED_TAGS = _INERT_TAGS | {"title", "script", "time", "a", "h1", "h2", "ul", "ol"}
_PAGE_TYPES = frozenset({"webpage", "itempage", "medicalwebpage"})
_CDATA = re.compile(r"^\s*(?:<!--|//\s*<!\[CDATA\[|<!\[CDATA\[)|(?:-->|//\s*\]\]>|\]\]>)\s*$")


@dataclass(slots=True)
class PageInfo:
    """Everything the head (and structured data) of a page declares, keyed for lookup."""

    meta: dict[str, list[str]] = field(default_factory=dict)  # lowercased name/property/itemprop
    links: dict[str, list[str]] = field(default_factory=dict)  # rel -> hrefs
    title_tag: str = ""
    lang: str = ""
    jsonld: list[dict[str, Any]] = field(default_factory=list)  # every typed object, flattened
    jsonld_docs: list[Any] = field(default_factory=list)  # each script's parsed JSON, as is
    jsonld_broken: list[str] = field(default_factory=list)  # scripts that are not valid JSON
    article: dict[str, Any] | None = None  # the main Article-like JSON-LD object, if any
    webpage: dict[str, Any] | None = None
    # every class and id value on the page, space-joined: lets steps test cheaply whether a
    # marker (comment section, paywall box, byline class) occurs at all
    attrs: str = ""
    # (element, class, id) of every element that has a class or an id, in document order: steps
    # look elements up here instead of running contains(@class, ...) XPaths over the whole tree
    marked: list[tuple[HtmlElement, str, str]] = field(default_factory=list)
    # elements the body extractor deletes anyway (BODY_DROPPED_TAGS, meta, scripts other than
    # JSON-LD): ``drop_inert`` removes them beforehand
    inert: list[HtmlElement] = field(default_factory=list)
    # elements whose inline style mentions "border": see ``precision.drop_invisible_borders``
    bordered: list[HtmlElement] = field(default_factory=list)
    # elements with an itemprop (element, itemprop), <time> elements, <a rel=author> links,
    # <h1> and <h2> elements, each in document order
    props: list[tuple[HtmlElement, str]] = field(default_factory=list)
    times: list[HtmlElement] = field(default_factory=list)
    author_links: list[HtmlElement] = field(default_factory=list)
    # <a> elements whose href has a host or scheme of its own (absolute, protocol-relative,
    # mailto:): the only links that can leave the site, see ``precision.unlink_outbound``
    outbound: list[tuple[HtmlElement, str]] = field(default_factory=list)  # (<a>, its href)
    # <a> elements with a name or id and no href: jump targets, see ``precision.unwrap_targets``
    targets: list[HtmlElement] = field(default_factory=list)
    lists: list[HtmlElement] = field(default_factory=list)  # <ul> and <ol> elements
    h1s: list[HtmlElement] = field(default_factory=list)
    h2s: list[HtmlElement] = field(default_factory=list)

    def first(self, *keys: str) -> str:
        """First non-empty meta value among ``keys`` (in the order given)."""
        for key in keys:
            for value in self.meta.get(key, ()):
                if value:
                    return value
        return ""

    def all(self, *keys: str) -> list[str]:
        return [v for key in keys for v in self.meta.get(key, ()) if v]

    def resolve(self, value: Any) -> Any:
        """A JSON-LD reference (an object with an ``@id`` and no name, as Yoast writes an
        article's author and publisher) replaced by the node of the page's graph it names;
        lists item by item; anything else as it is."""
        if isinstance(value, list):
            return [self.resolve(item) for item in value[:50]]
        if not isinstance(value, dict) or "name" in value or "givenName" in value:
            return value
        ref = value.get("@id")
        if not isinstance(ref, str):
            return value
        return next((n for n in self.jsonld if n.get("@id") == ref and n is not value), value)

    def find_marked(
        self, classes: re.Pattern[str] | None = None, ids: frozenset[str] = frozenset()
    ) -> list[HtmlElement]:
        """Elements whose class matches ``classes`` (a search) or whose id is in ``ids``."""
        return [
            el
            for el, cls, ident in self.marked
            if (ident and ident in ids) or (cls and classes is not None and classes.search(cls))
        ]


def _types(obj: dict[str, Any]) -> set[str]:
    raw = obj.get("@type", "")
    items = raw if isinstance(raw, list) else [raw]
    return {str(t).rsplit("/", 1)[-1].lower() for t in items}


def _flatten(node: Any, out: list[dict[str, Any]], depth: int = 0) -> None:
    """Collect typed dicts from JSON-LD, descending through lists, @graph and mainEntity."""
    if depth > 6 or len(out) > 200:
        return
    if isinstance(node, list):
        for item in node:
            _flatten(item, out, depth + 1)
    elif isinstance(node, dict):
        if "@type" in node:
            out.append(node)
        for key in ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement"):
            if key in node:
                _flatten(node[key], out, depth + 1)


def _load_json(text: str) -> Any:
    text = _CDATA.sub("", text.strip())
    try:
        return json.loads(text)
    except ValueError:
        # raw newlines/tabs inside strings are the most common publisher JSON error
        try:
            return json.loads(text.replace("\n", " ").replace("\r", " ").replace("\t", " "))
        except ValueError:
            return None


def _pick(objects: list[dict[str, Any]], types: frozenset[str]) -> dict[str, Any] | None:
    best: dict[str, Any] | None = None
    for obj in objects:
        if _types(obj) & types:
            # the object carrying a headline/date is the page's own, not a related teaser
            if obj.get("headline") or obj.get("datePublished"):
                return obj
            best = best or obj
    return best


def collect_page_info(tree: HtmlElement) -> PageInfo:
    """One walk over every element: head tags, JSON-LD scripts, class/id/itemprop values and the
    few element kinds later steps look up (so none of them walks the tree again)."""
    info = PageInfo(lang=(tree.get("lang") or tree.get("xml:lang") or "").strip())
    meta, links, marked, props = info.meta, info.links, info.marked, info.props
    scripts: list[str] = []
    values: list[str] = []
    for el in tree.iter(etree.Element):
        if el.attrib:  # most elements have no attributes: skip three lookups for them
            cls, ident, prop = el.get("class"), el.get("id"), el.get("itemprop")
            if cls or ident:
                marked.append((el, cls or "", ident or ""))
                values.append(cls or "")
                values.append(ident or "")
            if prop:
                props.append((el, prop.strip()))
            style = el.get("style")
            if style and "border" in style:
                info.bordered.append(el)
        tag = el.tag
        if tag not in _WATCHED_TAGS:
            continue
        if tag in _INERT_TAGS:
            info.inert.append(el)
        if tag == "a":
            rel = el.get("rel")
            if rel and "author" in rel.lower().split():
                info.author_links.append(el)
            href = el.get("href")
            if href is None:
                if el.get("name") or el.get("id"):
                    info.targets.append(el)
            elif "//" in href or href[:7].lower() == "mailto:":
                info.outbound.append((el, href))
        elif tag == "time":
            info.times.append(el)
        elif tag == "ul" or tag == "ol":
            info.lists.append(el)
        elif tag == "h1":
            info.h1s.append(el)
        elif tag == "h2":
            info.h2s.append(el)
        elif tag == "meta":
            content = el.get("content")
            if content is None:
                continue
            for attr in ("property", "name", "itemprop", "http-equiv"):
                key = el.get(attr)
                if key:
                    meta.setdefault(key.strip().lower(), []).append(clean_space(content))
        elif tag == "link":
            rel, href = el.get("rel"), el.get("href")
            if rel and href:
                for part in rel.lower().split():
                    links.setdefault(part, []).append(href.strip())
        elif tag == "title":
            parent = el.getparent()
            # <title> inside inline <svg> is an icon label, not the page title
            if not info.title_tag and parent is not None and parent.tag not in _SVG_TAGS:
                info.title_tag = clean_space(el.text_content())
        elif tag == "script":
            if (el.get("type") or "").strip().lower() != "application/ld+json":
                info.inert.append(el)
                continue
            text = el.text or ""
            if len(text) < _MAX_JSONLD_CHARS:
                scripts.append(text)
    for text in scripts:
        data = _load_json(text)
        if data is not None:
            info.jsonld_docs.append(data)
            _flatten(data, info.jsonld)
        elif text.strip():
            info.jsonld_broken.append(text)
    info.attrs = " ".join(values)
    info.article = _pick(info.jsonld, _ARTICLE_TYPES)
    info.webpage = _pick(info.jsonld, _PAGE_TYPES)
    return info


def in_comments(el: HtmlElement) -> bool:
    """Whether ``el`` is inside a reader comment (an ancestor, or itself, whose class or id
    says "comment"): its byline and its date are the commenter's, not the story's."""
    for node in (el, *el.iterancestors()):
        if "comment" in f"{node.get('class') or ''} {node.get('id') or ''}".lower():
            return True
    return False


def drop_inert(info: PageInfo) -> None:
    """Delete ``info.inert`` from the tree (their tail text stays). Only for a tree no later
    step reads as it was: the body extractor's, which would delete these elements itself."""
    # lists and links inside what goes: the precision repairs need not look at them
    gone: set[HtmlElement] = set()
    watched = bool(info.lists or info.outbound)
    for el in info.inert:
        parent = el.getparent()
        if parent is None:
            continue
        if watched and len(el):  # scripts and the like hold no elements
            gone.update(el.iter("ul", "ol", "a"))
        if el.tail and el.tail.strip():
            el.drop_tree()  # joins the tail to the previous text
        else:
            parent.remove(el)
    info.inert.clear()
    if gone:
        info.lists = [el for el in info.lists if el not in gone]
        info.outbound = [(a, href) for a, href in info.outbound if a not in gone]


def ld_text(value: Any) -> str:
    """A JSON-LD value as plain text: strings as is, {"name": ...}/{"@value": ...} unwrapped."""
    if isinstance(value, str):
        return clean_space(value)
    if isinstance(value, dict):
        for key in ("name", "@value", "url", "@id"):
            if isinstance(value.get(key), str):
                return clean_space(value[key])
    if isinstance(value, list) and value:
        return ld_text(value[0])
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""
