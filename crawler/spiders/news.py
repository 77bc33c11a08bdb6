"""The one generic news spider. Sources are data (sources.toml); this class only discovers.

From a source's home URL it requests robots.txt (for ``Sitemap:`` lines), the sitemaps (indexes
included), the feeds linked from pages, and the home page itself, then follows in-scope links
from HTML pages up to ``DEPTH_LIMIT``. Every HTML page becomes a ``FetchedPage`` item; deciding
whether it is an article is the extract stage's job.

Incremental by default: pages an earlier run stored are skipped unless due for a re-check
(``pipelines.frontier``), known documents are asked for conditionally, and a listing page that
reveals nothing new is not followed further.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urljoin, urlsplit

from protego import Protego
from scrapy import Request, Spider, signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from crawler.depth import SAME_DEPTH
from crawler.discovery import Entry, feed_links, parse_feed, parse_sitemap, robots_sitemaps
from crawler.dupefilter import request_key
from crawler.held_parts import HeldPart, HeldParts
from crawler.run_share import LocalTally, RedisClaims, Tally, claims, tally
from crawler.warc import EARLIER_CAPTURE, EarlierCapture
from pipelines.article_parts import (
    MAX_PARTS,
    PART_NUMBER,
    PARTS_CUT,
    first_page,
    next_part,
    number_told,
    other_pages,
    read_through,
)
from pipelines.clock import now_iso, to_iso_utc
from pipelines.frontier import (
    CrawlMemory,
    Known,
    conditional_headers,
    modified_since,
    newest_first,
    parse_time,
    recency_bonus,
    recheck_due,
    retry_due,
)
from pipelines.models import (
    ExtractedPage,
    FetchedPage,
    FetchRecord,
    FoundLink,
    PageAnalysis,
    PageKind,
    SourcesConfig,
)
from pipelines.processes import InlineService, LoopService, ServiceDied
from pipelines.runs import stat_key as _stat
from pipelines.scope import SourceScope, scopes_for
from pipelines.sources import load_sources, select
from pipelines.stages import stop_crawl
from pipelines.urlkind import list_key, url_kind_hint
from pipelines.urls import canonicalize, site_domain
from pipelines.workers import PageAnalyser, analysis_service, link_key

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable, Iterator

    from scrapy.crawler import Crawler

HTML_TYPES = ("text/html", "application/xhtml+xml")
GONE = (404, 410)
# Refusals that are decisions, not failures (anything else ignored, e.g. an oversized or
# decompression-bomb download, counts as an error).
POLICY_SKIPS = ("robots", "offsite", "byte budget")
# Our own redirect hops (Scrapy's "redirect_urls" is internal to its redirect middleware).
HOPS = "broadsheet_hops"
REDIRECTS = (301, 302, 303, 307, 308)
# The paginated list a request is a page of (pipelines.urlkind.list_key of where it began):
# kept along rel="next" chains whose URLs do not show a page number.
LIST_KEY = "broadsheet_list"
DOCUMENT_ROLES = frozenset({"robots", "sitemap", "feed"})
# The article read so far (an ExtractedPage) while the next of its pages is fetched.
PARTS = "broadsheet_parts"
# Priorities: articles from feeds/sitemaps first, then pages that may be articles, then lists.
# The next page of a list that is yielding new articles comes before them all but the discovery
# documents: one request brings a page of article links, and walking the list early keeps the
# request budget from going to links found on articles first.
PRIORITY = {
    "robots": 30, "feed": 25, "sitemap": 20, "next": 15, "entry": 10, "page": 0, "listing": -10,
}  # fmt: skip


def _cut(article: ExtractedPage) -> ExtractedPage:
    """An article whose next page could not be fetched: marked, so that the store keeps a stored
    reading that has more of its pages."""
    article.page.hints[PARTS_CUT] = "1"
    return article


def redirect_chain(response: Response) -> tuple[str, ...]:
    """URLs that led to this response: our hops for pages, Scrapy's for discovery documents."""
    return (*response.meta.get("redirect_urls", ()), *response.meta.get(HOPS, ()))


@dataclass(frozen=True, slots=True)
class CrawlPolicy:
    max_requests: int  # per source and run
    max_links: int  # per page
    max_list_pages: int = 100  # pages of one paginated list requested at the same depth
    recrawl: bool = False  # fetch known pages again regardless of the re-check policy
    since: datetime | None = None  # skip feed and sitemap entries older than this


class NewsSpider(Spider):
    name = "news"

    def __init__(
        self,
        config: SourcesConfig,
        policy: CrawlPolicy,
        memory: CrawlMemory | None,
        analyser: LoopService | InlineService | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.config = config
        self.policy = policy
        self.memory = memory
        # Extraction workers: each page is parsed once there, for its fields and its links.
        self.analyser = analyser or InlineService(PageAnalyser)
        # Identity keys of the pages requested this run. Checked before a Request is even
        # built (most links of a page were seen before); bounded by the request budget.
        self.requested: set[bytes] = set()
        self.stopping: asyncio.Future[None] | None = None
        self.scopes: dict[str, SourceScope] = scopes_for(config.sources)
        # Requests made per source (the request budget); shared by a distributed run's workers,
        # which also claim each page before requesting it (crawler/run_share.py).
        self.scheduled: Tally = LocalTally()
        self.claims: RedisClaims | None = None
        # robots.txt as this process read it, per host: a second check before a link is even
        # requested (Scrapy's middleware remains the gate for every request).
        self.robots: dict[str, Protego] = {}
        self.worker = uuid.uuid4().hex[:12]
        # Pages of each paginated list requested at the depth of the page linking to them.
        self.list_pages: Counter[str] = Counter()
        # Sources whose last run stopped short: their known listings are walked again.
        self.resuming: set[str] = set()
        # ``PageAnalysis.page_print`` of the pages whose links were read this run: a page seen
        # again under another URL (a catch-all's copies) has nothing new to follow.
        self.page_prints: set[int] = set()
        # Later pages of articles reached alone, waiting for their first page's chain.
        self.parts = HeldParts()
        self.releasing: set[asyncio.Future[None]] = set()  # held pages on their way to storage
        self.started_at = now_iso()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        settings = crawler.settings
        config = load_sources(settings.get("BROADSHEET_SOURCES"))
        config = select(config, settings.getlist("BROADSHEET_SOURCE_IDS"))
        since = parse_time(settings.get("BROADSHEET_SINCE") or None)
        policy = CrawlPolicy(
            max_requests=settings.getint("BROADSHEET_MAX_REQUESTS_PER_SOURCE"),
            max_links=settings.getint("BROADSHEET_MAX_LINKS_PER_PAGE"),
            max_list_pages=settings.getint("BROADSHEET_MAX_LIST_PAGES"),
            recrawl=settings.getbool("BROADSHEET_RECRAWL"),
            since=since,
        )
        memory = (
            CrawlMemory(settings.get("BROADSHEET_DB")) if settings.get("BROADSHEET_DB") else None
        )
        workers = settings.getint("BROADSHEET_EXTRACT_WORKERS")
        analyser = analysis_service(workers, on_loop=True) if workers > 0 else None
        spider = cls(config, policy, memory, analyser, *args, **kwargs)
        spider.scheduled = tally(settings, "requests_made")
        spider.claims = claims(settings)
        spider._set_crawler(crawler)
        crawler.signals.connect(spider.release_parts, signal=signals.spider_idle)
        return spider

    @property
    def robots_agent(self) -> str:
        """The name robots.txt rules are matched against (not ``user_agent``: Scrapy would take
        a spider attribute of that name for the User-Agent header, and deprecates it)."""
        return self.settings.get("ROBOTSTXT_USER_AGENT") or self.settings.get("USER_AGENT")

    def release_parts(self) -> None:
        """On spider_idle: the later pages held back whose first page's chain never took them
        (the first page failed, or led elsewhere) are stored as they were read. One an earlier
        run stored as a page of its article is not stored again (its first page was known)."""
        released, waiting = self.parts.release()
        if not released and not waiting:
            return
        items = [*(_cut(article) for article in waiting), *self._alone(released)]
        scraper = self.crawler.engine.scraper
        for item in items:
            task = asyncio.ensure_future(scraper.start_itemproc_async(item, response=None))
            self.releasing.add(task)
            task.add_done_callback(self.releasing.discard)
        raise DontCloseSpider  # the items are on their way through the pipelines

    def _alone(self, released: list[HeldPart]) -> Iterator[ExtractedPage]:
        """The held pages no article took, to be stored as they were read; not one that an
        earlier run stored as a page of its article (its first page was known)."""
        for part in released:
            page = part.item.page
            known = self._known(page.url)
            if known is not None and known.kind == PageKind.ARTICLE.value:
                self.crawler.stats.inc_value(_stat(page.source_id, "parts_known"))
                continue
            self.logger.info("%s: no page of an article led to it; stored alone", page.url)
            self.crawler.stats.inc_value(_stat(page.source_id, "parts_alone"))
            yield part.item

    def closed(self, reason: str) -> None:
        if self.memory is not None:
            self.memory.close()
        self.analyser.close()

    def _known(self, url: str) -> Known | None:
        return None if self.memory is None else self.memory.lookup(url)

    # --- requests -----------------------------------------------------------------------------

    def _claim(self, key: bytes, source_id: str) -> bool:
        """Whether this process may request the page: always on its own; in a distributed run,
        when no other worker claimed it first (it would be filtered after costing budget)."""
        if self.claims is None or self.claims.claim(key):
            return True
        self.crawler.stats.inc_value(_stat(source_id, "claimed_elsewhere"))
        return False

    def _request(
        self,
        url: str,
        source_id: str,
        role: str,
        callback: Any,
        *,
        conditional: bool = True,
        claim: bool = True,
        **meta: Any,
    ) -> Request | None:
        """A request within the source's budget, conditional when the URL is known (and
        ``conditional``), or None; in a distributed run, None as well when another worker
        claimed it (``claim``: robots.txt is every process's own)."""
        known = meta.pop("known", None) or (None if self.policy.recrawl else self._known(url))
        headers = conditional_headers(known) if conditional and not self.policy.recrawl else {}
        page = role not in DOCUMENT_ROLES
        request = Request(
            url,
            callback=callback,
            errback=self.on_error,
            headers=headers,
            priority=PRIORITY.get(role, 0),
            meta={
                "source": source_id,
                "role": role,
                "worker": self.worker,
                "was_known": known is not None,
                "known_kind": known.kind if known else "",
                # Pages follow redirects in parse_page, so that a moved URL whose target was
                # already fetched (by this or another worker) costs no second fetch.
                "dont_redirect": page,
                "handle_httpstatus_list": [304, *REDIRECTS] if page else [304],
                **meta,
            },
        )
        if known is not None and known.warc_file and known.warc_payload_digest:
            request.meta[EARLIER_CAPTURE] = EarlierCapture(
                known.warc_file, known.warc_offset or 0, known.warc_payload_digest
            )
        if claim and role != "robots" and not self._claim(request_key(request), source_id):
            return None
        # Taken, then checked: workers sharing the count cannot both take the last one.
        if self.scheduled.add(source_id) > self.policy.max_requests:
            self.crawler.stats.inc_value(_stat(source_id, "over_budget"))
            return None
        return request

    async def start(self) -> AsyncIterator[Request]:
        if self.memory is not None:
            self.resuming = {
                s.id for s in self.config.sources
                if self.memory.walk_unfinished(s.id, self.started_at)
            }  # fmt: skip
            for source_id in sorted(self.resuming):
                self.logger.info(
                    "source %s: the last run stopped short; its listings are walked again",
                    source_id,
                )
        for source in self.config.sources:
            root = urljoin(source.url, "/robots.txt")
            for request in (
                self._request(root, source.id, "robots", self.parse_robots),
                self._request(source.url, source.id, "listing", self.parse_page, via="start"),
                *(self._request(f, source.id, "feed", self.parse_feed) for f in source.feeds),
                *(
                    self._request(s, source.id, "sitemap", self.parse_sitemap)
                    for s in source.sitemaps
                ),
            ):
                if request is not None:
                    yield request

    def _guess_sitemaps(self, source_id: str) -> list[str]:
        home = self.config.get(source_id).url
        guesses = [urljoin(home, "/sitemap.xml")]
        if urlsplit(home).path.strip("/"):
            guesses.append(urljoin(home if home.endswith("/") else home + "/", "sitemap.xml"))
        return guesses

    def _record(self, response: Response, kind: str) -> FetchRecord:
        """The fetch of a document that is not extracted, for the crawler's memory."""
        header = response.headers.get
        return FetchRecord(
            url=response.url,
            source_id=response.meta["source"],
            kind=kind,
            status=response.status,
            fetched_at=now_iso(),
            etag=(header(b"ETag") or b"").decode("latin-1"),
            last_modified=(header(b"Last-Modified") or b"").decode("latin-1"),
        )

    def _not_modified(self, response: Response) -> bool:
        if response.status != 304:
            return False
        self.crawler.stats.inc_value(_stat(response.meta["source"], "not_modified"))
        return True

    # --- callbacks ----------------------------------------------------------------------------

    def parse_robots(self, response: Response, **_: Any) -> Iterator[Request | FetchRecord]:
        source_id = response.meta["source"]
        scope = self.scopes[source_id]
        if response.status == 200:
            body = response.body.decode("utf-8", errors="replace")
            self.robots[urlsplit(response.url).netloc] = Protego.parse(body)
        listed = robots_sitemaps(response.body, response.url) if response.status == 200 else []
        # On a shared host robots.txt lists every section's sitemaps: prefer ours. Sitemaps on
        # another host of the site's domain are read (some sites serve them from one); those on
        # unrelated hosts never are (a mirror's robots.txt names the original site's): their
        # paths and the usual places are tried on the source's host instead.
        source = self.config.get(source_id)
        home = source.url
        chosen = (
            [u for u in listed if scope.contains(u)]
            or [u for u in listed if scope.on_site(u)]
            or [u for u in listed if site_domain(u) == site_domain(home)]  # sitemaps.example.com
        )
        guessed = not chosen
        if guessed:
            # the same paths on the source's own host first: where a copy keeps them
            moved = [urljoin(home, urlsplit(u).path) for u in listed if urlsplit(u).path.strip("/")]
            chosen = list(dict.fromkeys([*moved, *self._guess_sitemaps(source_id)]))
        for url in chosen:
            if url in source.sitemaps:
                continue
            request = self._request(url, source_id, "sitemap", self.parse_sitemap, optional=guessed)
            if request is not None:
                yield request

    def parse_sitemap(self, response: Response, **_: Any) -> Iterator[Request | FetchRecord]:
        source_id = response.meta["source"]
        yield self._record(response, "sitemap")
        if self._not_modified(response):
            return
        sitemap = parse_sitemap(response.body, response.url)
        if sitemap is None:
            self.logger.info("not a sitemap: %s", response.url)
            self.crawler.stats.inc_value(_stat(source_id, "bad_sitemaps"))
            return
        self.crawler.stats.inc_value(_stat(source_id, "sitemaps"))
        scope = self.scopes[source_id]
        # Newest first: the request budget goes to them, whatever order the sitemap lists its
        # entries in (an index of monthly sitemaps often starts in the oldest year), and a
        # recency bonus has them fetched first.
        now = datetime.now(UTC)
        dated = [(parse_time(e.published) or parse_time(e.lastmod), e) for e in sitemap.entries]
        for when, entry in newest_first(dated):
            if self._too_old(entry):
                continue
            if sitemap.is_index:
                request = self._request(entry.url, source_id, "sitemap", self.parse_sitemap)
            else:
                hints = {"sitemap_lastmod": entry.lastmod, "sitemap_published": entry.published}
                request = self._page_request(entry.url, source_id, scope, "sitemap", hints)
            if request is not None:
                request.priority += recency_bonus(when, now)
                yield request

    def parse_feed(self, response: Response, **_: Any) -> Iterator[Request | FetchRecord]:
        source_id = response.meta["source"]
        yield self._record(response, "feed")
        if self._not_modified(response):
            return
        entries = parse_feed(response.body, response.url)
        if entries is None:
            self.logger.info("not a feed: %s", response.url)
            self.crawler.stats.inc_value(_stat(source_id, "bad_feeds"))
            return
        self.crawler.stats.inc_value(_stat(source_id, "feeds"))
        scope = self.scopes[source_id]
        for entry in entries:
            if self._too_old(entry):
                continue
            hints = {
                "feed_published": entry.published or entry.lastmod,
                "feed_updated": entry.lastmod,
                "feed_title": entry.title,
            }
            request = self._page_request(entry.url, source_id, scope, "feed", hints)
            if request is not None:
                yield request

    def _too_old(self, entry: Entry) -> bool:
        """``--since``: an entry whose own date is older is not followed (undated ones are)."""
        if self.policy.since is None:
            return False
        when = parse_time(entry.published) or parse_time(entry.lastmod)
        return when is not None and when < self.policy.since

    def _page_request(
        self,
        url: str,
        source_id: str,
        scope: SourceScope,
        via: str,
        hints: dict[str, str],
        *,
        link: FoundLink | None = None,
        redirect: bool = False,
    ) -> Request | None:
        if link is None:
            url = canonicalize(url)
            key, hint = link_key(url), url_kind_hint(url)
        else:  # the worker canonicalised it and left out what is no page
            url, key = link.url, link.key
            hint = PageKind.LISTING if link.listing else None
        if key in self.requested and not redirect:
            return None  # requested already in this run (the dupefilter would drop it)
        if not scope.contains(url):
            self.crawler.stats.inc_value(_stat(source_id, "out_of_scope"))
            return None
        if hint in (PageKind.OTHER, PageKind.EMPTY):
            return None
        robots = self.robots.get(urlsplit(url).netloc)
        if robots is not None and not robots.can_fetch(url, self.robots_agent):
            self.crawler.stats.inc_value(_stat(source_id, "skipped"))
            return None
        known = None if self.policy.recrawl else self._known(url)
        if known is not None and known.kind != PageKind.LISTING.value:
            now = datetime.now(UTC)
            if known.kind == PageKind.ARTICLE.value:
                lastmod = hints.get("sitemap_lastmod") or hints.get("feed_updated")
                due = recheck_due(known, now) or modified_since(known, lastmod)
            else:
                due = retry_due(known, now)
            if not due:
                self.crawler.stats.inc_value(_stat(source_id, "known_skipped"))
                return None
            self.crawler.stats.inc_value(_stat(source_id, "rechecks"))
        listing = hint is PageKind.LISTING or (known is not None and known.kind == "listing")
        role = "listing" if listing else ("entry" if via in ("feed", "sitemap") else "page")
        hints = {k: v for k, v in hints.items() if v}
        request = self._request(
            url, source_id, role, self.parse_page, via=via, hints=hints, known=known,
            # A redirect's target may share the identity of the URL this process claimed.
            claim=not redirect,
        )  # fmt: skip
        if request is not None:
            self.requested.add(key)
        return request

    async def parse_page(
        self, response: Response, **_: Any
    ) -> AsyncIterator[Request | ExtractedPage | FetchRecord]:
        source_id = response.meta["source"]
        # Set when this page is the next page of an article read so far: that article is passed
        # on whatever becomes of this fetch.
        article: ExtractedPage | None = self._article_of(response.request)
        via, hints = response.meta.get("via", ""), dict(response.meta.get("hints", {}))
        if article is not None and PARTS not in response.meta:  # awaited: read as its page
            via, hints[PART_NUMBER] = "part", str(len(article.page.parts) + 2)
        self.crawler.stats.inc_value(_stat(source_id, "pages_fetched"))
        if self._not_modified(response):
            if article is not None:
                yield _cut(article)
            yield self._record(response, response.meta.get("known_kind") or "listing")
            return
        if response.status in REDIRECTS:
            if article is not None:
                yield article  # a page number the site sends elsewhere: the article ends here
            for output in self._redirect(response, source_id):
                yield output
            return
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        if not isinstance(response, TextResponse) or not any(t in content_type for t in HTML_TYPES):
            self.logger.info("skipped non-HTML %s (%s)", response.url, content_type or "no type")
            self.crawler.stats.inc_value(_stat(source_id, "not_html"))
            if article is not None:
                yield article
            return
        page = FetchedPage(
            url=response.url,
            source_id=source_id,
            body=response.body,
            status=response.status,
            headers={
                k.decode("latin-1").lower(): v[0].decode("latin-1")
                for k, v in response.headers.items()
                if v
            },
            encoding=response.encoding,
            fetched_at=to_iso_utc(warc.fetched_at)
            if (warc := response.meta.get("warc"))
            else now_iso(),
            redirect_urls=redirect_chain(response),
            discovered_via=via,
            hints=hints,
            warc=warc.row() if warc else None,
        )
        # Links of a page at the depth limit would be dropped by DepthMiddleware: not followed.
        # They are read all the same: an article there may continue on a next page.
        depth_limit = self.settings.getint("DEPTH_LIMIT")
        at_limit = bool(depth_limit) and response.meta.get("depth", 0) >= depth_limit
        link_limit = 4 * self.policy.max_links
        if at_limit:
            self.crawler.stats.inc_value(_stat(source_id, "depth_limited"))
        source = self.config.get(source_id)
        # A later page of an article read alone: its article's chain may reach it meanwhile.
        key = link_key(page.url)
        alone = article is None and first_page(page.url) is not None
        if alone:
            self.parts.analysing.add(key)
        try:
            analysis: PageAnalysis = await asyncio.wrap_future(
                self.analyser.call("analyse", page, source, link_limit)
            )
        except ServiceDied:
            # Nothing more can be stored (what was fetched is in the WARC; the next run fetches
            # again what was not stored).
            why = "the extraction worker processes died"
            self.stopping = (
                stop_crawl(self.crawler, "extraction_workers_died", why) or self.stopping
            )
            if (article := article or self.parts.waiting_for(key)) is not None:
                yield _cut(article)
            return
        except Exception as exc:  # noqa: BLE001 - one bad page must not stop the crawl
            self.logger.error("extraction failed for %s: %s", response.url, exc)
            self.crawler.stats.inc_value(_stat(source_id, "errors"))
            self.crawler.stats.inc_value(_stat(source_id, "extract_errors"))
            if (article := article or self.parts.waiting_for(key)) is not None:
                yield _cut(article)
            return
        finally:
            self.parts.analysing.discard(key)
        # The raw body is archived in the WARC and no longer needed: do not carry it further.
        page.body = b""
        item = ExtractedPage(page, analysis.extracted, analysis.derived)
        if alone:
            article = self.parts.waiting_for(key)
        if article is not None and alone and item.extracted.kind is not PageKind.ARTICLE:
            # Read as no article (its URL looked like a list's page 2): the article waiting for
            # it reads it again, as its page.
            request = self._part_request(page.url, article)
            yield article if request is None else request
            article = None
        held = None if article is not None else self._hold(item, analysis, response)
        if held is not None:  # a later page of an article, read through its first page
            for request in held:
                yield request
        else:
            if article is not None:
                joined = await self._add_part(article, page, analysis, source)
                if joined is None:  # no continuation after all: the article, then this page
                    yield article
                else:
                    item = joined
            async for output in self._read_on(item, analysis, source):
                yield output
        if at_limit:
            return
        if analysis.page_print:
            if analysis.page_print in self.page_prints:
                self.logger.debug("%s repeats a page read before: links not followed", page.url)
                self.crawler.stats.inc_value(_stat(source_id, "repeated_pages"))
                return
            self.page_prints.add(analysis.page_print)
        for request in self._follow(response, source_id, analysis):
            yield request

    async def _add_part(
        self, article: ExtractedPage, page: FetchedPage, analysis: PageAnalysis, source: Any
    ) -> ExtractedPage | None:
        """``article`` with ``page``, fetched as its next page, joined to it; None when ``page``
        does not continue it (pipelines.article_parts.is_continuation)."""
        try:
            joined = await asyncio.wrap_future(
                self.analyser.call("add_part", article.extracted, analysis.extracted, source)
            )
        except Exception as exc:  # noqa: BLE001 - the article read so far is still passed on
            self.logger.error("joining %s to %s failed: %s", page.url, article.page.url, exc)
            return None
        if joined is None:
            return None
        extracted, derived = joined
        first = dataclasses.replace(article.page, parts=(*article.page.parts, page))
        self.crawler.stats.inc_value(_stat(page.source_id, "article_parts"))
        self.parts.joined.add(link_key(page.url))
        return ExtractedPage(first, extracted, derived)

    def _article_of(self, request: Request | None) -> ExtractedPage | None:
        """The article this request fetches the next page of: carried by it, or waiting for
        it (a page requested by a link of its own before the article's chain reached it)."""
        if request is None:
            return None
        if PARTS in request.meta:
            return request.meta[PARTS]
        key = link_key(request.url)
        if first_page(request.url) is not None:
            self.parts.arrived.add(key)
        return self.parts.waiting_for(key)

    def _hold(
        self, item: ExtractedPage, analysis: PageAnalysis, response: Response
    ) -> list[Request] | None:
        """Page 2 or later of an article, reached by a link of its own: held back while its
        first page is requested (returned), whose chain of pages takes it (crawler/held_parts);
        [] when it needs nothing more; None when it is to be stored as it is."""
        if item.extracted.kind is not PageKind.ARTICLE:
            return None
        page = item.page
        first = read_through(page.url, analysis.list_pages)
        if first is None:
            return None
        source_id, key, first_key = page.source_id, link_key(page.url), link_key(first)
        if key in self.parts.joined:  # a chain read this page too, while it was on its way
            self.crawler.stats.inc_value(_stat(source_id, "parts_read_twice"))
            return []
        if not self.parts.has_room(key):
            return None
        requests = []
        if first_key not in self.requested:
            scope = self.scopes[source_id]
            request = self._page_request(first, source_id, scope, "link", {})
            if request is None:
                known = self._known(first)
                if known is not None and known.kind == PageKind.ARTICLE.value:
                    # stored by an earlier run, with its pages: its own re-check reads them
                    self.crawler.stats.inc_value(_stat(source_id, "parts_known"))
                    return []
                return None  # its first page cannot be read: this page is kept as it is
            request.priority = PRIORITY["next"]
            request.meta[SAME_DEPTH] = True  # as deep as the page that led to it
            requests.append(request)
        self.parts.hold(key, HeldPart(item, analysis, first_key))
        self.crawler.stats.inc_value(_stat(source_id, "parts_held"))
        return requests

    async def _read_on(
        self, item: ExtractedPage, analysis: PageAnalysis, source: Any
    ) -> AsyncIterator[Request | ExtractedPage]:
        """``item``, or the request for its next page, which carries it (an article waits for
        its further pages). A next page held back (``_hold``) is joined at once, unfetched."""
        url = item.page.url if not item.page.parts else item.page.parts[-1].url
        while True:
            target = self._next_part(item, url, analysis)
            key = None if target is None else link_key(target)
            held = None if key is None else self.parts.take(key)
            if held is None:
                if key is not None and self._awaits(key, target, item):
                    return  # carried on by the response already on its way
                request = None if target is None else self._part_request(target, item)
                yield item if request is None else request
                if request is None:  # the article is whole: a page held for it was no page
                    for alone in self._alone(self.parts.release_for(link_key(item.page.url))):
                        yield alone
                return
            self.requested.add(key)
            joined = await self._add_part(item, held.item.page, held.analysis, source)
            if joined is None:  # no continuation after all: the article, then that page
                yield item
                item = held.item
            else:
                item = joined
            url, analysis = held.item.page.url, held.analysis

    def _next_part(self, item: ExtractedPage, url: str, analysis: PageAnalysis) -> str | None:
        """The URL of the next page of the article ``item``, whose page at ``url`` was just
        read (with ``analysis``); None when it has none."""
        number = len(item.page.parts) + 1  # this page's, along the article
        if item.extracted.kind is not PageKind.ARTICLE or number >= MAX_PARTS:
            return None
        return next_part(url, analysis.list_pages, page=number)

    def _awaits(self, key: bytes, target: str, item: ExtractedPage) -> bool:
        """Whether the article ``item`` waits for ``target``, its next page, already requested
        by a link of its own and not yet arrived (``_article_of`` hands it over)."""
        if first_page(target) is None or not self.parts.in_flight(key, key in self.requested):
            return False
        self.parts.wait(key, item)
        self.crawler.stats.inc_value(_stat(item.page.source_id, "parts_awaited"))
        return True

    def _part_request(self, target: str, item: ExtractedPage) -> Request | None:
        """A request for ``target``, the next page of the article ``item``, carrying the
        article; None when it may not be fetched."""
        source_id = item.page.source_id
        key = link_key(target)
        # Read already by a link of its own, but not as a page of an article (its URL looked
        # like a list's page 2): the article reads it here, as its page.
        again = self.parts.read_alone(key, key in self.requested)
        robots = self.robots.get(urlsplit(target).netloc)
        if (
            (key in self.requested and not again)
            or not self.scopes[source_id].contains(target)
            or (robots is not None and not robots.can_fetch(target, self.robots_agent))
        ):
            return None
        number = len(item.page.parts) + 2
        # Never conditional: a 304 would leave the article without this page's text.
        request = self._request(
            target, source_id, "page", self.parse_page, conditional=False, via="part",
            hints={PART_NUMBER: str(number)}, claim=not again,
        )  # fmt: skip
        if request is None:
            return None
        self.requested.add(key)
        self.parts.chained.add(key)
        # Its own key is taken (above); the article waits for it, so it comes soon. A page of
        # the article is as deep as the article: DEPTH_LIMIT does not cut a long read short.
        request = request.replace(dont_filter=True, priority=PRIORITY["next"])
        request.meta[PARTS] = item
        request.meta[SAME_DEPTH] = True
        return request

    def _redirect(self, response: Response, source_id: str) -> Iterator[Request | FetchRecord]:
        location = response.headers.get(b"Location")
        if not location:
            self.crawler.stats.inc_value(_stat(source_id, "errors"))
            self.logger.warning("redirect without Location: %s", response.url)
            return
        target = canonicalize(urljoin(response.url, location.decode("latin-1").strip()))
        hops = [*redirect_chain(response), response.url]
        if len(hops) > self.settings.getint("REDIRECT_MAX_TIMES"):
            self.crawler.stats.inc_value(_stat(source_id, "errors"))
            self.logger.warning("too many redirects: %s", " -> ".join(hops))
            return
        record = self._record(response, "redirect")
        record.target = target
        yield record
        if target in {canonicalize(hop) for hop in hops}:
            self.crawler.stats.inc_value(_stat(source_id, "errors"))
            self.crawler.stats.inc_value(_stat(source_id, "redirect_loops"))
            self.logger.warning("redirect loop: %s -> %s", " -> ".join(hops), target)
            return
        request = self._page_request(
            target, source_id, self.scopes[source_id], response.meta.get("via", "link"),
            dict(response.meta.get("hints", {})), redirect=True,
        )  # fmt: skip
        if request is not None:
            request.meta[HOPS] = hops
            yield request

    def _follow(
        self, response: TextResponse, source_id: str, analysis: PageAnalysis
    ) -> Iterator[Request]:
        scope = self.scopes[source_id]
        # This page, requested by another worker of a distributed run or through a redirect,
        # is no link to follow from itself (a pager links its own page).
        self.requested.add(link_key(response.url))
        if response.meta.get("depth", 0) <= 1:
            for url in feed_links(list(analysis.alternates), response.url):
                if scope.contains(url):
                    # via="page": a feed a page advertises, not one the source configures
                    request = self._request(url, source_id, "feed", self.parse_feed, via="page")
                    if request is not None:
                        yield request
        links: Iterable[FoundLink] = analysis.links
        if len(analysis.links) > self.policy.max_links:
            self.crawler.stats.inc_value(_stat(source_id, "links_truncated"))
            links = analysis.links[: self.policy.max_links]
        articles: list[Request] = []
        listings: list[Request] = []
        pages: list[Request] = []  # other pages of the list this page is a page of
        siblings = set(analysis.list_pages)
        # An article's own other pages are read through it (_read_on), not alone.
        if analysis.extracted.kind is PageKind.ARTICLE or PARTS in response.meta:
            # a later page read alone is numbered by its URL, as the worker numbers it
            number = int(response.meta.get("hints", {}).get(PART_NUMBER, "0")) or number_told(
                response.url
            )
            siblings -= set(other_pages(response.url, siblings, number))
        own = set(analysis.list_pages) - siblings
        unlinked = set(siblings)
        for link in links:
            unlinked.discard(link.url)
            if link.url in own:
                continue
            request = self._page_request(link.url, source_id, scope, "link", {}, link=link)
            if request is None:
                continue
            (listings if request.meta["role"] == "listing" else articles).append(request)
            if link.url in siblings:
                pages.append(request)
        for url in sorted(unlinked):  # a <link rel="next"> with no anchor to it
            request = self._page_request(url, source_id, scope, "link", {})
            if request is not None:
                listings.append(request)
                pages.append(request)
        if pages:
            self._continue_list(response, source_id, pages, productive=bool(articles))
        yield from articles
        # A listing we knew that shows nothing new has nothing new behind the listings it links to
        # that an earlier run read either: on a re-crawl this stops the walk through unchanged
        # sections, tags and pagination. Listings no run has read yet are still followed: a new
        # section, or the rest of a walk that a budget or a kill cut short.
        if (
            articles
            or not response.meta.get("was_known")
            or self.policy.recrawl
            or source_id in self.resuming
        ):
            yield from listings
        else:
            unread = [request for request in listings if not request.meta["was_known"]]
            yield from unread
            pruned = len(listings) - len(unread)
            if pruned:
                self.crawler.stats.inc_value(_stat(source_id, "listings_pruned"), pruned)

    def _continue_list(
        self, response: Response, source_id: str, pages: list[Request], *, productive: bool
    ) -> None:
        """Further pages of a list that yielded new articles are as deep as this one, so that a
        long archive is read to its end rather than to DEPTH_LIMIT. A page that yields nothing
        new (a trap, or a list read before) leaves the limit in force, and so does the cap on
        the pages of one list."""
        key = response.meta.get(LIST_KEY) or list_key(response.url)
        for request in pages:
            request.meta[LIST_KEY] = key
            if not productive:
                continue
            if self.list_pages[key] >= self.policy.max_list_pages:
                self.crawler.stats.inc_value(_stat(source_id, "list_pages_capped"))
                continue
            self.list_pages[key] += 1
            request.priority = PRIORITY["next"]
            request.meta[SAME_DEPTH] = True
            self.crawler.stats.inc_value(_stat(source_id, "list_pages_followed"))

    def on_error(self, failure: Failure) -> Iterator[FetchRecord | ExtractedPage]:
        request = failure.request  # type: ignore[attr-defined]
        source_id = request.meta.get("source", "")
        article = self._article_of(request)
        if article is not None:
            yield _cut(article)  # the article's pages read so far are stored all the same
        role = request.meta.get("role", "")
        reason = failure.getErrorMessage() or failure.type.__name__
        response = getattr(failure.value, "response", None)
        if response is not None:
            reason = f"HTTP {response.status}"
        if role == "robots" and response is not None:
            # No robots.txt is normal; guess the usual sitemap places instead.
            for url in self._guess_sitemaps(source_id):
                req = self._request(url, source_id, "sitemap", self.parse_sitemap, optional=True)
                if req is not None:
                    self.crawler.engine.crawl(req)
            return
        policy_skip = any(word in reason.lower() for word in POLICY_SKIPS)
        if response is None and failure.check(IgnoreRequest) and policy_skip:
            # Robots.txt refusals and similar policy skips are decisions, not failures. Remember
            # refused pages so that later runs do not count them as news on a listing.
            self.logger.debug("skipped %s (%s)", request.url, reason)
            self.crawler.stats.inc_value(_stat(source_id, "skipped"))
            if role not in DOCUMENT_ROLES and "robots" in reason.lower():
                yield FetchRecord(request.url, source_id, "forbidden", 0, now_iso())
            return
        if request.meta.get("optional"):
            self.logger.info("optional %s not found: %s (%s)", role, request.url, reason)
            return
        via = request.meta.get("via")
        dead_link = (
            response is not None
            and response.status in GONE
            and via != "start"
            and (role not in DOCUMENT_ROLES or via == "page")
        )
        if dead_link:
            # A link to a page (or a feed a page advertises) that is not there is the site's
            # fault, not a failed fetch: real sites and partial mirrors have many, and counting
            # them as errors would fail a healthy source. The start page, a configured feed or
            # sitemap, and robots.txt missing are handled as before.
            self.logger.debug("not found: %s (%s, source %s)", request.url, reason, source_id)
            self.crawler.stats.inc_value(_stat(source_id, "not_found"))
            yield self._record(response, "gone")
            return
        self.logger.warning("fetch failed: %s (%s, source %s)", request.url, reason, source_id)
        self.crawler.stats.inc_value(_stat(source_id, "errors"))
        if response is not None and response.status in (403, 429):
            self.crawler.stats.inc_value(_stat(source_id, "blocked"))
        if response is not None and role in DOCUMENT_ROLES - {"robots"}:
            yield self._record(response, role)  # a dead feed or sitemap shows in source health
        elif response is not None and response.status in GONE:
            # Remembered, so later runs do not ask for a page that is not there.
            yield self._record(response, "gone")
