"""Publication and update dates: JSON-LD, then meta tags, <time>, the URL, and visible text."""

from __future__ import annotations

import calendar
import functools
import re
import zoneinfo
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from pipelines.extraction.page import PageInfo, in_comments, ld_text
from pipelines.extraction.text import fold

MIN_YEAR = 1995  # nothing on the web we crawl predates this; earlier years are parse noise

# a time after a date, with seconds, fraction and offset optional; "2018-06-19 05:50 +0900"
_CLOCK = (
    r"(?:[T\s]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,]\d+)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}(?::?\d{2})?|UTC|GMT)?)?"
)
_ISO = re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})" + _CLOCK, re.IGNORECASE)
# ISO 8601's basic format ("20180619T055000+0900") and bare digit runs ("201806190550")
_COMPACT = re.compile(
    r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"
    r"(?:T?(?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})?(?:[.,]\d+)?(?P<tz>Z|[+-]\d{2}(?::?\d{2})?)?)?",
    re.IGNORECASE,
)
# "2024/03/14 10:30" and "2024.03.14 10:30:00+09:00", as East Asian pages write dates
_SLASHED = re.compile(r"(?P<y>\d{4})[/.](?P<m>\d{1,2})[/.](?P<d>\d{1,2})" + _CLOCK, re.IGNORECASE)
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

# date elements: an itemprop, or a <time> with one of these class substrings (or pubdate)
_PUBLISHED_PROP = "datePublished"
_PUBLISHED_TIME_CLASS = re.compile(r"publish|posted|entry-date|created")
_UPDATED_PROP = "dateModified"
_UPDATED_TIME_CLASS = re.compile(r"updated|modified")
_MAX_DATE_ELEMENTS = 5


def _date_elements(
    info: PageInfo,
    prop: str,
    time_class: re.Pattern[str],
    pubdate: bool,
    story: HtmlElement | None = None,
) -> list[HtmlElement]:
    """itemprop=``prop`` elements, then matching <time> elements, from the page sweep; none
    from reader comments (a comment's <time pubdate> dates the comment), nor, when the story's
    ``<article>`` is known (``story_article``), from another story's box."""
    found = [el for el, p in info.props if p == prop]
    for el in info.times:
        wanted = (pubdate and el.get("pubdate") is not None) or time_class.search(
            el.get("class") or ""
        )
        if wanted and el not in found:
            found.append(el)
    return [el for el in found if not in_comments(el) and not _elsewhere(el, story)][
        :_MAX_DATE_ELEMENTS
    ]


def story_article(info: PageInfo, title: str) -> HtmlElement | None:
    """The ``<article>`` holding the ``<h1>`` that prints the page's ``title``, if one does:
    the story's own box, where its date markup is (a page of teaser cards marks up each
    card's date as well)."""
    key = fold(title)
    if not key:
        return None
    heading = next((h for h in info.h1s if key in fold(h.text_content())), None)
    return None if heading is None else next(heading.iterancestors("article"), None)


_BOXES = frozenset({"article", "aside", "nav"})  # boxes of their own: a card, a sidebar, a menu


def _elsewhere(el: HtmlElement, story: HtmlElement | None) -> bool:
    """Whether date markup belongs to another box than the ``story`` article: one nested in it
    (a related card), or, outside it, another article, a sidebar, a menu or the page footer.
    False when the story's article is not known."""
    if story is None:
        return False
    passed: list[str] = []
    for ancestor in el.iterancestors():
        if ancestor is story:  # the story's own header and footer are the story's
            return any(tag in _BOXES for tag in passed)
        passed.append(ancestor.tag)
    return any(tag in _BOXES or tag == "footer" for tag in passed)


def _time_in_article(info: PageInfo, story: HtmlElement | None = None) -> list[HtmlElement]:
    """The first <time datetime> inside an <article> or a <header>, not in another box than
    the story's (``_elsewhere``)."""
    for el in info.times:
        if (
            el.get("datetime") is not None
            and any(a.tag in ("article", "header") for a in el.iterancestors())
            and not _elsewhere(el, story)
        ):
            return [el]
    return []


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


# Gregorian month names of scripts without the Latin abbreviations: Urdu, Arabic (Egyptian and
# Gulf names, and the Levant's), Persian and Hindi, each spelling with its month's number.
_MONTH_NAMES: dict[str, int] = {
    # Urdu
    "جنوری": 1, "فروری": 2, "مارچ": 3, "اپریل": 4, "مئی": 5, "جون": 6, "جولائی": 7,
    "اگست": 8, "ستمبر": 9, "اکتوبر": 10, "نومبر": 11, "دسمبر": 12,
    # Arabic
    "يناير": 1, "فبراير": 2, "مارس": 3, "أبريل": 4, "ابريل": 4, "إبريل": 4, "مايو": 5,
    "يونيو": 6, "يونيه": 6, "يوليو": 7, "يوليه": 7, "أغسطس": 8, "اغسطس": 8, "سبتمبر": 9,
    "أكتوبر": 10, "اكتوبر": 10, "نوفمبر": 11, "ديسمبر": 12,
    "كانون الثاني": 1, "شباط": 2, "آذار": 3, "نيسان": 4, "أيار": 5, "حزيران": 6, "تموز": 7,
    "آب": 8, "أيلول": 9, "تشرين الأول": 10, "تشرين الثاني": 11, "كانون الأول": 12,
    # Persian (the Gregorian calendar's months; the Solar Hijri year, 13xx/14xx, never matches)
    "ژانویه": 1, "فوریه": 2, "آوریل": 4, "مه": 5, "ژوئن": 6, "ژوئیه": 7, "اوت": 8,
    "سپتامبر": 9, "اکتبر": 10, "نوامبر": 11, "دسامبر": 12,
    # Hindi
    "जनवरी": 1, "फ़रवरी": 2, "फरवरी": 2, "मार्च": 3, "अप्रैल": 4, "मई": 5, "जून": 6,
    "जुलाई": 7, "अगस्त": 8, "सितंबर": 9, "सितम्बर": 9, "अक्टूबर": 10, "अक्तूबर": 10,
    "नवंबर": 11, "नवम्बर": 11, "दिसंबर": 12, "दिसम्बर": 12,
}  # fmt: skip
_NATIVE_DATE = re.compile(
    r"(?<!\d)(\d{1,2})\s+("
    + "|".join(sorted(map(re.escape, _MONTH_NAMES), key=len, reverse=True))
    + r")\s*[,،]?\s+((?:19|20)\d\d)(?!\d)"
)
# Arabic-Indic, Persian, Devanagari and Bengali digits as ASCII ones
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹०१२३४५६७८९০১২৩৪৫৬৭৮৯", "0123456789" * 4)


def _native_date(text: str) -> str:
    """A day, a month name of ``_MONTH_NAMES`` and a year ("12 جنوری 2024", "١٢ يناير ٢٠٢٤")."""
    match = _NATIVE_DATE.search(text.translate(_DIGITS))
    if not match:
        return ""
    day, name, year = match.groups()
    return _fmt(int(year), _MONTH_NAMES[name], int(day), None, None, None, "")


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
    return "" if raw.isascii() else _native_date(raw)


# Time-zone abbreviations that news pages print after a time, each with one meaning in that
# use: hours east of UTC, or the zone whose clock it names ("ET" is EST or EDT by the date).
# IST is read as India's: Israeli and Irish pages rarely print it, Indian ones always do.
# Ambiguous ones (CST: US Central or China; AST: Atlantic or Arabia) stay unread.
_TZ_ABBREVIATIONS: dict[str, float | str] = {
    "UTC": 0, "UT": 0, "GMT": 0, "Z": 0, "WET": 0,
    "EST": -5, "EDT": -4, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
    "AKST": -9, "AKDT": -8, "HST": -10,
    "ET": "America/New_York", "CT": "America/Chicago", "MT": "America/Denver",
    "PT": "America/Los_Angeles",
    "BST": 1, "WEST": 1, "CET": 1, "MEZ": 1, "CEST": 2, "MESZ": 2, "EET": 2, "EEST": 3,
    "MSK": 3, "SAST": 2, "WAT": 1, "CAT": 2, "EAT": 3, "GST": 4, "PKT": 5, "IST": 5.5,
    "NPT": 5.75, "BDT": 6,
    "ICT": 7, "WIB": 7, "HKT": 8, "SGT": 8, "PHT": 8, "AWST": 8, "JST": 9, "KST": 9,
    "ACST": 9.5, "ACDT": 10.5, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13,
}  # fmt: skip
# "GMT+5:30" as pages write it means five and a half hours east; dateutil reads the POSIX
# convention (west), so the offset is rewritten as a plain "+05:30" first
_GMT_OFFSET = re.compile(r"\b(?:GMT|UTC)\s*([+-])\s*(\d{1,2})(?::?(\d\d))?\b")


def _tz_for(name: str | None, offset: int | None) -> zoneinfo.ZoneInfo | int | None:
    """dateutil's ``tzinfos`` hook: a numeric offset as given, else a known abbreviation. The
    machine's own zone is never used for a name (dateutil's default would)."""
    if offset is not None:
        return offset
    known = _TZ_ABBREVIATIONS.get((name or "").upper())
    if known is None:
        return None
    if isinstance(known, str):
        return zoneinfo.ZoneInfo(known)
    return int(known * 3600)


# email.utils reads more than RFC 2822 and drops what it does not know without a word ("10:00
# PM" becomes 10:00, "AM EST" vanishes): it gets only strings of the RFC's own shape
_RFC_2822 = re.compile(
    r"(?:[a-z]{3},\s*)?\d{1,2}\s+[a-z]{3}\s+\d{4}\s+\d{1,2}:\d\d(?::\d\d)?"
    r"(?:\s*(?:[+-]\d{4}|[a-z]{1,5}))?",
    re.IGNORECASE,
)


def _parse_words(raw: str) -> str:
    """RFC 2822 and "March 5, 2024 10:00 AM"-style strings (English month names)."""
    if _RFC_2822.fullmatch(raw):
        try:
            dt = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            dt = None
        # a zone name email.utils does not know ("CEST") is left to dateutil and the table
        if dt is not None and (dt.tzinfo is not None or not raw[-1].isalpha()):
            return _from_datetime(dt)
    from dateutil import parser as date_parser  # lazy: only reached by rarer formats

    has_time = bool(re.search(r"\d:\d\d", raw))
    raw = _GMT_OFFSET.sub(lambda m: f" {m[1]}{int(m[2]):02d}:{m[3] or '00'}", raw)
    try:
        dt = date_parser.parse(
            raw,
            fuzzy=True,
            default=datetime(2000, 1, 1),  # noqa: DTZ001
            tzinfos=_tz_for,  # type: ignore[arg-type]
        )
    except (ValueError, OverflowError, TypeError):
        return ""
    return _from_datetime(dt, with_time=has_time)


_URL_MONTH = re.compile(r"/((?:19|20)\d{2})/(0?[1-9]|1[0-2])/")


def url_month(url: str) -> str:
    """The year and month of a URL path that gives them without a day ("/2011/12/slug"),
    as "2011-12"; "" otherwise."""
    match = _URL_MONTH.search(url)
    return f"{match.group(1)}-{int(match.group(2)):02d}" if match else ""


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


# keys that name the publication time itself; when one is present but unreadable, the generic
# keys below it ("date", "creation_date"...) are not trusted in its place
_STRONG_PUBLISHED = frozenset(
    {"article:published_time", "og:article:published_time", "og:published_time",
     "datepublished", "published_time", "publishdate", "publish-date", "publish_date",
     "pubdate", "publication_date", "article.published", "parsely-pub-date"}
)  # fmt: skip
_INSTANT = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})([+-]\d{2}):(\d{2})$")
_SAME_INSTANT_SECONDS = 60

Candidate = tuple[str, str, str]  # (ISO value, method, key it came from)
_NAIVE_LEN = len("2024-01-01T00:00:00")


def _candidates(
    info: PageInfo,
    ld_keys: tuple[str, ...],
    meta_keys: tuple[str, ...],
    elements: Callable[[], list[HtmlElement]],
) -> list[Candidate]:
    """(value, method, key) in trust order; <time> elements only when the head gives < 2."""
    found: list[Candidate] = []
    for obj in (info.article, info.webpage):
        for key in ld_keys:
            value = normalize_date(ld_text((obj or {}).get(key)))
            if value:
                found.append((value, "json-ld", key))
    for key in meta_keys:
        for raw in info.meta.get(key, ()):
            value = normalize_date(raw)
            if value:
                found.append((value, "meta", key))
    if len(found) < 2:
        for el in elements():
            value = _element_date(el)
            if value:
                found.append((value, "time", "time"))
    return found


def _best(found: list[Candidate]) -> tuple[str, str]:
    """The first candidate, made more precise by a later one that agrees with it: a date-only
    value takes the time of one on the same day, a time without offset the offset of one at
    the same minute."""
    if not found:
        return "", ""
    value, method, _ = found[0]
    if "T" not in value:
        for other, _, _ in found[1:]:
            if "T" in other and other.startswith(value):
                value = other
                break
    if "T" in value and len(value) == _NAIVE_LEN:
        for other, _, _ in found[1:]:
            if len(other) > _NAIVE_LEN and other[:16] == value[:16]:
                return other, method
    return value, method


def _instant(value: str) -> datetime | None:
    """An ISO value with a time and an offset as an aware datetime; None otherwise."""
    match = _INSTANT.match(value)
    if not match:
        return None
    return datetime.fromisoformat(value)


def _local_day(found: list[Candidate], value: str, method: str, url: str) -> tuple[str, str]:
    """A time the page gives in UTC may fall on another calendar day than the publisher's own.
    The page's own offset wins when another source gives the same instant with it, or the same
    wall-clock time (local time mislabelled as UTC); otherwise a date in the URL (written in
    the publisher's time zone) wins when it is the day before or after and a real time-zone
    offset (-12 h … +14 h) can explain the difference."""
    when = _instant(value)
    if when is None or when.utcoffset() != timedelta(0):
        return value, method
    for other, other_method, _ in found:
        other_when = _instant(other)
        if other_when is None or other_when.utcoffset() == timedelta(0):
            continue
        same_instant = abs((other_when - when).total_seconds()) <= _SAME_INSTANT_SECONDS
        if same_instant or other[:16] == value[:16]:
            return other, other_method
    url_day = date_from_url(url)
    if not url_day:
        return value, method
    shift = (date.fromisoformat(url_day) - when.date()).days
    if (shift == -1 and when.hour < 12) or (shift == 1 and when.hour >= 10):
        return url_day, "url"
    return value, method


# country-code top-level domains that sites anywhere register for their look (.io, .tv, .co,
# .me...): they tell nothing about where a publisher is
_GENERIC_CCTLDS = frozenset(
    {"ac", "ad", "ag", "ai", "am", "as", "bz", "cc", "cd", "co", "cx", "dj", "fm", "gg", "gl",
     "gs", "io", "je", "la", "ly", "me", "ms", "mu", "nu", "sc", "sh", "so", "st", "tk", "to",
     "tv", "vc", "vg", "ws"}
)  # fmt: skip
_ZONE_TABLE = "zone1970.tab"


@functools.cache
def _zones_by_country() -> dict[str, tuple[str, ...]]:
    """ISO country code (lower case) -> its IANA time zones, from the tz database's
    zone1970.tab (system zoneinfo directories, else the tzdata package); {} without one."""
    text = ""
    for base in zoneinfo.TZPATH:
        path = Path(base) / _ZONE_TABLE
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            break
    if not text:
        try:
            text = resources.files("tzdata.zoneinfo").joinpath(_ZONE_TABLE).read_text("utf-8")
        except (ModuleNotFoundError, OSError):
            return {}
    zones: dict[str, list[str]] = {}
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) >= 3 and not line.startswith("#"):
            for code in fields[0].split(","):
                zones.setdefault(code.strip().lower(), []).append(fields[2].strip())
    return {code: tuple(names) for code, names in zones.items()}


def _country(url: str) -> str:
    """The publisher's country from the URL's country-code domain ("" for .com, .org, .io…)."""
    try:
        label = (urlsplit(url).hostname or "").rsplit(".", 1)[-1]
    except ValueError:
        return ""
    if len(label) != 2 or not label.isalpha() or label in _GENERIC_CCTLDS:
        return ""
    return "gb" if label == "uk" else label


def _country_offsets(country: str, when: datetime) -> set[timedelta]:
    """The UTC offsets in use in ``country`` at the instant ``when``."""
    offsets: set[timedelta] = set()
    for name in _zones_by_country().get(country, ()):
        try:
            offset = when.astimezone(zoneinfo.ZoneInfo(name)).utcoffset()
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
        if offset is not None:
            offsets.add(offset)
    return offsets


def _true_utc(found: list[Candidate], value: str, method: str, url: str) -> tuple[str, str]:
    """The chosen value and a source of another kind (JSON-LD against meta), both labelled
    UTC, apart by exactly one of the UTC offsets in use in the publisher's country (its
    country-code domain): one of them is a local clock time with a wrong "Z". A local clock
    differs from UTC by its offset (ahead for a positive one, behind for a negative one), so the
    value that differs from the other that way is the mislabelled one and the other is the
    instant. Nothing changes when either reading fits or the country is unknown."""
    when = _instant(value)
    if when is None or when.utcoffset() != timedelta(0):
        return value, method
    country = ""
    for other, other_method, _ in found:
        other_when = _instant(other)
        if other_method == method or other_when is None or other_when == when:
            continue
        if other_when.utcoffset() != timedelta(0):
            continue
        country = country or _country(url)
        if not country:
            return value, method
        offsets = _country_offsets(country, other_when)
        if when - other_when in offsets and other_when - when not in offsets:
            return other, other_method
    return value, method


def _drop_weak_meta(found: list[Candidate], info: PageInfo) -> list[Candidate]:
    """Without JSON-LD, a publication-time meta tag that is present but unreadable (another
    language's month names) outranks the generic keys: their values are dropped."""
    if any(method == "json-ld" or key in _STRONG_PUBLISHED for _, method, key in found):
        return found
    if not any(info.first(key) for key in _STRONG_PUBLISHED):
        return found
    return [c for c in found if c[1] != "meta"]


def find_published(
    tree: HtmlElement,
    info: PageInfo,
    url: str,
    hints: dict[str, str] | None = None,
    html: str = "",
    story: HtmlElement | None = None,
) -> tuple[str, str]:
    """Publication date and the method that found it. ``html``, the page's source text, lets the
    last-resort text search see what the parsed tree drops (HTML comments); ``story``, the
    story's ``<article>`` (``story_article``), keeps other boxes' date markup out."""
    found = _drop_weak_meta(
        _candidates(
            info,
            ("datePublished", "dateCreated"),
            PUBLISHED_META,
            lambda: _date_elements(
                info, _PUBLISHED_PROP, _PUBLISHED_TIME_CLASS, pubdate=True, story=story
            ),
        ),
        info,
    )
    if not found:
        for el in _time_in_article(info, story):
            value = _element_date(el)
            if value:
                found.append((value, "time", "time"))
    if found:
        value, method = _best(found)
        value, method = _true_utc(found, value, method, url)
        return _local_day(found, value, method, url)
    value = date_from_url(url)
    if value:
        return value, "url"
    # a year and month in the URL ("/news/2011/12/slug/") bound the guesses from the text
    month = url_month(url)
    value = _date_near_headline(info)
    if value and value.startswith(month):
        return value, "text"
    value = _text_date(tree, url, html, month)
    if value:
        return value, "text"
    value = normalize_date((hints or {}).get("feed_published"))
    if value:
        return value, "feed"
    return "", ""


def find_updated(
    tree: HtmlElement, info: PageInfo, story: HtmlElement | None = None
) -> tuple[str, str]:
    return _best(
        _candidates(
            info,
            ("dateModified",),
            UPDATED_META,
            lambda: _date_elements(
                info, _UPDATED_PROP, _UPDATED_TIME_CLASS, pubdate=False, story=story
            ),
        )
    )


_NEAR_HEADLINE = 4  # elements after the <h1> (and after its parent) read for a dateline
_MAX_DATELINE_CHARS = 100  # a dateline block is short; longer ones are prose or teaser lists
_DATELINE = re.compile(
    r"(?<!\d)\d{1,2}\.?\s*(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?\s+(?:19|20)\d\d"
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+(?:19|20)\d\d"
    r"|\b\d{1,2}[./]\d{1,2}[./](?:19|20)\d\d\b|\b(?:19|20)\d\d-\d\d-\d\d\b",
    re.IGNORECASE,
)


def _date_near_headline(info: PageInfo) -> str:
    """A dateline printed right after the headline: the few short elements following the first
    <h1> of three words or more (a logo's <h1> is skipped), or following its wrapper. Pages
    without date markup still show one there."""
    h1 = next((h for h in info.h1s if len(h.text_content().split()) >= 3), None)
    if h1 is None:
        return ""
    parent = h1.getparent()
    nearby = list(h1.itersiblings())[:_NEAR_HEADLINE]
    if parent is not None:
        nearby += list(parent.itersiblings())[:_NEAR_HEADLINE]
    for el in nearby:
        text = _short_text(el, _MAX_DATELINE_CHARS)
        if text is None:
            continue
        match = _DATELINE.search(text)
        if match:
            value = _dateline_value(match.group(0))
            if value:
                return value
        elif not text.isascii():
            value = _native_date(text)
            if value:
                return value
    return ""


_MONTH_ABBR = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAY_MONTH = re.compile(r"(\d{1,2})\.?\s*([a-z]{3})[a-z]*\.?,?\s+(\d{4})", re.IGNORECASE)
_MONTH_DAY = re.compile(r"([a-z]{3})[a-z]*\.?\s+(\d{1,2}),?\s+(\d{4})", re.IGNORECASE)


def _short_text(el: HtmlElement, limit: int) -> str | None:
    """The element's text, whitespace collapsed, or None when that is longer than ``limit``:
    reading stops as soon as the words alone exceed it (a sibling may be the whole story)."""
    pieces: list[str] = []
    letters = 0  # characters other than whitespace: a lower bound of the collapsed length
    for piece in el.itertext():
        letters += sum(len(word) for word in piece.split())
        if letters > limit:
            return None
        pieces.append(piece)
    text = " ".join("".join(pieces).split())
    return text if len(text) <= limit else None


def _dateline_value(text: str) -> str:
    numeric = re.fullmatch(r"(\d{1,2})[./](\d{1,2})[./](\d{4})", text)
    if numeric:  # day first: the order of most of the world's datelines
        day, month, year = (int(g) for g in numeric.groups())
        return _fmt(year, month, day, None, None, None, "")
    # the month by its first three letters, which the English abbreviations share with many
    # languages' month names ("octubre", "Febbraio", "juni"): a general date parser would not
    # know the word and fill in a default month
    day_month = _DAY_MONTH.fullmatch(text)
    month_day = None if day_month else _MONTH_DAY.fullmatch(text)
    if day_month:
        day, abbr, year = day_month.groups()
    elif month_day:
        abbr, day, year = month_day.groups()
    else:
        abbr = ""
    if abbr.lower() in _MONTH_ABBR:
        month = _MONTH_ABBR.index(abbr.lower()) + 1
        return _fmt(int(year), month, int(day), None, None, None, "")
    value = normalize_date(text)
    return value[:10] if value else ""


def _text_date(tree: HtmlElement, url: str, html: str = "", month: str = "") -> str:
    """Last resort: htmldate's heuristics over the page (given the source text when there is
    one: its raw-text search also reads what the parsed tree dropped, such as comments), within
    ``month`` ("2011-12") when the URL gives one."""
    import htmldate  # lazy: costs import time and a parse, so only pages without markup pay

    bounds: dict[str, Any] = {}
    if month:
        year, number = int(month[:4]), int(month[5:])
        last = calendar.monthrange(year, number)[1]
        bounds = {"min_date": f"{month}-01", "max_date": f"{month}-{last:02d}"}
    try:
        raw: Any = htmldate.find_date(
            html or tree,
            url=url or None,
            original_date=True,
            extensive_search=True,
            outputformat="%Y-%m-%d",
            **bounds,
        )
    except Exception:  # noqa: BLE001 - a heuristic fallback must never break extraction
        return ""
    value = normalize_date(raw) if isinstance(raw, str) else ""
    # htmldate turns a bare year (a copyright line, a year in a script) into January 1st: a
    # bare year is no publication day
    return "" if value.endswith("-01-01") else value


# ---------------------------------------------------------------- date flags

FLAG_FUTURE = "future"
FLAG_BEFORE_SITE = "before_site"
_FLOOR = f"{MIN_YEAR:04d}-01-01"
_DAY_SECONDS = 86400
_RAW_DAY = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})")
# where a date came from, in the order a conflict is named: "disagree:jsonld-url"
DATE_SOURCES = ("jsonld", "meta", "time", "text", "url", "feed")


def _reference_time(hints: dict[str, str]) -> datetime:
    """The fetch time from the hints (``fetched_at``), else now; always aware (UTC if naive)."""
    raw = (hints.get("fetched_at") or "").strip()
    try:
        when = datetime.fromisoformat(raw) if raw else None
    except ValueError:
        when = None
    if when is None:
        return datetime.now(UTC)
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _aware(value: str) -> datetime | None:
    """An ISO value as an aware datetime: an offset-less time is read as UTC, a bare day as
    its midnight UTC; None when unreadable."""
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _apart_more_than_a_day(a: str, b: str) -> bool:
    """Two instants more than 24 h apart; with a side that has no offset (a bare day, a local
    time) the calendar days are compared, and must be two or more days apart."""
    if _instant(a) is not None and _instant(b) is not None:
        return abs((datetime.fromisoformat(a) - datetime.fromisoformat(b)).total_seconds()) > (
            _DAY_SECONDS
        )
    try:
        days = (date.fromisoformat(a[:10]) - date.fromisoformat(b[:10])).days
    except ValueError:
        return False
    return abs(days) > 1


def _floor(hints: dict[str, str]) -> str:
    """The earliest plausible publication day: the source's ``site_since`` hint (a year or a
    date) when given, else 1995-01-01."""
    raw = (hints.get("site_since") or "").strip()
    if re.fullmatch(r"(?:19|20)\d\d", raw):
        return f"{raw}-01-01"
    return normalize_date(raw)[:10] or _FLOOR


def _raw_days(info: PageInfo) -> list[str]:
    """The calendar day written in the page's JSON-LD and publication meta values, before the
    plausibility check (which drops years before 1995 such as a CMS's 1970-01-01)."""
    raws = [ld_text((obj or {}).get("datePublished")) for obj in (info.article, info.webpage)]
    raws += [info.first(key) for key in _STRONG_PUBLISHED]
    days = []
    for raw in raws:
        match = _RAW_DAY.search(raw or "")
        if match:
            days.append("-".join(match.groups()))
    return days


def date_sources(info: PageInfo, url: str, hints: dict[str, str]) -> dict[str, str]:
    """The publication date each kind of source gives on its own (the first readable value of
    each): JSON-LD, publication meta tags, date markup (``<time>``, itemprop), a dateline after
    the headline, the URL and the feed entry."""
    found: dict[str, str] = {}
    for obj in (info.article, info.webpage):
        value = normalize_date(ld_text((obj or {}).get("datePublished")))
        if value:
            found["jsonld"] = value
            break
    for key in PUBLISHED_META:
        value = next((v for raw in info.meta.get(key, ()) if (v := normalize_date(raw))), "")
        if value:
            found["meta"] = value
            break
    for el in _date_elements(info, _PUBLISHED_PROP, _PUBLISHED_TIME_CLASS, pubdate=True):
        value = "" if _in_teaser(el) else _element_date(el)
        if value:
            found["time"] = value
            break
    sources = {
        "text": _date_near_headline(info),
        "url": date_from_url(url),
        "feed": normalize_date(hints.get("feed_published")),
    }
    found.update({name: value for name, value in sources.items() if value})
    return found


_TEASER_CHARS = 300  # an <article> with no more text than this is a card linking to a story


def _in_teaser(el: HtmlElement) -> bool:
    """Date markup inside a short <article>: a teaser card of another story (related or
    latest-news lists mark up their own datePublished), not the page's own date."""
    card = next((a for a in el.iterancestors("article")), None)
    return card is not None and _short_text(card, _TEASER_CHARS) is not None


def find_date_flags(
    info: PageInfo,
    url: str,
    published_at: str,
    published_method: str,
    hints: dict[str, str] | None = None,
    updated_at: str = "",
) -> list[str]:
    """Warnings about the publication date; the chosen ``published_at`` is not changed.

    - ``future``: more than a day after the fetch time (``hints["fetched_at"]``, else now)
    - ``before_site``: before the site's floor (``hints["site_since"]``, else 1995), or a date
      source of the page states such a day (and was passed over for it)
    - ``disagree:<a>-<b>``: two kinds of source (``DATE_SOURCES``, ``a`` the more trusted)
      give dates more than a day apart; a visible date (``time``, ``text``) on the day of
      ``updated_at`` is the update the page shows, not a conflict
    """
    hints = hints or {}
    flags: list[str] = []
    when = _aware(published_at) if published_at else None
    if when is not None:
        reference = _reference_time(hints)
        if "T" in published_at:
            future = (when - reference).total_seconds() > _DAY_SECONDS
        else:  # a bare day: the publisher's local day may run up to 14 h ahead of UTC
            future = (when.date() - reference.date()).days > 1
        if future:
            flags.append(FLAG_FUTURE)
    floor = _floor(hints)
    days = _raw_days(info)
    if published_at:
        days.append(published_at[:10])
    if any(day < floor for day in days):
        flags.append(FLAG_BEFORE_SITE)
    sources = date_sources(info, url, hints)
    if published_method == "text" and "text" not in sources and published_at:
        sources["text"] = published_at  # found by the page-wide text search
    for name in ("time", "text"):
        if updated_at and sources.get(name, "")[:10] == updated_at[:10] != published_at[:10]:
            del sources[name]
    names = [name for name in DATE_SOURCES if name in sources]
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            if _apart_more_than_a_day(sources[first], sources[second]):
                flags.append(f"disagree:{first}-{second}")
    return flags
