"""Crash safety: SIGKILL `broadsheet crawl` during fetches, inside a database transaction and
halfway through a WARC record, then run it again. Nothing may be lost, duplicated or corrupt."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlite_utils

from archive.cli import LOCAL_CRAWL_SETTINGS
from demo_sites.catalog import write_sources_toml
from demo_sites.server import DemoServer
from pipelines.warcs import read_record
from tests.test_e2e_crawl import Crawl, expected, stored_by_url

pytestmark = pytest.mark.e2e


def crawl_command(sources: Path, db: Path) -> list[str]:
    return [sys.executable, "-m", "archive", "crawl", "--sources", str(sources), "--db", str(db),
            *LOCAL_CRAWL_SETTINGS]  # fmt: skip


def killed_during_fetches(server: DemoServer, command: list[str], after_requests: int) -> int:
    server.clear_requests()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(server.requests) < after_requests and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    return proc.wait(timeout=30)


def crashed_at(command: list[str], point: str) -> int:
    env = {**os.environ, "BROADSHEET_CRASH_AT": point}
    return subprocess.run(
        command, env=env, capture_output=True, timeout=300, check=False
    ).returncode


def test_killed_crawls_lose_and_duplicate_nothing(tmp_path):
    db_path = tmp_path / "archive.db"
    with DemoServer() as server:
        sources = write_sources_toml(server, tmp_path / "sources.toml")
        command = crawl_command(sources, db_path)
        assert killed_during_fetches(server, command, after_requests=40) == -signal.SIGKILL
        assert crashed_at(command, "store:5") == -signal.SIGKILL
        assert crashed_at(command, "warc:25") == -signal.SIGKILL
        warc_dir = tmp_path / "warc"
        assert list(warc_dir.glob("*.open")), "the WARC crash should leave a half-written file"
        assert killed_during_fetches(server, command, after_requests=10) == -signal.SIGKILL

        final = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        assert final.returncode == 0, final.stderr[-3000:]

        db = sqlite_utils.Database(db_path)
        crawl = Crawl(server, db, db_path, final.stderr, final.returncode)
        want, found = expected(server), stored_by_url(crawl)
        assert set(found) == set(want), sorted(set(want) - set(found))
        assert len({row["id"] for row in found.values()}) == len(want)
        assert db["articles"].count == len(want)

        assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
        statuses = [r[0] for r in db.execute("select status from crawl_runs order by id")]
        assert statuses.count("aborted") >= 3 * 4 - 3  # 4 killed runs x 3 sources (one may die
        assert statuses[-3:] == ["ok", "ok", "ok"]  # before its rows are written)

        assert not list(warc_dir.glob("*.open"))  # recovered at the start of the next run
        for warc_file, offset, digest in db.execute(
            "select warc_file, warc_offset, warc_payload_digest from articles"
        ):
            assert read_record(warc_dir / warc_file, offset).payload_digest == digest
        for path in warc_dir.glob("*.warc.gz"):
            assert subprocess.run(["gzip", "-t", str(path)], check=False).returncode == 0


@pytest.mark.parametrize(
    ("point", "message", "reason"),
    [
        ("writer:3", "archive writer process died", "archive_writer_died"),
        ("extract:30", "extraction worker processes died", "extraction_workers_died"),
    ],
    ids=["writer", "extraction-workers"],
)
def test_dead_helper_processes_stop_the_crawl_and_a_rerun_completes(
    tmp_path, point, message, reason
):
    """The writer or the extraction workers dying alone must not leave the crawl fetching (or
    hanging) for nothing: it stops with a clear reason and a failure status; the next run
    completes, every article stored once."""
    db_path = tmp_path / "archive.db"
    with DemoServer() as server:
        sources = write_sources_toml(server, tmp_path / "sources.toml")
        command = crawl_command(sources, db_path)
        env = {**os.environ, "BROADSHEET_CRASH_AT": point}
        started = time.monotonic()
        dead = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=300, check=False
        )
        assert dead.returncode == 1, dead.stderr[-3000:]
        assert message in dead.stderr
        assert reason in dead.stderr
        assert "failed sources" in dead.stderr
        assert time.monotonic() - started < 120
        final = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        assert final.returncode == 0, final.stderr[-3000:]
        crawl = Crawl(server, sqlite_utils.Database(db_path), db_path, final.stderr, 0)
        assert sorted(stored_by_url(crawl)) == sorted(expected(server))
        assert crawl.db.execute("select count(*) from articles").fetchone()[0] == len(
            expected(server)
        )
