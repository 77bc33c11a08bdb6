"""The crawl process's garbage-collector settings and clock, as a Scrapy extension: every crawl
gets them (`broadsheet crawl`, `scrapy crawl news`, a distributed worker), from its settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from scrapy import signals

from pipelines.gc_tuning import CollectionClock, tune_for_throughput

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class CollectorSettings:
    """At engine start: the collector settings (``BROADSHEET_GC_TUNING``, pipelines/gc_tuning.py)
    and a clock of its runs; at the end, the clock's figures in the crawl's stats (``gc/*``)."""

    def __init__(self, crawler: Crawler, tune: bool) -> None:
        self.crawler = crawler
        self.tune = tune
        self.clock = CollectionClock()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        extension = cls(crawler, crawler.settings.getbool("BROADSHEET_GC_TUNING"))
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def engine_started(self) -> None:
        self.clock.watch()
        if self.tune:  # start-up is done: what exists now lives as long as the process
            tune_for_throughput()

    def spider_closed(self, **_: Any) -> None:  # before Scrapy dumps its stats
        self.clock.stop()
        for key, value in self.clock.stats().items():
            self.crawler.stats.set_value(key, value)
