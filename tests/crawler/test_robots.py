"""The robots.txt gate checks every request, including those that arrive while robots.txt is
still downloading (Scrapy 2.19's own middleware lets all but the first two of those through)."""

from __future__ import annotations

import asyncio

from scrapy import Request, signals
from scrapy.core.downloader import Downloader
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import TextResponse
from scrapy.settings import Settings
from scrapy.utils.misc import load_object
from scrapy.utils.test import get_crawler

from crawler.robots import RobotsTxtGate

ROBOTS = b"User-agent: *\nDisallow: /private/\n"


class SlowEngine:
    """Stands in for the engine: robots.txt arrives only when the test says so."""

    def __init__(self, fail: bool = False) -> None:
        self.arrived = asyncio.Event()
        self.fail = fail
        self.downloads: list[str] = []

    async def download_async(self, request: Request) -> TextResponse:
        self.downloads.append(request.url)
        await self.arrived.wait()
        if self.fail:
            raise ConnectionRefusedError("robots.txt unreachable")
        return TextResponse(request.url, body=ROBOTS, encoding="utf-8")


async def _gate(cls: type[RobotsTxtMiddleware], urls: list[str], fail: bool = False):
    crawler = get_crawler(settings_dict={"ROBOTSTXT_OBEY": True})
    crawler.engine = SlowEngine(fail)  # type: ignore[assignment]
    middleware = cls.from_crawler(crawler)
    # All requests reach the middleware before robots.txt has arrived, as when a distributed
    # worker pops a batch of another worker's links for a host it has not read robots.txt of.
    pending = [asyncio.ensure_future(middleware.process_request(Request(u))) for u in urls]
    await asyncio.sleep(0.01)
    crawler.engine.arrived.set()
    results = await asyncio.gather(*pending, return_exceptions=True)
    passed = [u for u, r in zip(urls, results, strict=True) if not isinstance(r, IgnoreRequest)]
    # Later requests find the parser ready.
    late = [Request("http://news.test/private/late"), Request("http://news.test/ok/late")]
    for request in late:
        try:
            await middleware.process_request(request)
            passed.append(request.url)
        except IgnoreRequest:
            pass
    return passed, crawler.engine.downloads


URLS = [
    "http://news.test/ok/1",
    *(f"http://news.test/private/{i}" for i in range(6)),
    "http://news.test/ok/2",
]


def test_every_request_waiting_for_robots_txt_is_checked():
    passed, downloads = asyncio.run(_gate(RobotsTxtGate, URLS))
    assert passed == ["http://news.test/ok/1", "http://news.test/ok/2", "http://news.test/ok/late"]
    assert downloads == ["http://news.test/robots.txt"]  # one robots.txt per host, as before


def test_scrapys_own_middleware_still_has_the_bug():
    """When this fails, Scrapy has fixed it upstream and crawler/robots.py can go."""
    passed, _ = asyncio.run(_gate(RobotsTxtMiddleware, URLS))
    assert any("/private/" in url for url in passed)


def test_unreachable_robots_txt_allows_everything_like_scrapy():
    passed, _ = asyncio.run(_gate(RobotsTxtGate, URLS, fail=True))
    assert len(passed) == len(URLS) + 2


def test_the_gate_replaces_scrapys_middleware():
    settings = Settings()
    settings.setmodule("crawler.settings")
    enabled = {
        load_object(path): priority
        for path, priority in settings.get_component_priority_dict_with_base(
            "DOWNLOADER_MIDDLEWARES"
        ).items()
    }
    assert RobotsTxtMiddleware not in enabled
    assert enabled[RobotsTxtGate] == 100


class DelayEngine(SlowEngine):
    """A robots.txt that asks for a Crawl-delay, and Scrapy's real downloader slots."""

    def __init__(self, crawler, robots: bytes) -> None:
        super().__init__()
        self.arrived.set()
        self.robots = robots
        self.downloader = Downloader(crawler)

    async def download_async(self, request: Request) -> TextResponse:
        return TextResponse(request.url, body=self.robots, encoding="utf-8")


async def _close(downloader: Downloader) -> None:
    downloader.close()
    await downloader.handlers._close()  # what the engine_stopped signal runs


def _delay_gate(robots: bytes, **settings):
    crawler = get_crawler(settings_dict={"ROBOTSTXT_OBEY": True, **settings})
    crawler.engine = DelayEngine(crawler, robots)  # type: ignore[assignment]
    return RobotsTxtGate.from_crawler(crawler), crawler.engine.downloader


def test_crawl_delay_is_kept_between_requests_to_the_host():
    async def run() -> None:
        gate, downloader = _delay_gate(b"User-agent: *\nCrawl-delay: 4\nDisallow: /private/\n")
        first = Request("http://news.test/a")
        await gate.process_request(first)
        # the host's slot does not exist yet: it will be made with the delay
        assert downloader.per_slot_settings["news.test"]["delay"] == 4.0
        _, slot = downloader._get_slot(first)
        assert (slot.delay, slot.jitter) == (4.0, 0)  # no random waits shorter than asked
        slot.delay = 0.5  # what AutoThrottle does after a fast response
        await gate.process_request(Request("http://news.test/b"))
        assert slot.delay == 4.0
        # requests already queued in the slot: the delay is restored as soon as AutoThrottle
        # has lowered it, on the response itself
        slot.delay = 0.5
        gate.crawler.signals.send_catch_log(
            signals.response_downloaded,
            response=TextResponse(first.url, body=b"", encoding="utf-8"),
            request=first,
            spider=None,
        )
        assert slot.delay == 4.0
        await _close(downloader)

    asyncio.run(run())


def test_crawl_delay_is_capped_and_absent_means_none():
    async def run() -> None:
        robots = b"User-agent: *\nCrawl-delay: 3600\n"
        gate, downloader = _delay_gate(robots, BROADSHEET_MAX_CRAWL_DELAY=30.0)
        await gate.process_request(Request("http://news.test/a"))
        assert downloader.per_slot_settings["news.test"]["delay"] == 30.0
        await _close(downloader)
        gate, downloader = _delay_gate(b"User-agent: *\nDisallow: /private/\n")
        await gate.process_request(Request("http://news.test/a"))
        assert "news.test" not in downloader.per_slot_settings
        await _close(downloader)

    asyncio.run(run())
