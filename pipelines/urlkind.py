"""URL-only guesses about what a page is, cheap enough to run before fetching.

``url_kind_hint`` is deliberately conservative: it only names URLs that are very probably not
articles and returns ``None`` otherwise, because a wrong LISTING/OTHER hint makes the spider skip
a real article for good, while a missed hint only costs one fetch that ``classify_page`` rejects.
``url_shape`` exposes the same parsing as features for the page classifier.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

from pipelines.models import PageKind

# Path segments that introduce a taxonomy or people index in many CMSs and languages.
_LISTING_KEYWORDS = frozenset(
    {
        "tag", "tags", "topic", "topics", "category", "categories", "categoria", "categorias",
        "categorie", "kategorie", "etiqueta", "etiquetas", "thema", "themen", "schlagwort",
        "schlagworte", "stichwort", "rubrique", "rubrik", "label", "labels", "author", "authors",
        "autor", "autoren", "auteur", "auteurs", "autore", "autori", "section", "sections",
        "archive", "archives", "archiv",
    }
)  # fmt: skip
# Whole-path keywords of search and of service / legal pages.
_SEARCH_KEYWORDS = frozenset({"search", "suche", "recherche", "buscar", "busqueda", "cerca"})
_OTHER_KEYWORDS = frozenset(
    {
        "about", "about-us", "aboutus", "contact", "contact-us", "contactus", "kontakt",
        "privacy", "privacy-policy", "privacy-notice", "cookies", "cookie-policy", "terms",
        "terms-of-service", "terms-of-use", "terms-and-conditions", "tos", "legal", "imprint",
        "impressum", "datenschutz", "datenschutzerklaerung", "agb", "mentions-legales",
        "aviso-legal", "privacidad", "contacto", "chi-siamo", "contatti", "login", "log-in",
        "signin", "sign-in", "logout", "register", "signup", "sign-up", "subscribe",
        "subscription", "subscriptions", "newsletter", "newsletters", "account", "my-account",
        "advertise", "careers", "jobs", "faq", "help", "sitemap", "accessibility", "wp-login.php",
        "wp-admin", "cart", "checkout",
    }
)  # fmt: skip
# first path segments of a CMS's machine endpoints: APIs, RPC, admin, a CDN's own paths
_MACHINE_PATHS = frozenset(
    {"wp-json", "xmlrpc.php", "wp-admin", "wp-login.php", "wp-cron.php", "cdn-cgi", "api"}
)
_FEED_SEGMENTS = frozenset({"feed", "feeds", "rss", "atom", "rss2", "rdf"})
_NON_HTML_EXTS = frozenset(
    {
        "pdf", "jpg", "jpeg", "png", "gif", "webp", "svg", "avif", "bmp", "ico", "tif", "tiff",
        "heic", "mp4", "m4v", "mov", "avi", "mkv", "webm", "mp3", "m4a", "wav", "ogg", "oga",
        "flac", "aac", "zip", "gz", "tgz", "bz2", "xz", "rar", "7z", "tar", "exe", "dmg", "apk",
        "msi", "iso", "css", "js", "mjs", "json", "woff", "woff2", "ttf", "otf", "eot", "doc",
        "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "csv", "epub", "xml", "rss", "atom",
        "rdf", "txt", "ics", "vcf",
    }
)  # fmt: skip
PAGE_PARAMS = frozenset({"page", "paged", "pg", "p_page", "pagina", "seite", "start", "offset"})
_ITEM_KEYS = frozenset({"p", "id", "story", "article", "guid", "doc", "newsid", "aid", "idx"})
# a bare query key naming an item by kind and number: SPIP's "spip.php?article717", "?breve42"
_ITEM_NAME = re.compile(r"^(?:article|breve|news|post|story)\d+$", re.IGNORECASE)
_INDEX_FILES = frozenset({"index.html", "index.htm", "index.php", "index.shtml", "default.aspx"})

_YEAR = re.compile(r"(?:19|20)\d\d$")
# The year that starts a date archive (/2024/, /2024/03/): a web year. "/1927" alone is a post
# numbered 1927 far more often than a news site's archive of 1927.
_ARCHIVE_YEAR = re.compile(r"(?:199\d|20\d\d)$")
_MONTH_OR_DAY = re.compile(r"\d{1,2}$")
_DATE_IN_PATH = re.compile(r"(?:^|/)(?:19|20)\d\d[/-]?(?:0?[1-9]|1[0-2])(?:[/-]?\d{1,2})?(?:/|$)")
_LONG_NUMBER = re.compile(r"\d{5,}")
_WORD_SPLIT = re.compile(r"[-_+.,~]+|%20")


@dataclass(frozen=True, slots=True)
class UrlShape:
    """Path features of a URL that separate article URLs from index URLs."""

    segments: tuple[str, ...]  # lower-cased, non-empty, AMP/index segments and pagination dropped
    is_root: bool  # the site's front page (query strings that pick a post excluded)
    page_number: int  # from /page/N or ?page=N; 0 when absent
    has_date: bool  # /2024/03/14/ style date followed by more path
    date_only: bool  # the path is nothing but a date: an archive index
    slug_words: int  # words in the longest segment
    has_long_id: bool  # a number of 5+ digits somewhere in the path or an id-like query
    post_query: bool  # ?p=123, ?id=…, ?story=… and the like select one item


def _slug_word_count(segment: str) -> int:
    stem = segment.rsplit(".", 1)[0] if "." in segment[-6:] else segment
    return sum(1 for part in _WORD_SPLIT.split(stem) if part and not part.isdigit())


def url_shape(url: str) -> UrlShape:
    """Parse ``url`` into ``UrlShape`` features. Raises ``ValueError`` on unparseable URLs."""
    parts = urlsplit(url.strip())
    path = unquote(parts.path).lower()
    raw_segments = [s for s in path.split("/") if s]
    query = parse_qsl(parts.query, keep_blank_values=True)
    page_number = 0
    for key, value in query:
        if key.lower() in PAGE_PARAMS and value.isdigit():
            page_number = int(value[:6])
    segments: list[str] = []
    i = 0
    while i < len(raw_segments):
        seg = raw_segments[i]
        nxt = raw_segments[i + 1] if i + 1 < len(raw_segments) else ""
        if seg in {"page", "seite", "pagina"} and nxt.isdigit():
            page_number = int(nxt[:6])
            i += 2
            continue
        if seg != "amp" and seg not in _INDEX_FILES:  # AMP variants are the same article
            segments.append(seg)
        i += 1
    # ?p=123, ?idx=88231, ?storyid=…: a query that picks one item rather than a page of a list.
    post_query = any(
        (v.isdigit() and (len(v) >= 3 or k.lower() in {"p", "id"}))
        or (len(v) > 6 and (k.lower() in _ITEM_KEYS or k.lower().endswith("id")))
        or (not v and bool(_ITEM_NAME.match(k)))
        for k, v in ((k, v.rstrip("/")) for k, v in query)
        if k.lower() not in PAGE_PARAMS and k.lower() not in {"cat", "category", "year"}
    )
    joined = "/".join(segments)
    date_only = (
        bool(segments)
        and all(_YEAR.match(s) or _MONTH_OR_DAY.match(s) for s in segments)
        and bool(_ARCHIVE_YEAR.match(segments[0]))
    )
    has_date = bool(_DATE_IN_PATH.search(joined)) and not date_only
    longest = max((_slug_word_count(s) for s in segments), default=0)
    has_long_id = bool(_LONG_NUMBER.search(joined)) or post_query
    return UrlShape(
        segments=tuple(segments),
        is_root=not segments and not post_query,
        page_number=page_number,
        has_date=has_date,
        date_only=date_only,
        slug_words=longest,
        has_long_id=has_long_id,
        post_query=post_query,
    )


def _looks_like_article_path(shape: UrlShape) -> bool:
    return shape.has_date or shape.has_long_id or shape.slug_words >= 4


def _hint(url: str) -> PageKind | None:
    if not url.strip():
        return None
    parts = urlsplit(url.strip())
    if parts.scheme and parts.scheme.lower() not in {"http", "https"}:
        return None
    path = unquote(parts.path).lower()
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if "." in last:
        ext = last.rsplit(".", 1)[1]
        if ext in _NON_HTML_EXTS:
            return PageKind.OTHER
    query_keys = {k.lower(): v for k, v in parse_qsl(parts.query, keep_blank_values=True)}
    if "feed" in query_keys or last in _FEED_SEGMENTS:
        return PageKind.OTHER
    if "_wpnonce" in query_keys or path.lstrip("/").split("/", 1)[0] in _MACHINE_PATHS:
        return PageKind.OTHER  # an action link (like, delete, log out) or an API, not a page
    shape = url_shape(url)
    segs = shape.segments
    if shape.is_root:
        # The front page, plain or paginated, or WordPress's /?s=query search.
        return PageKind.LISTING
    if shape.date_only:
        return PageKind.LISTING  # /2024/ or /2024/03/: a date archive
    if not segs:
        return None  # /?p=123: one post picked by query
    first = segs[0]
    if first in _SEARCH_KEYWORDS or ("s" in query_keys and len(segs) <= 1):
        return PageKind.LISTING
    # Taxonomy and people indexes: the keyword followed by one term (or a two-level term).
    for idx, seg in enumerate(segs):
        if seg in _LISTING_KEYWORDS:
            rest = segs[idx + 1 :]
            if not rest and idx <= 1:
                return PageKind.LISTING
            if len(rest) == 1 and not _LONG_NUMBER.search(rest[0]) and not shape.has_date:
                return PageKind.LISTING
            if (
                len(rest) == 2
                and _slug_word_count(rest[1]) <= 2
                and not _looks_like_article_path(shape)
            ):
                return PageKind.LISTING
            break
    if (
        len(segs) <= 2
        and not _looks_like_article_path(shape)
        and not any(c.isdigit() for c in "".join(segs))
    ):
        if segs[-1] in _OTHER_KEYWORDS or first in _OTHER_KEYWORDS:
            return PageKind.OTHER
        if shape.page_number > 1 or (shape.page_number and len(segs) == 1):
            return PageKind.LISTING  # /news/page/2, /business?page=3
    return None


def list_position(url: str) -> tuple[str, int | None]:
    """(the list a URL is a page of, its page number or None when it has none): the list is
    the host, the path without its /page/N part and the query without its page parameter."""
    parts = urlsplit(url.strip())
    shape = url_shape(url)
    number = shape.page_number if shape.page_number else None
    others = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key.lower() in PAGE_PARAMS and value.isdigit():
            number = shape.page_number
        else:
            others.append(f"{key}={value}")
    path = "/".join(shape.segments)
    return f"{parts.netloc.lower()}/{path}?{'&'.join(sorted(others))}", number


def list_key(url: str) -> str:
    """The list a URL is a page of: equal for /news, /news/page/3/ and /news?page=3."""
    try:
        return list_position(url)[0]
    except (ValueError, TypeError, AttributeError):
        return url


# What a URL needs to hold to be a numbered page of a list: a cheap test before parsing it.
_PAGE_MARK = re.compile(
    r"/(?:page|seite|pagina)/\d|[?&](?:page|paged|pg|p_page|pagina|seite|start|offset)=\d",
    re.IGNORECASE,
)


def other_pages_of_list(url: str, candidates: Iterable[str]) -> list[str]:
    """The ``candidates`` that are other pages of the paginated list ``url`` is a page of: the
    same host, path and query but for a /page/N, ?page=N, ?start=N or ?offset=N of their own.

    Never raises: malformed input is no page of a list.
    """
    marked = [c for c in candidates if _PAGE_MARK.search(c)]
    if not marked:
        return []
    try:
        here, number = list_position(url)
    except (ValueError, TypeError, AttributeError):
        return []
    found = []
    for candidate in marked:
        try:
            there, then = list_position(candidate)
        except (ValueError, TypeError, AttributeError):
            continue
        if here == there and then is not None and then != number:
            found.append(candidate)
    return found


_MAX_SEGMENTS = 24


def loops_back(url: str) -> bool:
    """Whether the path repeats a word segment three times ("/news/world/news/sport/news/"),
    or is longer than any site's: what relative links make on a page that a site serves at
    any path. Such a URL is a crawler trap, never a page of its own.

    Never raises: malformed input does not loop."""
    try:
        path = unquote(urlsplit(url).path).lower()
    except (ValueError, TypeError, AttributeError):
        return False
    segments = [s for s in path.split("/") if s]
    if len(segments) > _MAX_SEGMENTS:
        return True
    words = [s for s in segments if not s.isdigit()]  # a date may repeat a number: /2024/11/11
    return len(words) >= 3 and max(Counter(words).values()) >= 3


def url_kind_hint(url: str) -> PageKind | None:
    """Guess LISTING or OTHER from the URL alone, or ``None`` when it may be an article.

    Never raises: malformed input yields ``None``.
    """
    try:
        return _hint(url)
    except (ValueError, TypeError, AttributeError):
        return None
