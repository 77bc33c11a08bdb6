"""The archive schema around search: the full-text index follows every write, and the
publication-date index (migration m013) is built on new and on existing archives and used by
the articles page's date facet."""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from archive.schema import MIGRATIONS, open_archive

# Datasette 0.65's date facet (facets.py, DateFacet) on the articles table, as it sends it.
DATE_FACET_SQL = """
select date(published_at) as value, count(*) as count from (
    select * from articles {where}
) where date(published_at) is not null
group by date(published_at) order by count desc, value limit 31
"""


def _matches(db: sqlite_utils.Database, query: str) -> list[str]:
    return [
        row[0]
        for row in db.execute(
            "select a.id from articles a join articles_fts f on f.rowid = a.rowid"
            " where articles_fts match ? order by a.id",
            [query],
        )
    ]


def _fts_consistent(db: sqlite_utils.Database) -> None:
    # Compares the whole index with the articles table: raises if they disagree.
    db.execute("insert into articles_fts(articles_fts) values ('integrity-check')")


def _article(n: int, **fields: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": f"a{n}",
        "source": "s",
        "url": f"https://s.example/{n}",
        "title": f"Story {n}",
        "body": "Plain words.",
        "published_at": f"2024-03-0{n}T23:30:00-02:00",
    }
    row.update(fields)
    return row


def test_full_text_index_follows_inserts_updates_and_deletes(tmp_path: Path) -> None:
    db = open_archive(tmp_path / "a.db")
    db["sources"].insert({"id": "s", "url": "https://s.example/"})
    db["articles"].insert_all(
        [
            _article(1, body="Zeppelins carried mail."),
            _article(2, title="Airship tariffs", body="Freight rates rose."),
            _article(3),
        ]
    )
    assert _matches(db, "zeppelin") == ["a1"]  # stemmed
    assert _matches(db, "airship") == ["a2"]
    _fts_consistent(db)

    db["articles"].update("a1", {"body": "Balloons carried mail."})
    db["articles"].update("a2", {"title": "Rail tariffs"})
    assert _matches(db, "zeppelin") == []
    assert _matches(db, "balloon") == ["a1"]
    assert _matches(db, "airship") == []
    assert _matches(db, "tariff") == ["a2"]
    assert _matches(db, '"carried mail"') == ["a1"]  # phrases need positions (detail=full)
    _fts_consistent(db)

    db["articles"].delete("a1")
    db.execute("update articles set body = 'Zeppelin again.' where id = 'a3'")
    assert _matches(db, "balloon") == []
    assert _matches(db, "zeppelin") == ["a3"]
    _fts_consistent(db)


def test_published_date_index_on_a_new_archive(tmp_path: Path) -> None:
    db = open_archive(tmp_path / "a.db")
    assert "m013_published_date_index" in dict(MIGRATIONS)
    indexes = {row[0] for row in db.execute("select name from sqlite_master where type='index'")}
    assert "idx_articles_published_date" in indexes


def test_published_date_index_is_added_to_an_existing_archive(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = open_archive(path)
    # An archive from before m013: no index, the migration not recorded, articles stored.
    db.execute("drop index idx_articles_published_date")
    db.execute("delete from _sqlite_migrations where name = 'm013_published_date_index'")
    db["sources"].insert({"id": "s", "url": "https://s.example/"})
    db["articles"].insert_all([_article(n) for n in range(1, 6)])
    db.conn.commit()
    db.close()

    db = open_archive(path)
    assert db["articles"].count == 5
    applied = {row[0] for row in db.execute("select name from _sqlite_migrations")}
    assert "m013_published_date_index" in applied
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
    # The index holds UTC days: 23:30 at UTC-2 is the next day.
    rows = db.execute(
        "select date(published_at) from articles indexed by idx_articles_published_date"
        " where date(published_at) is not null order by date(published_at)"
    ).fetchall()
    assert [row[0] for row in rows] == [f"2024-03-0{n + 1}" for n in range(1, 6)]
    _fts_consistent(db)


def test_date_facet_reads_the_index(tmp_path: Path) -> None:
    db = open_archive(tmp_path / "a.db")
    plan = " ".join(
        row[3] for row in db.execute("explain query plan " + DATE_FACET_SQL.format(where=""))
    )
    assert "idx_articles_published_date" in plan
    db["sources"].insert({"id": "s", "url": "https://s.example/"})
    db["articles"].insert_all([_article(n) for n in range(1, 4)] + [_article(9, published_at=None)])
    facet = db.execute(DATE_FACET_SQL.format(where="")).fetchall()
    assert sorted(facet) == [("2024-03-02", 1), ("2024-03-03", 1), ("2024-03-04", 1)]


def _fts_writes(db: sqlite_utils.Database, sql: str, params: list[object]) -> int:
    """Rows the statement changed beyond its own: the FTS trigger's writes (with FTS5's own
    shadow-table rows)."""
    before = db.conn.total_changes
    own = db.execute(sql, params).rowcount
    return db.conn.total_changes - before - own


def test_updating_other_columns_leaves_the_text_index_alone(tmp_path: Path) -> None:
    db = open_archive(tmp_path / "a.db")
    db["sources"].insert({"id": "s", "url": "https://s.example/"})
    db["articles"].insert(_article(1, body="Zeppelins carried mail."))
    assert _fts_writes(db, "update articles set story_id = ? where id = ?", ["x", "a1"]) == 0
    other = "update articles set relevance_score = 0.5, fetched_at = ? where id = ?"
    assert _fts_writes(db, other, ["2024-01-01", "a1"]) == 0
    # a new body is re-indexed: the old text out, the new one in
    assert _fts_writes(db, "update articles set body = ? where id = ?", ["Balloons.", "a1"]) > 0
    assert _matches(db, "zeppelin") == []
    assert _matches(db, "balloon") == ["a1"]
    _fts_consistent(db)


def test_write_path_migration_upgrades_an_existing_archive(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = open_archive(path)
    # An archive from before m014: sqlite-utils' trigger on every update, no redirect index.
    db.execute("drop trigger articles_au")
    db.execute(
        "create trigger articles_au after update on articles begin"
        " insert into articles_fts (articles_fts, rowid, title, body)"
        " values ('delete', old.rowid, old.title, old.body);"
        " insert into articles_fts (rowid, title, body) values (new.rowid, new.title, new.body);"
        " end"
    )
    db.execute("drop index idx_pages_waiting_redirects")
    db.execute("delete from _sqlite_migrations where name = 'm014_write_path'")
    db["sources"].insert({"id": "s", "url": "https://s.example/"})
    db["articles"].insert(_article(1))
    assert _fts_writes(db, "update articles set story_id = ? where id = ?", ["x", "a1"]) > 0
    db.conn.commit()
    db.close()

    db = open_archive(path)
    assert _fts_writes(db, "update articles set story_id = ? where id = ?", ["y", "a1"]) == 0
    plan = " ".join(
        row[3]
        for row in db.execute(
            "explain query plan select url from pages where kind = 'redirect'"
            " and article_id is null and kind_reason in (?, ?)",
            ["a", "b"],
        )
    )
    assert "idx_pages_waiting_redirects" in plan
    _fts_consistent(db)
