"""Publication and update dates: JSON-LD, then meta tags, <time>, the URL, and visible text."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from lxml.html import HtmlElement

from pipelines.extraction.page import PageInfo, ld_text

MIN_YEAR = 1995  # nothing on the web we crawl predates this; earlier years are parse noise

_ISO = re.compile(
    r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[T\s]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,]\d+)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}(?::?\d{2})?|UTC|GMT)?)?",
    re.IGNORECASE,
)
_COMPACT = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:T?(?P<H>\d{2})(?P<M>\d{2}))?")
_SLASHED = re.compile(r"(?P<y>\d{4})[/.](?P<m>\d{1,2})[/.](?P<d>\d{1,2})")
_MONTH_WORD = re.compile(r"[A-Za-z]{3,}")
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_URL_DATE = re.compile(
    r"/((?:19|20)\d{2})[/_-]([01]?\d)[/_-]([0-3]?\d)(?:[/_.-]|$)"
    r"|[/_-]((?:19|20)\d{2})-([01]\d)-([0-3]\d)(?:\D|$)"
    r"|/((?:19|20)\d{2})([01]\d)([0-3]\d)/"
)

PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "og:published_time",
    "article:published", "datepublished", "publishdate", "publish-date", "publish_date",
    "pubdate", "publication_date", "publication-date", "published_time", "published-date",
    "sailthru.date", "parsely-pub-date", "dc.date.issued", "dcterms.issued", "dc.date.created",
    "dcterms.created", "dc.date", "dcterms.date", "date", "article.published",
    "article_date_original", "original-publish-date", "cxenseparse:recs:publishtime",
    "og:pubdate", "datecreated", "creation_date",
)  # fmt: skip
UPDATED_META = (
    "article:modified_time", "og:article:modified_time", "og:updated_time", "article:modified",
    "datemodified", "modified_time", "last-modified", "lastmod", "dc.date.modified",
    "dcterms.modified", "article.updated", "revised", "sailthru.lastmodified",
)  # fmt: skip

_TIME_PUBLISHED = (
    ".//*[@itemprop='datePublished']"
    " | .//time[@pubdate]"
    " | .//time[contains(@class,'publish') or contains(@class,'posted') "
    "or contains(@class,'entry-date') or contains(@class,'created')]"
)
_TIME_UPDATED = (
    ".//*[@itemprop='dateModified']"
    " | .//time[contains(@class,'updated') or contains(@class,'modified')]"
)
_TIME_IN_ARTICLE = "(.//article//time[@datetime] | .//header//time[@datetime])[1]"


def _this_year() -> int:
    return datetime.now(UTC).year


def _fmt(y: int, m: int, d: int, hh: int | None, mm: int | None, ss: int | None, tz: str) -> str:
    try:
        datetime(y, m, d, hh or 0, mm or 0, ss or 0)  # noqa: DTZ001 - validation only
    except ValueError:
        return ""
    if not MIN_YEAR <= y <= _this_year() + 1:
        return ""
    day = f"{y:04d}-{m:02d}-{d:02d}"
    if hh is None:
        return day
    return f"{day}T{hh:02d}:{mm or 0:02d}:{ss or 0:02d}{tz}"


def _tz(raw: str | None) -> str:
    if not raw:
        return ""
    raw = raw.upper()
    if raw in ("Z", "UTC", "GMT"):
        return "+00:00"
    sign, digits = raw[0], raw[1:].replace(":", "")
    digits = digits.ljust(4, "0")
    return f"{sign}{digits[:2]}:{digits[2:4]}"


def _from_match(match: re.Match[str]) -> str:
    g = match.groupdict()
    hh = int(g["H"]) if g.get("H") else None
    mm = int(g["M"]) if g.get("M") else None
    ss = int(g["S"]) if g.get("S") else None
    return _fmt(int(g["y"]), int(g["m"]), int(g["d"]), hh, mm, ss, _tz(g.get("tz")))


def _from_datetime(dt: datetime, with_time: bool = True) -> str:
    if not with_time:
        return _fmt(dt.year, dt.month, dt.day, None, None, None, "")
    tz = ""
    if dt.utcoffset() is not None:
        offset = dt.strftime("%z")
        tz = f"{offset[:3]}:{offset[3:]}"
    return _fmt(dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, tz)


def normalize_date(raw: str | None) -> str:
    """Any common date string to ISO 8601: with time and offset when given, else date only."""
    raw = (raw or "").strip()[:100]
    if not raw:
        return ""
    match = _ISO.search(raw)
    if match:
        return _from_match(match)
    if raw.isdigit() and len(raw) in (10, 13):  # unix epoch seconds or milliseconds
        seconds = int(raw) / (1000 if len(raw) == 13 else 1)
        return _from_datetime(datetime.fromtimestamp(seconds, UTC))
    match = _COMPACT.match(raw)
    if match:
        return _from_match(match)
    match = _SLASHED.search(raw)
    if match:
        return _from_match(match)
    if _MONTH_WORD.search(raw) and _YEAR.search(raw):
        return _parse_words(raw)
    return ""


def _parse_words(raw: str) -> str:
    """RFC 2822 and "March 5, 2024 10:00 AM"-style strings (English month names)."""
    try:
        return _from_datetime(parsedate_to_datetime(raw))
    except (TypeError, ValueError, IndexError):
        pass
    from dateutil import parser as date_parser  # lazy: only reached by rarer formats

    has_time = bool(re.search(r"\d:\d\d", raw))
    try:
        dt = date_parser.parse(raw, fuzzy=True, default=datetime(2000, 1, 1))  # noqa: DTZ001
    except (ValueError, OverflowError, TypeError):
        return ""
    return _from_datetime(dt, with_time=has_time)


def date_from_url(url: str) -> str:
    match = _URL_DATE.search(url)
    if not match:
        return ""
    y, m, d = (g for g in match.groups() if g is not None)
    return _fmt(int(y), int(m), int(d), None, None, None, "")


def _element_date(el: HtmlElement) -> str:
    for attr in ("datetime", "content", "data-datetime", "title"):
        value = normalize_date(el.get(attr))
        if value:
            return value
    return normalize_date(el.text_content()[:100])


def _candidates(
    tree: HtmlElement,
    info: PageInfo,
    ld_keys: tuple[str, ...],
    meta_keys: tuple[str, ...],
    time_xpath: str,
) -> list[tuple[str, str]]:
    """(value, method) pairs in trust order; built lazily up to the first hit plus refinements."""
    found: list[tuple[str, str]] = []
    for obj in (info.article, info.webpage):
        for key in ld_keys:
            value = normalize_date(ld_text((obj or {}).get(key)))
            if value:
                found.append((value, "json-ld"))
    for raw in info.all(*meta_keys):
        value = normalize_date(raw)
        if value:
            found.append((value, "meta"))
    if len(found) < 2:
        for el in tree.xpath(time_xpath)[:5]:
            value = _element_date(el)
            if value:
                found.append((value, "time"))
    return found


def _best(found: list[tuple[str, str]]) -> tuple[str, str]:
    if not found:
        return "", ""
    value, method = found[0]
    if "T" not in value:
        # a date-only first hit: take the time from a later source that agrees on the day
        for other, _ in found[1:]:
            if "T" in other and other.startswith(value):
                return other, method
    return value, method


def find_published(
    tree: HtmlElement, info: PageInfo, url: str, hints: dict[str, str] | None = None
) -> tuple[str, str]:
    found = _candidates(
        tree, info, ("datePublished", "dateCreated"), PUBLISHED_META, _TIME_PUBLISHED
    )
    if not found:
        for el in tree.xpath(_TIME_IN_ARTICLE):
            value = _element_date(el)
            if value:
                found.append((value, "time"))
    if found:
        return _best(found)
    value = date_from_url(url)
    if value:
        return value, "url"
    value = _text_date(tree, url)
    if value:
        return value, "text"
    value = normalize_date((hints or {}).get("feed_published"))
    if value:
        return value, "feed"
    return "", ""


def find_updated(tree: HtmlElement, info: PageInfo) -> tuple[str, str]:
    return _best(_candidates(tree, info, ("dateModified",), UPDATED_META, _TIME_UPDATED))


def _text_date(tree: HtmlElement, url: str) -> str:
    """Last resort: htmldate's heuristics over the visible text (it copies the tree first)."""
    import htmldate  # lazy: costs import time and a tree copy, so only pages without markup pay

    try:
        raw: Any = htmldate.find_date(
            tree,
            url=url or None,
            original_date=True,
            extensive_search=True,
            outputformat="%Y-%m-%d",
        )
    except Exception:  # noqa: BLE001 - a heuristic fallback must never break extraction
        return ""
    return normalize_date(raw) if isinstance(raw, str) else ""
