"""Citable releases: a frozen, checksummed snapshot of the archive that others can cite and verify.

``create_release`` writes ``<releases>/<name>/``:

- ``broadsheet.db``: a copy of the archive made with SQLite's online backup API in one step, so it
  is one consistent snapshot even while a crawl writes; then switched to ``journal_mode=DELETE``
  (one self-contained file, no ``-wal``), checked with ``PRAGMA integrity_check`` and made
  read-only (mode 0444).
- ``sources.toml``: the sources file the archive was crawled with.
- ``csv/<table>.csv``: one CSV per research table, written by ``archive.export`` from the copy.
- ``manifest.json``: counts per table, the publication date range, sources with their article
  counts, the schema, the data dictionary, versions, and the SHA-256 of every other file.
- ``SHA256SUMS``: every file's SHA-256 (the manifest's included), checkable with
  ``sha256sum -c SHA256SUMS`` from inside the release folder.

The release is built in a hidden folder beside the target and renamed into place at the end, so
a failed release leaves nothing behind under its name, and an existing release is never touched.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from archive.export import export

DB_FILE: Final = "broadsheet.db"
MANIFEST_FILE: Final = "manifest.json"
SUMS_FILE: Final = "SHA256SUMS"
SOURCES_FILE: Final = "sources.toml"
CSV_DIR: Final = "csv"
# The tables a researcher reads; the whole archive is in broadsheet.db.
CSV_TABLES: Final = ("articles", "facts", "stories", "article_versions", "sources", "crawl_runs")
READ_ONLY: Final = 0o444
NAME_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
MANIFEST_FORMAT: Final = 1


class ReleaseError(Exception):
    """A release that cannot be made or found; the message says why."""


def check_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise ReleaseError(
            f"bad release name {name!r}: use letters, digits, '.', '_' and '-' "
            "(not starting with '.' or '-'), at most 100 characters"
        )
    return name


def release_db(name: str, releases_dir: Path) -> Path:
    """The database of release ``name`` under ``releases_dir``, or ReleaseError."""
    folder = Path(releases_dir) / check_name(name)
    db = folder / DB_FILE
    if not (db.is_file() and (folder / MANIFEST_FILE).is_file()):
        known = sorted(
            p.name for p in Path(releases_dir).glob("*") if (p / MANIFEST_FILE).is_file()
        ) if Path(releases_dir).is_dir() else []  # fmt: skip
        listing = f"; releases there: {', '.join(known)}" if known else ""
        raise ReleaseError(f"no release {name!r} in {releases_dir}{listing}")
    return db


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _files(root: Path) -> Iterator[Path]:
    """Every regular file under ``root``, as paths relative to it, in a stable order."""
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield path.relative_to(root)


# --- the database copy -------------------------------------------------------------------------


def _copy_database(db_path: Path, target: Path) -> None:
    """One consistent snapshot of ``db_path`` into ``target``, self-contained and verified."""
    source = sqlite3.connect(f"{Path(db_path).resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(target)
    try:
        # pages=-1: the whole database in one step, inside one read transaction, so writers that
        # commit meanwhile do not restart the copy or leak into it (WAL readers see a snapshot).
        source.backup(copy, pages=-1)
    finally:
        source.close()
    try:
        # The copy inherits WAL mode from the header: fold it back into a single file.
        copy.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        mode = copy.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
        if mode != "delete":
            raise ReleaseError(f"could not switch the copy to journal_mode=DELETE (got {mode})")
        result = [row[0] for row in copy.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            raise ReleaseError(f"the copy fails PRAGMA integrity_check: {'; '.join(result[:5])}")
    finally:
        copy.close()


# --- manifest ----------------------------------------------------------------------------------


def _table_counts(conn: sqlite3.Connection) -> dict[str, int]:
    objects = conn.execute(
        "select name, sql from sqlite_master where type = 'table' order by name"
    ).fetchall()
    virtual = [name for name, sql in objects if (sql or "").upper().startswith("CREATE VIRTUAL")]
    counts = {}
    for name, _ in objects:
        shadow = any(name.startswith(f"{v}_") for v in virtual)
        if name.startswith("sqlite_") or name in virtual or shadow:
            continue
        quoted = '"{}"'.format(name.replace('"', '""'))
        counts[name] = conn.execute(f"select count(*) from {quoted}").fetchone()[0]
    return counts


def _date_range(conn: sqlite3.Connection) -> dict[str, Any]:
    # By instant, not by text: published_at keeps each page's own UTC offset.
    def edge(order: str) -> str | None:
        row = conn.execute(
            "select published_at from articles where julianday(published_at) is not null "
            f"order by julianday(published_at) {order}, published_at limit 1"
        ).fetchone()
        return row[0] if row else None

    dated, undated = conn.execute(
        "select count(julianday(published_at)), count(*) - count(julianday(published_at)) "
        "from articles"
    ).fetchone()
    return {"earliest": edge("asc"), "latest": edge("desc"), "dated": dated, "undated": undated}


def _sources(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        """select s.id, s.name, s.url, s.country, s.language, count(a.id)
           from sources s left join articles a on a.source = s.id
           group by s.id order by s.id"""
    ).fetchall()
    keys = ("id", "name", "url", "country", "language", "articles")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def _schema(conn: sqlite3.Connection) -> list[dict[str, str]]:
    rows = conn.execute(
        "select type, name, tbl_name, sql from sqlite_master where sql is not null "
        "order by case type when 'table' then 0 when 'view' then 1 when 'index' then 2 else 3 end,"
        " name"
    ).fetchall()
    return [dict(zip(("type", "name", "table", "sql"), row, strict=True)) for row in rows]


def data_dictionary() -> dict[str, dict[str, Any]]:
    """Table and column descriptions from the Datasette metadata (the ones the web UI shows)."""
    import yaml

    from archive.serve import DATABASE_NAME, METADATA

    metadata = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    tables = metadata["databases"][DATABASE_NAME].get("tables", {})
    return {
        name: {"description": spec.get("description", ""), "columns": spec.get("columns", {})}
        for name, spec in tables.items()
        if spec.get("description") or spec.get("columns")
    }


def _extractor_versions(conn: sqlite3.Connection) -> dict[str, int]:
    rows = conn.execute(
        "select coalesce(extractor_version, ''), count(*) from articles group by 1 order by 1"
    ).fetchall()
    return dict(rows)


def _broadsheet_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("broadsheet")
    except PackageNotFoundError:
        return "unknown"


def build_manifest(
    name: str,
    folder: Path,
    created_at: str,
    csv_rows: dict[str, int],
    neutralised: bool,
) -> dict[str, Any]:
    """The manifest of the release being built in ``folder`` (every file but the manifest)."""
    from pipelines.extract import EXTRACTOR_VERSION
    from pipelines.facts import EXTRACTOR_VERSION as FACTS_EXTRACTOR_VERSION

    db = folder / DB_FILE
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        manifest = {
            "format": MANIFEST_FORMAT,
            "name": name,
            "created_at": created_at,
            "broadsheet_version": _broadsheet_version(),
            "extractor_version": EXTRACTOR_VERSION,
            "facts_extractor_version": FACTS_EXTRACTOR_VERSION,
            "article_extractor_versions": _extractor_versions(conn),
            "sqlite_version": sqlite3.sqlite_version,
            "database": DB_FILE,
            "counts": _table_counts(conn),
            "published_at": _date_range(conn),
            "sources": _sources(conn),
            "sources_file": {"file": SOURCES_FILE, "sha256": sha256_file(folder / SOURCES_FILE)},
            "csv": {
                "formula_neutralised": neutralised,
                "tables": {
                    table: {"file": f"{CSV_DIR}/{table}.csv", "rows": rows}
                    for table, rows in csv_rows.items()
                },
            },
            "schema": _schema(conn),
            "data_dictionary": data_dictionary(),
        }
    finally:
        conn.close()
    manifest["files"] = {
        str(rel): {"sha256": sha256_file(folder / rel), "bytes": (folder / rel).stat().st_size}
        for rel in _files(folder)
        if str(rel) not in (MANIFEST_FILE, SUMS_FILE)
    }
    return manifest


# --- the release -------------------------------------------------------------------------------


def create_release(
    name: str,
    db_path: Path,
    sources_path: Path,
    releases_dir: Path,
    *,
    neutralise_formulas: bool = True,
    progress: Callable[[str], Any] | None = None,
) -> Path:
    """Freeze ``db_path`` as release ``name`` in ``releases_dir``; return the release folder."""
    check_name(name)
    db_path, sources_path, releases_dir = Path(db_path), Path(sources_path), Path(releases_dir)
    target = releases_dir / name
    if target.exists():
        raise ReleaseError(f"release {name!r} already exists at {target}; releases are never "
                           "overwritten: choose another name")  # fmt: skip
    if not db_path.is_file():
        raise ReleaseError(f"no archive at {db_path}")
    if not sources_path.is_file():
        raise ReleaseError(
            f"no sources file at {sources_path}: give --sources FILE, the file the archive was "
            "crawled with (a release records it)"
        )

    def say(message: str) -> None:
        if progress is not None:
            progress(message)

    releases_dir.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{name}.partial-", dir=releases_dir))
    try:
        created_at = datetime.now(UTC).isoformat(timespec="seconds")
        say("copying the database…")
        _copy_database(db_path, building / DB_FILE)
        shutil.copyfile(sources_path, building / SOURCES_FILE)

        (building / CSV_DIR).mkdir()
        csv_rows: dict[str, int] = {}
        for table in CSV_TABLES:
            say(f"writing {CSV_DIR}/{table}.csv…")
            with (building / CSV_DIR / f"{table}.csv").open(
                "w", encoding="utf-8", newline=""
            ) as out:
                csv_rows[table] = export(
                    building / DB_FILE, out, fmt="csv", table=table,
                    neutralise_formulas=neutralise_formulas,
                    progress=lambda n, t=table: say(f"writing {CSV_DIR}/{t}.csv… {n:,} rows"),
                )  # fmt: skip

        say("writing the manifest and checksums…")
        manifest = build_manifest(name, building, created_at, csv_rows, neutralise_formulas)
        (building / MANIFEST_FILE).write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        # sha256sum's format: digest, two spaces (text mode marker " "), path relative to here.
        sums = "".join(
            f"{sha256_file(building / rel)}  {rel.as_posix()}\n"
            for rel in _files(building)
            if str(rel) != SUMS_FILE
        )
        (building / SUMS_FILE).write_text(sums, encoding="ascii")
        for rel in _files(building):
            (building / rel).chmod(READ_ONLY)
        building.chmod(0o755)  # mkdtemp made it private; a release is for everyone to read
        if target.exists():  # made by someone else while we worked
            raise ReleaseError(f"release {name!r} appeared at {target} meanwhile; not overwritten")
        building.rename(target)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return target
