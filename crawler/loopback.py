"""Full speed for a site served on this machine's loopback interface.

Politeness (``DOWNLOAD_DELAY``, AutoThrottle, robots.txt's ``Crawl-delay``) protects other
people's servers. A source at ``http://127.0.0.1:8001/`` or ``http://localhost/`` is this
machine: a mirror, a replay of archived pages, a test server. Honouring a mirrored robots.txt's
``Crawl-delay: 10`` there would make a 2,000-page copy take five and a half hours for no one's
benefit. For requests to a loopback host this downloader middleware makes the host's download
slot wait nothing between requests and tells AutoThrottle and the robots.txt gate
(``crawler.robots``) to leave it alone. A server that answers 429 or 503 is still backed off
(``crawler.backoff``), and robots.txt's rules are still obeyed.

``BROADSHEET_LOOPBACK_FULL_SPEED`` (default on) turns it off; a ``DOWNLOAD_DELAY`` given on the
command line (``--set DOWNLOAD_DELAY=…``) also wins over it: the operator asked for that pace.
Hosts are told by name alone (an IP literal in 127.0.0.0/8, ``::1``, ``localhost``): a name that
merely resolves to 127.0.0.1 is not resolved here.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Self

from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.utils.httpobj import urlparse_cached

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

FULL_SPEED = "broadsheet_full_speed"  # request meta: the robots.txt gate adds no Crawl-delay


def is_loopback_host(host: str | None) -> bool:
    """``127.0.0.1`` (any of 127.0.0.0/8), ``::1`` and ``localhost``; never a resolved name."""
    if not host:
        return False
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def full_speed_on_loopback(settings: BaseSettings) -> bool:
    """The setting is on, and no DOWNLOAD_DELAY was given on the command line."""
    asked = settings.getpriority("DOWNLOAD_DELAY") or 0
    return settings.getbool("BROADSHEET_LOOPBACK_FULL_SPEED", True) and (
        asked < SETTINGS_PRIORITIES["cmdline"]
    )


class LoopbackPace:
    """Downloader middleware: no delay between requests to a loopback host (see above)."""

    def __init__(self, crawler: Crawler, enabled: bool) -> None:
        self.crawler = crawler
        self.enabled = enabled
        self.paced: set[str] = set()  # download slot keys already set to full speed

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler, full_speed_on_loopback(crawler.settings))

    def process_request(self, request: Request) -> None:
        if not self.enabled or not is_loopback_host(urlparse_cached(request).hostname):
            return
        request.meta[FULL_SPEED] = True
        request.meta["autothrottle_dont_adjust_delay"] = True
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is None:
            # the slot is made right after this, from its DOWNLOAD_SLOTS entry
            downloader.per_slot_settings.setdefault(key, {}).update(delay=0.0, jitter=0)
        elif key not in self.paced:  # later, only crawler.backoff changes its delay
            slot.delay, slot.jitter = 0.0, 0
        self.paced.add(key)
