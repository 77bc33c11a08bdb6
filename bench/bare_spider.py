"""Baseline for bench_crawl.py: bare Scrapy fetching the same article pages, with no pipeline.

It reads the same sitemap index as Broadsheet's spider and requests every URL in it; responses
are dropped on arrival. Run by bench_crawl.py with `scrapy runspider`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy import Request, Spider
from scrapy.http import Response
from scrapy.utils.sitemap import Sitemap

from pipelines.gc_tuning import tune_for_throughput


class BareSpider(Spider):
    name = "bare"

    def __init__(self, url: str = "", gc_tuning: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.url = url
        self.gc_tuning = bool(gc_tuning)  # -a gc_tuning=1: Broadsheet's collector settings

    async def start(self) -> AsyncIterator[Request]:
        if self.gc_tuning:
            tune_for_throughput()
        yield Request(self.url + "sitemap.xml", callback=self.parse_sitemap)

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        sitemap = Sitemap(response.body)
        for entry in sitemap:
            callback = self.parse_sitemap if sitemap.type == "sitemapindex" else self.parse_page
            yield Request(entry["loc"], callback=callback)

    def parse_page(self, response: Response) -> None:
        self.crawler.stats.inc_value("bench/pages")
