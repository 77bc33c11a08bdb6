"""Prose that trafilatura-fast keeps and extract_page drops, page by page.

    .venv/bin/python bench/body_losses.py [--data /work/shared/bench/metadata/dev] [--min-lines 2]

The metadata split has no body references, so this compares with trafilatura-fast's output
(its default, balanced mode): a line of 80+ characters that ends a sentence and is missing from
extract_page's body is likely real text that precision-mode pruning or the line filter lost.
Prints each page with at least --min-lines such lines, a few of them, and the count of pages.
Read the lines: some are boilerplate that trafilatura keeps (author boxes, comment prompts).
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_extract import load_pages, traf_fast
from pipelines.extract import extract_page

DEFAULT_DATA = Path("/work/shared/bench/metadata/dev")
_SENTENCE_END = re.compile(r"[.!?。」»\"”)]$")


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def lost_prose(ours: str, theirs: str) -> list[str]:
    """Lines of ``theirs`` that look like prose and do not occur in ``ours``."""
    body = _norm(ours)
    lines = (_norm(line) for line in theirs.splitlines())
    return [s for s in lines if len(s) >= 80 and _SENTENCE_END.search(s) and s not in body]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--min-lines", type=int, default=2)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    flagged = 0
    pages = load_pages(args.data)
    for html, url in pages:
        lost = lost_prose(extract_page(html, url).body, traf_fast(html, url))
        if len(lost) >= args.min_lines:
            flagged += 1
            print(f"{len(lost):3d} lines, {sum(map(len, lost)):6d} chars  {url}")
            for line in lost[:3]:
                print(f"      {line[:120]}")
    print(f"pages with >= {args.min_lines} lost prose lines: {flagged} of {len(pages)}")


if __name__ == "__main__":
    main()
