"""Plain SQL inserts and updates for the write path.

sqlite-utils' ``Table.insert`` and ``Table.update`` read the table's columns and primary keys
(``PRAGMA table_info``) on every call; on the writer's hot path, a few times per article, that
introspection cost more than the writes. These build the statement from the row's keys instead.
Table and column names come from our own code, never from input.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from itertools import groupby
from typing import Any

import sqlite_utils


def _value(value: Any) -> Any:
    # Like sqlite-utils: containers are stored as JSON text.
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False)
    return value


def insert_rows(
    db: sqlite_utils.Database, table: str, rows: Iterable[Mapping[str, Any]], conflict: str = ""
) -> None:
    """INSERT the rows (grouped by their columns); ``conflict`` is an optional ON CONFLICT clause."""
    for columns, group in groupby(rows, key=lambda row: tuple(row)):
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" * len(columns))
        db.conn.executemany(
            f'insert into "{table}" ({names}) values ({marks}) {conflict}',
            [[_value(row[c]) for c in columns] for row in group],
        )


def insert_row(db: sqlite_utils.Database, table: str, row: Mapping[str, Any]) -> None:
    insert_rows(db, table, [row])


def update_row(
    db: sqlite_utils.Database, table: str, key: tuple[str, Any], values: Mapping[str, Any]
) -> None:
    """UPDATE one row, found by ``key`` = (column, value)."""
    column, value = key
    assignments = ", ".join(f'"{c}" = ?' for c in values)
    db.conn.execute(
        f'update "{table}" set {assignments} where "{column}" = ?',
        [*(_value(v) for v in values.values()), value],
    )


def upsert_row(db: sqlite_utils.Database, table: str, row: Mapping[str, Any], pk: str) -> None:
    """INSERT, or UPDATE every given column of the row with the same primary key."""
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in row if c != pk)
    action = f"do update set {updates}" if updates else "do nothing"
    insert_rows(db, table, [row], conflict=f'on conflict("{pk}") {action}')
