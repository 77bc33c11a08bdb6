"""Body text on pages outside the benchmarks, scored against reference texts: newspaper4k's test
pages (``tests/data/html/<name>.html`` with the expected text in ``tests/data/txt/<name>.txt``,
shipped in the sdist of newspaper4k 0.9.6: ``pip download --no-deps --no-binary :all:
newspaper4k==0.9.6``).

Each page's body from Broadsheet and from trafilatura-fast is scored against the reference with
a bag-of-words F1 (lower-cased word tokens), and the means are printed with the pages where the
two differ by more than 0.02. The references are newspaper4k's own output, so they follow its
choices (a lead, a caption); the comparison between two extractors on the same references is
what this measures, not either one's absolute quality.

    .venv/bin/python bench/reference_texts.py newspaper4k-0.9.6/tests/data
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_extract import traf_fast
from pipelines.extract import extract_page

_WORD = re.compile(r"\w+")


def word_f1(predicted: str, reference: str) -> float:
    """F1 of the two texts' lower-cased word multisets (0 when either is empty)."""
    a = Counter(_WORD.findall(predicted.lower()))
    b = Counter(_WORD.findall(reference.lower()))
    common = sum((a & b).values())
    if not common:
        return 0.0
    precision, recall = common / sum(a.values()), common / sum(b.values())
    return 2 * precision * recall / (precision + recall)


def score(data: Path) -> dict[str, tuple[float, float]]:
    """page name -> (Broadsheet's F1, trafilatura-fast's F1), for pages with a reference."""
    scores = {}
    for reference in sorted((data / "txt").glob("*.txt")):
        page = data / "html" / f"{reference.stem}.html"
        if not page.exists():
            continue
        html = page.read_bytes()
        expected = reference.read_text(encoding="utf-8", errors="replace")
        # The pages' own URLs are not kept with them; an article-shaped one stands in.
        ours = extract_page(html, f"https://news.example/2020/01/{reference.stem}").body
        theirs = traf_fast(html.decode("utf-8", errors="replace"), "")
        scores[reference.stem] = (word_f1(ours, expected), word_f1(theirs, expected))
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="newspaper4k's tests/data folder")
    scores = score(parser.parse_args().data)
    for name, (ours, theirs) in scores.items():
        if abs(ours - theirs) > 0.02:
            print(f"{name:32} broadsheet {ours:.3f}  trafilatura-fast {theirs:.3f}")
    print(f"{len(scores)} pages: mean word F1 broadsheet "
          f"{statistics.mean(s[0] for s in scores.values()):.4f}, trafilatura-fast "
          f"{statistics.mean(s[1] for s in scores.values()):.4f}")  # fmt: skip


if __name__ == "__main__":
    main()
