"""pipelines.writer_process: batched writes, one savepoint per call, answers after commit."""

from __future__ import annotations

import sqlite3

from archive.schema import open_archive
from pipelines.models import FetchRecord, Source
from pipelines.writer_process import BatchingWriter, WriterConfig, writer_process

NOW = "2026-01-01T00:00:00+00:00"
SOURCE = Source(id="s", url="http://127.0.0.1:9/")


def fetch(url: str) -> FetchRecord:
    return FetchRecord(url, "s", "sitemap", 200, NOW)


def pages(db_path) -> list[str]:
    with sqlite3.connect(db_path) as conn:
        return sorted(url for (url,) in conn.execute("select url from pages"))


def test_a_failing_call_rolls_back_alone(tmp_path):
    db_path = tmp_path / "a.db"
    open_archive(db_path).close()
    writer = BatchingWriter(WriterConfig(str(db_path), "test"))
    writer.writer.upsert_sources((SOURCE,), NOW)
    replies = writer.handle_batch(
        [
            (1, "record_fetch", (fetch("http://127.0.0.1:9/a.xml"),)),
            # writes the first source's run row, then fails on the second "source"
            (2, "start_run", ("run-1", (SOURCE, None), NOW)),
            (3, "record_fetch", (fetch("http://127.0.0.1:9/b.xml"),)),
        ]
    )
    writer.close()
    assert [(call_id, ok) for call_id, ok, _ in replies] == [(1, True), (2, False), (3, True)]
    assert "AttributeError" in replies[1][2]
    assert pages(db_path) == ["http://127.0.0.1:9/a.xml", "http://127.0.0.1:9/b.xml"]
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("select count(*) from crawl_runs").fetchone() == (0,)


def test_the_writer_process_stores_and_answers_after_commit(tmp_path):
    db_path = tmp_path / "a.db"
    open_archive(db_path).close()
    service = writer_process(WriterConfig(str(db_path), "test", batch_size=8))
    try:
        service.call("upsert_sources", (SOURCE,), NOW).result(timeout=60)
        futures = [
            service.call("record_fetch", fetch(f"http://127.0.0.1:9/{n}.xml")) for n in range(40)
        ]
        for future in futures:
            assert future.result(timeout=60) is None
        # answered means committed: another connection sees every row at once
        assert len(pages(db_path)) == 40
    finally:
        assert service.close(timeout=30) == [0]
