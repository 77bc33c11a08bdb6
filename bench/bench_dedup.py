"""Per-article cost and memory of the whole dedup step against archives of growing size.

For each size N: an archive with N signatures already stored (bulk-inserted), then, timed
separately, ``StoryIndex.load`` (rebuild of the LSH from SQLite), the per-article step for
``--new`` fresh synthetic articles: canonicalise URL + id + content hash (``build_record``),
MinHash, LSH query, verification, LSH insert, signature/story rows in SQLite (``assign``), and
the merge of the waiting band entries into the sorted band arrays (done every
``compact_every`` inserts, so amortised over that many articles).
Each size runs in its own process so its peak RSS is its own. Run from the repo root:

    .venv/bin/python bench/bench_dedup.py --sizes 10000,100000,1000000 [--new 1000]

The pre-existing signatures are random MinHash values (what signatures of unrelated bodies look
like to the LSH) so that a million can be written in seconds; the new articles are real
synthetic bodies, a tenth of them copies of earlier new ones, so verification is exercised.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from archive.schema import open_archive
from pipelines.dedup import build_record
from pipelines.models import Extracted, FetchedPage, PageKind
from pipelines.stories import StoryConfig, StoryIndex

SEED = 20240301


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def vocabulary(rng: np.random.Generator, size: int = 20_000) -> np.ndarray:
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    lengths = rng.integers(2, 11, size)
    return np.array(["".join(rng.choice(letters, n)) for n in lengths])


def synthetic_bodies(count: int, rng: np.random.Generator) -> list[str]:
    vocab = vocabulary(rng)
    weights = 1.0 / np.arange(1, vocab.size + 1)  # Zipf-like, as in real text
    weights /= weights.sum()
    bodies: list[str] = []
    for n in range(count):
        if n >= 10 and n % 10 == 0:  # a syndicated copy of an earlier new article
            source = bodies[int(rng.integers(0, len(bodies)))]
            bodies.append("Reuters reports. " + source.rsplit("\n\n", 1)[0])
            continue
        length = int(rng.integers(200, 600))
        tokens = vocab[rng.choice(vocab.size, length, p=weights)].tolist()
        for i in rng.choice(length, length // 15, replace=False):  # names and figures
            tokens[i] = tokens[i].capitalize() if i % 2 else str(int(rng.integers(1, 10_000)))
        paragraphs = [" ".join(tokens[i : i + 60]) + "." for i in range(0, length, 60)]
        bodies.append("\n\n".join(paragraphs))
    return bodies


def bulk_signatures(db, count: int, config: StoryConfig, rng: np.random.Generator) -> None:
    header = struct.pack("<qiB", config.seed, -config.num_perm, 1)  # LeanMinHash affine32
    chunk = 50_000
    for start in range(0, count, chunk):
        n = min(chunk, count - start)
        values = rng.integers(0, 2**32, size=(n, config.num_perm), dtype=np.uint32)
        salient = rng.integers(0, 2**32, size=(n, 24), dtype=np.uint32)
        salient.sort(axis=1)
        rows = (
            (
                f"{start + i:016x}",
                start + i,
                f"s{(start + i) % 50}",
                f"{start + i:016x}",
                header + values[i].astype("<u4").tobytes(),
                300,
                298,
                salient[i].astype("<u4").tobytes(),
                "2024-01-01T00:00:00+00:00",
                "2024-01-01T00:00:00+00:00",
                "2024-01-01T00:00:00+00:00",
            )
            for i in range(n)
        )
        with db.conn:
            db.conn.executemany(
                "insert into article_signatures (article_id, lsh_key, source, story_id, minhash,"
                " num_words, num_shingles, salient, published_at, created_at, updated_at)"
                " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )


def run_one(size: int, new: int, workdir: Path) -> dict:
    config = StoryConfig()
    rng = np.random.default_rng(SEED)
    path = workdir / f"bench-{size}.db"
    db = open_archive(path)
    t0 = time.perf_counter()
    bulk_signatures(db, size, config, rng)
    build_s = time.perf_counter() - t0
    db.close()
    bodies = synthetic_bodies(new, rng)

    db = open_archive(path)  # a fresh start: the LSH comes from the stored signatures only
    t0 = time.perf_counter()
    index = StoryIndex.load(db, config)
    load_s = time.perf_counter() - t0
    rss_after_load = peak_rss_mb()

    costs = []
    actions: dict[str, int] = {}
    for n, body in enumerate(bodies):
        page = FetchedPage(
            url=f"https://www.News{n % 7}.example/2024/05/story-{n}/?utm_source=feed",
            source_id=f"s{n % 7}",
            body=b"",
            fetched_at="2024-05-01T10:00:00+00:00",
        )
        extracted = Extracted(kind=PageKind.ARTICLE, title=f"Story {n}", body=body)
        t = time.perf_counter()
        record = build_record(page, extracted, f"https://news{n % 7}.example/")
        decision = index.assign(record)
        costs.append(time.perf_counter() - t)
        actions[decision.action.value] = actions.get(decision.action.value, 0) + 1
    # Band entries wait in a dict and are merged into each band's sorted arrays every
    # ``compact_every`` inserts: not among the timed assigns above, so timed here at this size.
    t = time.perf_counter()
    for table in index._lsh.hashtables:
        table._compact()
    compact_s = time.perf_counter() - t
    costs_ms = sorted(c * 1000 for c in costs)
    return {
        "compact_ms": round(compact_s * 1000, 1),
        "compact_every": config.compact_every,
        "size": size,
        "build_s": round(build_s, 2),
        "load_s": round(load_s, 2),
        "lsh_mb": round(index.lsh_bytes / 2**20, 1),
        "mean_ms": round(statistics.fmean(costs_ms), 3),
        "p50_ms": round(costs_ms[len(costs_ms) // 2], 3),
        "p95_ms": round(costs_ms[int(len(costs_ms) * 0.95)], 3),
        "rss_after_load_mb": round(rss_after_load, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "db_mb": round(path.stat().st_size / 2**20, 1),
        "actions": actions,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--new", type=int, default=1000, help="articles assigned and timed")
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temp dir")
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(run_one(args.one, args.new, args.workdir)))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        results = []
        for size in sizes:
            out = subprocess.run(
                [sys.executable, __file__, "--one", str(size), "--new", str(args.new),
                 "--workdir", tmp],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
            result = json.loads(out.stdout.strip().splitlines()[-1])
            results.append(result)
            Path(tmp, f"bench-{size}.db").unlink(missing_ok=True)
            base = results[0]["mean_ms"]
            print(
                f"N={size:>9,}  assign mean {result['mean_ms']:.3f} ms"
                f" (p50 {result['p50_ms']:.3f}, p95 {result['p95_ms']:.3f};"
                f" x{result['mean_ms'] / base:.2f} vs N={sizes[0]:,})"
                f"  merge of the band tables {result['compact_ms']:.0f} ms (every"
                f" {result['compact_every']:,} inserts: {result['compact_ms'] / result['compact_every']:.3f}"
                f" ms per article)"
                f"  load {result['load_s']:.2f} s  bulk build {result['build_s']:.1f} s"
                f"  LSH {result['lsh_mb']:.0f} MB  peak RSS {result['peak_rss_mb']:.0f} MB"
                f"  db {result['db_mb']:.0f} MB  {result['actions']}",
                flush=True,
            )


if __name__ == "__main__":
    main()
