"""Reader comments from the original page (trafilatura's body run excludes them)."""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from pipelines.extraction.text import clean_space

MAX_COMMENTS = 200
MAX_COMMENT_CHARS = 5_000

# what any section matched by the XPath below has in its class/id (tested on PageInfo.attrs)
_SECTION_GATE = re.compile(
    r"(?:^|\s)(?:comments|disqus_thread|comment-section)(?:\s|$)"
    r"|comment-?list|comments-(?:area|section|list)"
)
_SECTION_XPATH = (
    "//*[@id='comments' or @id='disqus_thread' or @id='comment-section'"
    " or contains(@class,'comment-list') or contains(@class,'commentlist')"
    " or contains(@class,'comments-area') or contains(@class,'comments-section')"
    " or contains(@class,'comment-section') or contains(@class,'comments-list')]"
)
_ITEM_XPATH = (
    ".//*[contains(@class,'comment-content') or contains(@class,'comment-body')"
    " or contains(@class,'comment-text') or contains(@class,'comment__body')"
    " or contains(@class,'comment__text') or @itemprop='text']"
)
_FALLBACK_ITEM_XPATH = ".//li[contains(@class,'comment')] | .//article[contains(@class,'comment')]"
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


def find_comments(tree: HtmlElement, attrs: str) -> list[str]:
    """Comment texts; ``attrs`` is ``PageInfo.attrs``, a cheap gate before the XPath."""
    if not _SECTION_GATE.search(attrs):
        return []
    sections = tree.xpath(_SECTION_XPATH)
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
