"""Run one crawl in this process and report how each source fared.

``scrapy crawl`` exits 0 even when every request failed; ``run_crawl`` reads the ``crawl_runs``
rows the store stage wrote so that the caller can exit non-zero on a failed source.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

import sqlite_utils
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from crawler.spiders.news import NewsSpider
from pipelines.sources import load_sources
from pipelines.warcs import warc_dir_for


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
    pages_not_found: int
    errors: int


class CrawlLocked(RuntimeError):
    """Another crawl is writing to the same archive."""


@contextmanager
def crawl_lock(db: Path) -> Iterator[Path]:
    """Hold ``<db>.lock`` for the whole crawl; a second crawl on the same archive fails fast.

    ``flock`` is released by the kernel when the holder dies, so a killed crawl never leaves a
    stale lock behind; the pid and start time inside are only for the message.
    """
    path = db.with_name(db.name + ".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", errors="replace").strip() or "unknown"
            raise CrawlLocked(
                f"another crawl is already writing {db} ({holder}); not starting a second one"
            ) from None
        os.ftruncate(fd, 0)
        started = datetime.now(UTC).isoformat(timespec="seconds")
        os.pwrite(fd, f"pid {os.getpid()}, started {started}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)


def log_to_file(path: Path, max_bytes: int = 10 * 1024 * 1024, backups: int = 5) -> logging.Handler:
    """Add a rotating log file to the root logger (cron's output is easily lost)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s [%(name)s] %(levelname)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    return handler


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
    # The sources file, not a Scrapy setting, decides whether private networks may be crawled.
    private = load_sources(sources).allow_private_networks
    settings.set("BROADSHEET_ALLOW_PRIVATE_NETWORKS", private, priority="cmdline")
    for key, value in overrides.items():
        settings.set(key, value, priority="cmdline")
    if not settings.get("BROADSHEET_WARC_DIR"):
        settings.set("BROADSHEET_WARC_DIR", str(warc_dir_for(db)), priority="cmdline")
    if "USER_AGENT" not in overrides:
        settings.set("USER_AGENT", user_agent(settings["BROADSHEET_CONTACT"]), priority="cmdline")
    return settings


def run_crawl(
    sources: Path,
    db: Path,
    source_ids: tuple[str, ...] = (),
    overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run the crawl to its end; return the Scrapy stats (``broadsheet/run_id`` among them)."""
    settings = crawl_settings(sources, db, source_ids, overrides or {})
    process = CrawlerProcess(settings)  # LOG_INSTALL_ROOT_HANDLER: True by default
    crawler = process.create_crawler(NewsSpider)
    process.crawl(crawler)
    process.start()
    return crawler.stats.get_stats() if crawler.stats else {}


def source_runs(db: Path, run_id: str) -> list[SourceRun]:
    """The verdicts the store stage wrote for one run."""
    rows = sqlite_utils.Database(db).execute(
        "select source, status, finish_reason, pages_fetched, articles_new, articles_updated,"
        " articles_unchanged, articles_duplicate, pages_not_article,"
        " coalesce(pages_not_found, 0), errors"
        " from crawl_runs where run_id = ? order by source",
        [run_id],
    )
    return [SourceRun(*row) for row in rows.fetchall()]
