"""Crash injection for the crash-safety tests: kill this process at a named point.

``BROADSHEET_CRASH_AT="store:5"`` makes the 5th passage through the point ``store`` (inside an
article's transaction, before it commits) end the process with SIGKILL, exactly as the OOM killer
or a power-off would. Points: ``store`` (ArchiveWriter; in a crawl it kills the writer process and
the crawl with it), ``warc`` (halfway through writing a WARC record), ``writer`` (the crawl's
writer process alone, before a batch: the crawl must notice and stop), ``extract`` (an
extraction worker, before a page). Unset, it costs one
dictionary lookup per passage.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

ENV = "BROADSHEET_CRASH_AT"


class CrashPoints:
    def __init__(self, spec: str = "", also_kill: tuple[int, ...] = ()) -> None:
        self.targets: dict[str, int] = {}
        # Processes that die with this one (the crawl, when the point is in its writer process).
        self.also_kill = also_kill
        for part in filter(None, (p.strip() for p in spec.split(","))):
            point, _, count = part.partition(":")
            self.targets[point] = int(count or 1)
        self.passages: Counter[str] = Counter()

    @classmethod
    def from_env(cls, also_kill: tuple[int, ...] = ()) -> CrashPoints:
        return cls(os.environ.get(ENV, ""), also_kill)

    def due(self, point: str) -> bool:
        """Count a passage; True when this one is the passage to die at."""
        if point not in self.targets:
            return False
        self.passages[point] += 1
        return self.passages[point] == self.targets[point]

    def maybe_crash(self, point: str) -> None:
        if self.due(point):
            crash(self.also_kill)


def crash(also_kill: tuple[int, ...] = ()) -> None:
    for pid in also_kill:
        os.kill(pid, signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)
