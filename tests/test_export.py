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


# --- Parquet -------------------------------------------------------------------------------------


def parquet(db_path: Path, **kwargs: Any) -> tuple[int, Any]:
    import pyarrow.parquet as pq

    out = io.BytesIO()
    count = export(db_path, out, fmt="parquet", **kwargs)
    out.seek(0)
    return count, pq.read_table(out)


def test_parquet_round_trip(db_path: Path) -> None:
    import pyarrow as pa

    count, table = parquet(db_path, table="articles")
    assert count == table.num_rows == 2
    rows = table.to_pylist()
    assert rows[0]["body"] == BODY  # full body, exact text
    assert rows[1]["title"] == "=1+2"  # never neutralised: Parquet is not a spreadsheet
    assert rows[1]["authors"] is None
    # Types follow the declared SQLite types, whatever the values.
    assert table.schema.field("word_count").type == pa.int64()
    assert table.schema.field("is_paywalled").type == pa.int64()
    assert table.schema.field("body").type == pa.string()
    assert table.schema.field("relevance_score").type == pa.float64()
    assert rows[0]["word_count"] == -5
    assert table.column_names[:3] == ["id", "source", "url"]


def test_parquet_infers_query_types_and_keeps_blobs(db_path: Path) -> None:
    import pyarrow as pa

    sql = (
        "select id, length(body) as n, 0.5 * length(body) as half, x'00ff10' as raw, "
        "null as empty from articles order by id"
    )
    _, table = parquet(db_path, sql=sql)
    schema = {f.name: f.type for f in table.schema}
    assert schema == {"id": pa.string(), "n": pa.int64(), "half": pa.float64(),
                      "raw": pa.binary(), "empty": pa.string()}  # fmt: skip
    assert table.column("raw").to_pylist() == [b"\x00\xff\x10"] * 2
    assert table.column("n").to_pylist() == [len(BODY), 4]


def test_parquet_refuses_a_value_that_does_not_fit(tmp_path: Path) -> None:
    from archive.export import BATCH_ROWS, ExportTypeError

    path = tmp_path / "mixed.db"
    conn = sqlite3.connect(path)
    conn.execute("create table t (v)")  # no declared type: inferred from the first batch
    conn.executemany("insert into t values (?)", [(n,) for n in range(BATCH_ROWS)] + [(0.5,)])
    conn.commit()
    conn.close()
    with pytest.raises(ExportTypeError, match=r"column 'v', row 1001: float .* CAST"):
        export(path, io.BytesIO(), fmt="parquet", table="t")
    # Ints in a float column, numbers in a text column: fitted without loss.
    count, table = parquet(path, sql="select v * 1.0 as v, cast(v as text) || '' as t from t")
    assert count == BATCH_ROWS + 1
    assert table.column("v").to_pylist()[-1] == 0.5


def test_parquet_is_written_in_row_groups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow.parquet as pq

    import archive.export as export_module

    path = tmp_path / "many.db"
    db = open_archive(path)
    db["sources"].insert({"id": "s"})
    db["articles"].insert_all(
        {"id": f"{n:06d}", "source": "s", "url": f"https://s.example/{n}", "body": "w " * 100}
        for n in range(5000)
    )
    db.close()
    monkeypatch.setattr(export_module, "ROW_GROUP_ROWS", 2000)
    out = io.BytesIO()
    seen: list[int] = []
    assert export(path, out, fmt="parquet", table="articles", progress=seen.append) == 5000
    out.seek(0)
    meta = pq.ParquetFile(out).metadata
    assert meta.num_rows == 5000
    assert meta.num_row_groups == 3  # 2000 + 2000 + 1000: streamed, not built whole
    assert seen[-1] == 5000 and len(seen) > 3


def test_parquet_of_an_empty_result_has_the_schema(db_path: Path) -> None:
    count, table = parquet(db_path, sql="select id, word_count from articles where 0")
    assert count == 0 and table.num_rows == 0
    assert table.column_names == ["id", "word_count"]


# --- one article per story -----------------------------------------------------------------------


@pytest.fixture
def stories_db(tmp_path: Path) -> Path:
    """Story s1: original a2 (named), though a1 was published earlier. Story s2: its original
    a9 is not in the archive, so the earliest member (by UTC instant) stands for it. a5 and a6
    have no story."""
    path = tmp_path / "stories.db"
    db = open_archive(path)
    db["sources"].insert_all([{"id": "x"}, {"id": "y"}])

    def art(n: int, source: str, story: str | None, published: str | None) -> dict[str, Any]:
        return {"id": f"a{n}", "source": source, "url": f"https://{source}.example/{n}",
                "title": f"title {n}", "body": f"body {n}", "story_id": story,
                "published_at": published}  # fmt: skip

    db["articles"].insert_all(
        [
            art(1, "x", "s1", "2024-03-01T08:00:00+00:00"),
            art(2, "y", "s1", "2024-03-01T09:00:00+00:00"),
            art(3, "y", "s1", None),
            # 10:00+05:00 is 05:00 UTC: earlier than a4's 06:00 UTC though it sorts later as text
            art(4, "x", "s2", "2024-03-02T06:00:00Z"),
            art(7, "y", "s2", "2024-03-02T10:00:00+05:00"),
            art(5, "x", None, "2024-03-03T00:00:00Z"),
            art(6, "y", None, None),
        ]
    )
    db["stories"].insert_all(
        [{"id": "s1", "original_article_id": "a2"}, {"id": "s2", "original_article_id": "a9"}]
    )
    db.close()
    return path


def test_one_per_story_keeps_the_original_or_the_earliest(stories_db: Path) -> None:
    count, text = run(stories_db, fmt="jsonl", table="articles", one_per_story=True)
    ids = [json.loads(line)["id"] for line in text.splitlines()]
    assert count == 4
    assert sorted(ids) == ["a2", "a5", "a6", "a7"]
    assert len(json.loads(text.splitlines()[0])) > 30  # every column of the table
    # Without the flag: every article.
    assert run(stories_db, fmt="jsonl", table="articles")[0] == 7


def test_one_per_story_works_on_a_query(stories_db: Path) -> None:
    # Within source x only: s1's original (a2, source y) is not among the rows, so s1 keeps its
    # earliest member there.
    sql = "select id, title, published_at from articles where source = :s order by id -- x only"
    count, text = run(stories_db, fmt="csv", sql=sql, params={"s": "x"}, one_per_story=True)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["id"] for r in rows] == ["a1", "a4", "a5"]  # the query's order and columns
    assert list(rows[0]) == ["id", "title", "published_at"]
    assert count == 3
    with pytest.raises(ValueError, match="'id' column"):
        export(stories_db, io.StringIO(), fmt="csv", sql="select title from articles",
               one_per_story=True)  # fmt: skip


def test_one_per_story_in_parquet(stories_db: Path) -> None:
    count, table = parquet(stories_db, table="articles", one_per_story=True)
    assert count == 4
    assert sorted(table.column("id").to_pylist()) == ["a2", "a5", "a6", "a7"]


def test_cli_export_parquet_and_one_per_story(stories_db: Path, tmp_path: Path) -> None:
    import pyarrow.parquet as pq
    from click.testing import CliRunner

    from archive.cli import cli

    out = tmp_path / "out.parquet"
    result = CliRunner().invoke(cli, ["export", "--db", str(stories_db), "--table", "articles",
                                      "--format", "parquet", "-o", str(out), "--one-per-story"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert pq.read_table(out).num_rows == 4
    result = CliRunner().invoke(
        cli, ["export", "--db", str(stories_db), "--table", "articles", "--format", "parquet"]
    )
    assert result.exit_code != 0 and "-o FILE" in result.output
