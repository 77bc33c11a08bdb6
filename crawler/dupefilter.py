"""Request de-duplication on article identity rather than on the literal URL.

``?utm_source=…``, ``?print=1``, ``/amp/`` and http/https variants of one article share an
identity key (``pipelines.urls.identity_key``), so only the first of them is fetched. Discovery
documents (robots.txt, sitemaps, feeds) are keyed per source, because sources that share a host
each need to read them. A redirect to another identity is de-duplicated like any link (a moved
article already fetched costs nothing more; the spider records the old URL); a hop within one
identity (http->https, trailing slash) is keyed on the exact URL, or it would be dropped as its
own twin.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Self

from scrapy.dupefilters import BaseDupeFilter
from scrapy.http import Request

from pipelines.urls import identity_key

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

DISCOVERY_ROLES = frozenset({"robots", "sitemap", "feed"})


def request_key(request: Request) -> bytes:
    role = request.meta.get("role", "")
    identity = identity_key(request.url)
    hops = (*request.meta.get("redirect_urls", ()), *request.meta.get("broadsheet_hops", ()))
    if any(identity_key(hop) == identity for hop in hops):
        # http->https or trailing-slash hop: it lands on the identity that led here.
        key = f"redirect|{request.url}"
    elif role == "robots":
        # Each worker of a shared frontier queues its own request for robots.txt (its Sitemap:
        # lines, and the spider's early link check). The gate for every request is the robots
        # middleware (crawler/robots.py), which downloads robots.txt itself in every process.
        key = f"robots|{request.meta.get('worker', '')}|{request.meta.get('source', '')}|{request.url}"
    elif role in DISCOVERY_ROLES:
        key = f"{role}|{request.meta.get('source', '')}|{request.url}"
    else:
        key = f"{request.method}|{identity}"
    # 12 bytes keep collisions negligible while holding 100k URLs in a few MB.
    return hashlib.blake2b(key.encode("utf-8"), digest_size=12).digest()


class IdentityDupeFilter(BaseDupeFilter):
    def __init__(self, stats: StatsCollector | None = None) -> None:
        self._seen: set[bytes] = set()
        self._stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler.stats)

    def log(self, request: Request, spider: Spider) -> None:
        if self._stats is not None:
            self._stats.inc_value("dupefilter/filtered")

    def request_seen(self, request: Request) -> bool:
        key = request_key(request)
        if key in self._seen:
            return True
        self._seen.add(key)
        return False
