"""Scrapy item pipelines: thin glue that reads settings and calls the pure core.

Only this module (in ``pipelines/``) imports Scrapy. ``ExtractStage`` runs extraction in a pool of
worker processes so the reactor keeps fetching while pages are parsed; ``StoreStage`` owns the
SQLite connection and the ``crawl_runs`` bookkeeping.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any, Self

from scrapy.exceptions import DropItem

from archive.schema import open_archive

from .clock import now_iso
from .extract import EXTRACTOR_VERSION
from .models import Extracted, ExtractedPage, FetchedPage, FetchRecord, PageKind, SourcesConfig
from .runs import RUN_COUNTS, judge_run
from .store import ArchiveWriter, Outcome
from .urlkind import url_kind_hint
from .workers import extract_fetched, extraction_pool

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


def _stat(source_id: str, name: str) -> str:
    return f"broadsheet/source/{source_id}/{name}"


class ExtractStage:
    def __init__(self, workers: int, stats: StatsCollector) -> None:
        self.workers = workers
        self.stats = stats
        self.pool: Executor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler.settings.getint("BROADSHEET_EXTRACT_WORKERS"), crawler.stats)

    def open_spider(self) -> None:
        if self.workers > 0:
            self.pool = extraction_pool(self.workers)

    def close_spider(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, FetchedPage):
            return item
        hint = url_kind_hint(item.url)
        if hint is not None:
            # URL alone says this is a list or an about page: no need to extract it.
            return ExtractedPage(item, Extracted(kind=hint, kind_reason="url pattern"))
        try:
            if self.pool is None:
                extracted = extract_fetched(item)
            else:
                loop = asyncio.get_running_loop()
                extracted = await loop.run_in_executor(self.pool, extract_fetched, item)
        except Exception as exc:
            logger.error("extraction failed for %s: %r", item.url, exc)
            self.stats.inc_value(_stat(item.source_id, "errors"))
            self.stats.inc_value(_stat(item.source_id, "extract_errors"))
            raise DropItem(f"extraction failed: {exc!r}") from exc
        return ExtractedPage(item, extracted)


class StoreStage:
    def __init__(self, db_path: str, config: SourcesConfig, stats: StatsCollector) -> None:
        self.db_path = db_path
        self.config = config
        self.stats = stats
        self.run_id = ""
        self.writer: ArchiveWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        from pipelines.sources import load_sources, select

        settings = crawler.settings
        config = select(
            load_sources(settings.get("BROADSHEET_SOURCES")),
            settings.getlist("BROADSHEET_SOURCE_IDS"),
        )
        return cls(settings.get("BROADSHEET_DB"), config, crawler.stats)

    def open_spider(self) -> None:
        now = now_iso()
        self.run_id = f"{now}-{uuid.uuid4().hex[:8]}"
        self.stats.set_value("broadsheet/run_id", self.run_id)
        self.writer = ArchiveWriter(open_archive(self.db_path), EXTRACTOR_VERSION)
        self.writer.upsert_sources(self.config.sources, now)
        self.writer.start_run(self.run_id, self.config.sources, now)

    def process_item(self, item: Any) -> Any:
        if self.writer is None:
            return item
        if isinstance(item, FetchRecord):
            self.writer.record_fetch(item)
            if item.status == 304 and item.kind == PageKind.ARTICLE.value:
                self.stats.inc_value(_stat(item.source_id, "unchanged"))
            raise DropItem("fetch recorded", log_level="DEBUG")
        if not isinstance(item, ExtractedPage):
            return item
        page, extracted = item.page, item.extracted
        result = self.writer.ingest(page, extracted, self.config.get(page.source_id))
        if result is None:
            self.stats.inc_value(_stat(page.source_id, "not_article"))
            raise DropItem(
                f"not an article ({extracted.kind.value}: {extracted.kind_reason})",
                log_level="DEBUG",
            )
        self.stats.inc_value(_stat(page.source_id, result.outcome.value))
        if result.outcome is Outcome.DUPLICATE:
            logger.info("duplicate body: %s is article %s", page.url, result.article_id)
        return item

    def close_spider(self) -> None:
        if self.writer is None:
            return
        reason = self.stats.get_value("finish_reason") or "finished"
        for source in self.config.sources:
            counts = {
                name: int(self.stats.get_value(_stat(source.id, name), 0)) for name in RUN_COUNTS
            }
            status, why = judge_run(counts)
            self.writer.finish_run(self.run_id, source.id, counts, status, why or reason, now_iso())
        self.writer.db.close()
