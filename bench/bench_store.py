"""Write rate of the store step: articles per second through ``ArchiveWriter.ingest``.

Pages of the generated benchmark site are extracted and their derived data computed first (as
the extraction workers do), then timed: only the writer's work, i.e. identity and dedup checks,
the story index, the article row, facts, entities, relevance, URLs and crawl memory, each
article in its own transaction. Baseline in the same run: a bare ``INSERT`` of the same rows
into a table without indexes, FTS or triggers.

    .venv/bin/python bench/bench_store.py --articles 2000
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive.schema import open_archive
from bench.synthetic_site import article_html
from pipelines.models import FetchedPage, Source
from pipelines.store import ArchiveWriter
from pipelines.workers import process_fetched


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    args = parser.parse_args()
    source = Source(id="bench", url="http://127.0.0.1:9/", country="PK")
    prepared = []
    for n in range(args.articles):
        page = FetchedPage(
            url=f"http://127.0.0.1:9/news/{n}/story-{n}", source_id="bench",
            body=article_html(n).encode(), fetched_at="2026-01-01T00:00:00+00:00",
        )  # fmt: skip
        extracted, derived = process_fetched(page, source)
        page.body = b""
        prepared.append((page, extracted, derived))
    with tempfile.TemporaryDirectory() as tmp:
        writer = ArchiveWriter(open_archive(Path(tmp) / "a.db"), "bench")
        writer.upsert_sources((source,), "2026-01-01T00:00:00+00:00")
        start = time.perf_counter()
        for page, extracted, derived in prepared:
            writer.ingest(page, extracted, source, derived)
        ours = time.perf_counter() - start

        bare = sqlite3.connect(Path(tmp) / "bare.db")
        bare.execute("pragma journal_mode=wal")
        bare.execute("pragma synchronous=normal")
        bare.execute("create table t (id text, url text, title text, body text)")
        start = time.perf_counter()
        for page, extracted, _ in prepared:
            with bare:
                bare.execute("insert into t values (?, ?, ?, ?)",
                             [page.url, page.url, extracted.title, extracted.body])  # fmt: skip
        baseline = time.perf_counter() - start
    print(
        f"store step : {args.articles / ours:,.0f} articles/s ({ours / args.articles * 1000:.2f} ms each)"
    )
    print(
        f"bare insert: {args.articles / baseline:,.0f} rows/s ({baseline / args.articles * 1000:.2f} ms each)"
    )
    print(f"ratio      : store step costs {ours / baseline:.1f}x a bare insert")


if __name__ == "__main__":
    main()
