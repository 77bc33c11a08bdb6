"""Articles split over several pages ("Page 2", ``?page=2``, ``?seite=2``, ``/slug/2/``).

The crawl reads such an article to its last page and stores it once, its text joined in page
order; the later pages' URLs belong to the article. Pure functions: the spider finds the next
page (``next_part``) and asks the extraction worker to add it (``is_continuation``,
``join_part``); reprocessing joins the stored pages the same way.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .extraction.body import MAX_BODY_CHARS
from .extraction.comments import MAX_COMMENTS
from .models import Extracted, PageKind
from .urlkind import PAGE_PARAMS, list_position

MAX_PARTS = 20  # pages of one article read at most; a longer chain is a trap, not a story
_WORD = re.compile(r"\w+")
_SLUG = re.compile(r"[a-z]+[-_][a-z]+", re.IGNORECASE)
_TRAILING_NUMBER = re.compile(r"/([1-9]\d?)/?$")  # /2/, never /05/ (a month)


def _numbered_path(url: str) -> tuple[str, str, str, int]:
    """(host, path without a trailing /N, query, N or 1): /slug/2/ is page 2 of /slug/."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    match = _TRAILING_NUMBER.search(path)
    number = 1
    # after a slug only: in /news/12 the number is an id, and /news/13 another story
    if match and _SLUG.search(path[: match.start()].rsplit("/", 1)[-1]):
        number = int(match.group(1))
        path = path[: match.start()]
    return parts.netloc.lower(), path, parts.query, number


def _numbered_pages(url: str, candidates: Iterable[str]) -> Iterator[tuple[str, int]]:
    """(candidate, its page number) for the candidates that are other pages of the article at
    ``url``: the same path and query but for a page number (``?page=N``, ``/page/N``,
    ``?seite=N``...) or a trailing ``/N``; and, first, (url, its own number)."""
    try:
        here, number = list_position(url)
        host, path, query, trailing = _numbered_path(url)
    except (ValueError, TypeError, AttributeError):
        return
    yield url, max(number or 1, trailing)
    for candidate in candidates:
        try:
            there, then = list_position(candidate)
            c_host, c_path, c_query, c_trailing = _numbered_path(candidate)
        except (ValueError, TypeError, AttributeError):
            continue
        if candidate == url:
            continue
        if there == here and then is not None:
            yield candidate, then
        elif (c_host, c_path, c_query) == (host, path, query) and c_trailing != trailing:
            yield candidate, c_trailing


_PAGE_IN_PATH = re.compile(r"/(?:page|seite|pagina)/(\d{1,4})/?$", re.IGNORECASE)
_COUNTED_PARAMS = PAGE_PARAMS - {"start", "offset"}  # offsets count items, not pages


def first_page(url: str) -> tuple[str, int] | None:
    """(the URL of its first page, its number) when ``url`` names page 2 or later of something
    (``?page=3``, ``/page/3``, ``/slug/3/``); None for a first page or a malformed URL. The first
    page's URL may differ from the real one by a trailing slash: compare identity keys."""
    try:
        parts = urlsplit(url)
        _, path, _, trailing = _numbered_path(url)
    except (ValueError, TypeError, AttributeError):
        return None
    number, kept = 1, []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key.lower() in _COUNTED_PARAMS and value.isdigit():
            number = int(value[:4])
        else:
            kept.append((key, value))
    base = parts.path
    if (match := _PAGE_IN_PATH.search(base)) is not None:
        number, base = int(match.group(1)), base[: match.start()] or "/"
    elif trailing > 1:
        number, base = trailing, path or "/"
    if number < 2:
        return None
    return urlunsplit((parts.scheme, parts.netloc, base, urlencode(kept), "")), number


def other_pages(url: str, candidates: Iterable[str]) -> list[str]:
    """The candidates that are other pages of the article at ``url``. The crawl reaches them
    through the article (``next_part``), never as pages of their own."""
    return [candidate for candidate, _ in list(_numbered_pages(url, candidates))[1:]]


def next_part(url: str, candidates: Iterable[str]) -> str | None:
    """The candidate that is the next page of the article at ``url`` (its page number one
    more). ``candidates`` are the page's rel="next" targets and its links to other pages of it
    (``PageAnalysis.list_pages``).

    Never raises: a malformed URL has no next page.
    """
    pages = _numbered_pages(url, candidates)
    own = next(pages, None)
    if own is None:
        return None
    return next((candidate for candidate, n in pages if n == own[1] + 1), None)


def _words(text: str) -> set[str]:
    return {w.casefold() for w in _WORD.findall(text)}


def is_continuation(article: Extracted, part: Extracted) -> bool:
    """Whether ``part``, fetched as the next page of ``article`` (its pages so far, joined),
    continues it: it has text the article does not have yet, and it is an article or carries
    most of the first page's headline (page 2 of a story often has no article markup)."""
    text = part.body.strip()
    if not text or text in article.body:
        return False  # a site that ignores the page number serves page 1 again
    if part.kind is PageKind.ARTICLE:
        return True
    headline = _words(article.title)
    return bool(headline) and len(headline & _words(part.title)) >= 0.5 * len(headline)


def join_part(article: Extracted, part: Extracted) -> Extracted:
    """The article with the text of its next page after its own (and that page's reader
    comments after its own); every other field is the first page's. The joined text and
    comments are held to one page's limits, so that pages of text without end stay bounded."""
    return dataclasses.replace(
        article,
        body=f"{article.body.rstrip()}\n\n{part.body.strip()}"[:MAX_BODY_CHARS],
        comments=[*article.comments, *part.comments][:MAX_COMMENTS],
    )


# FetchedPage.hints key set when a later page of the article could not be fetched: the pages
# before it are passed on, and the store keeps a stored reading that has more of them.
PARTS_CUT = "parts_cut"
