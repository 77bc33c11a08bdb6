"""Reader comments from the original page (trafilatura's body run excludes them)."""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from pipelines.extraction.page import PageInfo
from pipelines.extraction.text import clean_space

MAX_COMMENTS = 200
MAX_COMMENT_CHARS = 5_000

# what any section matched below has in its class/id (substring tests of PageInfo.attrs)
_SECTION_GATE = ("comment", "disqus_thread")
# a comment section: one of these ids, or a class containing one of these substrings
_SECTION_IDS = frozenset(
    {"comments", "disqus_thread", "comment-section", "commentlist", "comment-list", "comments-list"}
)
_SECTION_CLASS = re.compile(
    r"comment-list|commentlist|comments-area|comments-section|comment-section|comments-list"
)
_ITEM_XPATH = (
    ".//*[contains(@class,'comment-content') or contains(@class,'comment-body')"
    " or contains(@class,'comment-text') or contains(@class,'comment__body')"
    " or contains(@class,'comment__text') or @itemprop='text']"
)
# classic WordPress themes mark each item by its id only: <li id="comment-9257">
_FALLBACK_ITEM_XPATH = (
    ".//li[contains(@class,'comment')] | .//article[contains(@class,'comment')]"
    " | .//li[starts-with(@id,'comment-')]"
)
_SKIP_TAGS = frozenset({"script", "style", "form", "button", "noscript", "textarea"})


def _text(el: HtmlElement) -> str:
    parts: list[str] = []
    for node in el.iter():
        if node.tag in _SKIP_TAGS or not isinstance(node.tag, str):
            continue
        if node.text and node.getparent() is not None and node.getparent().tag not in _SKIP_TAGS:
            parts.append(node.text)
        if node is not el and node.tail:
            parts.append(node.tail)
    return clean_space(" ".join(parts))


def find_comments(tree: HtmlElement, info: PageInfo) -> list[str]:
    """Comment texts. Sections are looked up in ``info.marked`` (no whole-tree XPath), after a
    cheap test of ``info.attrs``; ``tree`` is the page ``info`` was collected from."""
    if not any(word in info.attrs for word in _SECTION_GATE):
        return []
    sections = info.find_marked(_SECTION_CLASS, _SECTION_IDS)
    if not sections:
        return []
    comments: list[str] = []
    seen: set[str] = set()
    for section in sections[:3]:
        items = section.xpath(_ITEM_XPATH) or section.xpath(_FALLBACK_ITEM_XPATH)
        for item in items:
            text = _text(item)[:MAX_COMMENT_CHARS]
            if len(text) < 2 or text in seen:
                continue
            seen.add(text)
            comments.append(text)
            if len(comments) >= MAX_COMMENTS:
                return comments
    return comments
