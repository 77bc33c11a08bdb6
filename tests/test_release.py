"""archive.release and `broadsheet release` / `serve --release`: frozen, checksummed snapshots."""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.cli import cli
from archive.release import CSV_TABLES, ReleaseError, create_release, release_db
from archive.schema import open_archive

SOURCES_TOML = '[[source]]\nid = "alpha"\nurl = "https://alpha.example/"\n'


@pytest.fixture
def archive(tmp_path: Path) -> tuple[Path, Path]:
    db_path = tmp_path / "data" / "broadsheet.db"
    db = open_archive(db_path)
    db["sources"].insert_all(
        [{"id": "alpha", "name": "Alpha", "url": "https://alpha.example/"},
         {"id": "beta", "name": "Beta", "url": "https://beta.example/"}]
    )  # fmt: skip
    db["articles"].insert_all(
        {"id": f"a{n}", "source": "alpha" if n % 3 else "beta", "url": f"https://x.example/{n}",
         "title": "=cmd" if n == 1 else f"Story {n}", "body": "Rupee steadies. " * 200,
         "published_at": f"2024-05-{n + 1:02d}T10:00:00+05:00"}
        for n in range(10)
    )  # fmt: skip
    db["articles"].insert({"id": "undated", "source": "alpha", "url": "https://x.example/u"})
    db["stories"].insert({"id": "a1", "original_article_id": "a1", "member_count": 1})
    db.close()
    sources = tmp_path / "sources.toml"
    sources.write_text(SOURCES_TOML, encoding="utf-8")
    return db_path, sources


def test_release_contents(archive: tuple[Path, Path]) -> None:
    db_path, sources = archive
    folder = create_release("2024-05", db_path, sources, db_path.parent / "releases")
    assert folder == db_path.parent / "releases" / "2024-05"
    names = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert names == sorted(
        ["SHA256SUMS", "broadsheet.db", "manifest.json", "sources.toml"]
        + [f"csv/{t}.csv" for t in CSV_TABLES]
    )
    assert (folder / "sources.toml").read_text(encoding="utf-8") == SOURCES_TOML
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["name"] == "2024-05"
    assert manifest["counts"]["articles"] == 11 and manifest["counts"]["sources"] == 2
    assert "articles_fts_data" not in manifest["counts"]  # FTS internals are not tables to cite
    assert manifest["published_at"] == {
        "earliest": "2024-05-01T10:00:00+05:00", "latest": "2024-05-10T10:00:00+05:00",
        "dated": 10, "undated": 1,
    }  # fmt: skip
    assert manifest["sources"] == [
        {"id": "alpha", "name": "Alpha", "url": "https://alpha.example/", "country": None,
         "language": None, "articles": 7},
        {"id": "beta", "name": "Beta", "url": "https://beta.example/", "country": None,
         "language": None, "articles": 4},
    ]  # fmt: skip
    assert manifest["broadsheet_version"] and manifest["extractor_version"]
    assert manifest["created_at"].endswith("+00:00")
    schema = {entry["name"]: entry["sql"] for entry in manifest["schema"]}
    assert schema["articles"].startswith("CREATE TABLE")
    dictionary = manifest["data_dictionary"]
    assert dictionary["articles"]["description"]
    assert dictionary["articles"]["columns"]["body"]
    assert manifest["csv"]["tables"]["articles"] == {"file": "csv/articles.csv", "rows": 11}
    # The manifest lists every file but itself and SHA256SUMS (which lists the manifest).
    assert set(manifest["files"]) == set(names) - {"manifest.json", "SHA256SUMS"}
    assert manifest["sources_file"]["sha256"] == manifest["files"]["sources.toml"]["sha256"]

    with (folder / "csv" / "articles.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 11
    assert rows[0]["body"] == "Rupee steadies. " * 200  # full bodies
    assert rows[1]["title"] == "'=cmd"  # the CSVs are spreadsheet-safe, the database is exact


def test_checksums_verify_with_sha256sum(archive: tuple[Path, Path]) -> None:
    db_path, sources = archive
    folder = create_release("r1", db_path, sources, db_path.parent / "releases")
    check = subprocess.run(["sha256sum", "--strict", "-c", "SHA256SUMS"], cwd=folder,
                           capture_output=True, text=True, check=False)  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count(": OK") == 3 + len(CSV_TABLES)  # db, manifest, sources, CSVs
    tampered = folder / "csv" / "sources.csv"
    tampered.chmod(0o644)
    tampered.write_text("id\nforged\n", encoding="utf-8")
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True,
                           text=True, check=False)  # fmt: skip
    assert check.returncode == 1 and "csv/sources.csv: FAILED" in check.stdout


def test_copy_is_read_only_self_contained_and_sound(archive: tuple[Path, Path]) -> None:
    db_path, sources = archive
    folder = create_release("r1", db_path, sources, db_path.parent / "releases")
    copy = folder / "broadsheet.db"
    for path in folder.rglob("*"):
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) == 0o444, path
    assert not (folder / "broadsheet.db-wal").exists()
    conn = sqlite3.connect(f"{copy.as_uri()}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("select count(*) from articles_fts where articles_fts match 'rupee'"
                            ).fetchone()[0] == 10  # fmt: skip
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            conn.execute("delete from articles")
    finally:
        conn.close()
    # Immutable mode ignores -wal files: every row must already be in the main file.
    immutable = sqlite3.connect(f"{copy.as_uri()}?immutable=1", uri=True)
    assert immutable.execute("select count(*) from articles").fetchone()[0] == 11
    immutable.close()


def test_snapshot_excludes_uncommitted_and_includes_committed_wal(
    archive: tuple[Path, Path],
) -> None:
    db_path, sources = archive
    writer = sqlite3.connect(db_path)
    writer.execute("insert into articles (id, source, url) values ('late', 'alpha', 'u:late')")
    writer.commit()  # in the -wal file, not yet checkpointed
    writer.execute("begin immediate")
    writer.execute("insert into articles (id, source, url) values ('open', 'alpha', 'u:open')")
    try:
        folder = create_release("r1", db_path, sources, db_path.parent / "releases")
    finally:
        writer.rollback()
        writer.close()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["articles"] == 12  # 11 + the committed one, not the open one


def test_refuses_to_overwrite(archive: tuple[Path, Path]) -> None:
    db_path, sources = archive
    releases = db_path.parent / "releases"
    first = create_release("r1", db_path, sources, releases)
    before = (first / "SHA256SUMS").read_text(encoding="utf-8")
    with pytest.raises(ReleaseError, match="already exists"):
        create_release("r1", db_path, sources, releases)
    assert (first / "SHA256SUMS").read_text(encoding="utf-8") == before
    result = CliRunner().invoke(cli, ["release", "r1", "--db", str(db_path),
                                      "--sources", str(sources)])  # fmt: skip
    assert result.exit_code == 1 and "already exists" in result.output
    assert sorted(p.name for p in releases.iterdir()) == ["r1"]  # no partial folder left


@pytest.mark.parametrize("name", ["../up", "a/b", ".hidden", "", "-x"])
def test_bad_names(archive: tuple[Path, Path], name: str) -> None:
    db_path, sources = archive
    with pytest.raises(ReleaseError, match="bad release name"):
        create_release(name, db_path, sources, db_path.parent / "releases")


def test_needs_the_sources_file(archive: tuple[Path, Path], tmp_path: Path) -> None:
    db_path, _ = archive
    with pytest.raises(ReleaseError, match="--sources"):
        create_release("r1", db_path, tmp_path / "missing.toml", db_path.parent / "releases")
    assert not (db_path.parent / "releases" / "r1").exists()


def test_cli_release_with_out_dir(archive: tuple[Path, Path], tmp_path: Path) -> None:
    db_path, sources = archive
    out = tmp_path / "elsewhere"
    result = CliRunner().invoke(cli, ["release", "v1", "--db", str(db_path), "--sources",
                                      str(sources), "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert release_db("v1", out) == out / "v1" / "broadsheet.db"
    with pytest.raises(ReleaseError, match=r"no release 'v2'.*releases there: v1"):
        release_db("v2", out)
    result = CliRunner().invoke(cli, ["serve", "--db", str(db_path), "--release", "nope"])
    assert result.exit_code == 1 and "no release 'nope'" in result.output


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served_release(archive: tuple[Path, Path]) -> Iterator[str]:
    db_path, sources = archive
    create_release("r1", db_path, sources, db_path.parent / "releases")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "archive", "serve", "--db", str(db_path), "--release", "r1",
         "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/-/versions.json", timeout=5):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        proc.stderr.read().decode() if proc.stderr else ""
                    ) from None
                time.sleep(0.2)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # the group: broadsheet and its Datasette child
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if proc.stderr:
            proc.stderr.close()


def test_serve_release_answers_immutably(served_release: str) -> None:
    def get(path: str) -> object:
        with urllib.request.urlopen(served_release + path, timeout=30) as response:
            assert response.status == 200
            return json.load(response)

    databases = get("/-/databases.json")
    assert isinstance(databases, list)
    assert [(d["name"], d["is_mutable"]) for d in databases] == [("broadsheet", False)]
    assert str(databases[0]["path"]).endswith("releases/r1/broadsheet.db")
    rows = get("/broadsheet/articles.json?_search=rupee&_shape=array&_size=100")
    assert isinstance(rows, list) and len(rows) == 10
    with urllib.request.urlopen(served_release + "/broadsheet/articles/a3", timeout=30) as page:
        assert "Story 3" in page.read().decode()
