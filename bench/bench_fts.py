"""Datasette full-text search and facet latency on a synthetic archive of N articles.

Builds (or reuses) an archive with the real schema (migrations, FTS5 triggers) holding N
articles of realistic length (400-900 words, ~4 KB), then starts a real `broadsheet serve` on
127.0.0.1 and times, over HTTP: full-text searches through the articles table, the `search`
canned query, and a faceted table page. Baseline in the same run: the same FTS5 MATCH query
straight on SQLite (no Datasette). Prints p50/p95 per kind and the ratio.

    .venv/bin/python bench/bench_fts.py --articles 1000000 --db /tmp/bench-1m.db
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive.schema import open_archive
from bench.synthetic_site import COMMON, WORDS

TERMS = ("exports", "spectrum", "fintech", "semiconductors", "freelancers", "budget", "cloud")
# Realistic selectivity: text is drawn from a Zipf-distributed vocabulary of 40,000 word forms
# (as news text is), so a search term matches a few percent of the archive, not all of it.
VOCABULARY = 40_000
SOURCES = tuple(f"outlet-{i}" for i in range(20))
BATCH = 5000


def build(path: Path, articles: int, seed: int = 7) -> None:
    db = open_archive(path)
    have = db["articles"].count
    if have >= articles:
        return
    rng = random.Random(seed + have)
    vocabulary = [*COMMON, *(f"{a}{b}{c}" for a in "bcdfghjklmnpqrstvwz" for b in "aeiou"
                             for c in range(VOCABULARY // 95 + 1))][:VOCABULARY]  # fmt: skip
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]
    cumulative = list(itertools.accumulate(weights))

    def zipf(r: random.Random) -> int:
        return bisect.bisect_left(cumulative, r.random() * cumulative[-1])

    with db.atomic():
        for source in SOURCES:
            db["sources"].insert({"id": source, "name": source, "url": f"https://{source}.example/"},
                                 ignore=True)  # fmt: skip
    conn = db.conn
    start = time.perf_counter()
    for first in range(have, articles, BATCH):
        rows = []
        for n in range(first, min(articles, first + BATCH)):
            words = [
                rng.choice(WORDS) if rng.random() < 0.01 else vocabulary[zipf(rng)]
                for _ in range(rng.randint(400, 900))
            ]
            day = f"20{19 + n % 6}-{1 + n % 12:02d}-{1 + n % 28:02d}T10:00:00+05:00"
            rows.append((
                f"{n:016x}", SOURCES[n % len(SOURCES)], f"https://x.example/{n}",
                " ".join(rng.choice(WORDS) for _ in range(8)).capitalize(), " ".join(words),
                day, "en", day,
            ))  # fmt: skip
        with conn:
            conn.executemany(
                "insert into articles (id, source, url, title, body, published_at, language,"
                " first_seen_at) values (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        done = min(articles, first + BATCH)
        rate = (done - have) / (time.perf_counter() - start)
        print(f"\rbuilding: {done:,}/{articles:,} ({rate:,.0f}/s)", end="", file=sys.stderr)
    print(file=sys.stderr)
    conn.execute("insert into articles_fts(articles_fts) values ('optimize')")
    conn.execute("analyze")
    conn.commit()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed_get(url: str, failures: list[str] | None = None) -> float:
    """Milliseconds for one GET; an HTTP error (e.g. 400 when the SQL time limit interrupts the
    query) is recorded in ``failures`` and its time still counted."""
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=60) as response:  # 127.0.0.1 only
            response.read()
    except urllib.error.HTTPError as exc:
        if failures is None:
            raise
        failures.append(f"{exc.code} {url}")
    return (time.perf_counter() - start) * 1000


def percentiles(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    return f"p50 {statistics.median(values):7.1f} ms  p95 {p95:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/broadsheet-bench-fts.db"))
    parser.add_argument("--queries", type=int, default=60)
    args = parser.parse_args()
    build(args.db, args.articles)
    size = args.db.stat().st_size / 1e9
    print(f"archive: {args.articles:,} articles, {size:.2f} GB ({args.db})")

    rng = random.Random(1)
    queries = [rng.choice(TERMS) + (f" {rng.choice(TERMS)}" if rng.random() < 0.5 else "")
               for _ in range(args.queries)]  # fmt: skip
    conn = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    direct = []
    for q in queries:
        start = time.perf_counter()
        conn.execute(
            "select a.id, a.title from articles a join articles_fts f on a.rowid = f.rowid"
            " where articles_fts match ? order by rank limit 50",
            [q],
        ).fetchall()
        direct.append((time.perf_counter() - start) * 1000)
    conn.close()

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "archive", "serve", "--db", str(args.db), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/broadsheet"
    try:
        for _ in range(200):
            try:
                timed_get(f"http://127.0.0.1:{port}/-/versions.json")
                break
            except OSError:
                time.sleep(0.1)
        results: dict[str, list[float]] = {"table search": [], "canned search": [], "facets": []}
        failed: dict[str, list[str]] = {name: [] for name in results}
        for q in queries:
            quoted = urllib.parse.quote(q)
            results["table search"].append(
                timed_get(f"{base}/articles.json?_search={quoted}", failed["table search"])
            )
            results["canned search"].append(
                timed_get(f"{base}/search.json?q={quoted}", failed["canned search"])
            )
        for _ in range(max(5, args.queries // 6)):
            results["facets"].append(timed_get(
                f"{base}/articles.json?_facet=source&_facet=language&_size=20", failed["facets"]
            ))  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"sqlite FTS5 direct (baseline): {percentiles(direct)}")
    for name, values in results.items():
        ratio = statistics.median(values) / statistics.median(direct)
        print(f"datasette {name:13}: {percentiles(values)}  ({ratio:.1f}x direct p50),"
              f" {len(failed[name])} of {len(values)} failed (SQL time limit)")  # fmt: skip
    print(json.dumps({k: sorted(v)[int(len(v) * 0.95) - 1] for k, v in results.items()}))


if __name__ == "__main__":
    main()
