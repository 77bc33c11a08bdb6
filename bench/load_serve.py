"""Load and concurrency check: Datasette answers searches and page views while the archive is written.

Run from the repo root (everything on 127.0.0.1):

    .venv/bin/python bench/load_serve.py [--requests 2000] [--concurrency 16] [--seconds 60]

What runs, each in its own process:

1. a seeded archive (``--seed-articles`` synthetic articles stored through ``ArchiveWriter``),
   so searches and article pages have something to find from the first request;
2. ``broadsheet serve`` on a free port (the real command: Datasette, our metadata and plugin);
3. ``broadsheet crawl`` of the bundled demo sites (served from this process), the real spider
   and pipelines writing into the same archive;
4. a writer loop storing synthetic articles through ``ArchiveWriter.ingest`` (the crawl's own
   write path, with facts and stories) from the end of the crawl until ``--writer-seconds`` after
   the start, so writes go on for the whole load phase although the demo crawl is short. The
   archive has a single writer at a time (the crawl lock), so the loop follows the crawl;
   ``--concurrent-writer`` runs both at once, which the store does not support (see
   docs/performance.md);
5. the load: ``--concurrency`` threads sending full-text searches (``articles.json?_search=``
   and the ``search`` canned query) and page views (table pages, facets, article pages) until
   ``--requests`` are sent or ``--seconds`` have passed, whichever comes first.

Counted as failures: any response that is not 2xx, and connection errors or time-outs. Counted
separately: "database is locked" in any response body, and in the logs of the server, the crawl
and the writer. Prints p50 / p99 latency per kind of request and overall. Exit status 1 when any
request failed or anything was locked.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

LOCKED = "database is locked"
SEARCH_WORDS = ("rupee", "exports", "startup", "inflation", "remittances", "fintech", "budget",
                "telecom", "funding", '"central bank"', "growth OR deficit", "invest*")  # fmt: skip
VOCABULARY = (
    "economy growth inflation rupee dollar exports imports remittances startup funding venture "
    "capital investors fintech digital payments central bank policy rate percent billion million "
    "quarter fiscal budget deficit revenue tax telecom broadband software services freelancers "
    "ministry regulator market shares index exchange profit earnings company founders platform "
    "users analysts report data period Karachi Lahore Dhaka Nairobi Lagos Jakarta the of in and"
)
SYNTHETIC_SOURCE = "synthetic"


# --- synthetic articles through the real writer --------------------------------------------------


def _synthetic(n: int, rng: random.Random) -> tuple[Any, Any]:
    from pipelines.models import Extracted, FetchedPage, PageKind

    words = VOCABULARY.split()
    paragraphs = [" ".join(rng.choices(words, k=60)).capitalize() + "." for _ in range(8)]
    body = f"Story {n} reports {rng.randint(2, 90)} percent growth in exports.\n\n" + "\n\n".join(
        paragraphs
    )
    now = datetime.now(UTC).isoformat(timespec="seconds")
    url = f"https://{SYNTHETIC_SOURCE}.example/news/{n}-{rng.randrange(10**9)}"
    extracted = Extracted(
        kind=PageKind.ARTICLE, kind_reason="synthetic", title=f"Synthetic story {n}",
        authors=["Load Writer"], published_at=now, published_method="meta", body=body,
        language="en",
    )  # fmt: skip
    return FetchedPage(url=url, source_id=SYNTHETIC_SOURCE, body=b"", fetched_at=now), extracted


def _writer(db_path: Path) -> tuple[Any, Any]:
    from archive.schema import open_archive
    from pipelines.extract import EXTRACTOR_VERSION
    from pipelines.models import Source
    from pipelines.store import ArchiveWriter

    writer = ArchiveWriter(open_archive(db_path), EXTRACTOR_VERSION)
    source = Source(id=SYNTHETIC_SOURCE, url=f"https://{SYNTHETIC_SOURCE}.example/",
                    name="Synthetic load writer")  # fmt: skip
    writer.upsert_sources((source,), datetime.now(UTC).isoformat(timespec="seconds"))
    return writer, source


def seed(db_path: Path, count: int) -> list[str]:
    """Store ``count`` synthetic articles; return their ids."""
    writer, source = _writer(db_path)
    rng = random.Random(1)
    ids = []
    for n in range(count):
        page, extracted = _synthetic(n, rng)
        result = writer.ingest(page, extracted, source)
        if result is not None and result.article_id:
            ids.append(result.article_id)
    writer.db.close()
    return ids


def writer_loop(db_path: Path, deadline: float) -> None:
    """The writer process: store articles until ``deadline`` (epoch seconds); print counts as JSON."""
    writer, source = _writer(db_path)
    rng = random.Random(os.getpid())
    written = locked = 0
    errors: list[str] = []
    for n in itertools.count(1_000_000):
        if time.time() >= deadline:
            break
        page, extracted = _synthetic(n, rng)
        try:
            writer.ingest(page, extracted, source)
            written += 1
        except sqlite3.OperationalError as exc:
            locked += LOCKED in str(exc)
            errors.append(str(exc))
    print(json.dumps({"written": written, "locked": locked, "errors": errors[:5]}), flush=True)


# --- processes -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop_group(proc: subprocess.Popen[Any], timeout: float = 20) -> None:
    """Stop a process started with ``start_new_session`` and its children (Datasette, workers)."""
    if proc.poll() is not None:
        return
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=timeout)
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def running(cmd: list[str], log: Path) -> Iterator[subprocess.Popen[Any]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            yield proc
        finally:
            stop_group(proc)


def wait_until_up(base: str, proc: subprocess.Popen[Any], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{base}/-/versions.json", timeout=5):
                return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
                raise RuntimeError(f"broadsheet serve did not come up:\n{tail}") from None
            time.sleep(0.2)


# --- the load ------------------------------------------------------------------------------------


@dataclass
class Result:
    kind: str
    path: str
    status: int  # 0: no response (connection error, time-out)
    seconds: float
    locked: bool
    error: str = ""


def request_plan(rng: random.Random, article_ids: list[str]) -> Iterator[tuple[str, str]]:
    """An endless, seeded mix of (kind, path): half searches, half page views."""
    quote = urllib.parse.quote
    while True:
        word = rng.choice(SEARCH_WORDS)
        choice = rng.randrange(10)
        if choice < 3:
            yield "search", f"/broadsheet/articles.json?_search={quote(word)}&_size=20"
        elif choice < 5:
            yield "canned search", f"/broadsheet/search.json?q={quote(word)}"
        elif choice < 7:
            yield "article page", f"/broadsheet/articles/{rng.choice(article_ids)}"
        else:
            yield "table page", rng.choice((
                "/broadsheet/articles", "/broadsheet/articles?_facet=source",
                f"/broadsheet/articles?source={SYNTHETIC_SOURCE}", "/broadsheet/crawl_runs",
                "/broadsheet/sources", "/broadsheet/pages?kind=article", "/broadsheet",
            ))  # fmt: skip


def fetch(base: str, kind: str, path: str) -> Result:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(base + path, timeout=30) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        body, status = exc.read(), exc.code
    except OSError as exc:
        return Result(kind, path, 0, time.perf_counter() - started, False, repr(exc))
    seconds = time.perf_counter() - started
    locked = LOCKED.encode() in body
    error = "" if 200 <= status < 300 else body[:300].decode("utf-8", "replace")
    return Result(kind, path, status, seconds, locked, error)


def load(base: str, plan: Iterator[tuple[str, str]], requests: int, concurrency: int,
         seconds: float) -> list[Result]:  # fmt: skip
    """Send up to ``requests`` requests from ``concurrency`` threads, for at most ``seconds``."""
    lock = threading.Lock()
    sent = itertools.count()
    deadline = time.monotonic() + seconds
    results: list[Result] = []

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                if next(sent) >= requests:
                    return
                kind, path = next(plan)
            result = fetch(base, kind, path)
            with lock:
                results.append(result)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    with lock:
        return list(results)


# --- the whole run -------------------------------------------------------------------------------


@dataclass
class LoadReport:
    requests: int = 0
    failed: int = 0
    locked_responses: int = 0
    locked_in_logs: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    by_kind: dict[str, dict[str, float]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    rows_before: int = 0
    rows_after_load: int = 0
    crawl_returncode: int | None = None
    crawl_running_at_load_end: bool = False
    writer: dict[str, Any] = field(default_factory=dict)

    @property
    def locked(self) -> int:
        return self.locked_responses + sum(self.locked_in_logs.values())

    @property
    def writes_during_load(self) -> int:
        return self.rows_after_load - self.rows_before


def _percentiles(values: list[float]) -> tuple[float, float, float]:
    if not values:
        return 0.0, 0.0, 0.0
    if len(values) == 1:
        return values[0] * 1000, values[0] * 1000, values[0] * 1000
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[98] * 1000, max(values) * 1000


def _rows_written(db_path: Path) -> int:
    """Rows of the tables every write touches: articles, pages (every fetch) and crawl runs."""
    conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        return int(conn.execute(
            "select (select count(*) from articles) + (select count(*) from pages)"
            " + (select count(*) from crawl_runs)"
        ).fetchone()[0])  # fmt: skip
    finally:
        conn.close()


def _wait_for_writes(db_path: Path, before: int, timeout: float = 30) -> None:
    """Return once something has been written (the crawl has started), or after ``timeout``."""
    deadline = time.monotonic() + timeout
    while _rows_written(db_path) == before and time.monotonic() < deadline:
        time.sleep(0.1)


def run_load(
    workdir: Path,
    *,
    requests: int,
    concurrency: int,
    seconds: float,
    writer_seconds: float | None = None,
    seed_articles: int = 300,
    crawl: bool = True,
    writer: bool = True,
    concurrent_writer: bool = False,
    crawl_timeout: float = 300,
) -> LoadReport:
    """Everything described in the module docstring; returns the figures."""
    from archive.cli import LOCAL_CRAWL_SETTINGS
    from demo_sites.catalog import write_sources_toml
    from demo_sites.server import DemoServer

    workdir.mkdir(parents=True, exist_ok=True)
    db_path = workdir / "archive.db"
    article_ids = seed(db_path, seed_articles)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    python = sys.executable
    report = LoadReport()
    logs = {"server": workdir / "serve.log", "crawl": workdir / "crawl.log",
            "writer": workdir / "writer.log"}  # fmt: skip
    serve_cmd = [python, "-m", "archive", "serve", "--db", str(db_path), "--port", str(port)]
    with DemoServer() as sites, running(serve_cmd, logs["server"]) as server:
        wait_until_up(base, server, logs["server"])
        sources = write_sources_toml(sites, workdir / "sources.toml")
        crawl_cmd = [python, "-m", "archive", "crawl", "--sources", str(sources),
                     "--db", str(db_path), *LOCAL_CRAWL_SETTINGS]  # fmt: skip
        deadline = time.time() + (writer_seconds if writer_seconds is not None else seconds)
        writer_cmd = [python, str(Path(__file__).resolve()), "_writer", str(db_path), str(deadline)]
        with running(crawl_cmd if crawl else [python, "-c", "pass"], logs["crawl"]) as crawler:
            writing: list[subprocess.Popen[Any]] = []

            def start_writer() -> None:
                # The archive has one writer at a time (ArchiveWriter, the crawl lock): by default
                # the writer loop takes over when the crawl ends and writes until the deadline.
                if not concurrent_writer:
                    crawler.wait()
                out = logs["writer"].open("wb")
                writing.append(subprocess.Popen(writer_cmd, stdout=out, stderr=subprocess.STDOUT,
                                                start_new_session=True))  # fmt: skip
                out.close()

            starter = threading.Thread(target=start_writer, daemon=True)
            if writer:
                starter.start()
            _wait_for_writes(db_path, _rows_written(db_path))
            report.rows_before = _rows_written(db_path)
            started = time.perf_counter()
            results = load(base, request_plan(random.Random(7), article_ids), requests,
                           concurrency, seconds)  # fmt: skip
            report.seconds = time.perf_counter() - started
            report.rows_after_load = _rows_written(db_path)
            report.crawl_running_at_load_end = crawl and crawler.poll() is None
            report.crawl_returncode = crawler.wait(timeout=crawl_timeout) if crawl else None
            if writer:
                starter.join(timeout=crawl_timeout)
                for proc in writing:
                    try:
                        proc.wait(timeout=max(0.0, deadline - time.time()) + 120)
                    finally:
                        stop_group(proc)
    if writer:
        lines = logs["writer"].read_text(encoding="utf-8", errors="replace").splitlines()
        report.writer = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {
            "error": "\n".join(lines[-20:])
        }  # fmt: skip
    report.locked_in_logs = {
        name: path.read_text(encoding="utf-8", errors="replace").count(LOCKED)
        for name, path in logs.items()
        if path.exists()
    }
    report.requests = len(results)
    report.failed = sum(1 for r in results if not 200 <= r.status < 300)
    report.locked_responses = sum(r.locked for r in results)
    report.failures = [f"{r.status} {r.path} {r.error[:200]}" for r in results if r.error][:10]
    report.p50_ms, report.p99_ms, report.max_ms = _percentiles([r.seconds for r in results])
    for kind in sorted({r.kind for r in results}):
        times = [r.seconds for r in results if r.kind == kind]
        p50, p99, worst = _percentiles(times)
        report.by_kind[kind] = {"requests": len(times), "p50_ms": p50, "p99_ms": p99,
                                "max_ms": worst}  # fmt: skip
    return report


def print_report(report: LoadReport, concurrency: int) -> None:
    rate = report.requests / report.seconds if report.seconds else 0.0
    print(f"{report.requests} requests, concurrency {concurrency}, {report.seconds:.1f} s "
          f"({rate:.0f} requests/s)")  # fmt: skip
    print(f"failed requests (non-2xx or no response): {report.failed}")
    print(
        f'"database is locked": {report.locked_responses} in responses, '
        + ", ".join(f"{n} in the {name} log" for name, n in report.locked_in_logs.items())
    )
    print(f"latency: p50 {report.p50_ms:.0f} ms, p99 {report.p99_ms:.0f} ms, "
          f"max {report.max_ms:.0f} ms")  # fmt: skip
    for kind, figures in report.by_kind.items():
        print(f"  {kind:<14} {figures['requests']:>6.0f} requests  p50 {figures['p50_ms']:6.0f} ms"
              f"  p99 {figures['p99_ms']:6.0f} ms  max {figures['max_ms']:6.0f} ms")  # fmt: skip
    print(f"rows written (articles + pages + crawl_runs) while the load ran: "
          f"{report.writes_during_load} "
          f"({report.rows_before} → {report.rows_after_load}); "
          f"writer: {report.writer}; crawl exit status: {report.crawl_returncode}"
          + (" (still crawling when the load ended)" if report.crawl_running_at_load_end else ""))  # fmt: skip
    for failure in report.failures:
        print(f"  failure: {failure}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_writer":
        writer_loop(Path(sys.argv[2]), float(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests to send at most")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=60, help="load phase time limit")
    parser.add_argument("--writer-seconds", type=float,
                        help="how long the writer loop writes (default: --seconds)")  # fmt: skip
    parser.add_argument("--seed-articles", type=int, default=300)
    parser.add_argument("--no-crawl", action="store_true", help="no demo crawl")
    parser.add_argument("--no-writer", action="store_true", help="no synthetic writer loop")
    parser.add_argument("--concurrent-writer", action="store_true",
                        help="start the writer loop with the crawl: two writers at once, which "
                        "Broadsheet does not support (default: the writer follows the crawl)")  # fmt: skip
    parser.add_argument("--workdir", type=Path, help="keep the archive and logs here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="load-serve-") as tmp:
        report = run_load(
            args.workdir or Path(tmp), requests=args.requests, concurrency=args.concurrency,
            seconds=args.seconds, writer_seconds=args.writer_seconds,
            seed_articles=args.seed_articles, crawl=not args.no_crawl, writer=not args.no_writer,
            concurrent_writer=args.concurrent_writer,
        )  # fmt: skip
    print_report(report, args.concurrency)
    sys.exit(1 if report.failed or report.locked else 0)


if __name__ == "__main__":
    main()
