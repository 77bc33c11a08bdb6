"""Stream a table or a query out of the archive as CSV or JSON Lines, in constant memory.

The database is opened read-only, so an export can run while a crawl writes (WAL). The export
runs as a single statement, so it reads one consistent snapshot however long it takes.
"""

from __future__ import annotations

import base64
import csv
import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Final, Literal

# Cells a spreadsheet would evaluate as a formula (or, for tab and CR, could be made to).
FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")
BATCH_ROWS: Final = 1000  # rows fetched per cursor.fetchmany; also the progress interval


def neutralise(value: str) -> str:
    """Prefix ``'`` to text a spreadsheet would treat as a formula (CSV injection)."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _connect_read_only(db_path: Path) -> sqlite3.Connection:
    path = Path(db_path).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"no database at {db_path}")
    # mode=ro: no write can happen whatever the SQL says; as_uri() escapes ?, # and spaces.
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=10)
    conn.execute("PRAGMA query_only=1")
    return conn


def _table_sql(conn: sqlite3.Connection, table: str) -> str:
    found = conn.execute(
        "select name from sqlite_master where type in ('table', 'view') and name = ?", (table,)
    ).fetchone()
    if found is None:
        raise ValueError(f"no table or view named {table!r} in the archive")
    return 'select * from "{}"'.format(table.replace('"', '""'))


def _rows(cursor: sqlite3.Cursor) -> Iterator[Sequence[Any]]:
    while batch := cursor.fetchmany(BATCH_ROWS):
        yield from batch


def _json_value(value: object) -> object:
    # Same shape Datasette's JSON uses for BLOBs.
    if isinstance(value, bytes):
        return {"$base64": True, "encoded": base64.b64encode(value).decode("ascii")}
    return value


def _csv_value(value: object, neutralise_formulas: bool) -> object:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    # Only text is neutralised: -5 stored as a number is a number, not a formula.
    if neutralise_formulas and isinstance(value, str):
        return neutralise(value)
    return value


def _row_writer(
    fmt: str, out: IO[str], columns: list[str], neutralise_formulas: bool
) -> Callable[[Sequence[Any]], None]:
    """Write the header (CSV) or check the keys (JSONL); return the function writing one row."""
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(columns)

        def write_csv(row: Sequence[Any]) -> None:
            writer.writerow([_csv_value(v, neutralise_formulas) for v in row])

        return write_csv

    duplicates = sorted({c for c in columns if columns.count(c) > 1})
    if duplicates:
        raise ValueError(f"duplicate column names, alias them for JSON: {', '.join(duplicates)}")

    def write_json(row: Sequence[Any]) -> None:
        record = {c: _json_value(v) for c, v in zip(columns, row, strict=True)}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")

    return write_json


def export(
    db_path: Path,
    out: IO[str],
    *,
    fmt: Literal["csv", "jsonl"],
    sql: str | None = None,
    table: str | None = None,
    params: Mapping[str, Any] | None = None,
    neutralise_formulas: bool = True,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write every row of ``table``, or of the ``sql`` query, to ``out``; return the row count.

    Exactly one of ``sql`` and ``table`` must be given. ``params`` fills ``:name`` parameters in
    ``sql``. Rows stream through a cursor: memory stays constant, there is no row cap and text
    (full article bodies) is never truncated.

    - ``csv``: a header row, then one row per result row. NULL is an empty cell. Open ``out``
      with ``newline=""`` so the csv module controls line endings. With ``neutralise_formulas``
      (the default) text cells starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return
      get a leading ``'`` so spreadsheets show them instead of evaluating them; numbers stored as
      numbers are never changed. Turn it off for exact text when no spreadsheet is involved.
    - ``jsonl``: one JSON object per line, keys in column order, UTF-8 text unescaped
      (``ensure_ascii=False``). Column names must be unique: alias duplicates in ``sql``.

    BLOBs are written base64-encoded. ``progress`` is called with the running row count every
    ``BATCH_ROWS`` rows and once at the end.
    """
    if fmt not in ("csv", "jsonl"):
        raise ValueError(f"fmt must be 'csv' or 'jsonl', not {fmt!r}")
    if (sql is None) == (table is None):
        raise ValueError("export needs exactly one of sql= or table=")

    conn = _connect_read_only(db_path)
    try:
        query = _table_sql(conn, table) if table is not None else str(sql)
        cursor = conn.execute(query, dict(params or {}))
        if cursor.description is None:
            raise ValueError("the SQL returns no rows (is it a SELECT?)")
        columns = [d[0] for d in cursor.description]

        emit = _row_writer(fmt, out, columns, neutralise_formulas)
        count = 0
        for row in _rows(cursor):
            emit(row)
            count += 1
            if progress is not None and count % BATCH_ROWS == 0:
                progress(count)
        if progress is not None:
            progress(count)
        return count
    finally:
        conn.close()
