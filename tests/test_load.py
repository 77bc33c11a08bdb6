"""A short run of bench/load_serve.py: concurrent searches and page views against a real
`broadsheet serve` while a real crawl and a writer loop write the archive. A correctness check
(nothing fails, nothing is locked), not a timing one: latency is printed, never asserted."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.load_serve import print_report, run_load

pytestmark = pytest.mark.e2e


def test_concurrent_reads_while_writing(tmp_path: Path) -> None:
    report = run_load(tmp_path, requests=200, concurrency=8, seconds=30, writer_seconds=20,
                      seed_articles=100)  # fmt: skip
    print_report(report, concurrency=8)
    assert report.requests == 200 or report.seconds >= 29, "the load stopped early"
    assert report.failed == 0, report.failures
    assert report.locked_responses == 0
    assert report.locked_in_logs == {"server": 0, "crawl": 0, "writer": 0}
    assert report.crawl_returncode == 0
    assert report.writer.get("written", 0) > 0, report.writer
    assert report.writer["locked"] == 0
    assert report.writes_during_load > 0, "nothing was written while the load ran"
