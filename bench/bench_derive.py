"""CPU cost of ``enrich.derive`` (facts, entities, relevance, MinHash signature) per article page.

Two corpora: the crawl benchmark's synthetic article pages (``synthetic_site.article_html``) and
real pages (the extraction and metadata benchmark pages in ``/work/shared/bench``). Each page is
extracted once (``extract_page``, timed too); then, in the same process, every page is derived
``--rounds`` times. Times are CPU time of this process (``time.process_time``), so other load on
the machine does not inflate them; per page the fastest round counts. Run from the repo root:

    .venv/bin/python bench/bench_derive.py [--pages 300] [--rounds 5]

Baselines measured in the same run: the extraction time of the same pages (derive / extract),
and for the word-bounded term and alias scans, the plain ``finditer`` of each scanner's
reference pattern, which is what they cost before ``TrieScanner``. ``--old MODULE`` (for example
an importable copy of an older ``pipelines`` package, ``--old oldpipe.enrich``) also times that
module's ``derive`` on the same pages, alternating with ours page by page.
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import json
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic_site import article_html

from pipelines import enrich
from pipelines.extract import extract_page
from pipelines.gazetteer import country_matcher, default_gazetteer
from pipelines.models import Extracted, Source
from pipelines.sources import load_sources

ROOT = Path(__file__).resolve().parent.parent
REAL_DATA = (Path("/work/shared/bench/extraction/dev"), Path("/work/shared/bench/metadata/dev"))


def cpu_ms(fn: Callable[[], object]) -> float:
    start = time.process_time()
    fn()
    return (time.process_time() - start) * 1000


def synthetic_pages(count: int) -> list[tuple[str, str]]:
    return [(article_html(n), f"http://127.0.0.1:8700/news/{n}/story-{n}") for n in range(count)]


def real_pages(directories: tuple[Path, ...]) -> list[tuple[str, str]]:
    pages = []
    for directory in directories:
        truth = json.loads((directory / "ground-truth.json").read_text("utf-8"))
        for path in sorted((directory / "html").glob("*.html.gz")):
            url = truth.get(path.name.split(".")[0], {}).get("url") or "https://example.com/"
            pages.append((gzip.decompress(path.read_bytes()).decode("utf-8"), url))
    return pages


def extracted(pages: list[tuple[str, str]]) -> tuple[list[Extracted], list[float]]:
    found, times = [], []
    for html, url in pages:
        start = time.process_time()
        found.append(extract_page(html, url))
        times.append((time.process_time() - start) * 1000)
    return found, times


def per_page(
    items: list[Extracted], fns: dict[str, Callable[[Extracted], object]], rounds: int
) -> dict[str, list[float]]:
    """The fastest of ``rounds`` CPU times per item for each function, their order alternating."""
    names = list(fns)
    best = {name: [float("inf")] * len(items) for name in names}
    for rnd in range(rounds):
        for i, item in enumerate(items):
            order = names if (i + rnd) % 2 == 0 else names[::-1]
            for name in order:
                ms = cpu_ms(lambda name=name, item=item: fns[name](item))
                best[name][i] = min(best[name][i], ms)
    return best


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):6.2f} / {statistics.mean(values):6.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300, help="synthetic pages")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--data", type=Path, action="append", help="real page directories")
    parser.add_argument("--old", help="a module with an older derive(), timed alongside")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    source: Source = load_sources(ROOT / "sources.toml").sources[0]
    old_derive = importlib.import_module(args.old).derive if args.old else None
    corpora = {
        "synthetic": synthetic_pages(args.pages),
        "real": real_pages(tuple(args.data) if args.data else REAL_DATA),
    }
    lexicons = enrich._lexicons()
    config = enrich.StoryConfig()
    template = enrich._template(config)
    scanners = [
        *(s for lexicon in lexicons.values() for s in lexicon.matcher.scanners),
        *(s for m in (country_matcher(), default_gazetteer().matcher) for s in (m.exact, m.folded)),
    ]
    print(f"source: {source.id} ({source.country}, {source.language}); rounds: {args.rounds}")
    print("ms of CPU per page, median / mean over pages")
    for name, pages in corpora.items():
        items, extract_ms = extracted(pages)
        items = [item for item in items if item.body]
        fns: dict[str, Callable[[Extracted], object]] = {
            "derive": lambda e: enrich.derive(e, source),
        }
        if old_derive is not None:
            fns["old derive"] = lambda e: old_derive(e, source)
        fns.update(
            {
                "  facts": lambda e: enrich.extract_facts(e.body),
                "  entities": lambda e: (
                    enrich.countries_in(f"{e.title}\n\n{e.body}"),
                    enrich.organisations_in(f"{e.title}\n\n{e.body}"),
                ),
                "  relevance": lambda e: enrich.score(e.title, e.body, "en", lexicons),
                "  signature": lambda e: enrich.signature_of(e.body, config, template),
                "scans, TrieScanner": lambda e: [s.spans(e.body) for s in scanners],
                "scans, reference finditer": lambda e: [
                    list(s.reference.finditer(e.body)) for s in scanners
                ],
            }
        )
        for fn in fns.values():  # warm-up: lazy data, caches of seen characters
            for item in items[:20]:
                fn(item)
        best = per_page(items, fns, args.rounds)
        print(f"\n{name}: {len(items)} pages with a body, {len(pages)} pages")
        print(f"  {'extract_page':28} {summary(extract_ms)}")
        for label, values in best.items():
            print(f"  {label:28} {summary(values)}")
        derive_mean = statistics.mean(best["derive"])
        print(f"  derive / extract_page (means): {derive_mean / statistics.mean(extract_ms):.2f}")
        if old_derive is not None:
            old_mean = statistics.mean(best["old derive"])
            print(
                f"  derive / old derive (means): {derive_mean / old_mean:.2f}"
                f"  ({(1 - derive_mean / old_mean) * 100:.0f}% less CPU)"
            )
        fast, plain = (
            statistics.mean(best[k]) for k in ("scans, TrieScanner", "scans, reference finditer")
        )
        print(f"  scans / reference scans (means): {fast / plain:.2f}")


if __name__ == "__main__":
    main()
