"""The headline: declared titles (og, JSON-LD, twitter), the <h1> and <title>, affixes stripped.

Every candidate is cleaned the same way: HTML entities that publishers double-escape in JSON-LD
are decoded, whitespace collapsed, and leading/trailing parts between separators that name the
site (og:site_name, application-name, JSON-LD publisher, the domain's labels, a truncated site
name) or carry a byline ("| by Jane Doe") are removed. A trailing part is also removed when what
is left equals another candidate: "Headline - National | Site" next to an h1 "Headline" shows
that " - National" is an affix, whatever it says. Only trailing parts are cut this way: a
leading "Kicker: " belongs to many headlines.
"""

from __future__ import annotations

import html
import re

from lxml.html import HtmlElement

from pipelines.extraction.page import PageInfo, ld_text
from pipelines.extraction.text import clean_space, fold, host_labels, is_site_name

MAX_TITLE_CHARS = 500
# separators between a headline and a site/section name: spaced ASCII/typographic ones, and the
# full-width bar that CJK titles use without spaces
_SEPARATORS = re.compile(r"\s+(?:[|•·»«/\\~*]|::|-{1,2}|–|—|:)\s+|\s*[｜]\s*")
# separators that may end a headline before an affix (not ":", which joins kicker and headline)
_AFFIX_SEPARATORS = re.compile(r"\s+(?:[|•·»«/\\~*]|::|-{1,2}|–|—)\s+|\s*[｜]\s*")
_BYLINE_PART = re.compile(r"^(?:by|von|por|par|door|di)\s+\S", re.IGNORECASE)
_MAX_H1 = 6
_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "«": '"',
                         "»": '"', "–": "-", "—": "-"})  # fmt: skip


def _is_affix(part: str, site_names: list[str]) -> bool:
    return is_site_name(part, site_names) or bool(_BYLINE_PART.match(part.strip()))


def strip_site_name(title: str, site_names: list[str]) -> str:
    """Drop leading/trailing separator-delimited parts that name the site (or are a byline)."""
    title = clean_space(title)
    spans = _parts(title)
    if len(spans) < 2:
        return title
    first, last = 0, len(spans) - 1
    while last > first and _is_affix(title[spans[last][0] : spans[last][1]], site_names):
        last -= 1
    while first < last and is_site_name(title[spans[first][0] : spans[first][1]], site_names):
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


def _clean(raw: str, site_names: list[str]) -> str:
    text = clean_space(raw)
    if "&" in text and ";" in text:
        text = clean_space(html.unescape(text))  # "&#8217;" double-escaped in JSON-LD
    text = strip_site_name(text, site_names)
    return "" if not text or is_site_name(text, site_names) else text[:MAX_TITLE_CHARS]


def _cut_affix(text: str, others: set[str]) -> str:
    """The longest leading part of ``text``, ended at an affix separator, that equals another
    candidate (``others`` holds their ``title_key``); ``text`` itself when none does."""
    spans = _parts(text, _AFFIX_SEPARATORS)
    for last in range(len(spans) - 2, -1, -1):
        head = text[: spans[last][1]].strip()
        if title_key(head) in others:
            return head
    return text


def _h1_texts(info: PageInfo) -> list[str]:
    texts = []
    for el in info.h1s[:_MAX_H1]:
        text = clean_space(el.text_content())
        if 3 <= len(text) <= MAX_TITLE_CHARS:
            texts.append(text)
    return texts


def find_title(tree: HtmlElement, info: PageInfo, url: str, site_name: str) -> str:
    """og:title, then the JSON-LD headline, twitter:title, the first <h1> and <title>, each
    cleaned (see the module docstring); the first non-empty one wins.

    ``tree`` is the page ``info`` was collected from (its h1s are in ``info``)."""
    del tree  # kept in the signature: callers pass the page; everything needed is in ``info``
    publisher = ld_text((info.article or {}).get("publisher"))
    site_names = [
        n for n in (site_name, info.first("application-name"), publisher, *host_labels(url)) if n
    ]
    raws = [
        info.first("og:title"),
        ld_text((info.article or {}).get("headline")),
        info.first("twitter:title"),
        "",  # the first <h1> that is not the site name: read only when needed
        info.title_tag,
    ]
    h1_index = 3
    best = ""
    for index, raw in enumerate(raws):
        if index == h1_index:
            raw = raws[index] = _first_h1(info, site_names)
        best = _clean(raw, site_names) if raw else ""
        if best:
            break
    if not best or not _AFFIX_SEPARATORS.search(best):
        return best
    if not raws[h1_index]:
        raws[h1_index] = _first_h1(info, site_names)
    others = {title_key(c) for raw in raws if raw and (c := _clean(raw, site_names)) != best}
    others.discard("")
    return _cut_affix(best, others)[:MAX_TITLE_CHARS]


def _first_h1(info: PageInfo, site_names: list[str]) -> str:
    return next((h for h in _h1_texts(info) if not is_site_name(h, site_names)), "")
