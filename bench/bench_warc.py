"""WARC capture cost: CPU per page and size of each gzip level, on real article pages.

    .venv/bin/python bench/bench_warc.py [--data /work/shared/bench/extraction/dev] [--rounds 3]

Every response record is one gzip member compressed on the crawl's reactor thread
(``crawler/warc.py``), so its CPU comes out of the fetch rate. For each level the benchmark
writes every page as a real exchange through ``WarcFileWriter`` (record building, digests,
compression, write) into a temporary directory and prints the median CPU milliseconds per page
and the compressed bytes as a share of the raw pages, with ratios against level 6 (zlib's
default, and this project's level until measured here) in the same run.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawler import warc

DEFAULT_DATA = Path("/work/shared/bench/extraction/dev")
LEVELS = (1, 2, 3, 4, 6, 9)
BASELINE = 6


def _write_all(pages: list[bytes], level: int, directory: Path) -> tuple[float, int]:
    """CPU seconds per page (median over pages) and total bytes on disk at ``level``."""
    writer = warc.WarcFileWriter(directory / f"level{level}", gzip_level=level)
    now = datetime.now(UTC)
    headers = [(b"Content-Type", b"text/html; charset=utf-8")]
    times: list[float] = []
    for n, body in enumerate(pages):
        start = time.process_time()
        writer.write_exchange(
            url=f"http://127.0.0.1/{n}.html", fetched_at=now, status=200,
            response_headers=headers, body=body,
        )  # fmt: skip
        times.append(time.process_time() - start)
    writer.close()
    size = sum(p.stat().st_size for p in (directory / f"level{level}").iterdir())
    return statistics.median(times), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    pages = [gzip.decompress(p.read_bytes()) for p in sorted((args.data / "html").glob("*.gz"))]
    raw = sum(map(len, pages))
    print(f"{len(pages)} pages, {raw / len(pages) / 1024:.0f} KiB mean, sent uncompressed")
    results: dict[int, tuple[float, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            for level in LEVELS:  # every level in every round: machine noise hits all alike
                seconds, size = _write_all(pages, level, Path(tmp) / f"r{round_}")
                best = results.get(level)
                results[level] = (min(seconds, best[0]) if best else seconds, size)
    base_ms, base_size = results[BASELINE][0] * 1000, results[BASELINE][1]
    for level in LEVELS:
        ms, size = results[level][0] * 1000, results[level][1]
        print(
            f"level {level}: {ms:.2f} ms/page ({ms / base_ms:.2f}x level {BASELINE}),"
            f" {size / raw:.3f} of the raw bytes ({size / base_size:.2f}x level {BASELINE})"
        )


if __name__ == "__main__":
    main()
