"""Time and peak memory of `broadsheet export` (CSV) over 100k and 1M articles, against baselines.

Run from the repo root (takes a few minutes and ~7 GB of disk in a temporary folder):

    .venv/bin/python bench/bench_export.py [--rows 1000000] [--small 100000]

1. Builds a synthetic archive with the real schema (``open_archive``) and ``--rows`` articles
   with realistic bodies (~3 KB of text drawn from an economics vocabulary, each body distinct),
   bulk-inserted with ``executemany``. The full-text triggers are dropped in this scratch copy
   only, since indexing 3 GB of text would dominate set-up and the export never reads the index.
2. Exports the first ``--small`` rows and then all ``--rows`` rows to a CSV file with:

   - **broadsheet**: the real command, ``python -m archive export --sql ... -o FILE``, a child
     process (defaults: formula neutralisation on, progress display on);
   - **sqlite3 CLI**: ``sqlite3 -readonly -csv -header DB "select ..." > FILE``, SQLite's own C
     CSV writer: the speed floor for writing the same rows (it neutralises nothing);
   - **naive Python**: ``csv.writer(f).writerows(conn.execute(sql).fetchall())``, the obvious
     few lines of Python, which hold every row in memory: the memory baseline;
   - **broadsheet, traced**: ``archive.export.export`` under ``tracemalloc``, whose peak counts
     Python allocations only (no interpreter, libraries or SQLite page cache), a second view of
     flatness. Slower than the untraced run, so its time is not reported as a speed figure.

   Each measurement runs in its own process; peak memory is the kernel's high-water mark of that
   program's resident set (``VmHWM``; read at the end in-process, or every 20 ms for a command:
   it only grows, so the last reading holds the peak). The CSV goes to a real file, which is
   deleted after each run.
3. Prints a table, the broadsheet / sqlite3 time ratio, and the 1M / 100k peak-memory ratio of
   each method (1.0 = flat).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

SEED = 20240501
VOCABULARY = (
    "economy growth inflation rupee dollar exports imports remittances startup funding venture "
    "capital investors fintech digital payments bank central policy rate percent billion million "
    "quarter fiscal year budget deficit surplus revenue tax telecom broadband mobile internet "
    "software services outsourcing freelancers IT sector ministry government regulator approval "
    "market shares index stock exchange trading profit loss earnings company firm founders "
    "e-commerce logistics delivery platform users subscribers growth slowed rose fell climbed "
    "according analysts said report data showed compared previous period year-on-year monthly "
    "Karachi Lahore Islamabad Dhaka Nairobi Lagos Jakarta Manila Hanoi Bangalore Cairo Dubai "
    "semiconductor cloud data centre electricity prices energy supply chain manufacturing "
    "agreement partnership acquisition merger valuation round seed series led by participation "
    "the a of in to and for on with by at from as that which while after before over under"
)
WORDS: tuple[str, ...] = tuple(VOCABULARY.split())


def high_water_mb(pid: int | str = "self") -> float | None:
    """VmHWM of a process: the peak resident set of its current program, in MiB.

    Not ``ru_maxrss``: Linux carries that across ``exec``, so a child started by a big parent
    (through vfork) reports the parent's peak. VmHWM belongs to the program's own address space.
    """
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return None  # exited meanwhile
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    return None


def run_sampled(cmd: list[str], stdout: Any) -> float:
    """Run ``cmd`` to the end; return its peak resident set (MiB), read every 20 ms.

    VmHWM only grows, so the last reading before exit holds the peak up to that moment.
    """
    proc = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.DEVNULL)
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, high_water_mb(proc.pid) or 0.0)
        time.sleep(0.02)
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, cmd)
    return peak


# --- the synthetic archive -----------------------------------------------------------------------


def body_pool(rng: random.Random, count: int = 512, size: int = 3000) -> list[str]:
    pool = []
    for _ in range(count):
        paragraphs: list[str] = []
        length = 0
        while length < size:
            words = rng.choices(WORDS, k=rng.randint(40, 90))
            words[0] = words[0].capitalize()
            paragraph = " ".join(words) + "."
            paragraphs.append(paragraph)
            length += len(paragraph) + 2
        pool.append("\n\n".join(paragraphs))
    return pool


def build_archive(path: Path, rows: int) -> float:
    """Write ``rows`` synthetic articles into a new archive at ``path``; return the seconds."""
    from archive.schema import open_archive

    started = time.perf_counter()
    open_archive(path).close()
    rng = random.Random(SEED)
    pool = body_pool(rng)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    for trigger in ("articles_ai", "articles_ad", "articles_au"):
        conn.execute(f"drop trigger if exists {trigger}")
    sources = [f"outlet-{n}" for n in range(8)]
    conn.executemany("insert into sources (id, name, url) values (?, ?, ?)",
                     [(s, s.title(), f"https://{s}.example/") for s in sources])  # fmt: skip
    sql = (
        "insert into articles (id, source, url, canonical_url, title, authors, published_at, "
        "published_method, body, description, language, word_count, content_hash, fetched_at, "
        "extractor_version) values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
    )
    chunk = 20_000
    for start in range(0, rows, chunk):
        batch = []
        for n in range(start, min(start + chunk, rows)):
            source = sources[n % len(sources)]
            url = f"https://{source}.example/news/{n}"
            # Distinct bodies: a unique lead sentence on a pooled text, shifted per row.
            lead = f"Story {n}: {' '.join(rng.choices(WORDS, k=12))}."
            base = pool[n % len(pool)]
            cut = (n * 37) % 400
            body = f"{lead}\n\n{base[cut:]}{base[:cut]}"
            day = n % 1500
            published = f"{2021 + day // 365}-{day % 12 + 1:02d}-{day % 28 + 1:02d}T08:30:00+05:00"
            # One description in ten starts with "-" or "=": exercises formula neutralisation.
            description = ("-3% quarter on quarter" if n % 20 == 0 else
                           "=consensus forecast" if n % 20 == 10 else lead)  # fmt: skip
            batch.append((
                f"{n:016x}", source, url, url, f"Headline {n} " + " ".join(rng.choices(WORDS, k=8)),
                '["A. Writer"]', published, "json-ld", body, description, "en",
                len(body.split()), f"{n * 2654435761 % 2**64:016x}", "2024-06-01T00:00:00+00:00",
                "1.0.0",
            ))  # fmt: skip
        with conn:
            conn.executemany(sql, batch)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return time.perf_counter() - started


# --- one measurement (run in a child process) ----------------------------------------------------


def measure(kind: str, db: Path, rows: int, out: Path) -> dict[str, Any]:
    sql = f"select * from articles where rowid <= {rows}"
    started = time.perf_counter()
    traced_peak = None
    if kind == "broadsheet":
        cmd = [sys.executable, "-m", "archive", "export", "--db", str(db), "--sql", sql,
               "-o", str(out)]  # fmt: skip
        peak = run_sampled(cmd, subprocess.DEVNULL)
    elif kind == "sqlite3":
        with out.open("wb") as f:
            peak = run_sampled(["sqlite3", "-readonly", "-csv", "-header", str(db), sql], f)
    elif kind == "naive":
        conn = sqlite3.connect(db)
        cursor = conn.execute(sql)
        with out.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow([d[0] for d in cursor.description])
            writer.writerows(cursor.fetchall())
        conn.close()
        peak = high_water_mb() or 0.0
    elif kind == "traced":
        from archive.export import export

        tracemalloc.start()
        with out.open("w", encoding="utf-8", newline="") as f:
            export(db, f, fmt="csv", sql=sql)
        traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        peak = high_water_mb() or 0.0
    else:
        raise ValueError(kind)
    seconds = time.perf_counter() - started
    with out.open("rb") as f:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 24), b""))
    return {"kind": kind, "rows": rows, "seconds": seconds, "peak_rss_mb": peak,
            "traced_peak_mb": traced_peak, "csv_bytes": out.stat().st_size, "lines": lines}  # fmt: skip


def run_child(kind: str, db: Path, rows: int, out: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "_measure", kind, str(db), str(rows), str(out)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    out.unlink(missing_ok=True)
    return json.loads(proc.stdout)


# --- main ----------------------------------------------------------------------------------------

LABELS = {
    "broadsheet": "broadsheet export (command)",
    "sqlite3": "sqlite3 CLI .mode csv",
    "naive": "naive csv.writer(fetchall())",
    "traced": "broadsheet export, tracemalloc",
}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_measure":
        _, _, kind, db, rows, out = sys.argv
        print(json.dumps(measure(kind, Path(db), int(rows), Path(out))))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the big export")
    parser.add_argument("--small", type=int, default=100_000, help="rows in the small export")
    parser.add_argument("--workdir", type=Path, help="keep the archive here (default: temporary)")
    parser.add_argument("--kinds", default="broadsheet,sqlite3,naive,traced",
                        help="comma-separated methods to measure")  # fmt: skip
    args = parser.parse_args()
    kinds = [k for k in args.kinds.split(",") if k]
    if "sqlite3" in kinds and shutil.which("sqlite3") is None:
        print("sqlite3 CLI not found (apt-get install sqlite3): skipping that baseline")
        kinds.remove("sqlite3")

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-export-"))
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "bench.db"
    try:
        if not db.exists():
            seconds = build_archive(db, args.rows)
            print(f"built {args.rows:,} articles ({db.stat().st_size / 2**30:.2f} GiB) "
                  f"in {seconds:.1f} s")  # fmt: skip
        results: dict[tuple[str, int], dict[str, Any]] = {}
        for rows in (args.small, args.rows):
            for kind in kinds:
                result = run_child(kind, db, rows, workdir / "out.csv")
                if result["lines"] < rows + 1:
                    raise SystemExit(f"{kind}: {result['lines']} lines for {rows} rows")
                results[(kind, rows)] = result
                traced = result["traced_peak_mb"]
                print(
                    f"{LABELS[kind]:<32} {rows:>9,} rows  {result['seconds']:7.1f} s  "
                    f"peak RSS {result['peak_rss_mb']:7.1f} MiB"
                    + (f"  traced peak {traced:6.1f} MiB" if traced is not None else "")
                    + f"  CSV {result['csv_bytes'] / 2**30:.2f} GiB",
                    flush=True,
                )
        print()
        big, small = args.rows, args.small
        if ("broadsheet", big) in results and ("sqlite3", big) in results:
            ratio = results[("broadsheet", big)]["seconds"] / results[("sqlite3", big)]["seconds"]
            print(f"time, broadsheet / sqlite3 CLI at {big:,} rows: {ratio:.2f}x")
        if ("broadsheet", big) in results and ("naive", big) in results:
            ratio = results[("broadsheet", big)]["seconds"] / results[("naive", big)]["seconds"]
            print(f"time, broadsheet / naive Python at {big:,} rows: {ratio:.2f}x")
        for kind in kinds:
            a, b = results[(kind, small)], results[(kind, big)]
            line = f"peak RSS {big:,} / {small:,} rows, {LABELS[kind]}: "
            line += f"{b['peak_rss_mb'] / a['peak_rss_mb']:.2f}"
            if a["traced_peak_mb"]:
                line += f" (traced Python peak: {b['traced_peak_mb'] / a['traced_peak_mb']:.2f})"
            print(line)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
