"""Speed: full extract_page vs trafilatura-fast body-only, same pages, same process.

    .venv/bin/python bench/bench_extract.py [--data /work/shared/bench/extraction/dev] [--rounds 3]

Prints per-page medians (ms) of both and the ratio ours / trafilatura-fast. Each page is run by
both extractors back to back, alternating which goes first, so machine noise hits both alike.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import trafilatura

from pipelines.extract import extract_page

DEFAULT_DATA = Path("/work/shared/bench/extraction/dev")


def load_pages(data: Path) -> list[tuple[str, str]]:
    """(html, url) of every page of a benchmark split directory, in file name order."""
    truth = json.loads((data / "ground-truth.json").read_text())
    pages = []
    for path in sorted((data / "html").glob("*.html.gz")):
        page_id = path.name.split(".")[0]
        url = truth.get(page_id, {}).get("url", "")
        pages.append((gzip.decompress(path.read_bytes()).decode("utf-8", "replace"), url))
    return pages


def traf_fast(html: str, url: str) -> str:
    # the benchmark's trafilatura-fast adapter: body only, no comments, no fallbacks
    return trafilatura.extract(html, url=url or None, include_comments=False, fast=True) or ""


def _ours(html: str, url: str) -> object:
    return extract_page(html, url)


def _timed(fn: object, html: str, url: str) -> float:
    start = time.perf_counter()
    fn(html, url)  # type: ignore[operator]
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    pages = load_pages(args.data)
    _ours(*pages[0])  # warm-up: imports, lazy data
    traf_fast(*pages[0])
    ours: dict[int, list[float]] = {i: [] for i in range(len(pages))}
    traf: dict[int, list[float]] = {i: [] for i in range(len(pages))}
    for rnd in range(args.rounds):
        for i, (html, url) in enumerate(pages):
            pair = [(ours, _ours), (traf, traf_fast)]
            for store, fn in pair if (i + rnd) % 2 == 0 else reversed(pair):
                store[i].append(_timed(fn, html, url))
    # per page: the minimum over rounds (least disturbed run), then the median over pages
    ours_ms = statistics.median(min(v) for v in ours.values())
    traf_ms = statistics.median(min(v) for v in traf.values())
    ours_mean = statistics.mean(min(v) for v in ours.values())
    traf_mean = statistics.mean(min(v) for v in traf.values())
    print(f"pages: {len(pages)}  rounds: {args.rounds}")
    print(f"extract_page (all fields)   median {ours_ms:6.2f} ms   mean {ours_mean:6.2f} ms")
    print(f"trafilatura fast (body)     median {traf_ms:6.2f} ms   mean {traf_mean:6.2f} ms")
    print(
        f"ratio ours / trafilatura-fast: median {ours_ms / traf_ms:.3f}  mean {ours_mean / traf_mean:.3f}"
    )


if __name__ == "__main__":
    main()
