"""What the crawl processes of one run share: per-source counts (the request and byte budgets)
and the claim on each page they request.

A crawl on its own keeps both in memory (``LocalTally``, no claims: its own set of requested
pages suffices). The workers of a distributed run (``BROADSHEET_REDIS_RUN``) keep them in Redis,
under the run's keys, so that ``BROADSHEET_MAX_REQUESTS_PER_SOURCE`` and
``BROADSHEET_MAX_BYTES_PER_SOURCE`` bound the whole run rather than each worker, and a link two
workers find is counted once: the first to claim it requests it, the other drops it before it
costs budget. Keys expire with the run's frontier (``KEY_TTL_SECONDS``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

import redis

KEY_TTL_SECONDS = 2 * 24 * 3600  # a run's shared state outlives its workers, then goes


class Tally(Protocol):
    """A count per source: ``add`` returns the new total."""

    def add(self, source: str, amount: int = 1) -> int: ...

    def total(self, source: str) -> int: ...


@dataclass
class LocalTally:
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, source: str, amount: int = 1) -> int:
        self.counts[source] += amount
        return self.counts[source]

    def total(self, source: str) -> int:
        return self.counts[source]


@dataclass
class RedisTally:
    """One Redis hash per run and count, a field per source."""

    client: redis.Redis
    key: str

    def add(self, source: str, amount: int = 1) -> int:
        with self.client.pipeline() as pipe:
            pipe.hincrby(self.key, source, amount)
            pipe.expire(self.key, KEY_TTL_SECONDS)
            total, _ = pipe.execute()
        return int(total)

    def total(self, source: str) -> int:
        value = self.client.hget(self.key, source)
        return int(value) if value is not None else 0


@dataclass
class RedisClaims:
    """The identity keys of the pages the run's workers requested: ``claim`` is true for the
    first worker to ask."""

    client: redis.Redis
    key: str

    def claim(self, page_key: bytes) -> bool:
        with self.client.pipeline() as pipe:
            pipe.sadd(self.key, page_key)
            pipe.expire(self.key, KEY_TTL_SECONDS)
            added, _ = pipe.execute()
        return bool(added)


def run_key(run_name: str, name: str) -> str:
    return f"broadsheet:run:{run_name}:{name}"


def shared_client(settings: Any) -> tuple[redis.Redis, str] | None:
    """The Redis client and run name of a distributed worker; None for a crawl on its own."""
    run_name = settings.get("BROADSHEET_REDIS_RUN")
    if not run_name:
        return None
    return redis.Redis.from_url(settings.get("REDIS_URL")), run_name


def tally(settings: Any, name: str) -> Tally:
    """The run's count ``name``: in Redis for a distributed worker, else in memory."""
    shared = shared_client(settings)
    if shared is None:
        return LocalTally()
    client, run_name = shared
    return RedisTally(client, run_key(run_name, name))


def claims(settings: Any) -> RedisClaims | None:
    """The run's shared claims on pages, for a distributed worker; None for a crawl on its own."""
    shared = shared_client(settings)
    if shared is None:
        return None
    client, run_name = shared
    return RedisClaims(client, run_key(run_name, "claimed"))
