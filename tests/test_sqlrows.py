"""pipelines.sqlrows writes what sqlite-utils would, without reading the schema each time."""

from __future__ import annotations

import sqlite_utils
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.sqlrows import insert_row, insert_rows, update_row, upsert_row

values = st.one_of(
    st.none(), st.integers(-(2**63), 2**63 - 1), st.text(), st.floats(allow_nan=False),
    st.lists(st.text(), max_size=3),
)  # fmt: skip
rows = st.fixed_dictionaries({"id": st.text(min_size=1)}, optional={"a": values, "b": values})


def fresh() -> tuple[sqlite_utils.Database, sqlite_utils.Database]:
    ours, theirs = sqlite_utils.Database(memory=True), sqlite_utils.Database(memory=True)
    for db in (ours, theirs):
        db.execute("create table t (id text primary key, a, b)")
    return ours, theirs


@settings(max_examples=60)
@given(st.lists(rows, max_size=8, unique_by=lambda row: row["id"]))
def test_inserts_match_sqlite_utils(batch):
    ours, theirs = fresh()
    insert_rows(ours, "t", batch)
    for row in batch:
        theirs["t"].insert(row)
    query = "select id, a, b from t order by id"
    assert list(ours.execute(query)) == list(theirs.execute(query))


@settings(max_examples=60)
@given(rows, rows)
def test_update_and_upsert_match_sqlite_utils(first, second):
    ours, theirs = fresh()
    insert_row(ours, "t", first)
    theirs["t"].insert(first)
    changes = {k: v for k, v in second.items() if k != "id"}
    if changes:
        update_row(ours, "t", ("id", first["id"]), changes)
        theirs["t"].update(first["id"], changes)
    upsert_row(ours, "t", second, "id")
    theirs["t"].upsert(second, pk="id")
    query = "select id, a, b from t order by id"
    assert list(ours.execute(query)) == list(theirs.execute(query))
