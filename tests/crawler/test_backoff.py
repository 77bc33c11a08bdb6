"""HostBackoff (crawler/backoff.py): a host answering 429 or 503 waits longer between requests,
with Scrapy's real downloader slots and signals, and the pure wait rules beside it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scrapy import Request, signals
from scrapy.core.downloader import Downloader
from scrapy.http import TextResponse
from scrapy.utils.test import get_crawler

from crawler.backoff import FIRST_WAIT, HostBackoff, next_wait, retry_after


class _Engine:
    def __init__(self, crawler) -> None:
        self.downloader = Downloader(crawler)


def _response(request: Request, status: int, after: str = "") -> TextResponse:
    headers = {"Retry-After": after} if after else {}
    return TextResponse(request.url, status=status, headers=headers, body=b"", request=request)


def test_the_host_waits_after_a_refusal_and_returns_to_its_pace():
    async def run() -> None:
        crawler = get_crawler(settings_dict={"BROADSHEET_MAX_CRAWL_DELAY": 30.0})
        crawler.engine = _Engine(crawler)  # type: ignore[assignment]
        backoff = HostBackoff.from_crawler(crawler)
        downloader = crawler.engine.downloader
        request = Request("http://news.test/a")
        _, slot = downloader._get_slot(request)
        slot.delay = 0.5

        def answer(status: int, after: str = "") -> float:
            crawler.signals.send_catch_log(
                signals.response_downloaded,
                response=_response(request, status, after),
                request=request,
                spider=None,
            )
            return slot.delay

        assert answer(429) == FIRST_WAIT  # no Retry-After: 1 s, then twice the last wait
        assert answer(503) == 2.0
        assert answer(429, "3600") == 30.0  # what the site asks, up to the cap
        assert answer(200) == 15.0  # each answer that is no refusal halves the extra wait
        assert answer(200) == 7.5
        waits = [answer(200) for _ in range(12)]
        assert waits[-1] == 0.5 and "news.test" not in backoff.extra  # back at its pace
        assert answer(404) == 0.5  # not a refusal: nothing changes
        assert crawler.stats.get_value("backoff/refusals") == 3
        downloader.close()
        await downloader.handlers._close()

    asyncio.run(run())


def test_retry_after_reads_seconds_and_http_dates():
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert retry_after("120", now) == 120.0
    assert retry_after(format_datetime(now + timedelta(minutes=2), usegmt=True), now) == 120.0
    assert retry_after(format_datetime(now - timedelta(minutes=2), usegmt=True), now) == 0.0
    for junk in ("", None, "soon", "-5", "1.5e9x"):
        assert retry_after(junk, now) is None


@given(
    st.floats(0, 100),
    st.one_of(st.none(), st.floats(0, 10_000)),
    st.floats(0.1, 60),
)
def test_the_wait_never_shrinks_on_a_refusal_and_never_passes_the_cap(current, asked, cap):
    wait = next_wait(current, asked, cap)
    assert wait <= cap
    assert wait >= min(current, cap)
    if asked is None:
        assert wait >= min(max(2 * current, FIRST_WAIT), cap)


@pytest.mark.parametrize("status", [200, 301, 404])
def test_answers_that_are_no_refusal_leave_a_slot_alone(status):
    async def run() -> None:
        crawler = get_crawler()
        crawler.engine = _Engine(crawler)  # type: ignore[assignment]
        HostBackoff.from_crawler(crawler)
        request = Request("http://news.test/a")
        _, slot = crawler.engine.downloader._get_slot(request)
        slot.delay = 0.25
        crawler.signals.send_catch_log(
            signals.response_downloaded,
            response=_response(request, status),
            request=request,
            spider=None,
        )
        assert slot.delay == 0.25
        crawler.engine.downloader.close()
        await crawler.engine.downloader.handlers._close()

    asyncio.run(run())
