"""The robots.txt gate: Scrapy's RobotsTxtMiddleware, with every waiting request checked.

Scrapy 2.19's middleware keeps one Deferred per host while that host's robots.txt downloads, and
every request for the host that arrives meanwhile awaits it through
``maybe_deferred_to_future(deferred)``. Under the asyncio reactor that is
``Deferred.asFuture()``, which *consumes* the Deferred's result: the first waiter receives the
parser and the Deferred then fires ``None`` to everyone after it, and ``None`` means "no
robots.txt, allow everything". So with three or more requests for a host in flight before its
robots.txt is parsed, all but the first two were fetched unchecked (scrapy/scrapy#6802 replaced
a per-waiter Deferred with this await).

A local crawl rarely has such requests: its links come from pages fetched after robots.txt. A
worker of a distributed crawl has them at once: it joins a shared frontier already full of links
other workers found, and pops many of them for one host before its own robots.txt arrives. That
is how a disallowed page was fetched in about one distributed run in six.

Here each waiter gets its own Deferred, fired with the parser and passing the parser on to the
next one, so every request is checked against robots.txt.

The gate also obeys ``Crawl-delay``, which Scrapy parses (``RobotParser.crawl_delay``) but does
not apply: before each allowed request the host's download slot waits at least that long
between requests, without Scrapy's random jitter (capped by ``BROADSHEET_MAX_CRAWL_DELAY``).
AutoThrottle lowers a slot's delay after fast responses; the gate raises it again right after.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, TypeVar

from scrapy import signals
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from crawler.loopback import FULL_SPEED

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.robotstxt import RobotParser

logger = logging.getLogger(__name__)

T = TypeVar("T")


class RobotsTxtGate(RobotsTxtMiddleware):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.max_crawl_delay = crawler.settings.getfloat("BROADSHEET_MAX_CRAWL_DELAY", 30.0)
        self.crawl_delays: dict[str, float] = {}  # netloc -> seconds, as applied
        # Connected after AutoThrottle's handler (extensions are made before the downloader),
        # so it restores the delay AutoThrottle has just lowered, before the slot's next request.
        crawler.signals.connect(self._after_response, signal=signals.response_downloaded)

    def _after_response(self, response: Response, request: Request, **_: object) -> None:
        delay = self.crawl_delays.get(urlparse_cached(request).netloc)
        if delay and not request.meta.get(FULL_SPEED):
            self._hold(request, delay)

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        super().process_request_2(rp, request)  # raises IgnoreRequest when disallowed
        if rp is not None and not request.meta.get(FULL_SPEED):  # a loopback host: no delay
            self._keep_crawl_delay(rp, request)

    def _keep_crawl_delay(self, rp: RobotParser, request: Request) -> None:
        netloc = urlparse_cached(request).netloc
        delay = self.crawl_delays.get(netloc)
        if delay is None:
            agent = self._robotstxt_useragent or request.headers.get(
                b"User-Agent", self._default_useragent
            )
            asked = rp.crawl_delay(agent) or 0.0
            delay = self.crawl_delays[netloc] = min(max(asked, 0.0), self.max_crawl_delay)
            if delay:
                logger.info("robots.txt of %s asks for %.1f s between requests", netloc, asked)
                self._stats.set_value(f"robotstxt/crawl_delay/{netloc}", delay)
        if delay:
            self._hold(request, delay)

    def _hold(self, request: Request, delay: float) -> None:
        """Make the host's download slot wait ``delay`` between requests, without jitter."""
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        # no random jitter for such a host: Scrapy's would make some waits half as long
        if slot is None:
            # no slot yet (or the idle one was collected): it is made right after this, with
            # the delay of its DOWNLOAD_SLOTS entry
            downloader.per_slot_settings.setdefault(key, {}).update(delay=delay, jitter=0)
        elif slot.delay < delay or slot.jitter:
            slot.delay, slot.jitter = max(slot.delay, delay), 0

    async def robot_parser(self, request: Request) -> RobotParser | None:
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if isinstance(pending, Deferred):
            # robots.txt of this host is still downloading: wait on a Deferred of our own.
            waiter: Deferred[RobotParser | None] = Deferred()
            pending.addBoth(_relay, waiter)
            return await maybe_deferred_to_future(waiter)
        return await super().robot_parser(request)


def _relay(result: T, waiter: Deferred[T]) -> T:
    """Hand the result to one waiter and keep it for the next callback."""
    waiter.callback(result)
    return result
