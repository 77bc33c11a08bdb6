"""Precision, recall and F1 of ``extract_facts`` per fact type on our labelled sentences.

A predicted fact matches a gold one (one-to-one) when the kind is the same, the spans overlap and
the normalised value agrees: money amount (and range top) and currency; percent value (and range
top); period start and end dates; count value. Attribute accuracy on matched facts (percent
direction and unit, count unit) is reported separately. Run from the repo root:

    .venv/bin/python bench/eval_facts.py            # both files and a timing
    .venv/bin/python bench/eval_facts.py --errors   # also list every miss and false alarm

labelled.jsonl was written before the extractor and tuned on; labelled-holdout.jsonl was written
afterwards and never tuned on.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.facts import Fact, extract_facts

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "facts"
FILES = (FIXTURES / "labelled.jsonl", FIXTURES / "labelled-holdout.jsonl")
KINDS = ("money", "percent", "period", "count")


@dataclass
class KindScore:
    tp: int = 0
    predicted: int = 0
    gold: int = 0
    attribute_hits: dict[str, int] = field(default_factory=dict)

    @property
    def precision(self) -> float:
        return self.tp / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.tp / self.gold if self.gold else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    scores: dict[str, KindScore]
    errors: list[str]
    sentences: int


def load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


def values_agree(gold: dict, fact: Fact) -> bool:
    kind = gold["kind"]
    if kind == "money":
        return (
            _close(gold["amount"], fact.amount)
            and _close(gold.get("amount_high"), fact.amount_high)
            and gold["currency"] == fact.currency
        )
    if kind == "percent":
        return _close(gold["value"], fact.value) and _close(gold.get("value_high"), fact.value_high)
    if kind == "period":
        return (gold["start_date"], gold["end_date"]) == (fact.start_date, fact.end_date)
    return _close(gold["value"], fact.value)


def _attributes(gold: dict, fact: Fact) -> dict[str, bool]:
    if gold["kind"] == "percent":
        return {
            "direction": gold.get("direction") == fact.direction,
            "unit": gold.get("unit", "%") == fact.unit,
        }
    if gold["kind"] == "count":
        return {"unit": gold["unit"] == fact.unit}
    return {}


def evaluate(
    records: Iterable[dict], extract: Callable[[str], list[Fact]] = extract_facts
) -> Report:
    scores = {kind: KindScore() for kind in KINDS}
    errors: list[str] = []
    count = 0
    for record in records:
        count += 1
        text = record["text"]
        predicted = extract(text)
        gold_facts = record["facts"]
        for fact in predicted:
            scores[fact.kind].predicted += 1
        for gold in gold_facts:
            scores[gold["kind"]].gold += 1
        used: set[int] = set()
        for gold in gold_facts:
            g_start = gold["start"]
            g_end = g_start + len(gold["text"])
            match = None
            for index, fact in enumerate(predicted):
                if index in used or fact.kind != gold["kind"]:
                    continue
                if fact.start < g_end and g_start < fact.end and values_agree(gold, fact):
                    match = index
                    break
            score = scores[gold["kind"]]
            if match is None:
                errors.append(f"{record['id']} MISS {gold['kind']} {gold['text']!r}: {text}")
                continue
            used.add(match)
            score.tp += 1
            for name, ok in _attributes(gold, predicted[match]).items():
                score.attribute_hits[name] = score.attribute_hits.get(name, 0) + int(ok)
                if not ok:
                    errors.append(
                        f"{record['id']} ATTR {gold['kind']}.{name} {gold['text']!r}: "
                        f"gold={gold.get(name)!r} got={getattr(predicted[match], name)!r}"
                    )
        for index, fact in enumerate(predicted):
            if index not in used:
                errors.append(
                    f"{record['id']} FALSE {fact.kind} {fact.text!r} "
                    f"(amount={fact.amount} value={fact.value} currency={fact.currency} "
                    f"{fact.start_date}..{fact.end_date}): {text}"
                )
    return Report(scores, errors, count)


def format_report(name: str, report: Report) -> str:
    lines = [f"{name}: {report.sentences} sentences", "  kind      gold  pred    P      R      F1"]
    for kind in KINDS:
        s = report.scores[kind]
        lines.append(
            f"  {kind:<8} {s.gold:>5} {s.predicted:>5}  {s.precision:.3f}  {s.recall:.3f}  {s.f1:.3f}"
        )
    for kind in ("percent", "count"):
        s = report.scores[kind]
        for attribute, hits in sorted(s.attribute_hits.items()):
            lines.append(f"  {kind}.{attribute} accuracy on matched: {hits}/{s.tp}")
    return "\n".join(lines)


ARTICLE = FIXTURES / "article-5k.txt"  # a typical news story: prose with a dozen figures


def dense_article(records: list[dict], size: int = 5000) -> str:
    """The worst case: labelled sentences back to back, a figure every ~40 characters."""
    return " ".join(record["text"] for record in records)[:size]


def time_article(article: str, runs: int = 300) -> float:
    """Median milliseconds for one ``extract_facts`` call on ``article``."""
    extract_facts(article)  # warm the regex caches
    timings = []
    for _ in range(runs):
        began = time.perf_counter()
        extract_facts(article)
        timings.append((time.perf_counter() - began) * 1000)
    timings.sort()
    return timings[len(timings) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=list(FILES))
    parser.add_argument("--errors", action="store_true", help="list misses and false alarms")
    args = parser.parse_args()
    all_records: list[dict] = []
    for path in args.files:
        if not path.exists():
            print(f"{path}: missing")
            continue
        records = load(path)
        all_records += records
        report = evaluate(records)
        print(format_report(path.name, report))
        if args.errors:
            for line in report.errors:
                print("   ", line)
    typical = ARTICLE.read_text(encoding="utf-8")
    print(
        f"extract_facts, typical {len(typical):,}-character article "
        f"({len(extract_facts(typical))} facts): {time_article(typical):.2f} ms median"
    )
    if all_records:
        dense = dense_article(all_records)
        print(
            f"extract_facts, dense {len(dense):,}-character worst case "
            f"({len(extract_facts(dense))} facts): {time_article(dense):.2f} ms median"
        )


if __name__ == "__main__":
    main()
