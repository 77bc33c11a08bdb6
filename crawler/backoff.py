"""Back off from a host that says it is overloaded.

A 429 (Too Many Requests) or 503 (Service Unavailable) is the site asking for fewer requests.
Scrapy retries such a response (``RETRY_TIMES``) at the same pace, so a crawl that met one
would send the site more requests, not fewer. This extension makes the host's download slot wait
longer instead: the ``Retry-After`` the response gives, or else twice the last wait (1 s at
first), never more than ``BROADSHEET_MAX_CRAWL_DELAY`` (so that "Retry-After: 3600" does not
stop the crawl for an hour). Each later response that is not a refusal halves the extra wait,
until the slot is back at the pace it had.

It listens to ``response_downloaded`` after AutoThrottle, which would otherwise lower the delay
again on the next fast response; robots.txt's ``Crawl-delay`` (crawler.robots) is applied after
it and stays the floor.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Self

from scrapy import signals

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

REFUSALS = (429, 503)
FIRST_WAIT = 1.0
SETTLED = 0.05  # an extra wait below this is over


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


def next_wait(current: float, asked: float | None, cap: float) -> float:
    """The extra wait after a refusal: what the site asked for, else twice the last one."""
    wanted = asked if asked is not None else max(2 * current, FIRST_WAIT)
    return min(max(wanted, current), cap)


class HostBackoff:
    def __init__(self, crawler: Crawler, cap: float) -> None:
        self.crawler = crawler
        self.cap = cap
        self.extra: dict[str, float] = {}  # slot key -> extra wait now imposed
        self.base: dict[str, float] = {}  # slot key -> its delay before the first refusal
        crawler.signals.connect(self._after_response, signal=signals.response_downloaded)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler, crawler.settings.getfloat("BROADSHEET_MAX_CRAWL_DELAY", 30.0))

    def _after_response(self, response: Response, request: Request, **_: object) -> None:
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is None:
            return
        if response.status in REFUSALS:
            asked = retry_after(response.headers.get(b"Retry-After", b"").decode("latin-1"))
            self.base.setdefault(key, slot.delay)
            wait = self.extra[key] = next_wait(self.extra.get(key, 0.0), asked, self.cap)
            if self.crawler.stats:
                self.crawler.stats.inc_value("backoff/refusals")
                self.crawler.stats.max_value("backoff/max_wait", wait)
            logger.info("%s answered %d: %.1f s between its requests", key, response.status, wait)
        elif key in self.extra:
            self.extra[key] /= 2
            if self.extra[key] < SETTLED:  # back at the pace the slot had
                del self.extra[key]
                slot.delay = self.base.pop(key)
                return
        else:
            return
        slot.delay = max(self.base[key], self.extra[key])
