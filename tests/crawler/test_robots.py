"""The robots.txt gate checks every request, including those that arrive while robots.txt is
still downloading (Scrapy 2.19's own middleware lets all but the first two of those through)."""

from __future__ import annotations

import asyncio

from scrapy import Request
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
