"""Republication source ("originally published in X") and paywall markers."""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from pipelines.extraction.page import PageInfo
from pipelines.extraction.text import clean_space

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
# class/id substrings that the paywall XPath below needs: a cheap gate before running it
_PAYWALL_MARKERS = ("paywall", "subscriber-only", "meteredContent")
_PAYWALL_XPATH = (
    "//*[contains(@class,'paywall') or contains(@id,'paywall')"
    " or contains(@class,'subscriber-only')"
    " or contains(@class,'meteredContent')]"
)
_PAYWALL_TEXT = re.compile(
    r"(?:subscribe|log ?in|sign in|become a (?:member|subscriber))\s+to\s+(?:continue|keep|read)"
    r"|this (?:article|content|story) is (?:only )?(?:available )?(?:for|to) (?:paid )?"
    r"(?:subscribers|members)|already a subscriber\?",
    re.IGNORECASE,
)


def find_original_source(lines: list[str], info: PageInfo) -> tuple[str, str]:
    """(X, the line it came from) for "originally published in X" / "Source: X" lines."""
    # attributions sit at the top or the bottom of a story
    for line in (*lines[:3], *lines[-10:]):
        if len(line) > 400:
            continue
        for pattern in _ORIGINAL_SOURCE:
            match = pattern.search(line)
            if match:
                src = clean_space(match.group("src")).strip(" ,'\"“”")
                if src and any(ch.isalpha() for ch in src):
                    return src[:MAX_SOURCE_CHARS], line
    for key in ("original-source", "syndication-source"):
        hrefs = info.links.get(key) or info.meta.get(key)
        if hrefs:
            return hrefs[0][:MAX_SOURCE_CHARS], ""
    return "", ""


def _false(value: object) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


def find_paywall(tree: HtmlElement, info: PageInfo, raw_body: str) -> bool:
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
    if any(m in info.attrs for m in _PAYWALL_MARKERS) and tree.xpath(_PAYWALL_XPATH):
        return True
    return bool(_PAYWALL_TEXT.search(raw_body[-3000:]))
