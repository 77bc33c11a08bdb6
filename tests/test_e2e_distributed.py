"""Distributed mode: a real redis-server, two crawler processes and one writer against the demo
sites. No URL may be fetched twice, no article lost or stored twice, and no page robots.txt
disallows requested, even when the shared frontier holds links to such pages."""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis
import sqlite_utils
from protego import Protego
from scrapy import Request
from scrapy_redis import picklecompat
from scrapy_redis.queue import PriorityQueue

from archive.cli import LOCAL_CRAWL_SETTINGS
from archive.ingest import processing_key
from crawler.distributed import ITEMS_KEY, run_keys
from demo_sites.catalog import outlets, write_sources_toml
from demo_sites.server import DemoServer
from tests.test_e2e_crawl import Crawl, expected, stored_by_url

pytestmark = pytest.mark.e2e


# A little politeness, so that the demo's 200 pages are not all fetched by the first worker to
# start before the second has imported Scrapy: both must take part for the test to mean much.
SHARED_PACE = ("--set", "DOWNLOAD_DELAY=0.05", "--set", "CONCURRENT_REQUESTS_PER_DOMAIN=1")


def start_worker(
    redis_url: str, sources: Path, workdir: Path, settings: tuple[str, ...] = ()
) -> subprocess.Popen[str]:
    """A worker of the run "e2e"; its log goes to a file (a pipe nobody reads could stall it)."""
    workdir.mkdir()
    with (workdir / "crawl.log").open("w") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "archive", "crawl", "--redis", redis_url, "--run-name", "e2e",
             "--sources", str(sources), "--db", str(workdir / "none.db"), *LOCAL_CRAWL_SETTINGS,
             *SHARED_PACE, *settings],
            stdout=subprocess.DEVNULL, stderr=log, text=True,
        )  # fmt: skip


SEEDED_PER_SITE = 6


def seed_frontier(
    client: redis.Redis, server: DemoServer, per_site: int = SEEDED_PER_SITE
) -> list[str]:
    """Links to robots.txt-disallowed pages, queued in the run's shared frontier the way a worker
    that found them before it had read robots.txt queued them, ahead of everything else.

    Whichever worker pops them has not read robots.txt yet either, and takes several at once for
    one host: Scrapy's robots middleware let all but two of those through unchecked
    (crawler/robots.py). They carry no callback: nothing of the spider is involved.
    """
    queue = PriorityQueue(
        client, SimpleNamespace(name="news"), run_keys("e2e")["SCHEDULER_QUEUE_KEY"], picklecompat
    )
    urls = []
    for outlet in outlets():
        page = server.base_urls[outlet.id] + outlet.traps.disallowed
        for i in range(per_site):
            urls.append(f"{page}?copy={i}")
            queue.push(Request(urls[-1], priority=100, meta={"source": outlet.id}))
    return urls


@contextlib.contextmanager
def reaped(processes: list[subprocess.Popen[str]]) -> Iterator[None]:
    """Kill whatever is still running when the block ends, a failed assertion included."""
    try:
        yield
    finally:
        for proc in processes:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def disallowed_requests(server: DemoServer) -> list[tuple[str, str]]:
    """Every request the demo sites answered that their robots.txt disallows."""
    found = []
    for outlet in outlets():
        robots = Protego.parse(server.respond(outlet.id, "/robots.txt").body.decode())
        base = server.base_urls[outlet.id]
        for _, path, _ in server.requests_for(outlet.id):
            if not robots.can_fetch(base + path, "Broadsheet"):
                found.append((outlet.id, path))
    return found


@dataclasses.dataclass
class DistributedRun:
    worker_logs: list[str]
    writer_log: str
    db_path: Path


def run_distributed(
    tmp_path: Path, redis_url: str, server: DemoServer, *settings: str, seed: bool = True
) -> DistributedRun:
    """One writer and two workers of the run "e2e" on the demo sites, to the end; the writer is
    stopped once it has applied every message."""
    db_path = tmp_path / "archive.db"
    client = redis.Redis.from_url(redis_url)
    sources = write_sources_toml(server, tmp_path / "sources.toml")
    # The writer runs until stopped, as in production: ended by the test once the workers
    # are done and it has applied every message (an --idle-exit shorter than a busy worker's
    # silences, e.g. its idle grace and shutdown before its run's counts, would end it early).
    writer_log = tmp_path / "ingest.log"
    with writer_log.open("w") as log:
        writer = subprocess.Popen(
            [sys.executable, "-m", "archive", "ingest", "--redis", redis_url,
             "--sources", str(sources), "--db", str(db_path)],
            stdout=log, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    if seed:
        seed_frontier(client, server)
    workers = [start_worker(redis_url, sources, tmp_path / f"w{i}", settings) for i in range(2)]
    logs = []
    with reaped([writer, *workers]):
        for i, worker in enumerate(workers):
            worker.wait(timeout=300)
            logs.append((tmp_path / f"w{i}" / "crawl.log").read_text())
            assert worker.returncode == 0, logs[-1][-3000:]
        deadline = time.monotonic() + 120
        while client.llen(ITEMS_KEY) or client.llen(processing_key(ITEMS_KEY)):
            assert writer.poll() is None, writer_log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the writer did not apply every message"
            time.sleep(0.2)
        assert writer.poll() is None, writer_log.read_text()[-3000:]
        writer.send_signal(signal.SIGINT)  # Ctrl-C: every message is applied and committed
        writer.wait(timeout=60)
    return DistributedRun(logs, writer_log.read_text(), db_path)


def test_two_workers_and_one_writer(tmp_path, redis_url):
    with DemoServer() as server:
        run = run_distributed(tmp_path, redis_url, server)
        seeded = len(outlets()) * SEEDED_PER_SITE
        refused = sum(
            int(n)
            for log in run.worker_logs
            for n in re.findall(r"'robotstxt/forbidden': (\d+)", log)
        )
        db_path, writer_err = run.db_path, run.writer_log

        # Each process fetches robots.txt for Scrapy's own robots middleware; every other URL
        # must have been fetched once in the whole run.
        fetched = collections.Counter(
            (outlet, path)
            for outlet in server.base_urls
            for _, path, _ in server.requests_for(outlet)
            if path != "/robots.txt"
        )
        assert not [key for key, n in fetched.items() if n > 1]

        db = sqlite_utils.Database(db_path)
        crawl = Crawl(server, db, db_path, writer_err, 0)
        want, found = expected(server), stored_by_url(crawl)
        assert set(found) == set(want), sorted(set(want) - set(found))
        assert len({row["id"] for row in found.values()}) == len(want)  # none merged
        # No article twice: within a source, every row has its own body.
        assert (
            db.execute("select count(*) from articles").fetchone()[0]
            == db.execute("select count(distinct source || content_hash) from articles").fetchone()[
                0
            ]
        )
        # robots.txt is obeyed by every worker: no disallowed page was even requested, neither
        # the links seeded in the frontier (each refused by a worker's robots gate) nor any link
        # a worker found.
        assert not disallowed_requests(server)
        assert refused >= seeded
        runs = list(db["crawl_runs"].rows)
        assert len({r["run_id"] for r in runs}) == 2  # one per worker
        assert all(r["status"] == "ok" for r in runs), runs
        # Both workers did part of the work.
        per_worker = collections.Counter(r["run_id"] for r in runs if r["pages_fetched"])
        assert len(per_worker) == 2


BUDGET = 12  # requests per source for the whole run: well under each demo site's pages


def test_the_request_budget_bounds_the_run_not_each_worker(tmp_path, redis_url):
    """With BROADSHEET_MAX_REQUESTS_PER_SOURCE = 12, the two workers together make at most 12
    requests per demo site (robots.txt, which each process reads for Scrapy, aside). With a
    budget per worker they made up to 24, and a link both workers found cost both budgets."""
    with DemoServer() as server:
        run = run_distributed(
            tmp_path, redis_url, server,
            "--set", f"BROADSHEET_MAX_REQUESTS_PER_SOURCE={BUDGET}", seed=False,
        )  # fmt: skip
        for outlet in outlets():
            paths = [p for _, p, _ in server.requests_for(outlet.id) if p != "/robots.txt"]
            assert 0 < len(paths) <= BUDGET, (outlet.id, paths)
            assert len(paths) == len(set(paths)), outlet.id
        over = [int(n) for log in run.worker_logs for n in re.findall(r"/over_budget': (\d+)", log)]
        assert sum(over) > 0  # the budget was reached, so the bound above was tested
        runs = list(sqlite_utils.Database(run.db_path)["crawl_runs"].rows)
        assert {r["run_id"] for r in runs if r["pages_fetched"]} and all(
            r["status"] in ("ok", "partial") for r in runs
        ), runs
