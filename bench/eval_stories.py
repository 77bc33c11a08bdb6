"""Precision and recall of story clustering on the labelled set in tests/fixtures/stories.

Every article of a split goes through the same path as a crawl (build_record, StoryIndex.decide,
ArchiveWriter.store_article, StoryIndex.commit) into a fresh archive, in crawl order; then every
pair of articles in the split is judged: "same story" when both got the same story id. Run from
the repo root:

    .venv/bin/python bench/eval_stories.py [--split dev|holdout|all] [--show-errors]
        [--shingle-size 3 --min-jaccard 0.4 --min-containment 0.6 --min-salient 0.7]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from archive.schema import open_archive
from pipelines.dedup import build_record
from pipelines.models import Extracted, FetchedPage, PageKind, Source
from pipelines.store import ArchiveWriter
from pipelines.stories import StoryConfig

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "stories"
OUTLET_NAMES = {
    "techwire": "TechWire",
    "ledgerline": "Ledger Line",
    "moneydesk": "The Money Desk",
    "bytepost": "Byte Post",
}


@dataclass
class Report:
    split: str
    items: int = 0
    pairs: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    hard_negatives: int = 0
    hard_false_merges: int = 0
    origin_links_expected: int = 0
    origin_links_found: int = 0
    missed_by_kind: Counter = field(default_factory=Counter)
    positives_by_kind: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def load_items(split: str = "all") -> list[dict]:
    with (FIXTURES / "articles.jsonl").open(encoding="utf-8") as f:
        items = [json.loads(line) for line in f]
    return [i for i in items if split == "all" or i["split"] == split]


def hard_pairs() -> dict[frozenset[str], str]:
    import csv

    with (FIXTURES / "pairs.csv").open(encoding="utf-8") as f:
        return {
            frozenset((r["a"], r["b"])): r["kind"] for r in csv.DictReader(f) if r["same"] == "0"
        }


def cluster(items: list[dict], config: StoryConfig, workdir: Path) -> dict[str, str]:
    """Run the items through the store path; item id → story id. Also returns links via db."""
    db = open_archive(workdir / "eval.db")
    writer = ArchiveWriter(db, "eval", story_config=config)
    sources = {i["source"] for i in items}
    writer.upsert_sources(
        tuple(
            Source(id=s, url=f"https://{s}.example/", name=OUTLET_NAMES.get(s, s))
            for s in sorted(sources)
        ),
        "2024-01-01T00:00:00+00:00",
    )
    story_of: dict[str, str] = {}
    article_of: dict[str, str] = {}
    for item in items:
        fetched = item["published_at"]
        page = FetchedPage(url=item["url"], source_id=item["source"], body=b"", fetched_at=fetched)
        extracted = Extracted(
            kind=PageKind.ARTICLE,
            title=item["title"],
            body=item["body"],
            published_at=item["published_at"],
            original_source=item["original_source"],
        )
        record = build_record(page, extracted, f"https://{item['source']}.example/")
        article_of[item["id"]] = record.id
        # The store path decides: new story, joined, or a duplicate of the outlet's own article.
        result = writer.store_article(record)
        story_of[item["id"]] = story_of_article(db, result.article_id)
    links = dict(
        db.execute("select article_id, target_article_id from story_links where kind = 'origin'")
    )
    for item in items:
        story_of[f"origin:{item['id']}"] = links.get(article_of[item["id"]], "")
        story_of[f"article:{item['id']}"] = article_of[item["id"]]
    db.close()
    return story_of


def story_of_article(db, article_id: str) -> str:
    row = db.execute(
        "select story_id from article_signatures where article_id = ?", [article_id]
    ).fetchone()
    return row[0] if row else ""


def evaluate(split: str, config: StoryConfig | None = None) -> Report:
    config = config or StoryConfig()
    items = load_items(split)
    hard = hard_pairs()
    with tempfile.TemporaryDirectory() as tmp:
        story_of = cluster(items, config, Path(tmp))
    report = Report(split=split, items=len(items))
    for n, a in enumerate(items):
        for b in items[n + 1 :]:
            if a["split"] != b["split"]:
                continue
            report.pairs += 1
            truth = a["story"] == b["story"]
            predicted = story_of[a["id"]] == story_of[b["id"]] != ""
            kind = "+".join(sorted({a["kind"], b["kind"]}))
            hard_kind = hard.get(frozenset((a["id"], b["id"])))
            if hard_kind:
                report.hard_negatives += 1
                report.hard_false_merges += int(predicted)
            if truth:
                report.positives_by_kind[kind] += 1
            if truth and predicted:
                report.tp += 1
            elif predicted:
                report.fp += 1
                report.errors.append(f"false merge ({hard_kind or 'easy'}): {a['id']} ~ {b['id']}")
            elif truth:
                report.fn += 1
                report.missed_by_kind[kind] += 1
                report.errors.append(f"missed ({kind}): {a['id']} / {b['id']}")
    # The origin link must point at an article of the named outlet in the same story (the
    # original, or that outlet's own re-post when it was crawled first).
    names = {v: k for k, v in OUTLET_NAMES.items()}
    for item in items:
        outlet = names.get(item["original_source"])
        want = {
            story_of[f"article:{o['id']}"]
            for o in items
            if o["story"] == item["story"] and o["source"] == outlet
        }
        if want:
            report.origin_links_expected += 1
            report.origin_links_found += int(story_of[f"origin:{item['id']}"] in want)
    return report


def print_report(report: Report, show_errors: bool) -> None:
    print(
        f"[{report.split}] items={report.items} pairs={report.pairs} "
        f"precision={report.precision:.4f} recall={report.recall:.4f} "
        f"(tp={report.tp} fp={report.fp} fn={report.fn}) "
        f"hard negatives merged={report.hard_false_merges}/{report.hard_negatives} "
        f"origin links={report.origin_links_found}/{report.origin_links_expected}"
    )
    for kind, missed in sorted(report.missed_by_kind.items()):
        print(f"    missed {missed}/{report.positives_by_kind[kind]} pairs of {kind}")
    if show_errors:
        for line in report.errors:
            print("   ", line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("dev", "holdout", "all"), default="all")
    parser.add_argument("--show-errors", action="store_true")
    for f in dataclasses.fields(StoryConfig):
        parser.add_argument("--" + f.name.replace("_", "-"), type=type(f.default), default=None)
    args = parser.parse_args()
    overrides = {
        f.name: getattr(args, f.name)
        for f in dataclasses.fields(StoryConfig)
        if getattr(args, f.name) is not None
    }
    config = StoryConfig(**overrides)
    print(f"config: {config}")
    for split in ("dev", "holdout") if args.split == "all" else (args.split,):
        print_report(evaluate(split, config), args.show_errors)


if __name__ == "__main__":
    main()
