"""One sweep over a parsed page collecting <meta>, <link>, <title>, JSON-LD and the html lang."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

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
_ATTRS_XPATH = "//@class | //@id"
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
    article: dict[str, Any] | None = None  # the main Article-like JSON-LD object, if any
    webpage: dict[str, Any] | None = None
    # every class and id value on the page, space-joined: lets steps test cheaply whether a
    # costly XPath (comment sections, paywall boxes) can match at all
    attrs: str = ""

    def first(self, *keys: str) -> str:
        """First non-empty meta value among ``keys`` (in the order given)."""
        for key in keys:
            for value in self.meta.get(key, ()):
                if value:
                    return value
        return ""

    def all(self, *keys: str) -> list[str]:
        return [v for key in keys for v in self.meta.get(key, ()) if v]


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
    info = PageInfo(lang=(tree.get("lang") or tree.get("xml:lang") or "").strip())
    meta, links = info.meta, info.links
    scripts: list[str] = []
    for el in tree.iter("meta", "link", "title", "script"):
        tag = el.tag
        if tag == "meta":
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
        elif (el.get("type") or "").strip().lower() == "application/ld+json":
            text = el.text or ""
            if len(text) < _MAX_JSONLD_CHARS:
                scripts.append(text)
    for text in scripts:
        data = _load_json(text)
        if data is not None:
            _flatten(data, info.jsonld)
    info.attrs = " ".join(tree.xpath(_ATTRS_XPATH))
    info.article = _pick(info.jsonld, _ARTICLE_TYPES)
    info.webpage = _pick(info.jsonld, _PAGE_TYPES)
    return info


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
