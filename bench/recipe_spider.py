"""The recipe users write instead of Broadsheet, as a baseline for bench_recipe.py.

A Scrapy ``CrawlSpider`` that starts at each site's home page, follows every link on the same
host, runs trafilatura on each HTML response and keeps every page it finds text on, upserted by
URL into SQLite with the raw page beside the text (a researcher needs the page it came from).
Scrapy's project defaults otherwise: robots.txt obeyed, no HTTP cache, no depth limit. Run by
bench_recipe.py with ``scrapy runspider``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import urlsplit

import trafilatura
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.spiders import CrawlSpider, Rule

SCHEMA = """create table if not exists articles (
    url text primary key, title text, date text, text text, html text
)"""


class RecipeSpider(CrawlSpider):
    name = "recipe"
    rules = (Rule(LinkExtractor(), callback="parse_page", follow=True),)
    custom_settings: ClassVar[dict[str, Any]] = {"ROBOTSTXT_OBEY": True}

    def __init__(self, start: str = "", db: str = "", **kwargs: Any) -> None:
        self.start_urls = start.split(",")
        self.allowed_domains = sorted({urlsplit(u).hostname or "" for u in self.start_urls})
        super().__init__(**kwargs)
        self.db = sqlite3.connect(db)
        self.db.execute(SCHEMA)

    def parse_start_url(self, response: Response, **kwargs: Any) -> Iterator[dict[str, Any]]:
        return self.parse_page(response)

    def parse_page(self, response: Response) -> Iterator[dict[str, Any]]:
        if not isinstance(response, TextResponse):
            return
        doc = trafilatura.bare_extraction(response.text, url=response.url, with_metadata=True)
        if doc is None or not doc.text:
            return
        # upsert by URL: a page fetched again replaces its row
        self.db.execute(
            "insert or replace into articles values (?, ?, ?, ?, ?)",
            (response.url, doc.title, doc.date, doc.text, response.text),
        )
        self.db.commit()
        yield {"url": response.url}

    def closed(self, reason: str) -> None:
        self.db.close()
