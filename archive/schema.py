"""The archive's SQLite schema, built only by migrations.

Every change to the schema is a new migration function appended to ``MIGRATIONS`` (features may keep
theirs in their own module and be listed here); applied migrations are recorded in
``_sqlite_migrations``, so ``open_archive`` is safe to call on every start and upgrades old files.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import sqlite_utils
from sqlite_utils.migrations import Migrations

from archive.migrations_facts import m003_facts
from archive.migrations_stories import m002_stories, m004_versions
from pipelines.templates import m011_templates

MIGRATION_SET = "broadsheet"


def _m001_core(db: sqlite_utils.Database) -> None:
    db["sources"].create(
        {
            "id": str,
            "name": str,
            "url": str,
            "country": str,
            "language": str,
            "tags": str,  # JSON list
            "first_seen_at": str,
            "last_config_at": str,
        },
        pk="id",
    )
    db["articles"].create(
        {
            "id": str,  # sha1 of the article's identity key (see pipelines.urls.identity_key)
            "source": str,
            "url": str,
            "canonical_url": str,
            "title": str,
            "authors": str,  # JSON list of person or agency names
            "published_at": str,
            "published_method": str,
            "updated_at": str,
            "updated_method": str,
            "body": str,
            "description": str,
            "language": str,
            "site_name": str,
            "section": str,
            "tags": str,  # JSON list
            "top_image": str,
            "original_source": str,
            "is_paywalled": int,
            "word_count": int,
            "content_hash": str,
            "duplicate_of": str,  # earliest article with the same body in another source
            "http_status": int,
            "first_seen_at": str,
            "fetched_at": str,
            "extractor_version": str,
        },
        pk="id",
        not_null={"source", "url"},
        foreign_keys=[("source", "sources", "id")],
    )
    db["articles"].create_index(["source", "published_at"])
    db["articles"].create_index(["published_at"])
    db["articles"].create_index(["content_hash"])
    db["articles"].create_index(["language"])
    db["articles"].enable_fts(["title", "body"], create_triggers=True, tokenize="porter")

    db["article_urls"].create(
        {
            "url": str,
            "article_id": str,
            "source": str,
            "via": str,  # fetched, redirect, canonical, duplicate-body
            "first_seen_at": str,
            "last_seen_at": str,
        },
        pk="url",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["article_urls"].create_index(["article_id"])

    db["comments"].create(
        {"article_id": str, "position": int, "text": str},
        pk=("article_id", "position"),
        foreign_keys=[("article_id", "articles", "id")],
    )

    # Every HTML page fetched, article or not: the audit trail of what the crawler decided.
    db["pages"].create(
        {
            "url": str,
            "source": str,
            "kind": str,
            "kind_reason": str,
            "http_status": int,
            "article_id": str,
            "first_fetched_at": str,
            "last_fetched_at": str,
            "fetch_count": int,
        },
        pk="url",
    )
    db["pages"].create_index(["source", "kind"])

    db["crawl_runs"].create(
        {
            "id": int,
            "run_id": str,
            "source": str,
            "started_at": str,
            "finished_at": str,
            "status": str,  # running, ok, failed
            "finish_reason": str,
            "pages_fetched": int,
            "articles_new": int,
            "articles_updated": int,
            "articles_unchanged": int,
            "articles_duplicate": int,
            "pages_not_article": int,
            "errors": int,
        },
        pk="id",
        not_null={"run_id", "source"},
    )
    db["crawl_runs"].create_index(["run_id", "source"], unique=True)
    db["crawl_runs"].create_index(["source", "started_at"])


def _m005_incremental(db: sqlite_utils.Database) -> None:
    """Validators and identity on ``pages``: the crawler's memory for incremental runs."""
    from pipelines.urls import identity_key

    pages = db["pages"]
    pages.add_column("identity", str)
    pages.add_column("etag", str)
    pages.add_column("last_modified", str)
    for url in [row[0] for row in db.execute("select url from pages").fetchall()]:
        db.execute("update pages set identity = ? where url = ?", [identity_key(url), url])
    pages.create_index(["identity"])


def _m006_health(db: sqlite_utils.Database) -> None:
    """Per-run counts of blocks and incremental work, and the ``source_health`` view."""
    from archive.health import VIEW_SQL

    runs = db["crawl_runs"]
    for column in ("blocked", "not_modified", "known_skipped"):
        runs.add_column(column, int)
    db.execute(VIEW_SQL)


def _m007_warc(db: sqlite_utils.Database) -> None:
    """Provenance: the WARC record each article was extracted from."""
    for column, kind in (
        ("warc_file", str), ("warc_offset", int), ("warc_length", int),
        ("warc_record_id", str), ("warc_payload_digest", str),
    ):  # fmt: skip
        db["articles"].add_column(column, kind)


def _m008_site_name_index(db: sqlite_utils.Database) -> None:
    """Origins are matched by the name outlets give themselves on their pages."""
    db["articles"].create_index(["site_name"])


def _m009_relevance_policy(db: sqlite_utils.Database) -> None:
    """Which stored articles a source's relevance policy flagged, and how many it dropped."""
    db["articles"].add_column("relevance_flagged", int)
    db["crawl_runs"].add_column("articles_dropped", int)
    db["sources"].add_column("relevance", str)


def _m010_agencies(db: sqlite_utils.Database) -> None:
    """News agencies (AP, Reuters, "... News Service") kept apart from person authors."""
    db["articles"].add_column("agencies", str)


def _m012_date_flags(db: sqlite_utils.Database) -> None:
    """Warnings about an article's publication date, and the page's robots/AI/TDM directives."""
    for column in ("date_flags", "robots_directives"):
        db["articles"].add_column(column, str)


def _m013_published_date_index(db: sqlite_utils.Database) -> None:
    """An index on the publication date as a UTC day, ``date(published_at)``: the expression the
    articles page's date facet groups by (Datasette's DateFacet). With it the facet reads an
    index in date order instead of converting and sorting every article's date: 556 ms to 84 ms
    on 1,000,000 articles (docs/performance.md)."""
    db.execute(
        "create index if not exists idx_articles_published_date on articles(date(published_at))"
    )


def _m014_write_path(db: sqlite_utils.Database) -> None:
    """Two costs of the crawl's write path that grew with the archive.

    sqlite-utils' FTS update trigger re-indexes an article's title and body on every update of
    its row; setting ``story_id``, the relevance fields or a fetch time re-indexed text that had
    not changed (each new article was indexed three times). The trigger now fires only when the
    title or the body change. And redirects waiting for their target (``_adopt_redirects`` asks
    for every stored article) are found through a partial index instead of a scan of ``pages``.
    """
    db.execute("drop trigger if exists articles_au")
    db.execute(
        "create trigger articles_au after update of title, body on articles begin"
        " insert into articles_fts (articles_fts, rowid, title, body)"
        " values ('delete', old.rowid, old.title, old.body);"
        " insert into articles_fts (rowid, title, body) values (new.rowid, new.title, new.body);"
        " end"
    )
    db.execute(
        "create index if not exists idx_pages_waiting_redirects on pages(kind_reason)"
        " where kind = 'redirect' and article_id is null"
    )


def _m015_not_found(db: sqlite_utils.Database) -> None:
    """Dead links (404/410 on a linked page) counted apart from errors in each run."""
    db["crawl_runs"].add_column("pages_not_found", int)


def _m016_article_parts(db: sqlite_utils.Database) -> None:
    """The later pages of articles split over several (pipelines/article_parts.py): where each
    was captured, so that ``broadsheet reprocess`` joins them again."""
    db["article_parts"].create(
        {
            "article_id": str,
            "part": int,  # 2 for the second page, and so on
            "url": str,
            "fetched_at": str,
            "warc_file": str,
            "warc_offset": int,
            "warc_length": int,
            "warc_record_id": str,
        },
        pk=("article_id", "part"),
        foreign_keys=[("article_id", "articles", "id")],
        if_not_exists=True,
    )


# (name, function) in the order they must run. Never reorder or rename an applied migration.
MIGRATIONS: tuple[tuple[str, Callable[[sqlite_utils.Database], None]], ...] = (
    ("m001_core", _m001_core),
    ("m005_incremental", _m005_incremental),
    ("m006_health", _m006_health),
    ("m007_warc", _m007_warc),
    ("m002_stories", m002_stories),
    ("m004_versions", m004_versions),
    ("m008_site_name_index", _m008_site_name_index),
    ("m003_facts", m003_facts),
    ("m009_relevance_policy", _m009_relevance_policy),
    ("m010_agencies", _m010_agencies),
    ("m011_templates", m011_templates),
    ("m012_date_flags", _m012_date_flags),
    ("m013_published_date_index", _m013_published_date_index),
    ("m014_write_path", _m014_write_path),
    ("m015_not_found", _m015_not_found),
    ("m016_article_parts", _m016_article_parts),
)


def build_migrations() -> Migrations:
    migrations = Migrations(MIGRATION_SET)
    for name, function in MIGRATIONS:
        migrations(name=name)(function)
    return migrations


def open_archive(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) the archive, apply pending migrations, and switch on WAL."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(path)
    # WAL lets Datasette read while a crawl writes; NORMAL sync is durable across process crashes
    # in WAL mode (only an OS crash can lose the last commits, never corrupt the file).
    db.enable_wal()
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA busy_timeout=10000")
    db.execute("PRAGMA foreign_keys=ON")
    build_migrations().apply(db)
    return db
