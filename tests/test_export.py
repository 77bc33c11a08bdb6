"""archive.export: streaming CSV / JSON Lines out of the archive."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from archive.export import export
from archive.schema import open_archive

BODY = 'Línea uno — «quoted», with, commas.\n\nSecond "paragraph"\r\nwith CRLF.\n' * 50


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "archive.db"
    db = open_archive(path)
    db["sources"].insert({"id": "alpha", "name": '=HYPERLINK("http://evil")'})
    db["articles"].insert_all(
        [
            {"id": "a1", "source": "alpha", "url": "https://alpha.example/1", "title": "Plain",
             "body": BODY, "word_count": -5, "is_paywalled": 0},
            {"id": "a2", "source": "alpha", "url": "https://alpha.example/2",
             "title": "=1+2", "body": "+cmd", "description": "-5", "section": "@SUM(A1)",
             "tags": "\tTAB", "site_name": "\rCR", "authors": None},
        ]
    )  # fmt: skip
    db.close()
    return path


def run(db_path: Path, **kwargs: Any) -> tuple[int, str]:
    out = io.StringIO(newline="")
    count = export(db_path, out, **kwargs)
    return count, out.getvalue()


def test_csv_round_trip(db_path: Path) -> None:
    count, text = run(db_path, fmt="csv", table="articles", neutralise_formulas=False)
    assert count == 2
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(rows) == 2
    assert rows[0]["body"] == BODY  # full body: no truncation, newlines and quotes intact
    assert rows[0]["word_count"] == "-5"
    assert rows[1]["title"] == "=1+2"
    assert rows[1]["authors"] == ""  # NULL


def test_jsonl_round_trip(db_path: Path) -> None:
    count, text = run(db_path, fmt="jsonl", table="articles")
    lines = text.splitlines()
    assert count == len(lines) == 2
    records = [json.loads(line) for line in lines]
    assert records[0]["body"] == BODY
    assert records[0]["word_count"] == -5
    assert records[1]["authors"] is None
    assert records[1]["title"] == "=1+2"  # JSON is never neutralised
    assert "Línea" in text  # ensure_ascii=False
    assert list(records[0])[:3] == ["id", "source", "url"]


def test_formula_neutralisation(db_path: Path) -> None:
    _, text = run(db_path, fmt="csv", sql="select * from articles where id = 'a2'")
    row = next(csv.DictReader(io.StringIO(text, newline="")))
    assert row["title"] == "'=1+2"
    assert row["body"] == "'+cmd"
    assert row["description"] == "'-5"  # text that looks like a number is still text
    assert row["section"] == "'@SUM(A1)"
    assert row["tags"] == "'\tTAB"
    assert row["site_name"] == "'\rCR"
    assert row["url"] == "https://alpha.example/2"


def test_numbers_are_not_neutralised(db_path: Path) -> None:
    _, text = run(
        db_path, fmt="csv", sql="select word_count, -3.5 as f from articles where id='a1'"
    )
    row = next(csv.DictReader(io.StringIO(text, newline="")))
    assert row == {"word_count": "-5", "f": "-3.5"}


def test_sql_with_params(db_path: Path) -> None:
    count, text = run(
        db_path,
        fmt="jsonl",
        sql="select id, name from sources where id = :s",
        params={"s": "alpha"},
    )
    assert count == 1
    assert json.loads(text) == {"id": "alpha", "name": '=HYPERLINK("http://evil")'}


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"sql": "select 1", "table": "articles"}],
    ids=["neither", "both"],
)
def test_needs_exactly_one_of_sql_and_table(db_path: Path, kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="exactly one of sql= or table="):
        export(db_path, io.StringIO(), fmt="csv", **kwargs)


def test_unknown_table(db_path: Path) -> None:
    with pytest.raises(ValueError, match="no table or view named 'nope'"):
        export(db_path, io.StringIO(), fmt="csv", table="nope")


def test_unknown_format(db_path: Path) -> None:
    with pytest.raises(ValueError, match="fmt"):
        export(db_path, io.StringIO(), fmt="xlsx", table="articles")  # type: ignore[arg-type]


def test_duplicate_json_keys_rejected(db_path: Path) -> None:
    sql = "select a.id, s.id from articles a join sources s on s.id = a.source"
    with pytest.raises(ValueError, match="duplicate column names"):
        export(db_path, io.StringIO(), fmt="jsonl", sql=sql)
    assert run(db_path, fmt="csv", sql=sql)[0] == 2  # CSV has no keys to clash


def test_read_only(db_path: Path) -> None:
    with pytest.raises(sqlite3.OperationalError, match=r"readonly|read-only"):
        export(db_path, io.StringIO(), fmt="csv", sql="delete from articles returning id")
    db = sqlite3.connect(db_path)
    assert db.execute("select count(*) from articles").fetchone()[0] == 2
    db.close()


def test_export_while_a_writer_holds_a_transaction(db_path: Path) -> None:
    writer = sqlite3.connect(db_path)
    writer.execute("begin immediate")
    writer.execute("update articles set title = 'changed' where id = 'a1'")
    try:
        count, text = run(db_path, fmt="jsonl", sql="select title from articles where id='a1'")
    finally:
        writer.rollback()
        writer.close()
    assert count == 1
    assert json.loads(text)["title"] == "Plain"  # WAL: readers see the last commit


def test_large_export_streams_every_row(tmp_path: Path) -> None:
    path = tmp_path / "big.db"
    db = open_archive(path)
    db["sources"].insert({"id": "s"})
    total = 20_000
    db["articles"].insert_all(
        (
            {"id": f"{n:08d}", "source": "s", "url": f"https://s.example/{n}", "body": "word " * 50}
            for n in range(total)
        ),
        batch_size=2000,
    )
    db.close()
    seen: list[int] = []
    out = io.StringIO(newline="")
    count = export(path, out, fmt="csv", table="articles", progress=seen.append)
    assert count == total
    assert out.getvalue().count("\n") == total + 1  # header + one line per row
    assert seen[-1] == total
    assert seen == sorted(seen)
    assert len(seen) > 10  # progress ran while streaming, not only at the end
