"""Stream a table or a query out of the archive as CSV, JSON Lines or Parquet, in constant memory.

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
from typing import IO, TYPE_CHECKING, Any, Final, Literal

if TYPE_CHECKING:
    import pyarrow as pa

Format = Literal["csv", "jsonl", "parquet"]
FORMATS: Final = ("csv", "jsonl", "parquet")

# Cells a spreadsheet would evaluate as a formula (or, for tab and CR, could be made to).
FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")
BATCH_ROWS: Final = 1000  # rows fetched per cursor.fetchmany; also the progress interval
# A Parquet row group is written once it holds this many bytes of Arrow data or this many rows,
# whichever comes first: memory stays bounded whatever the row width (3 KB bodies or 3 MB ones).
ROW_GROUP_BYTES: Final = 64 * 1024 * 1024
ROW_GROUP_ROWS: Final = 100_000


class ExportTypeError(ValueError):
    """A value that does not fit the Parquet column type chosen for its column."""


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


def _quote(name: str) -> str:
    return '"{}"'.format(name.replace('"', '""'))


def _table_sql(conn: sqlite3.Connection, table: str) -> str:
    found = conn.execute(
        "select name from sqlite_master where type in ('table', 'view') and name = ?", (table,)
    ).fetchone()
    if found is None:
        raise ValueError(f"no table or view named {table!r} in the archive")
    return f"select * from {_quote(table)}"


def _declared_types(conn: sqlite3.Connection, table: str) -> dict[str, str]:
    return {row[1]: row[2] or "" for row in conn.execute(f"PRAGMA table_info({_quote(table)})")}


def one_per_story_sql(query: str) -> str:
    """Wrap ``query`` (rows with an ``id`` column holding article ids) to keep one row per story.

    Among the query's rows, each story (``articles.story_id``) keeps one: the story's original
    (``stories.original_article_id``) when it is among them, otherwise the earliest published
    member (by UTC instant; undated last, then first seen, then id). An article with no story is
    a story of its own. Rows keep the query's columns and order; only the choice of rows changes.
    Ranking works on ids alone, so bodies are never sorted.
    """
    inner = query.strip().rstrip(";").strip()
    # The newline ends a trailing "-- comment" in the user's SQL before our closing parenthesis.
    return f"""with base as (
{inner}
),
keep as (
  select id from (
    select base.id as id, row_number() over (
      partition by coalesce('story:' || a.story_id, 'article:' || base.id)
      order by
        case when s.original_article_id = base.id then 0 else 1 end,
        julianday(a.published_at) is null, julianday(a.published_at),
        a.first_seen_at is null, a.first_seen_at,
        base.id
    ) as position
    from base
    left join articles a on a.id = base.id
    left join stories s on s.id = a.story_id
  ) where position = 1
)
select * from base where id in (select id from keep)"""


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


def _check_unique(columns: list[str], fmt: str) -> None:
    duplicates = sorted({c for c in columns if columns.count(c) > 1})
    if duplicates:
        raise ValueError(f"duplicate column names, alias them for {fmt}: {', '.join(duplicates)}")


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

    _check_unique(columns, "JSON")

    def write_json(row: Sequence[Any]) -> None:
        record = {c: _json_value(v) for c, v in zip(columns, row, strict=True)}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")

    return write_json


# --- Parquet ---------------------------------------------------------------------------------


def _arrow_type_for_declared(declared: str) -> pa.DataType | None:
    """SQLite's column affinity rules (sqlite.org/datatype3.html, 3.1) mapped to Arrow types.

    None for BLOB / no type / NUMERIC affinity: those columns may hold anything, so their type
    is inferred from the values.
    """
    import pyarrow as pa

    kind = declared.upper()
    if "INT" in kind:
        return pa.int64()
    if any(word in kind for word in ("CHAR", "CLOB", "TEXT")):
        return pa.string()
    if "BLOB" in kind:
        return pa.binary()
    if any(word in kind for word in ("REAL", "FLOA", "DOUB")):
        return pa.float64()
    return None


def _arrow_type_for_values(values: Sequence[Any]) -> pa.DataType:
    import pyarrow as pa

    kinds = {type(v) for v in values if v is not None}
    if not kinds:
        return pa.string()  # all NULL so far: text is the safest guess
    if kinds == {bytes}:
        return pa.binary()
    if kinds == {int}:
        return pa.int64()
    if kinds <= {int, float}:
        return pa.float64()
    return pa.string()


def _convert(values: Sequence[Any], kind: pa.DataType, column: str, first_row: int) -> list[Any]:
    """Values fitted to ``kind``, or ExportTypeError naming the first value that does not fit."""
    import pyarrow as pa

    converted: list[Any] = []
    for offset, value in enumerate(values):
        if value is None:
            converted.append(None)
        elif kind == pa.string() and isinstance(value, int | float):
            converted.append(str(value))  # a number in a text column: its SQL text
        elif kind == pa.float64() and isinstance(value, int | float):
            converted.append(float(value))
        elif (
            (kind == pa.string() and isinstance(value, str))
            or (kind == pa.int64() and isinstance(value, int))
            or (kind == pa.binary() and isinstance(value, bytes))
        ):
            converted.append(value)
        else:
            raise ExportTypeError(
                f"column {column!r}, row {first_row + offset + 1}: {type(value).__name__} value "
                f"{str(value)[:40]!r} does not fit the column's Parquet type {kind}; "
                f"CAST the column in --sql to choose one type"
            )
    return converted


def _fits(kinds: set[type], kind: pa.DataType) -> bool:
    """Whether values of these Python types go into ``kind`` as they are.

    Checked by us because ``pa.array`` is lenient: it truncates 0.5 into an int64 column and
    takes bytes as UTF-8 text.
    """
    import pyarrow as pa

    kinds = kinds - {type(None)}
    if kind == pa.string():
        return kinds <= {str}
    if kind == pa.int64():
        return kinds <= {int}
    if kind == pa.float64():
        return kinds <= {float, int}
    return kinds <= {bytes}


def _record_batch(
    rows: Sequence[Sequence[Any]], schema: pa.Schema, first_row: int
) -> pa.RecordBatch:
    import pyarrow as pa

    arrays = []
    for index, values in enumerate(zip(*rows, strict=True)):
        field = schema.field(index)
        if not _fits({type(v) for v in values}, field.type):
            # Only for a batch holding a value of another type: fit it, or say which one.
            values = tuple(_convert(values, field.type, field.name, first_row))
        arrays.append(pa.array(values, type=field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _write_parquet(
    cursor: sqlite3.Cursor,
    columns: list[str],
    declared: Mapping[str, str],
    out: IO[bytes],
    progress: Callable[[int], None] | None,
) -> int:
    """Write the cursor's rows as Parquet row groups; return the row count.

    Column types come from the table's declared types (``declared``, by column name) and, for
    columns with none (query expressions, untyped columns), from the first batch of values.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    _check_unique(columns, "Parquet")
    first = cursor.fetchmany(BATCH_ROWS)
    fields = []
    for index, name in enumerate(columns):
        kind = _arrow_type_for_declared(declared.get(name, ""))
        if kind is None:
            kind = _arrow_type_for_values([row[index] for row in first])
        fields.append(pa.field(name, kind, nullable=True))
    schema = pa.schema(fields)

    count = 0
    pending: list[pa.RecordBatch] = []
    pending_bytes = pending_rows = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:

        def flush() -> None:
            nonlocal pending_bytes, pending_rows
            if pending:
                writer.write_table(
                    pa.Table.from_batches(pending, schema), row_group_size=pending_rows
                )
                pending.clear()
                pending_bytes = pending_rows = 0

        batch = first
        while batch:
            record_batch = _record_batch(batch, schema, count)
            pending.append(record_batch)
            pending_bytes += record_batch.nbytes
            pending_rows += record_batch.num_rows
            count += len(batch)
            if pending_bytes >= ROW_GROUP_BYTES or pending_rows >= ROW_GROUP_ROWS:
                flush()
            if progress is not None:
                progress(count)
            batch = cursor.fetchmany(BATCH_ROWS)
        flush()
    if progress is not None:
        progress(count)
    return count


# --- entry point -----------------------------------------------------------------------------


def export(
    db_path: Path,
    out: IO[str] | IO[bytes],
    *,
    fmt: Format,
    sql: str | None = None,
    table: str | None = None,
    params: Mapping[str, Any] | None = None,
    neutralise_formulas: bool = True,
    one_per_story: bool = False,
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
    - ``parquet``: ``out`` is a binary file. Column types (string, int64, float64, binary, all
      nullable) follow the table's declared SQLite types; query columns without one take the
      type of their values in the first ``BATCH_ROWS`` rows, and a later value of another type
      is an error (CAST it in the query) rather than a silent change. Written in zstd-compressed
      row groups of at most ``ROW_GROUP_BYTES`` / ``ROW_GROUP_ROWS``. Text is never neutralised.

    ``one_per_story`` keeps one article per story among the rows (see ``one_per_story_sql``);
    the rows must have an ``id`` column holding article ids.

    BLOBs are written base64-encoded in CSV and JSONL, as bytes in Parquet. ``progress`` is
    called with the running row count every ``BATCH_ROWS`` rows and once at the end.
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if (sql is None) == (table is None):
        raise ValueError("export needs exactly one of sql= or table=")

    conn = _connect_read_only(db_path)
    try:
        query = _table_sql(conn, table) if table is not None else str(sql)
        declared = _declared_types(conn, table) if table is not None else {}
        if one_per_story:
            probe = conn.execute(f"select * from (\n{query}\n) limit 0", dict(params or {}))
            names = [d[0] for d in probe.description or ()]
            if names.count("id") != 1:
                raise ValueError(
                    "one article per story needs exactly one 'id' column (articles.id)"
                )
            query = one_per_story_sql(query)
        cursor = conn.execute(query, dict(params or {}))
        if cursor.description is None:
            raise ValueError("the SQL returns no rows (is it a SELECT?)")
        columns = [d[0] for d in cursor.description]

        if fmt == "parquet":
            return _write_parquet(cursor, columns, declared, out, progress)  # type: ignore[arg-type]

        emit = _row_writer(fmt, out, columns, neutralise_formulas)  # type: ignore[arg-type]
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
