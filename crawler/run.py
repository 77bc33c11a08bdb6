"""Run one crawl in this process and report how each source fared.

``scrapy crawl`` exits 0 even when every request failed; ``run_crawl`` reads the ``crawl_runs``
rows the store stage wrote so that the caller can exit non-zero on a failed source.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from crawler.spiders.news import NewsSpider


@dataclass(frozen=True, slots=True)
class SourceRun:
    source: str
    status: str
    finish_reason: str
    pages_fetched: int
    articles_new: int
    articles_updated: int
    articles_unchanged: int
    articles_duplicate: int
    pages_not_article: int
    errors: int


def user_agent(contact: str) -> str:
    return f"Broadsheet/0.1 (research news archive; +{contact})"


def crawl_settings(
    sources: Path, db: Path, source_ids: tuple[str, ...], overrides: dict[str, Any]
) -> Settings:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    settings.set("BROADSHEET_SOURCES", str(sources), priority="cmdline")
    settings.set("BROADSHEET_DB", str(db), priority="cmdline")
    settings.set("BROADSHEET_SOURCE_IDS", list(source_ids), priority="cmdline")
    for key, value in overrides.items():
        settings.set(key, value, priority="cmdline")
    if "USER_AGENT" not in overrides:
        settings.set("USER_AGENT", user_agent(settings["BROADSHEET_CONTACT"]), priority="cmdline")
    return settings


def run_crawl(
    sources: Path,
    db: Path,
    source_ids: tuple[str, ...] = (),
    overrides: dict[str, Any] | None = None,
) -> list[SourceRun]:
    settings = crawl_settings(sources, db, source_ids, overrides or {})
    process = CrawlerProcess(settings, install_root_handler=True)
    crawler = process.create_crawler(NewsSpider)
    process.crawl(crawler)
    process.start()
    run_id = crawler.stats.get_value("broadsheet/run_id")
    if not run_id:
        return []
    rows = sqlite_utils.Database(db).execute(
        "select source, status, finish_reason, pages_fetched, articles_new, articles_updated,"
        " articles_unchanged, articles_duplicate, pages_not_article, errors"
        " from crawl_runs where run_id = ? order by source",
        [run_id],
    )
    return [SourceRun(*row) for row in rows.fetchall()]
