"""What the extraction workers run: one parse per page for its fields, derived data and links.

The crawl calls ``PageAnalyser.analyse`` in worker processes (``analysis_service``); offline
reprocessing and the benchmarks call the same functions in-process.
"""

from __future__ import annotations

import hashlib
import logging
from collections import deque
from collections.abc import Iterable, Iterator

from .article_parts import (
    PART_NUMBER,
    is_continuation,
    join_part,
    number_told,
    pages_by_path,
)
from .enrich import Derived, derive
from .extract import analyse_html, extract_page
from .faults import CrashPoints
from .models import Extracted, FetchedPage, FoundLink, PageAnalysis, PageKind, Source
from .processes import InlineService, LoopService, ProcessService, ServiceError
from .urlkind import loops_back, other_pages_of_list, url_kind_hint
from .urls import canonicalize, identity_key

NOT_PAGES = (PageKind.OTHER, PageKind.EMPTY)

logger = logging.getLogger(__name__)


def process_fetched(page: FetchedPage, source: Source) -> tuple[Extracted, Derived | None]:
    """Everything CPU-bound about one page: extraction and, for articles, the derived data.
    The text of its later pages (``page.parts``), when it has them, is joined to its own."""
    extracted = extract_page(page.body, page.url, encoding=page.encoding, hints=page.hints)
    if extracted.kind is not PageKind.ARTICLE:
        return extracted, None
    for part in page.parts:
        more = extract_page(part.body, part.url, encoding=part.encoding, hints=part.hints)
        if not is_continuation(extracted, more):
            break
        extracted = join_part(extracted, more)
    return extracted, derive(extracted, source)


def link_key(url: str) -> bytes:
    """12 bytes of the identity key: equal for the variants of one page (utm, print, AMP)."""
    return hashlib.blake2b(identity_key(url).encode("utf-8"), digest_size=12).digest()


def page_print(extracted: Extracted, written_links: bytes) -> int:
    """A number equal for two fetches of the same page: its title, its text and its links as
    written. A site that serves one page at any path (a catch-all, a soft 404) with relative
    links makes new URLs of it without end; the crawl follows the links of its first copy only.
    0 for a page with neither text nor links."""
    if not written_links and not extracted.body and not extracted.title:
        return 0
    digest = hashlib.blake2b(digest_size=8)
    for part in (extracted.title, extracted.body):
        digest.update(part.encode("utf-8", "replace") + b"\0")
    digest.update(written_links)
    return int.from_bytes(digest.digest(), "big") or 1


def found_link(anchor: str) -> FoundLink | None:
    """The canonical link, or None when the URL says it is no page (PDF, login, feed, a path
    that loops back on itself)."""
    url = canonicalize(anchor)
    hint = url_kind_hint(url)
    if hint in NOT_PAGES or loops_back(url):
        return None
    return FoundLink(url, link_key(url), hint is PageKind.LISTING)


class PageAnalyser:
    """The object each extraction worker holds.

    Its only state is a cache of prepared links: navigation, section and related-story links
    recur on every page of a site, and preparing a URL (canonical form, identity, kind) costs
    more than looking it up.
    """

    LINK_CACHE_SIZE = 50_000

    def __init__(self) -> None:
        self.link_cache: dict[str, FoundLink | None] = {}
        self.crash_points = CrashPoints.from_env()  # tests: "extract" kills this worker

    def found_links(self, anchors: tuple[str, ...]) -> tuple[FoundLink, ...]:
        """Prepared links in page order, one per identity, leaving out what is no page."""
        cache = self.link_cache
        found: list[FoundLink] = []
        keys: set[bytes] = set()
        for anchor in anchors:
            if anchor in cache:
                link = cache[anchor]
            else:
                if len(cache) >= self.LINK_CACHE_SIZE:
                    cache.clear()  # bounded: a crawl of millions of URLs must not grow it
                link = cache[anchor] = found_link(anchor)
            if link is not None and link.key not in keys:
                keys.add(link.key)
                found.append(link)
        return tuple(found)

    def extract(self, page: FetchedPage, source: Source) -> tuple[Extracted, Derived | None]:
        return process_fetched(page, source)

    def add_part(
        self, article: Extracted, part: Extracted, source: Source
    ) -> tuple[Extracted, Derived] | None:
        """The article with its next page's text, and its derived data; None when that page
        does not continue it."""
        if not is_continuation(article, part):
            return None
        joined = join_part(article, part)
        return joined, derive(joined, source)

    def analyse(self, page: FetchedPage, source: Source, link_limit: int) -> PageAnalysis:
        self.crash_points.maybe_crash("extract")
        # A URL that says "list" or "about" is not extracted; the next page of an article
        # ("/news/story?page=2") says "list" and is read all the same.
        hint = None if page.discovered_via == "part" else url_kind_hint(page.url)
        extracted, raw = analyse_html(
            page.body,
            page.url,
            encoding=page.encoding,
            hints=page.hints,
            link_limit=link_limit,
            kind_hint=hint,
        )
        derived = derive(extracted, source) if extracted.kind is PageKind.ARTICLE else None
        links = self.found_links(raw.anchors)
        # Worked out here rather than in the spider: it parses URLs, and the spider runs on the
        # reactor thread (400 links cost it 8 ms a page).
        urls = [link.url for link in links]
        siblings = other_pages_of_list(page.url, urls)
        nexts = [canonicalize(url) for url in raw.nexts]
        if extracted.kind is PageKind.ARTICLE or page.discovered_via == "part":
            # the article's own other pages (/x-p2.html, /slug/seite-2 too), for the crawl to
            # read through it; ``part`` is this page's number along the article, and a later
            # page reached alone is numbered by its URL, to find the pages before it
            number = int(page.hints.get(PART_NUMBER, "0")) or number_told(page.url)
            siblings += pages_by_path(page.url, [*urls, *nexts], number)
        return PageAnalysis(
            extracted,
            derived,
            links,
            raw.alternates,
            tuple(dict.fromkeys([*nexts, *siblings])),
            page_print(extracted, raw.written) if link_limit > 0 else 0,
        )


def analysis_service(workers: int, on_loop: bool = False) -> ProcessService | LoopService:
    """``workers`` extraction processes; ``on_loop``: called from an asyncio loop (the crawl)."""
    service = LoopService if on_loop else ProcessService
    return service(PageAnalyser, processes=workers, name="extraction")


Extraction = tuple[Extracted, Derived | None]


def extracted_in_order(
    pages: Iterable[tuple[FetchedPage, Source]], workers: int, window: int = 0
) -> Iterator[tuple[FetchedPage, Source, Extraction | None]]:
    """Each page with its extraction and derived data, in the order given, computed by
    ``workers`` processes (0: in this process) while the caller stores earlier ones.

    At most ``window`` pages are in flight (default four per worker), so memory does not
    depend on how many pages there are. A page whose extraction failed comes with None. The
    body of each page is dropped once extracted: storing does not need it.
    """
    service = analysis_service(workers) if workers > 0 else InlineService(PageAnalyser)
    window = window or 4 * max(workers, 1)
    pending: deque = deque()

    def finished() -> tuple[FetchedPage, Source, Extraction | None]:
        page, source, future = pending.popleft()
        try:
            result = future.result()
        except ServiceError as exc:
            logger.error("extraction failed for %s: %s", page.url, exc)
            result = None
        page.body = b""
        return page, source, result

    try:
        for page, source in pages:
            pending.append((page, source, service.call("extract", page, source)))
            if len(pending) >= window:
                yield finished()
        while pending:
            yield finished()
    finally:
        service.close()
