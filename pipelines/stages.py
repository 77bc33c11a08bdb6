"""Scrapy item pipelines: thin glue that reads settings and calls the pure core.

Only this module (in ``pipelines/``) imports Scrapy. Extraction happens before items reach it,
in the spider's worker processes (``pipelines.workers``, one parse per page for its fields and
its links); ``StoreStage`` hands the extracted pages to one writer process that owns the SQLite
connection (``pipelines.writer_process``), so fetching never waits for parsing or for the disk.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import TYPE_CHECKING, Any, Self

from scrapy.exceptions import DropItem

from .clock import now_iso
from .extract import EXTRACTOR_VERSION
from .models import ExtractedPage, FetchRecord, PageKind, SourcesConfig
from .processes import LoopService, ServiceDied
from .runs import RUN_COUNTS, STOPPED, judge_run
from .runs import stat_key as _stat
from .sources import load_sources, select
from .store import Outcome, StoreResult
from .stories import StoryConfig
from .writer_process import WriterConfig, writer_process

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


def stop_crawl(crawler: Crawler, reason: str, why: str) -> asyncio.Future[None] | None:
    """Stop a crawl that cannot go on (its writer or its extraction workers died), once.

    The stop is recorded in the stats (``STOPPED``), so the run is judged failed; closing is not
    awaited, because it waits for the responses and items in flight, the caller's included.
    Returns the closing task (keep a reference), or None if the crawl is already stopping.
    """
    if crawler.stats.get_value(STOPPED):
        return None
    logger.critical("%s: stopping the crawl", why)
    crawler.stats.set_value(STOPPED, reason)
    if crawler.engine is None:
        return None
    return asyncio.ensure_future(crawler.engine.close_spider_async(reason=reason))


def _config(crawler: Crawler) -> SourcesConfig:
    settings = crawler.settings
    return select(
        load_sources(settings.get("BROADSHEET_SOURCES")), settings.getlist("BROADSHEET_SOURCE_IDS")
    )


class StoreStage:
    def __init__(
        self,
        config: SourcesConfig,
        stats: StatsCollector,
        writer_config: WriterConfig,
        crawler: Crawler | None = None,
    ) -> None:
        self.config = config
        self.stats = stats
        self.writer_config = writer_config
        self.crawler = crawler
        self.run_id = ""
        self.closing: asyncio.Future[None] | None = None
        # One process owns the SQLite connection: writes are serial, batched, and off the
        # crawl process's GIL (pipelines/writer_process.py).
        self.writer: LoopService | None = None

    @property
    def story_config(self) -> StoryConfig | None:
        return self.writer_config.story_config

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
        writer_config = WriterConfig(
            db_path=settings.get("BROADSHEET_DB"),
            extractor_version=EXTRACTOR_VERSION,
            story_config=story_config,
            batch_size=settings.getint("BROADSHEET_WRITE_BATCH"),
            gc_tuning=settings.getbool("BROADSHEET_GC_TUNING"),
        )
        return cls(_config(crawler), crawler.stats, writer_config, crawler)

    async def _call(self, method: str, *args: Any) -> Any:
        assert self.writer is not None
        try:
            return await asyncio.wrap_future(self.writer.call(method, *args))
        except ServiceDied as exc:
            # Nothing more can be stored: stop fetching (what was fetched is in the WARC).
            if self.crawler is not None:
                why = "the archive writer process died"
                self.closing = stop_crawl(self.crawler, "archive_writer_died", why) or self.closing
            raise DropItem(f"not stored: {exc}", log_level="WARNING") from exc

    async def open_spider(self) -> None:
        self.run_id = f"{now_iso()}-{uuid.uuid4().hex[:8]}"
        self.stats.set_value("broadsheet/run_id", self.run_id)
        self.writer = writer_process(self.writer_config, on_loop=True)
        now = now_iso()
        await self._call("upsert_sources", self.config.sources, now)
        await self._call("start_run", self.run_id, self.config.sources, now)

    async def process_item(self, item: Any) -> Any:
        if self.writer is None:
            return item
        if isinstance(item, FetchRecord):
            await self._call("record_fetch", item)
            if item.status == 304 and item.kind == PageKind.ARTICLE.value:
                self.stats.inc_value(_stat(item.source_id, "unchanged"))
            raise DropItem("fetch recorded", log_level="DEBUG")
        if not isinstance(item, ExtractedPage):
            return item
        page, extracted = item.page, item.extracted
        source = self.config.get(page.source_id)
        result: StoreResult | None = await self._call(
            "ingest", page, extracted, source, item.derived
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

    async def close_spider(self) -> None:
        writer, self.writer = self.writer, None
        if writer is None:
            return
        reason = self.stats.get_value("finish_reason") or "finished"
        stopped = self.stats.get_value(STOPPED)
        calls = []
        for source in self.config.sources:
            counts = {
                name: int(self.stats.get_value(_stat(source.id, name), 0)) for name in RUN_COUNTS
            }
            status, why = judge_run(counts)
            if stopped:  # the crawl was cut short: failed, whatever it fetched
                status, why = "failed", f"stopped early: {stopped.replace('_', ' ')}"
            calls.append(
                writer.call(
                    "finish_run", self.run_id, source.id, counts, status, why or reason, now_iso()
                )
            )
        try:
            for call in calls:
                await asyncio.wrap_future(call)
        except ServiceDied:
            # The run rows stay "running"; the next run closes them as aborted.
            logger.critical("the archive writer process died: this run's totals are not stored")
        finally:
            writer.close()  # on the loop's thread; every call was answered above: it is quick
