"""The extraction worker pool, shared by crawls and offline reprocessing.

Workers are spawned (not forked: nothing of the reactor's threads or sockets leaks into them) and
each watches the process that started it: if that process is killed, the workers exit within a
second instead of lingering as orphans that hold the log pipes open.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

from .enrich import Derived, derive
from .extract import extract_page
from .models import Extracted, FetchedPage, PageKind, Source

WATCH_INTERVAL = 1.0


def extract_fetched(page: FetchedPage) -> Extracted:
    """Extraction of one fetched page; module-level so worker processes can run it."""
    return extract_page(page.body, page.url, encoding=page.encoding, hints=page.hints)


def process_fetched(page: FetchedPage, source: Source) -> tuple[Extracted, Derived | None]:
    """Everything CPU-bound about one page: extraction and, for articles, the derived data."""
    extracted = extract_fetched(page)
    if extracted.kind is not PageKind.ARTICLE:
        return extracted, None
    return extracted, derive(extracted, source)


def _watch(parent_pid: int) -> None:
    # Re-parenting, not kill(pid, 0): a killed parent stays a zombie until its own parent reaps
    # it, and that parent may be waiting for our end of the log pipe to close.
    while os.getppid() == parent_pid:
        time.sleep(WATCH_INTERVAL)
    os._exit(0)  # the parent is gone: nothing will ever read our results


def _start_watchdog(parent_pid: int) -> None:
    threading.Thread(target=_watch, args=(parent_pid,), daemon=True, name="parent-watch").start()


def extraction_pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_watchdog,
        initargs=(os.getpid(),),
    )
