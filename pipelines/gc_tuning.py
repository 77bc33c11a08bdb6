"""The garbage collector's settings for the crawl and writer processes, and a clock of its runs.

CPython collects its youngest generation after 700 net allocations of container objects, the
middle one every 10 of those and everything every 10 of those again (once the old generation has
grown by a quarter). A crawl process holds a large heap that changes slowly (Scrapy's queue of
scheduled requests, the filters, the imported modules) and makes short-lived objects by the
million, so at those thresholds it kept scanning the same heap: in a 10,000-page crawl
(``bench/bench_crawl.py --set BROADSHEET_GC_TUNING=False``, docs/performance.md) 4,124 young,
374 middle and 34 full collections took 11.4 of the crawl process's 32 CPU seconds, 8.8 of
them the full ones; with the settings below, 9 young and 1 full, 0.5 seconds. Objects here
almost all die by reference counting; cyclic garbage (Twisted failures, Deferred chains) is
still collected, in larger batches, and the memory of a 100,000-page crawl stayed as flat as
before. The writer's heap (story index, template sets) is long-lived too. The extraction
workers keep CPython's defaults: their objects die young, and in the same crawl their collector
ran 56 young collections and one full one, 0.08 seconds in all.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field
from typing import Any

# (youngest, middle, oldest): collect the youngest generation after this many net allocations,
# the middle one every 20 of those, the oldest every 10 of those.
THRESHOLDS = (50_000, 20, 10)
GENERATIONS = ("young", "middle", "full")


def tune_for_throughput() -> None:
    """Call once start-up is done: what exists now (modules, settings, lexicons) is kept for
    the life of the process, so it leaves the collector's view; then the thresholds above."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)


@dataclass(eq=False)
class CollectionClock:
    """Counts and CPU seconds of the collector's runs per generation, from ``gc.callbacks``
    (``watch``): what the collector costs a process, as Scrapy stats (``stats``)."""

    counts: list[int] = field(default_factory=lambda: [0, 0, 0])
    seconds: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    started: float = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self.started = time.thread_time()  # the collector runs in the allocating thread
            return
        generation = info["generation"]
        self.counts[generation] += 1
        self.seconds[generation] += time.thread_time() - self.started

    def watch(self) -> None:
        gc.callbacks.append(self)

    def stop(self) -> None:
        if self in gc.callbacks:
            gc.callbacks.remove(self)

    def summary(self) -> str:
        return ", ".join(
            f"{name} {self.counts[g]} in {self.seconds[g]:.2f} s"
            for g, name in enumerate(GENERATIONS)
        )

    def stats(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for generation, name in enumerate(GENERATIONS):
            out[f"gc/{name}_collections"] = self.counts[generation]
            out[f"gc/{name}_cpu_seconds"] = round(self.seconds[generation], 3)
        return out
