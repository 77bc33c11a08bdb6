"""End to end: serve the demo outlets on 127.0.0.1, run `broadsheet crawl` in a subprocess, and
check the archive against the demo sites' ground truth."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
import sqlite_utils

from archive.cli import LOCAL_CRAWL_SETTINGS
from demo_sites.catalog import Article, outlets, write_sources_toml
from demo_sites.server import DemoServer
from pipelines.urls import canonicalize

pytestmark = pytest.mark.e2e


@dataclass
class Crawl:
    server: DemoServer
    db: sqlite_utils.Database
    db_path: Path
    output: str
    returncode: int


def run_crawl(server: DemoServer, workdir: Path, *options: str) -> Crawl:
    sources = write_sources_toml(server, workdir / "sources.toml")
    db_path = workdir / "archive.db"
    proc = subprocess.run(
        [sys.executable, "-m", "archive", "crawl", "--sources", str(sources),
         "--db", str(db_path), *LOCAL_CRAWL_SETTINGS, *options],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    return Crawl(server, sqlite_utils.Database(db_path), db_path, proc.stderr, proc.returncode)


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    with DemoServer() as server:
        yield run_crawl(server, tmp_path_factory.mktemp("crawl"))


@pytest.fixture(scope="module")
def shared_host_crawl(tmp_path_factory):
    with DemoServer(shared_host=True) as server:
        yield run_crawl(server, tmp_path_factory.mktemp("shared"))


def expected(server: DemoServer) -> dict[str, tuple[str, Article]]:
    """canonical URL -> (outlet id, article) for every demo article."""
    return {
        canonicalize(a.url(server.base_urls[o.id])): (o.id, a)
        for o in outlets()
        for a in o.articles()
    }


def stored_by_url(c: Crawl) -> dict[str, dict]:
    """Each expected article URL -> the article row it resolved to."""
    rows = {}
    for url in expected(c.server):
        hit = c.db.execute(
            "select a.* from article_urls u join articles a on a.id = u.article_id where u.url = ?",
            [url],
        ).fetchall()
        if hit:
            cols = [d[0] for d in c.db.execute("select * from articles limit 0").description]
            rows[url] = dict(zip(cols, hit[0], strict=True))
    return rows


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def test_crawl_succeeds_for_every_source(crawl):
    assert crawl.returncode == 0, crawl.output[-3000:]
    assert re.search(r"'gc/full_collections': \d+", crawl.output)  # the collector's cost, reported
    runs = list(crawl.db["crawl_runs"].rows)
    assert {r["source"] for r in runs} == {o.id for o in outlets()}
    assert all(r["status"] == "ok" and r["finished_at"] for r in runs), runs
    # each outlet links one missing page: a dead link, counted apart, not an error
    assert all(r["pages_not_found"] >= 1 for r in runs), runs


@pytest.mark.parametrize("which", ["crawl", "shared_host_crawl"])
def test_every_article_stored_exactly_once_and_nothing_else(which, request):
    c: Crawl = request.getfixturevalue(which)
    assert c.returncode == 0, c.output[-3000:]
    want = expected(c.server)
    found = stored_by_url(c)
    missing = sorted(set(want) - set(found))
    assert not missing, f"articles not stored: {missing}"
    ids = {row["id"] for row in found.values()}
    assert len(ids) == len(want), "two demo articles merged into one row"
    extra = c.db.execute(
        f"select url from articles where id not in ({','.join('?' * len(ids))})", list(ids)
    ).fetchall()
    assert not extra, f"non-articles stored as articles: {extra}"


def test_titles_authors_and_dates_are_right(crawl):
    wrong = []
    for url, row in stored_by_url(crawl).items():
        _, article = expected(crawl.server)[url]
        if row["title"] != article.title:
            wrong.append(("title", url, row["title"], article.title))
        if json.loads(row["authors"]) != list(article.authors):
            wrong.append(("authors", url, row["authors"], article.authors))
        agency = "News Service" in article.byline
        if bool(json.loads(row["agencies"])) != agency:
            wrong.append(("agencies", url, row["agencies"], article.byline))
        want = datetime.fromisoformat(article.published_at)
        got = row["published_at"] or ""
        if "T" in got:
            if datetime.fromisoformat(got) != want:
                wrong.append(("published_at", url, got, article.published_at))
        elif got != want.date().isoformat():
            wrong.append(("published_at", url, got, article.published_at))
    assert not wrong, wrong[:10]


def test_bodies_are_clean_text(crawl):
    """Every paragraph is kept; share prompts, related boxes and reader comments are not."""
    junk = re.compile(
        r"share on|also see|related stories|newsletter|cookie|comments below", re.IGNORECASE
    )
    problems = []
    for url, row in stored_by_url(crawl).items():
        _, article = expected(crawl.server)[url]
        body = row["body"]
        got, want = words(body), words(article.body)
        missing = sum(1 for p in article.paragraphs if " ".join(words(p)) not in " ".join(got))
        if missing or len(got) > len(want) * 1.05 + 20 or junk.search(body):
            problems.append((url, missing, len(got), len(want), junk.search(body)))
    assert not problems, problems[:5]


def test_robots_disallowed_and_non_article_pages_are_not_stored(crawl):
    for outlet in outlets():
        disallowed = outlet.traps.disallowed
        requested = [path for _, path, _ in crawl.server.requests_for(outlet.id)]
        assert requested, "the request log must see the crawl"
        assert not any(p.startswith(disallowed) for p in requested), disallowed
    kinds = dict(crawl.db.execute("select kind, count(*) from pages group by kind").fetchall())
    assert kinds.get("listing", 0) >= 10  # home, sections, tags were fetched and recognised


def test_redirect_and_tracking_variants_collapse(crawl):
    for outlet in outlets():
        base = crawl.server.base_urls[outlet.id]
        traps = outlet.traps
        target = crawl.db.execute(
            "select article_id from article_urls where url = ?",
            [canonicalize(base + traps.redirect_to)],
        ).fetchone()
        source = crawl.db.execute(
            "select article_id from article_urls where url = ?",
            [canonicalize(base + traps.redirect_from)],
        ).fetchone()
        assert target and source and target == source, outlet.id
    urls = [r[0] for r in crawl.db.execute("select url from article_urls").fetchall()]
    assert not [u for u in urls if "utm_" in u or "#" in u or "print=" in u]


def test_republished_article_names_its_origin(crawl):
    copies = [(o.id, a) for o in outlets() for a in o.articles() if a.republished_from]
    assert copies
    for outlet_id, article in copies:
        url = canonicalize(article.url(crawl.server.base_urls[outlet_id]))
        row = stored_by_url(crawl)[url]
        assert row["original_source"], article.title
        origin_outlet, origin_path = article.republished_from
        origin_url = canonicalize(crawl.server.base_urls[origin_outlet] + origin_path)
        origin = stored_by_url(crawl)[origin_url]
        assert row["id"] != origin["id"]  # each outlet's article is kept...
        assert row["story_id"] == origin["story_id"]  # ...in one story
        link = crawl.db.execute(
            "select target_article_id from story_links where article_id = ? and kind = 'origin'",
            [row["id"]],
        ).fetchone()
        assert link == (origin["id"],)


def test_wire_copies_cluster_and_distinct_stories_do_not(crawl):
    rows = stored_by_url(crawl)
    by_story: dict[str, set[str]] = {}
    for url, row in rows.items():
        by_story.setdefault(row["story_id"], set()).add(url)
    clusters = [urls for urls in by_story.values() if len(urls) > 1]
    republished = sum(1 for o in outlets() for a in o.articles() if a.republished_from)
    # The republished article and the wire story carried by two outlets, nothing else.
    assert len(clusters) == republished + 1, clusters
    assert all(len(urls) == 2 for urls in clusters)
    titles = {expected(crawl.server)[u][1].title for urls in clusters for u in urls}
    assert any("broadband" in t.lower() for t in titles)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:  # 127.0.0.1 only
        return response.read()


def test_datasette_serves_search_and_csv(crawl):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "archive", "serve", "--db", str(crawl.db_path), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}/broadsheet"
        for _ in range(100):
            try:
                _get(f"http://127.0.0.1:{port}/-/versions.json")
                break
            except OSError:
                time.sleep(0.2)
        term = "exports"
        want = crawl.db.execute(
            "select count(*) from articles_fts where articles_fts match ?", [term]
        ).fetchone()[0]
        assert want > 0
        found = json.loads(_get(f"{base}/articles.json?_search={term}&_shape=objects&_size=max"))
        assert len(found["rows"]) == want
        csv_text = _get(f"{base}/articles.csv?_stream=on&_size=max").decode("utf-8")
        import csv
        import io

        rows = list(csv.DictReader(io.StringIO(csv_text)))
        assert len(rows) == crawl.db["articles"].count
        assert all(r["body"] for r in rows)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _snapshot(db: sqlite_utils.Database) -> list[tuple]:
    return db.execute("select * from articles order by id").fetchall()


def test_every_article_points_at_a_valid_warc_record(crawl):
    from pipelines.warcs import read_record

    warc_dir = crawl.db_path.parent / "warc"
    files = sorted(warc_dir.glob("*.warc.gz"))
    assert files and not list(warc_dir.glob("*.open"))
    for path in files:
        assert subprocess.run(["gzip", "-t", str(path)], check=False).returncode == 0
        check = subprocess.run(
            [str(Path(sys.executable).parent / "warcio"), "check", str(path)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert check.returncode == 0, check.stdout + check.stderr
    rows = crawl.db.execute(
        "select url, warc_file, warc_offset, warc_payload_digest from articles"
    ).fetchall()
    assert rows and all(r[1] for r in rows)
    for url, warc_file, offset, digest in rows:
        record = read_record(warc_dir / warc_file, offset)
        assert record.payload_digest == digest
        assert canonicalize(record.url) == url


def test_reprocess_of_unchanged_extraction_changes_nothing(crawl):
    before = _snapshot(crawl.db)
    proc = subprocess.run(
        [sys.executable, "-m", "archive", "reprocess", "--db", str(crawl.db_path)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"unchanged: {len(before)}" in proc.stderr
    assert _snapshot(crawl.db) == before


def test_import_of_our_own_warcs_rebuilds_the_same_articles(crawl, tmp_path):
    files = sorted((crawl.db_path.parent / "warc").glob("*.warc.gz"))
    sources = crawl.db_path.parent / "sources.toml"
    fresh = tmp_path / "imported.db"
    proc = subprocess.run(
        [sys.executable, "-m", "archive", "import-warc", "--sources", str(sources),
         "--db", str(fresh), *map(str, files)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = sqlite_utils.Database(fresh)
    want = {r[0] for r in crawl.db.execute("select id from articles").fetchall()}
    got = {r[0] for r in imported.execute("select id from articles").fetchall()}
    assert got == want
