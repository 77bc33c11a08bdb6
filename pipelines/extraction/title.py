"""The on-page headline: an <h1> confirmed by og:title/<title>/JSON-LD, site names stripped."""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from pipelines.extraction.page import PageInfo, ld_text
from pipelines.extraction.text import clean_space, fold, host_labels

MAX_TITLE_CHARS = 500
# spaced separators between a headline and a site/section name
_SEPARATORS = re.compile(r"\s+(?:[|•·»«/\\~]|::|-{1,2}|–|—|:)\s+")
_H1_XPATH = "(//h1)[position() <= 6]"


def _is_site_part(part: str, site_names: list[str]) -> bool:
    key = fold(part)
    if not key:
        return True
    squashed = key.replace(" ", "")
    for name in site_names:
        other = fold(name)
        if not other:
            continue
        other_squashed = other.replace(" ", "")
        if key == other or squashed == other_squashed:
            return True
        # "Example News" vs domain "examplenews", "The Example" vs "example"
        if len(other_squashed) >= 3 and (
            other_squashed in squashed and len(squashed) <= len(other_squashed) + 12
        ):
            return True
    return False


def strip_site_name(title: str, site_names: list[str]) -> str:
    """Drop leading/trailing separator-delimited parts that name the site."""
    title = clean_space(title)
    parts = _SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    while len(parts) > 1 and _is_site_part(parts[-1], site_names):
        parts.pop()
    while len(parts) > 1 and _is_site_part(parts[0], site_names):
        parts.pop(0)
    if len(parts) == len(_SEPARATORS.split(title)):
        return title
    # rejoin with the original separators by slicing the original string
    first, last = parts[0], parts[-1]
    start = title.find(first)
    end = title.rfind(last) + len(last)
    return title[start:end].strip() if start >= 0 and end > start else " ".join(parts)


def _h1_texts(tree: HtmlElement) -> list[str]:
    texts = []
    for el in tree.xpath(_H1_XPATH):
        text = clean_space(el.text_content())
        if 3 <= len(text) <= MAX_TITLE_CHARS:
            texts.append(text)
    return texts


def find_title(tree: HtmlElement, info: PageInfo, url: str, site_name: str) -> str:
    """og:title, then the JSON-LD headline, then the h1, then <title>; site names stripped.

    Measured on the metadata dev set, the publisher-declared headline matches the reference
    more often than the h1 (which more often carries kickers or a differently edited line);
    the h1 is used when the declared titles are missing or only name the site.
    """
    site_names = [n for n in (site_name, info.first("application-name"), *host_labels(url)) if n]
    declared = (
        info.first("og:title"),
        ld_text((info.article or {}).get("headline")),
        info.first("twitter:title"),
    )
    for raw in declared:
        cleaned = strip_site_name(raw, site_names) if raw else ""
        if cleaned and not _is_site_part(cleaned, site_names):
            return cleaned[:MAX_TITLE_CHARS]
    for h1 in _h1_texts(tree):
        if not _is_site_part(h1, site_names):
            return h1[:MAX_TITLE_CHARS]
    return strip_site_name(info.title_tag, site_names)[:MAX_TITLE_CHARS]
