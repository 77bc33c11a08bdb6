"""The archive writer in a process of its own.

Storing an article (dedup, stories, full-text index, facts) costs a few milliseconds of Python.
On a thread of the crawl process it competed with the reactor for the GIL, and every hand-over
made the reactor wait; in its own process it has its own core and the reactor keeps the GIL.

Calls queue up while the writer is busy and run in batches: one transaction per batch, with a
savepoint per call so that a call that fails loses only itself. Results are sent only after the
batch has committed, so a call that returned is on disk; a call still queued when the crawl is
killed was fetched, archived in the WARC and not stored, and the next run fetches it again.
"""

from __future__ import annotations

import logging
import os
import traceback
from dataclasses import dataclass
from functools import partial

from archive.schema import open_archive

from .faults import CrashPoints
from .gc_tuning import tune_for_throughput
from .processes import Call, LoopService, ProcessService, Reply, answer
from .store import ArchiveWriter, immediate
from .stories import StoryConfig

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WriterConfig:
    db_path: str
    extractor_version: str
    story_config: StoryConfig | None = None
    batch_size: int = 64  # calls per transaction at most
    gc_tuning: bool = True  # pipelines/gc_tuning.py's settings in the writer process


class BatchingWriter:
    """An ``ArchiveWriter`` whose queued calls commit together."""

    def __init__(self, config: WriterConfig) -> None:
        db = open_archive(config.db_path)
        self.writer = ArchiveWriter(db, config.extractor_version, config.story_config)
        # A crash point here stands for the machine dying: the crawl goes with its writer.
        self.writer.crash_points = CrashPoints.from_env(also_kill=(os.getppid(),))
        self.crash_points = CrashPoints.from_env()  # "writer": this process alone dies

    def handle_batch(self, calls: list[Call]) -> list[Reply]:
        """One transaction for the batch, a savepoint per call; replies once committed."""
        db = self.writer.db
        self.crash_points.maybe_crash("writer")
        try:
            with immediate(db):  # nested inside it, immediate() is a savepoint
                replies = answer(self.writer, calls, around=lambda: immediate(db))
        except Exception:
            # The commit itself failed (disk full, I/O error): nothing of the batch is stored.
            logger.exception("archive writer: a batch of %d calls failed", len(calls))
            text = traceback.format_exc()
            return [(call_id, False, text) for call_id, _, _ in calls]
        return replies

    def close(self) -> None:
        self.writer.db.close()


def _start_writer(config: WriterConfig) -> BatchingWriter:
    """In the writer process: the writer, then the collector settings for its long-lived heap
    (the story index and template sets: with CPython's, its full collections took 0.65 s of CPU
    in a 10,000-page crawl, docs/performance.md)."""
    writer = BatchingWriter(config)
    if config.gc_tuning:
        tune_for_throughput()
    return writer


def writer_process(config: WriterConfig, on_loop: bool = False) -> ProcessService | LoopService:
    """The writer process; ``on_loop``: called from an asyncio loop (the crawl)."""
    service = LoopService if on_loop else ProcessService
    return service(
        partial(_start_writer, config), batch_size=config.batch_size, name="archive-writer"
    )
