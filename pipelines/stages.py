"""Scrapy item pipelines: thin glue that reads settings and calls the pure core.

Only this module (in ``pipelines/``) imports Scrapy. Neither stage works on the reactor thread:
``ExtractStage`` sends pages to a pool of worker processes (extraction and everything derived
from the text), and ``StoreStage`` hands them to one writer thread that owns the SQLite
connection, so fetching and link discovery never wait for parsing or for the disk.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Self

from scrapy.exceptions import DropItem

from archive.schema import open_archive

from .clock import now_iso
from .extract import EXTRACTOR_VERSION
from .models import Extracted, ExtractedPage, FetchedPage, FetchRecord, PageKind, SourcesConfig
from .runs import RUN_COUNTS, judge_run
from .runs import stat_key as _stat
from .sources import load_sources, select
from .store import ArchiveWriter, Outcome, StoreResult
from .stories import StoryConfig
from .urlkind import url_kind_hint
from .workers import extraction_pool, process_fetched

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


def _config(crawler: Crawler) -> SourcesConfig:
    settings = crawler.settings
    return select(
        load_sources(settings.get("BROADSHEET_SOURCES")), settings.getlist("BROADSHEET_SOURCE_IDS")
    )


class ExtractStage:
    def __init__(self, workers: int, config: SourcesConfig, stats: StatsCollector) -> None:
        self.workers = workers
        self.config = config
        self.stats = stats
        self.pool: Executor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        workers = crawler.settings.getint("BROADSHEET_EXTRACT_WORKERS")
        return cls(workers, _config(crawler), crawler.stats)

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
        source = self.config.get(item.source_id)
        try:
            if self.pool is None:
                extracted, derived = process_fetched(item, source)
            else:
                loop = asyncio.get_running_loop()
                extracted, derived = await loop.run_in_executor(
                    self.pool, process_fetched, item, source
                )
        except Exception as exc:
            logger.error("extraction failed for %s: %r", item.url, exc)
            self.stats.inc_value(_stat(item.source_id, "errors"))
            self.stats.inc_value(_stat(item.source_id, "extract_errors"))
            raise DropItem(f"extraction failed: {exc!r}") from exc
        # The raw body is archived in the WARC and no longer needed: do not carry it further.
        item.body = b""
        return ExtractedPage(item, extracted, derived)


class StoreStage:
    def __init__(
        self,
        db_path: str,
        config: SourcesConfig,
        stats: StatsCollector,
        story_config: StoryConfig | None = None,
    ) -> None:
        self.db_path = db_path
        self.config = config
        self.stats = stats
        self.story_config = story_config
        self.run_id = ""
        self.writer: ArchiveWriter | None = None
        # One thread owns the SQLite connection: writes are serial, and off the reactor.
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="archive-writer")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        # Only the decision thresholds are settings: they can change between runs, unlike the
        # signature parameters, which are fixed for the life of an archive.
        story_config = StoryConfig(
            min_jaccard=settings.getfloat("BROADSHEET_STORY_MIN_JACCARD"),
            min_containment=settings.getfloat("BROADSHEET_STORY_MIN_CONTAINMENT"),
            min_salient=settings.getfloat("BROADSHEET_STORY_MIN_SALIENT"),
        )
        return cls(settings.get("BROADSHEET_DB"), _config(crawler), crawler.stats, story_config)

    async def _on_writer(self, function: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.thread, function, *args)

    def _open(self) -> ArchiveWriter:
        now = now_iso()
        writer = ArchiveWriter(open_archive(self.db_path), EXTRACTOR_VERSION, self.story_config)
        writer.upsert_sources(self.config.sources, now)
        writer.start_run(self.run_id, self.config.sources, now)
        return writer

    async def open_spider(self) -> None:
        self.run_id = f"{now_iso()}-{uuid.uuid4().hex[:8]}"
        self.stats.set_value("broadsheet/run_id", self.run_id)
        self.writer = await self._on_writer(self._open)

    async def process_item(self, item: Any) -> Any:
        writer = self.writer
        if writer is None:
            return item
        if isinstance(item, FetchRecord):
            await self._on_writer(writer.record_fetch, item)
            if item.status == 304 and item.kind == PageKind.ARTICLE.value:
                self.stats.inc_value(_stat(item.source_id, "unchanged"))
            raise DropItem("fetch recorded", log_level="DEBUG")
        if not isinstance(item, ExtractedPage):
            return item
        page, extracted = item.page, item.extracted
        source = self.config.get(page.source_id)
        result: StoreResult | None = await self._on_writer(
            writer.ingest, page, extracted, source, item.derived
        )
        if result is None:
            self.stats.inc_value(_stat(page.source_id, "not_article"))
            raise DropItem(
                f"not an article ({extracted.kind.value}: {extracted.kind_reason})",
                log_level="DEBUG",
            )
        self.stats.inc_value(_stat(page.source_id, result.outcome.value))
        if result.outcome is Outcome.DUPLICATE:
            logger.info("duplicate body: %s is article %s", page.url, result.article_id)
        if result.outcome is Outcome.DROPPED:
            raise DropItem("off-topic, dropped by the source's relevance policy", log_level="INFO")
        return item

    def _finish(self, reason: str) -> None:
        assert self.writer is not None
        for source in self.config.sources:
            counts = {
                name: int(self.stats.get_value(_stat(source.id, name), 0)) for name in RUN_COUNTS
            }
            status, why = judge_run(counts)
            self.writer.finish_run(self.run_id, source.id, counts, status, why or reason, now_iso())
        self.writer.db.close()

    async def close_spider(self) -> None:
        if self.writer is not None:
            reason = self.stats.get_value("finish_reason") or "finished"
            await self._on_writer(self._finish, reason)
        self.thread.shutdown(wait=True)
