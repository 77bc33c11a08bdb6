"""A source on the loopback interface is crawled without politeness delays (crawler.loopback)."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scrapy import Request
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from crawler.loopback import FULL_SPEED, LoopbackPace, full_speed_on_loopback, is_loopback_host
from crawler.robots import RobotsTxtGate
from tests.crawler.test_robots import DelayEngine, _close

DELAYED = b"User-agent: *\nCrawl-delay: 10\nDisallow: /private/\n"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True), ("127.3.2.1", True), ("::1", True), ("[::1]", True),
        ("localhost", True), ("LOCALHOST.", True), ("mirror.localhost", True),
        ("10.0.0.1", False), ("192.168.1.5", False), ("news.example", False),
        ("localhost.example", False), ("", False), (None, False), ("0.0.0.0", False),
    ],
)  # fmt: skip
def test_is_loopback_host(host: str | None, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


@given(st.ip_addresses())
def test_an_ip_literal_is_loopback_exactly_when_ipaddress_says_so(address) -> None:
    assert is_loopback_host(str(address)) is ipaddress.ip_address(address).is_loopback


def _pace(robots: bytes = DELAYED, **settings):
    crawler = get_crawler(settings_dict={"ROBOTSTXT_OBEY": True, **settings})
    crawler.engine = DelayEngine(crawler, robots)  # type: ignore[assignment]
    return (
        LoopbackPace.from_crawler(crawler),
        RobotsTxtGate.from_crawler(crawler),
        crawler.engine.downloader,
    )


def test_a_loopback_host_gets_no_delay_and_no_crawl_delay() -> None:
    async def run() -> None:
        pace, gate, downloader = _pace()
        request = Request("http://127.0.0.1:8001/news/a")
        pace.process_request(request)
        await gate.process_request(request)
        assert request.meta[FULL_SPEED] and request.meta["autothrottle_dont_adjust_delay"]
        _, slot = downloader._get_slot(request)
        assert (slot.delay, slot.jitter) == (0.0, 0)  # robots.txt's 10 s are not applied
        # a delay the backoff extension sets after a 503 is not undone by the next request
        slot.delay = 5.0
        later = Request("http://127.0.0.1:8001/news/b")
        pace.process_request(later)
        await gate.process_request(later)
        assert slot.delay == 5.0
        await _close(downloader)

    asyncio.run(run())


@pytest.mark.parametrize(
    ("url", "settings"),
    [
        ("http://news.test/a", {}),  # another host: its pace and Crawl-delay as before
        ("http://127.0.0.1:8001/news/a", {"BROADSHEET_LOOPBACK_FULL_SPEED": False}),
    ],
)
def test_the_crawl_delay_applies_elsewhere_and_when_turned_off(url: str, settings: dict) -> None:
    async def run() -> None:
        pace, gate, downloader = _pace(**settings)
        request = Request(url)
        pace.process_request(request)
        await gate.process_request(request)
        assert FULL_SPEED not in request.meta
        assert downloader.per_slot_settings[downloader.get_slot_key(request)]["delay"] == 10.0
        await _close(downloader)

    asyncio.run(run())


def test_a_download_delay_given_on_the_command_line_wins() -> None:
    settings = Settings({"DOWNLOAD_DELAY": 0.5})  # the project's default pace
    assert full_speed_on_loopback(settings)
    settings.set("DOWNLOAD_DELAY", "0.25", priority="cmdline")  # `--set DOWNLOAD_DELAY=0.25`
    assert not full_speed_on_loopback(settings)
    assert not full_speed_on_loopback(Settings({"BROADSHEET_LOOPBACK_FULL_SPEED": False}))
