"""The collector settings of a crawl process (pipelines/gc_tuning.py), applied in a fresh
interpreter so the test process keeps its own."""

from __future__ import annotations

import gc
import json
import subprocess
import sys

from pipelines.gc_tuning import THRESHOLDS, CollectionClock

PROBE = """
import gc, json
from pipelines.gc_tuning import tune_for_throughput
before = gc.get_freeze_count()
tune_for_throughput()
garbage = []
garbage.append(garbage)  # a cycle: still collected under the new thresholds
del garbage
print(json.dumps([gc.get_threshold(), before, gc.get_freeze_count(), gc.collect()]))
"""


def test_thresholds_are_set_and_start_up_objects_frozen():
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    ).stdout
    thresholds, frozen_before, frozen_after, collected = json.loads(out)
    assert tuple(thresholds) == THRESHOLDS
    assert frozen_before == 0 and frozen_after > 1000  # the imported modules' objects
    assert collected >= 1  # cyclic garbage is still found


def test_the_clock_counts_collections_and_stops():
    clock = CollectionClock()
    clock.watch()
    try:
        gc.collect()
        gc.collect(0)
    finally:
        clock.stop()
    assert clock.counts[2] >= 1 and clock.counts[0] >= 1
    assert clock not in gc.callbacks
    stats = clock.stats()
    assert stats["gc/full_collections"] == clock.counts[2]
    assert all(stats[f"gc/{g}_cpu_seconds"] >= 0 for g in ("young", "middle", "full"))
    before = clock.counts[2]
    gc.collect()
    assert clock.counts[2] == before  # no longer watching
