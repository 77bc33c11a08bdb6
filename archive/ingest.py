"""The single writer of distributed mode: messages from crawler processes, through Redis, into the
archive, with the same ``ArchiveWriter.ingest`` a local crawl uses.

Delivery is at-least-once and the effect exactly-once: a message is moved to a processing list
while it is applied (``LMOVE``) and removed only after its transaction committed; on start, a
previous writer's unfinished messages go back to the queue. Applying one twice changes nothing,
because every write is an upsert keyed on the article's identity. Messages waiting in the queue
are applied in batches of up to ``BATCH_SIZE`` in one transaction (a savepoint each, so a bad
message loses only itself), as the crawl's writer process does.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from pipelines.clock import now_iso
from pipelines.messages import BadMessage, Message, decode
from pipelines.models import Source, SourcesConfig
from pipelines.runs import NO_ARTICLE, RUN_COUNTS, judge_run
from pipelines.store import ArchiveWriter, immediate

logger = logging.getLogger(__name__)

ITEMS_KEY = "broadsheet:items"
BATCH_SIZE = 64


def processing_key(items_key: str) -> str:
    return f"{items_key}:processing"


def rejected_key(items_key: str) -> str:
    return f"{items_key}:rejected"


@dataclass
class IngestTotals:
    messages: int = 0
    rejected: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    runs_finished: int = 0


class Ingester:
    """Applies messages to the archive and keeps each worker run's counts until it finishes."""

    def __init__(self, writer: ArchiveWriter, config: SourcesConfig) -> None:
        self.writer = writer
        self.config = config
        self.runs: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
        self.totals = IngestTotals()

    def _source(self, source_id: str) -> Source:
        return self.config.get(source_id)

    def apply(self, message: Message) -> None:
        self.totals.messages += 1
        if message.kind == "start":
            sources = tuple(self._source(s) for s in message.sources)
            self.writer.upsert_sources(sources, now_iso())
            self._start(message.run_id, sources, message.at or now_iso())
        elif message.kind == "page" and message.page is not None:
            page, extracted = message.page.page, message.page.extracted
            result = self.writer.ingest(page, extracted, self._source(page.source_id))
            outcome = "not_article" if result is None else result.outcome.value
            self.runs[message.run_id][page.source_id][outcome] += 1
            self.totals.outcomes[outcome] += 1
        elif message.kind == "fetch" and message.fetch is not None:
            f = message.fetch
            self.writer.record_fetch(f)
            if f.status == 304 and f.kind == "article":
                self.runs[message.run_id][f.source_id]["unchanged"] += 1
        elif message.kind == "finish":
            self._finish(message)
        else:
            raise BadMessage(f"unknown message kind {message.kind!r}")

    def _start(self, run_id: str, sources: tuple[Source, ...], at: str) -> None:
        # Distributed runs overlap: close only this run's stale rows, not other workers' runs.
        with self.writer.db.atomic():
            for source in sources:
                self.writer.db.execute(
                    "insert into crawl_runs (run_id, source, started_at, status)"
                    " values (?, ?, ?, 'running') on conflict(run_id, source) do nothing",
                    [run_id, source.id, at],
                )

    def _collected_since(self, run_id: str, source_id: str) -> bool:
        """Whether any article of the source was stored since this worker's run started."""
        row = self.writer.db.execute(
            "select 1 from crawl_runs r join articles a on a.source = r.source"
            " where r.run_id = ? and r.source = ? and a.fetched_at >= r.started_at limit 1",
            [run_id, source_id],
        ).fetchone()
        return row is not None

    def _finish(self, message: Message) -> None:
        outcomes = self.runs.pop(message.run_id, {})
        for source_id in set(message.counts) | set(outcomes):
            counts = dict.fromkeys(RUN_COUNTS, 0)
            counts.update(message.counts.get(source_id, {}))
            counts.update(outcomes.get(source_id, {}))
            if not counts["pages_fetched"] and not counts["errors"]:
                # In a shared frontier a worker may find every URL of a source already taken.
                status, why = "ok", "nothing left for this worker: other workers took the source"
            else:
                status, why = judge_run(counts)
            if why.startswith(NO_ARTICLE) and self._collected_since(message.run_id, source_id):
                # Workers share the frontier: one may get only listings while others take
                # every article. The source is healthy if the run as a whole stored some.
                status, why = "ok", "no article for this worker; other workers collected them"
            self.writer.finish_run(
                message.run_id,
                source_id,
                counts,
                status,
                why or "finished",
                message.at or now_iso(),
            )
        self.totals.runs_finished += 1


def drain(
    redis_client: object,
    ingester: Ingester,
    *,
    items_key: str = ITEMS_KEY,
    idle_exit: float | None = None,
    on_message: Callable[[IngestTotals], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> IngestTotals:
    """Apply messages until the queue stays empty for ``idle_exit`` seconds (None: forever)."""
    client = redis_client
    pending = processing_key(items_key)
    while client.lmove(pending, items_key, "RIGHT", "LEFT") is not None:  # type: ignore[attr-defined]
        pass  # a previous writer died mid-message: apply those again (idempotent)
    idle_since = time.monotonic()
    while True:
        raw = client.blmove(items_key, pending, 1, "RIGHT", "LEFT")  # type: ignore[attr-defined]
        if raw is None:
            if idle_exit is not None and time.monotonic() - idle_since >= idle_exit:
                return ingester.totals
            continue
        batch = [raw]
        while len(batch) < batch_size:
            more = client.lmove(items_key, pending, "RIGHT", "LEFT")  # type: ignore[attr-defined]
            if more is None:
                break
            batch.append(more)
        db = ingester.writer.db
        with immediate(db):
            for raw in batch:
                try:
                    with immediate(db):  # a savepoint: a bad message leaves nothing behind
                        ingester.apply(decode(raw))
                except BadMessage as exc:
                    logger.error("rejected a message: %s", exc)
                    ingester.totals.rejected += 1
                    client.lpush(rejected_key(items_key), raw)  # type: ignore[attr-defined]
        for raw in batch:  # only once committed
            client.lrem(pending, 1, raw)  # type: ignore[attr-defined]
        idle_since = time.monotonic()
        if on_message is not None:
            on_message(ingester.totals)
