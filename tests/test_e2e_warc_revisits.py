"""End to end: a re-check that finds an article unchanged is written to the WARC files as a
revisit record of the capture the article was read from, and the article still reads back from
it (``broadsheet reprocess``, the capture view)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from demo_sites.server import DemoServer
from pipelines.warcs import iter_responses, payload_record, read_record
from tests.test_e2e_crawl import run_crawl

pytestmark = pytest.mark.e2e


def _records(files: list[Path]) -> list[tuple[str, str, int, str]]:
    """(type, URL, body length, refers-to URI) of the HTTP records of ``files``."""
    return [
        (r.record_type, r.url, len(r.body), r.refers_to_uri)
        for r in iter_responses(files)
        if r.status == 200
    ]


def test_an_unchanged_recheck_is_a_revisit_of_the_stored_capture(tmp_path):
    with DemoServer() as server:
        first = run_crawl(server, tmp_path)
        assert first.returncode == 0, first.output[-3000:]
        warc_dir = tmp_path / "warc"
        before = set(warc_dir.glob("*.warc.gz"))
        # Make every dated article due for its one-day re-check: last fetched an hour after
        # its publication (recheck_due then finds the later steps crossed).
        with sqlite3.connect(first.db_path) as db:
            db.execute(
                "update pages set last_fetched_at = (select datetime(a.published_at, '+1 hour')"
                " from articles a where a.id = pages.article_id)"
                " where kind = 'article' and article_id in"
                " (select id from articles where published_at is not null)"
            )
            stored = dict(db.execute("select id, warc_record_id from articles").fetchall())
        server.clear_requests()
        second = run_crawl(server, tmp_path)
        assert second.returncode == 0, second.output[-3000:]

    new_files = sorted(set(warc_dir.glob("*.warc.gz")) - before)
    records = _records(new_files)
    revisits = [r for r in records if r[0] == "revisit"]
    # Every re-checked article came back unchanged: each is a revisit, with its payload. The
    # later page of a multi-page article is fetched as a page of it, without an earlier
    # capture to compare with, and is written in full.
    with sqlite3.connect(first.db_path) as db:
        urls = {u for (u,) in db.execute("select url from article_urls where via != 'part'")}
    rechecked = {url for _, url, _, _ in records} & urls
    assert len(rechecked) >= len(stored) // 2, records  # the re-checks did happen
    assert {url for _, url, _, _ in revisits} >= rechecked
    assert all(length > 0 and refers for _, _, length, refers in revisits)
    # Each revisit record is a fraction of the record holding its payload.
    revisit_bytes = original_bytes = 0
    for record in iter_responses(new_files):
        if record.is_revisit:
            revisit_bytes += record.length
            original_bytes += payload_record(warc_dir / record.file, record.offset).length
    written = sum(p.stat().st_size for p in new_files)
    print(
        f"WARC bytes: first crawl {sum(p.stat().st_size for p in before)}, re-check crawl"
        f" {written}; its {len(revisits)} revisit records {revisit_bytes} bytes, the records"
        f" holding their payloads {original_bytes}"
    )
    assert revisit_bytes * 3 < original_bytes

    with sqlite3.connect(second.db_path) as db:
        rows = db.execute("select id, warc_file, warc_offset, warc_record_id from articles")
        for article_id, file, offset, record_id in rows.fetchall():
            assert record_id == stored[article_id], article_id  # unchanged: read from its capture
            assert read_record(warc_dir / file, offset).body
