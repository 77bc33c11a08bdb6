"""Datasette full-text search and facet latency on a synthetic archive of N articles.

Builds (or reuses) an archive with the real schema (migrations, FTS5 triggers) holding N
articles of realistic length (400-900 words, ~4 KB), then starts a real `broadsheet serve` on
127.0.0.1 and times, over HTTP, for the same seeded searches of one or two words: the articles
table's search (JSON, its next page, and the HTML page a reader sees), the `search` canned query
(newest first) and `search_best` (best matches first); then the articles page with its facets.
Baselines in the same run: the same FTS5 MATCH straight on SQLite (no Datasette), best matches
first (`ORDER BY rank`) and newest stored first (`ORDER BY rowid DESC`). Then a few other query
shapes (phrase, prefix, NEAR, OR, NOT, a rare word), and a check that what Datasette returned is
what SQLite returns. Prints p50/p95 per kind, the ratio to the baseline, and the load average.

    .venv/bin/python bench/bench_fts.py --articles 1000000 --db /tmp/bench-1m.db --queries 40
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
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


def generated_vocabulary() -> list[str]:
    """The word forms of the generated text, most frequent first (Zipf: frequency ~ 1/rank)."""
    return [*COMMON, *(f"{a}{b}{c}" for a in "bcdfghjklmnpqrstvwz" for b in "aeiou"
                       for c in range(VOCABULARY // 95 + 1))][:VOCABULARY]  # fmt: skip


def build(path: Path, articles: int, seed: int = 7) -> None:
    db = open_archive(path)
    have = db["articles"].count
    if have >= articles:
        return
    rng = random.Random(seed + have)
    vocabulary = generated_vocabulary()
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


def timed_get(url: str, failures: list[str] | None = None) -> tuple[float, bytes]:
    """Milliseconds for one GET, and the body; an HTTP error (e.g. 400 when the SQL time limit
    interrupts the query) is recorded in ``failures`` and its time still counted."""
    start = time.perf_counter()
    body = b""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:  # 127.0.0.1 only
            body = response.read()
    except urllib.error.HTTPError as exc:
        if failures is None:
            raise
        failures.append(f"{exc.code} {url}")
    return (time.perf_counter() - start) * 1000, body


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * 0.95))]


def percentiles(values: list[float]) -> str:
    return f"p50 {statistics.median(values):7.1f} ms  p95 {p95(values):7.1f} ms"


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (Linux /proc): `broadsheet serve` runs Datasette as a child."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        tree.append(todo.pop())
        todo += parents.get(tree[-1], [])
    return tree


def cpu_and_wait_ns(pids: list[int]) -> tuple[int, int]:
    """Nanoseconds the threads of ``pids`` ran on a CPU, and waited for one (schedstat)."""
    ran = waited = 0
    for pid in pids:
        for schedstat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
            try:
                on_cpu, on_queue, _ = schedstat.read_text().split()
            except (OSError, ValueError):
                continue
            ran, waited = ran + int(on_cpu), waited + int(on_queue)
    return ran, waited


# The table search's order (plugins/broadsheet_search.py) and the two canned queries, straight
# on SQLite, to check that Datasette returned exactly these rows.
CHECK_TABLE = (
    "select id from articles where rowid in (select rowid from articles_fts"
    " where articles_fts match ?) order by rowid desc limit 50"
)
CHECK_NEWEST = (
    "select a.id from articles_fts f join articles a on a.rowid = f.rowid"
    " where articles_fts match ? order by a.published_at desc, a.rowid desc limit 100"
)
CHECK_COUNT = "select count(*) from articles_fts where articles_fts match ?"
DIRECT = {
    "ranked": "select a.id, a.title from articles a join articles_fts f on a.rowid = f.rowid"
    " where articles_fts match ? order by rank limit 50",
    "newest stored": "select a.id, a.title from articles a join articles_fts f"
    " on a.rowid = f.rowid where articles_fts match ? order by f.rowid desc limit 50",
}


def shapes(vocabulary_word: str) -> dict[str, str]:
    """Other query shapes than one or two words, for the canned search and the table search."""
    return {
        "phrase": '"exports cloud"',
        "prefix": "semi*",
        "NEAR": "NEAR(spectrum auction, 5)",
        "OR": "fintech OR semiconductors",
        "NOT": "budget NOT cloud",
        "rare word": vocabulary_word,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/broadsheet-bench-fts.db"))
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=1, help="times to send the searches")
    parser.add_argument(
        "--immutable", action="store_true", help="serve with `broadsheet serve --immutable`"
    )
    args = parser.parse_args()
    build(args.db, args.articles)
    size = sum(p.stat().st_size for p in args.db.parent.glob(args.db.name + "*")) / 1e9
    print(f"archive: {args.articles:,} articles, {size:.2f} GB ({args.db})")
    load_before = os.getloadavg()

    rng = random.Random(1)
    queries = [rng.choice(TERMS) + (f" {rng.choice(TERMS)}" if rng.random() < 0.5 else "")
               for _ in range(args.queries)]  # fmt: skip
    conn = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    direct: dict[str, list[float]] = {name: [] for name in DIRECT}
    direct_cpu: dict[str, list[float]] = {name: [] for name in DIRECT}
    for q in queries:
        for name, sql in DIRECT.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            conn.execute(sql, [q]).fetchall()
            direct[name].append((time.perf_counter() - start) * 1000)
            direct_cpu[name].append((time.process_time() - start_cpu) * 1000)
    # The rarest word form of the generated text (about 1,500 matches in 1M articles).
    rare = generated_vocabulary()[-1]

    port = free_port()
    command = [sys.executable, "-m", "archive", "serve", "--db", str(args.db), "--port", str(port)]
    server = subprocess.Popen(
        command + (["--immutable"] if args.immutable else []),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/broadsheet"
    kinds = ("table search", "table next page", "table search HTML", "canned search",
             "search_best", "facet page", "facet page (as before)")  # fmt: skip
    results: dict[str, list[float]] = {name: [] for name in kinds}
    slowest: dict[str, list[tuple[float, str]]] = {name: [] for name in kinds}
    failed: dict[str, list[str]] = {name: [] for name in kinds}
    wrong: list[str] = []
    shape_times: dict[str, tuple[int, float, float]] = {}

    # What the server itself spent on each request: CPU time (what the request costs on an idle
    # machine) and time spent waiting for a CPU (what the machine's other load added).
    cpu: dict[str, list[float]] = {name: [] for name in kinds}
    waited: dict[str, list[float]] = {name: [] for name in kinds}
    served_by: list[int] = []

    def measure(kind: str, url: str, label: str) -> bytes:
        ran0, waited0 = cpu_and_wait_ns(served_by)
        ms, body = timed_get(url, failed[kind])
        ran1, waited1 = cpu_and_wait_ns(served_by)
        results[kind].append(ms)
        cpu[kind].append((ran1 - ran0) / 1e6)
        waited[kind].append((waited1 - waited0) / 1e6)
        slowest[kind] = sorted([*slowest[kind], (ms, label)], reverse=True)[:3]
        return body

    try:
        for _ in range(200):
            try:
                timed_get(f"http://127.0.0.1:{port}/-/versions.json")
                break
            except OSError:
                time.sleep(0.1)
        served_by += process_tree(server.pid)
        # Warm-up (not counted): the first request of each kind loads templates and plugins.
        for path in ("articles.json?_search=startups", "articles?_search=startups",
                     "search.json?q=startups", "search_best.json?q=startups"):  # fmt: skip
            timed_get(f"{base}/{path}", [])
        for q in queries * args.rounds:
            quoted = urllib.parse.quote(q)
            body = measure("table search", f"{base}/articles.json?_search={quoted}", q)
            page = json.loads(body) if body else {}
            if page.get("next_url"):
                measure("table next page", page["next_url"], q)
            measure("table search HTML", f"{base}/articles?_search={quoted}", q)
            canned = measure("canned search", f"{base}/search.json?_shape=array&q={quoted}", q)
            measure("search_best", f"{base}/search_best.json?_shape=array&q={quoted}", q)
            if body and canned:
                wrong += check(conn, q, page, json.loads(canned))
        # The articles page with its five configured facets, and the URL measured before this
        # page existed, which asks for two of them again (Datasette then computes both twice).
        for _ in range(max(5, args.queries // 6) * args.rounds):
            measure("facet page", f"{base}/articles.json?_size=20", "")
            url = f"{base}/articles.json?_facet=source&_facet=language&_size=20"
            measure("facet page (as before)", url, "")
        for name, q in shapes(rare).items():
            quoted = urllib.parse.quote(q)
            canned_ms = [timed_get(f"{base}/search.json?q={quoted}", [])[0] for _ in range(3)]
            table_ms = [timed_get(f"{base}/articles.json?_search={quoted}&_searchmode=raw", [])[0]
                        for _ in range(3)]  # fmt: skip
            matches = conn.execute(CHECK_COUNT, [q]).fetchone()[0]
            shape_times[f"{name}: {q}"] = (
                matches, statistics.median(canned_ms), statistics.median(table_ms)
            )  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=10)
        for pid in served_by[1:]:  # Datasette, if `broadsheet serve` did not stop it
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        conn.close()
    load_after = os.getloadavg()

    baseline = statistics.median(direct["ranked"])
    for name, values in direct.items():
        print(f"sqlite FTS5 direct, {name:13}: {percentiles(values)};"
              f" CPU {percentiles(direct_cpu[name])}")  # fmt: skip
    for name, values in results.items():
        if not values:
            continue
        ratio = statistics.median(values) / baseline
        print(f"datasette {name:17}: {percentiles(values)}  ({ratio:.2f}x direct ranked p50),"
              f" {len(failed[name])} of {len(values)} failed; slowest: "
              + ", ".join(f"{ms:.0f} ms {label!r}" for ms, label in slowest[name]))  # fmt: skip
    print("server CPU time per request (the latency of an idle machine, less I/O waits),"
          " and time its threads waited for a CPU:")  # fmt: skip
    for name, values in cpu.items():
        if values:
            print(f"  {name:22}: CPU {percentiles(values)}; waited for a CPU:"
                  f" mean {statistics.mean(waited[name]):7.1f} ms")  # fmt: skip
    print("other query shapes (median of 3): matches, canned search, table search")
    for name, (matches, canned_ms, table_ms) in shape_times.items():
        print(f"  {name:38} {matches:>9,}  {canned_ms:7.1f} ms  {table_ms:7.1f} ms")
    print(f"results checked against SQLite: {len(wrong)} differences" + "".join(
        f"\n  {w}" for w in wrong[:10]))  # fmt: skip
    print(
        "load average (1, 5, 15 min) before: {:.2f} {:.2f} {:.2f}, after: {:.2f} {:.2f} {:.2f}"
        " on {} cores".format(*load_before, *load_after, os.cpu_count())
    )
    summary = {name: {"p50": round(statistics.median(v), 1), "p95": round(p95(v), 1),
                      "cpu p50": round(statistics.median(c), 1), "cpu p95": round(p95(c), 1)}
               for name, (v, c) in {
                   **{f"direct {k}": (v, direct_cpu[k]) for k, v in direct.items()},
                   **{k: (v, cpu[k]) for k, v in results.items()}}.items()
               if v}  # fmt: skip
    print(json.dumps(summary))


def check(conn: sqlite3.Connection, q: str, page: dict, canned: list[dict]) -> list[str]:
    """Differences between what Datasette returned for ``q`` and the same rows from SQLite."""
    problems = []
    table_ids = [row[0] for row in conn.execute(CHECK_TABLE, [q])]
    columns = page.get("columns") or []
    rows = page.get("rows") or []
    got = [row["id"] if isinstance(row, dict) else row[columns.index("id")] for row in rows]
    if got != table_ids:
        problems.append(f"table search {q!r}: rows differ")
    newest_ids = [row[0] for row in conn.execute(CHECK_NEWEST, [q])]
    if [row["id"] for row in canned] != newest_ids:
        problems.append(f"canned search {q!r}: rows differ")
    count = conn.execute(CHECK_COUNT, [q]).fetchone()[0]
    if canned and canned[0].get("matches") != count:
        problems.append(f"canned search {q!r}: matches {canned[0].get('matches')} != {count}")
    return problems


if __name__ == "__main__":
    main()
