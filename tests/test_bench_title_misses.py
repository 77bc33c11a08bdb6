"""bench/title_misses.py: the candidates it reads from a page and its count of misses."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import pytest

from bench import title_misses

# A stand-in for the benchmark's evaluator module: the three functions the script imports from it.
_EVALUATOR = """
import re


def norm_text(s):
    return " ".join((s or "").casefold().split())


def title_tokens(s):
    return re.findall(r"\\w+", (s or "").casefold())


def token_f1(true, pred):
    common = len(set(true) & set(pred))
    if not common:
        return 0.0
    p, r = common / len(pred), common / len(true)
    return 2 * p * r / (p + r)
"""

_PAGE = (
    "<html><head><meta property='og:title' content='Exports hit a record'>"
    "<script type='application/ld+json'>"
    '{"@type": "NewsArticle", "headline": "Software exports reach $4 billion in FY18-19"}'
    "</script><title>Software exports reach $4 billion in FY18-19 | Daily</title></head>"
    "<body><h1>Exports hit a record</h1><p>" + "The bureau published its figures. " * 20 + "</p>"
    "</body></html>"
)


def test_candidates_reads_declared_titles_and_the_printed_headline() -> None:
    found = title_misses.candidates(_PAGE)
    assert found == {
        "og:title": "Exports hit a record",
        "json-ld": "Software exports reach $4 billion in FY18-19",
        "<title>": "Software exports reach $4 billion in FY18-19 | Daily",
        "printed": "Exports hit a record",
    }


def test_main_counts_a_miss_where_the_reference_takes_another_declared_title(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "evaluate.py").write_text(_EVALUATOR)
    data = tmp_path / "dev"
    (data / "html").mkdir(parents=True)
    (data / "html" / "p1.html.gz").write_bytes(gzip.compress(_PAGE.encode()))
    (data / "html" / "p2.html.gz").write_bytes(gzip.compress(_PAGE.encode()))
    truth = {
        "p1": {
            "title": "Software exports reach $4 billion in FY18-19",
            "url": "https://d.example/a",
        },
        "p2": {"title": "Exports hit a record", "url": "https://d.example/b"},
    }
    (data / "ground-truth.json").write_text(json.dumps(truth))
    monkeypatch.setattr(sys, "argv", ["title_misses.py", "--data", str(data)])
    title_misses.main()
    out = capsys.readouterr().out
    assert "2 pages with a reference title; 1 not matched exactly" in out
    assert "1 of the 1: Broadsheet's title is the printed headline" in out
