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
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .extraction.body import MAX_BODY_CHARS
from .extraction.comments import MAX_COMMENTS
from .models import Extracted, PageKind
from .urlkind import PAGE_PARAMS, list_position, other_pages_of_list

MAX_PARTS = 20  # pages of one article read at most; a longer chain is a trap, not a story
_WORD = re.compile(r"\w+")
_EXT = re.compile(r"\.[a-z]{2,5}$", re.IGNORECASE)
_N = r"(?P<n>[1-9]\d?)"  # a page number: 2..99, never 05 (a month)


@dataclass(frozen=True, slots=True)
class _Style:
    """One way sites write the path of page N of an article, from the path of its first page
    (``base``, and ``ext``, the first page's file extension when it has one)."""

    pattern: re.Pattern[str]  # a later page's whole path (no trailing slash)
    # safe to read from a URL alone (importing WARCs); the others only along the crawl's chain
    distinctive: bool


_STYLES = (
    # /slug/2 (WordPress <!--nextpage-->), after a slug only: in /news/12 the 12 is an id
    _Style(
        re.compile(rf"^(?P<base>.*/[^/]*[a-z]+[-_][a-z]+[^/]*)/{_N}(?P<ext>)$", re.IGNORECASE), True
    ),
    # /slug/seite-2 (ZEIT ONLINE), /slug/page-2
    _Style(
        re.compile(rf"^(?P<base>.+)/(?:seite|page|pagina|pag)-{_N}(?P<ext>)$", re.IGNORECASE), True
    ),
    # /x-16604622-p2.html (FAZ), /x-2.html, /x_2.html, /x,2
    _Style(re.compile(rf"^(?P<base>.+?)-p{_N}(?P<ext>\.[a-z]{{2,5}})?$", re.IGNORECASE), False),
    _Style(re.compile(rf"^(?P<base>.+?)[-_,]{_N}(?P<ext>\.[a-z]{{2,5}})?$", re.IGNORECASE), False),
)


def _split(url: str) -> tuple[str, str, str]:
    """(host, path without a trailing slash, query)."""
    parts = urlsplit(url)
    return parts.netloc.lower(), parts.path.rstrip("/"), parts.query


def _bases(path: str, page: int) -> Iterator[tuple[_Style | None, str, str]]:
    """(style, base, ext) that ``path``, page ``page`` of its article, can be read as: for the
    first page itself (style None: any style may follow); for a later page, each style whose
    pattern gives that number."""
    if page <= 1:
        ext = _EXT.search(path)
        yield None, path[: ext.start()] if ext else path, ext.group(0) if ext else ""
        return
    for style in _STYLES:
        match = style.pattern.match(path)
        if match and int(match.group("n")) == page:
            yield style, match.group("base"), match.group("ext") or ""


def _path_pages(url: str, candidates: Iterable[str], page: int) -> Iterator[tuple[str, int]]:
    """(candidate, its page number) for the candidates whose path numbers a page of the same
    article as ``url`` (page ``page``) in one of the ``_STYLES``."""
    host, path, query = _split(url)
    bases = list(_bases(path, page))
    for candidate in candidates:
        if not any(base in candidate for _, base, _ in bases):
            continue  # cheap: most links of a page are no page of it
        c_host, c_path, c_query = _split(candidate)
        if (c_host, c_query) != (host, query) or c_path == path:
            continue
        for style, base, ext in bases:
            if page > 1 and c_path == (base + ext if ext else base):
                yield candidate, 1
                break
            styles = _STYLES if style is None else (style,)
            match = next((m for s in styles if (m := s.pattern.match(c_path))), None)
            if match and match.group("base") == base and (match.group("ext") or "") == ext:
                yield candidate, int(match.group("n"))
                break


def _query_pages(url: str, candidates: Iterable[str]) -> tuple[int, list[tuple[str, int]]]:
    """This page's number by its query (``?page=N``, ``?seite=N``...; 1 without one), and the
    candidates that are other pages of it by theirs. ``/page/N`` paths number lists, never an
    article's pages."""
    number = list_position(url)[1] or 1
    found = [
        (candidate, list_position(candidate)[1] or 1)
        for candidate in other_pages_of_list(url, candidates)
        if not _LIST_PAGE_PATH.search(urlsplit(candidate).path)
    ]
    return number, found


_LIST_PAGE_PATH = re.compile(r"/(?:page|seite|pagina)/\d", re.IGNORECASE)


def _pages(url: str, candidates: Iterable[str], page: int) -> tuple[int, list[tuple[str, int]]]:
    """This page's number and the other pages of its article among ``candidates``."""
    candidates = list(candidates)
    number, found = _query_pages(url, candidates)
    if number > 1:
        page = number
    return page, found + list(_path_pages(url, candidates, page))


def pages_by_path(url: str, candidates: Iterable[str], page: int = 1) -> list[str]:
    """The candidates that number a page of the article at ``url`` (its page ``page``) in its
    path (``/slug/2/``, ``/slug/seite-2``, ``-p2.html``...), not in its query.

    Never raises: a malformed URL has no other pages."""
    try:
        return [candidate for candidate, _ in _path_pages(url, candidates, page)]
    except (ValueError, TypeError, AttributeError):
        return []


def other_pages(url: str, candidates: Iterable[str], page: int = 1) -> list[str]:
    """The candidates that are other pages of the article at ``url`` (its page ``page``). The
    crawl reaches them through the article (``next_part``), never as pages of their own.

    Never raises: a malformed URL has no other pages."""
    try:
        return [candidate for candidate, _ in _pages(url, candidates, page)[1]]
    except (ValueError, TypeError, AttributeError):
        return []


def next_part(url: str, candidates: Iterable[str], page: int = 1) -> str | None:
    """The candidate that is the next page of the article at ``url``, which is its page
    ``page`` (the crawl's count along the article: a URL alone does not tell /x-2.html, page 2,
    from a story whose slug ends in 2). ``candidates`` are the page's rel="next" targets and its
    links to other pages of it (``PageAnalysis.list_pages``), the rel="next" ones first.

    Never raises: a malformed URL has no next page.
    """
    candidates = list(candidates)
    try:
        number, found = _pages(url, candidates, page)
    except (ValueError, TypeError, AttributeError):
        return None
    # In the candidates' order: a rel="next" comes first and names the article's next page
    # where a "?page=2" may be the next page of its reader comments (ZEIT ONLINE has both).
    numbers = dict(found)
    return next((c for c in candidates if numbers.get(c) == number + 1), None)


_COUNTED_PARAMS = PAGE_PARAMS - {"start", "offset"}  # offsets count items, not pages


def first_page(url: str) -> tuple[str, int] | None:
    """(the URL of its first page, its number) when ``url`` names page 2 or later of an article
    in a form a URL alone tells (``?page=3``, ``/slug/3/``, ``/slug/seite-3``); None for a
    first page or a malformed URL. The first page's URL may differ from the real one by a
    trailing slash: compare identity keys."""
    try:
        parts = urlsplit(url)
    except (ValueError, TypeError, AttributeError):
        return None
    number, kept = 1, []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key.lower() in _COUNTED_PARAMS and value.isdigit():
            number = int(value[:4])
        else:
            kept.append((key, value))
    base = parts.path
    if number < 2:
        path = base.rstrip("/")
        for style in (s for s in _STYLES if s.distinctive):
            if (match := style.pattern.match(path)) is not None:
                number, base = int(match.group("n")), match.group("base")
                break
    if number < 2 or _LIST_PAGE_PATH.search(parts.path):
        return None
    return urlunsplit((parts.scheme, parts.netloc, base, urlencode(kept), "")), number


def chain_first_page(url: str) -> tuple[str, int] | None:
    """(the URL its first page would have, its number) when ``url`` may be page 2 or later in a
    form only the crawl's chain can tell (``/x-16604622-p2.html``, ``/x-2.html``: also the
    shape of a story whose slug ends in a number); None otherwise. A caller must check that
    the page before it links it as its next page (``next_part``) before taking it as one."""
    try:
        parts = urlsplit(url)
    except (ValueError, TypeError, AttributeError):
        return None
    path = parts.path.rstrip("/")
    for style in (s for s in _STYLES if not s.distinctive):
        if (match := style.pattern.match(path)) is not None and int(match.group("n")) >= 2:
            base = match.group("base") + (match.group("ext") or "")
            first = urlunsplit((parts.scheme, parts.netloc, base, parts.query, ""))
            return first, int(match.group("n"))
    return None


def number_told(url: str) -> int:
    """The page number of the article page at ``url`` as its URL alone tells it
    (``first_page``): 1 for a first page or a form only the crawl's chain can count."""
    found = first_page(url)
    return 1 if found is None else found[1]


def read_through(url: str, candidates: Iterable[str]) -> str | None:
    """The URL of the first page of the article that ``url`` is a later page of, when its URL
    tells so (``first_page``) and the page links another page of that article among
    ``candidates`` (its pager or a rel="prev"/"next": ``PageAnalysis.list_pages``); else None.

    Such a page, reached by a link of its own (a "most read" box, a sitemap listing every
    page), is read through its first page like the rest of the article, not stored alone."""
    found = first_page(url)
    if found is None:
        return None
    first, number = found
    try:
        pages = _pages(url, list(candidates), number)[1]
    except (ValueError, TypeError, AttributeError):
        return None
    # The page's own link to page 1 when it has one: the URL the site serves it at ("/slug/"
    # where first_page gives "/slug").
    return next((c for c, n in pages if n == 1), first) if pages else None


def _words(text: str) -> set[str]:
    return {w.casefold() for w in _WORD.findall(text)}


def _mostly_read(text: str, body: str) -> bool:
    """Whether half or more of ``text`` (by characters) is paragraphs ``body`` already has: page
    1 served again under a page number, give or take a box whose text changes."""
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    known = set(body.split("\n\n"))
    seen = sum(len(p) for p in paragraphs if p in known or p in body)
    return seen * 2 >= sum(len(p) for p in paragraphs)


def _another_story(article: Extracted, part: Extracted) -> bool:
    """Published on another day, or by other people: the page is another story, whatever its
    URL looks like (WordPress names a second post of the same title "slug-2")."""
    days = article.published_at[:10], part.published_at[:10]
    if all(days) and days[0] != days[1]:
        return True
    people = {a.casefold() for a in article.authors}, {a.casefold() for a in part.authors}
    return all(people) and not (people[0] & people[1])


def is_continuation(article: Extracted, part: Extracted) -> bool:
    """Whether ``part``, fetched as the next page of ``article`` (its pages so far, joined),
    continues it: it has text the article does not have yet, it is not dated another day or
    signed by other people, and it is an article or carries most of the first page's headline
    (page 2 of a story often has no article markup)."""
    text = part.body.strip()
    if not text or _mostly_read(text, article.body):
        return False  # a site that ignores the page number serves page 1 again
    if _another_story(article, part):
        return False
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


# FetchedPage.hints key of a later page: its number along the article ("2", "3"...)
PART_NUMBER = "part"
# FetchedPage.hints key set when a later page of the article could not be fetched: the pages
# before it are passed on, and the store keeps a stored reading that has more of them.
PARTS_CUT = "parts_cut"
