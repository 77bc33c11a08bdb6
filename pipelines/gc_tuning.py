"""The garbage collector's settings for the long-running processes of a crawl.

CPython collects its youngest generation after 700 net allocations of container objects and
scans everything older every hundred of those. A crawl process holds a large heap that changes
slowly (Scrapy's queue of scheduled requests, the filters, the imported modules) and makes
short-lived objects by the million; at 700 most of its collector time went to scanning that heap
again and again: in a 10,000-page crawl (docs/performance.md) 36 full collections and 400
middle ones took 8 of the crawl process's 30 CPU seconds. Objects here almost all die by
reference counting, and cyclic garbage (Twisted failures, Deferred chains) is still collected,
only in larger batches.
"""

from __future__ import annotations

import gc

# (youngest, middle, oldest): collect the youngest generation after this many net allocations,
# the middle one every 20 of those, the oldest every 10 of those (and, as always, only when it
# has grown by a quarter since its last collection).
THRESHOLDS = (50_000, 20, 10)


def tune_for_throughput() -> None:
    """Call once start-up is done: what exists now (modules, settings, lexicons) is kept for
    the life of the process, so it leaves the collector's view; then the thresholds above."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
