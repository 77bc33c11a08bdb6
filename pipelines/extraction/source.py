"""Republication source ("originally published in X") and paywall markers."""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from pipelines.extraction.page import PageInfo
from pipelines.extraction.text import clean_space, fold

MAX_SOURCE_CHARS = 120
_NAME = r"(?P<src>[^\n.;:!?()]{2,120}?)"
_END = r"\s*(?:[.;!)(]|\s[-–—]\s|,?\s+(?:on|in)\s+(?:\d|[A-Z][a-z]+ \d)|,\s|\s+and\s+|$)"
_ORIGINAL_SOURCE = (
    re.compile(
        r"\b(?:was\s+)?(?:originally|first|initially)\s+(?:been\s+)?"
        r"(?:published|appeared|posted|ran|printed)\s+(?:in|on|at|by)\s+(?:the\s+website\s+of\s+)?"
        + _NAME
        + _END,
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(?:republished|reprinted|reproduced|adapted)\s+(?:with\s+permission\s+)?(?:from|by)\s+"
        + _NAME
        + _END,
        re.IGNORECASE,
    ),
    re.compile(r"^\s*(?:source|quelle|fuente|fonte|via)\s*:\s*" + _NAME + _END, re.IGNORECASE),
)
# class/id substrings of paywall boxes (tested on PageInfo.attrs, every class and id value)
_PAYWALL_MARKERS = ("paywall", "subscriber-only", "meteredContent")
_PAYWALL_TEXT = re.compile(
    r"(?:subscribe|log ?in|sign in|become a (?:member|subscriber))\s+to\s+(?:continue|keep|read)"
    r"|this (?:article|content|story) is (?:only )?(?:available )?(?:for|to) (?:paid )?"
    r"(?:subscribers|members)|already a subscriber\?",
)  # searched in lowercased text: an IGNORECASE search of this pattern costs four times more


# a date is not a publication: "first published on March 5, 2024"
_DATE_LIKE = re.compile(
    r"^(?:\d|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d"
    r"|(?:mon|tues|wednes|thurs|fri|satur|sun)day\b|(?:today|yesterday)\b)",
    re.IGNORECASE,
)
_MAX_SOURCE_LINE = 400
# Attribution phrases anywhere in the page. contains() is case-sensitive, so the substrings
# leave out the first letter; the patterns above decide. Text in scripts/styles is skipped.
_PAGE_SOURCE_XPATH = (
    "//body//text()[(contains(., 'riginally ') or contains(., 'irst published')"
    " or contains(., 'irst appeared') or contains(., 'nitially published')"
    " or contains(., 'epublished') or contains(., 'eprinted') or contains(., 'eproduced'))"
    " and not(ancestor::script or ancestor::style or ancestor::noscript or ancestor::template)]"
)
# plain substring tests of the raw HTML, far cheaper than the XPath, which only runs on a hit
_PAGE_SOURCE_GATE = ("riginally ", "irst published", "irst appeared")
_BLOCK_TAGS = frozenset(
    {"p", "div", "li", "aside", "footer", "section", "blockquote", "figcaption", "td", "dd",
     "article", "header", "small"}
)  # fmt: skip


# what one of the two phrase patterns needs, searched in the lowercased line: a case-sensitive
# test far cheaper than the two case-insensitive, unanchored patterns ("first" alone is common)
_PHRASE_GATE = re.compile(
    r"(?:originally|first|initially)\s+(?:been\s+)?(?:published|appeared|posted|ran|printed)"
    r"|(?:republished|reprinted|reproduced|adapted)\s"
)


def _match_source(line: str, patterns: tuple[re.Pattern[str], ...] = _ORIGINAL_SOURCE) -> str:
    if len(line) > _MAX_SOURCE_LINE:
        return ""
    if not _PHRASE_GATE.search(line.lower()):
        patterns = patterns[2:]  # only the anchored "Source: X" pattern can match
    for pattern in patterns:
        match = pattern.search(line)
        if match:
            src = clean_space(match.group("src")).strip(" ,'\"“”")
            if src and any(ch.isalpha() for ch in src) and not _DATE_LIKE.match(src):
                return src[:MAX_SOURCE_CHARS]
    return ""


def find_original_source(lines: list[str], info: PageInfo) -> str:
    """X of an "originally published in X" / "Source: X" line of the body (the line stays in
    the body: it is part of the text the publisher printed), else of a link or meta tag."""
    # attributions sit at the top or the bottom of a story
    for line in (*lines[:3], *lines[-10:]):
        src = _match_source(line)
        if src:
            return src
    for key in ("original-source", "syndication-source"):
        hrefs = info.links.get(key) or info.meta.get(key)
        if hrefs:
            return hrefs[0][:MAX_SOURCE_CHARS]
    return ""


def find_page_source(tree: HtmlElement, info: PageInfo, html: str = "") -> str:
    """An "originally published in X" note anywhere in the page, also outside the body
    container (a syndication note after the article, a box in the header). Only the phrase
    patterns count here: a bare "Source: X" is too common in captions and charts page-wide.
    ``html``, the page's source text, when given, lets pages without such words skip the XPath.
    """
    if html:
        start = max(html.find("<body"), 0)  # the head (scripts, styles, JSON) holds no note
        if not any(html.find(word, start) >= 0 for word in _PAGE_SOURCE_GATE):
            return ""
    site_key = fold(info.first("og:site_name"))
    seen: set[int] = set()
    for node in tree.xpath(_PAGE_SOURCE_XPATH)[:20]:
        el = node.getparent()
        # the sentence may run across inline tags: read the enclosing block
        for _ in range(4):
            if el is None or el.tag in _BLOCK_TAGS:
                break
            el = el.getparent()
        if el is None or id(el) in seen:
            continue
        seen.add(id(el))
        src = _match_source(clean_space(el.text_content()), _ORIGINAL_SOURCE[:2])
        # "first published on <this site>" is not a republication
        if src and fold(src) != site_key:
            return src
    return ""


def _false(value: object) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


def find_paywall(tree: HtmlElement, info: PageInfo, raw_body: str) -> bool:
    return find_paywall_markup(tree, info) or find_paywall_text(raw_body)


def find_paywall_markup(tree: HtmlElement, info: PageInfo) -> bool:
    """Structured data, meta tags and paywall boxes (reads the tree: run before the body)."""
    for obj in (info.article, info.webpage):
        if obj and _false(obj.get("isAccessibleForFree")):
            return True
        part = (obj or {}).get("hasPart")
        for item in part if isinstance(part, list) else [part]:
            if isinstance(item, dict) and _false(item.get("isAccessibleForFree")):
                return True
    tier = info.first("article:content_tier", "content_tier").lower()
    if tier in ("locked", "metered", "premium", "paid"):
        return True
    if _false(info.first("isaccessibleforfree")):
        return True
    return any(m in info.attrs for m in _PAYWALL_MARKERS)


def find_paywall_text(raw_body: str) -> bool:
    """A "subscribe to continue reading" prompt at the end of the extracted text."""
    return bool(_PAYWALL_TEXT.search(raw_body[-3000:].lower()))
