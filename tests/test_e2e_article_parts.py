"""End to end: articles split over several pages are stored once, their text joined in order.

The site has a story in three pages (``?page=2``, ``?page=3``, each page its own canonical), a
WordPress-style story in two (``/slug/2/``, announced by ``<link rel="next">`` only), a story
whose ``rel="next"`` names the next post (no page of it), and a story whose ``?page=2`` link
serves page 1 again (a site that ignores the number). The recipe this replaces stored each page
as an article of its own, or kept page 1 only.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils

from pipelines.article_parts import MAX_PARTS
from tests.hostile import content
from tests.loopback import LoopbackSite, QuietHandler, crawl_logged, reply

pytestmark = pytest.mark.e2e

LONG = "/news/long-read-on-software-exports"
WP = "/news/wordpress-story-on-textile-orders/"
NEXT_POST = "/news/story-whose-next-is-another-post"
ANOTHER_POST = "/news/the-post-after-it-on-bank-rates"
IGNORED = "/news/story-whose-site-ignores-page-numbers"
ENDLESS = "/news/a-story-whose-pages-never-end"
FAZ = "/wirtschaft/exports-of-software-16604622"  # pages -p2.html, -p3.html, with a pager
DEEP = "/stories/a-story-found-at-the-depth-limit"  # home -> /s1 -> /s2 -> /s3 -> it
# a story and another whose name only ends in "-2", as a second post of one title is named:
# neither links the other, so each is an article of its own
TALKS, TALKS_2 = "/news/budget-talks.html", "/news/budget-talks-2.html"


def _paras(name: str) -> list[str]:
    return content.paragraphs(name, 5)


class _PartsSite(LoopbackSite):
    def __init__(self) -> None:
        super().__init__(_Handler)
        self.failing: set[str] = set()  # paths answered with a 500


class _Handler(QuietHandler):
    server: _PartsSite

    def do_GET(self) -> None:
        self.server.log_path(self.path)
        if self.path in self.server.failing:
            reply(self, 500, b"<html><body>Server error</body></html>")
            return
        body = self._page(self.path)
        if body is None:
            reply(self, 404, b"<html><body>Not found</body></html>")
        else:
            reply(self, 200, body.encode())

    def _article(self, path: str, title: str, name: str, head: str = "", after: str = "") -> str:
        canonical = f'<link rel="canonical" href="{self.server.base_url}{path}">'
        return content.article_html(
            title, _paras(name), head_extra=canonical + head, raw_paras=[after] if after else ()
        )

    def _page(self, path: str) -> str | None:
        if path == "/":
            items = "".join(
                f'<li><h3><a href="{p}">A story on software exports and trade {n}</a></h3></li>'
                for n, p in enumerate(
                    (
                        LONG,
                        WP,
                        NEXT_POST,
                        IGNORED,
                        ANOTHER_POST,
                        ENDLESS,
                        f"{FAZ}.html",
                        TALKS,
                        TALKS_2,
                    )
                )
            )
            more = '<a href="/s1">Older sections</a>'
            return content.simple_page("Parts Post", f"<h1>Latest</h1><ul>{items}</ul>{more}")
        if path in ("/s1", "/s2", "/s3"):
            deeper = f"/s{int(path[2]) + 1}" if path != "/s3" else DEEP
            link = f'<ul><li><h3><a href="{deeper}">Further in the archive of stories</a></h3></li></ul>'
            return content.simple_page(f"Archive {path}", f"<h1>Archive</h1>{link}")
        faz_pages = [f"{FAZ}.html", f"{FAZ}-p2.html", f"{FAZ}-p3.html"]
        if path in faz_pages:
            number = faz_pages.index(path) + 1
            pager = " ".join(f'<a href="{u}">{n}</a>' for n, u in enumerate(faz_pages, start=1))
            nxt = f'<link rel="next" href="{faz_pages[number]}">' if number < 3 else ""
            title = "Software exports, page by page"
            return self._article(path, title, f"faz-{number}", nxt, f"<p>{pager}</p>")
        if path.split("?")[0] == DEEP:
            number = 2 if path.endswith("?page=2") else 1
            nxt = f'<link rel="next" href="{DEEP}?page=2">' if number == 1 else ""
            return self._article(path, "A story found at the depth limit", f"deep-{number}", nxt)
        title = "Long read: how software exports grew"
        pager = " ".join(f'<a href="{LONG}?page={n}">{n}</a>' for n in (1, 2, 3))
        for number, url in enumerate((LONG, f"{LONG}?page=2", f"{LONG}?page=3"), start=1):
            if path == url:
                nxt = f'<link rel="next" href="{LONG}?page={number + 1}">' if number < 3 else ""
                shown = title if number == 1 else f"{title} (page {number})"
                return self._article(url, shown, f"long-{number}", nxt, f"<p>{pager}</p>")
        if path == WP:
            nxt = f'<link rel="next" href="{WP}2/">'
            return self._article(WP, "Textile orders: a story in two pages", "wp-1", nxt)
        if path == f"{WP}2/":
            return self._article(f"{WP}2/", "Textile orders: a story in two pages", "wp-2")
        if path == TALKS:
            return self._article(TALKS, "Budget talks open on software levies", "talks")
        if path == TALKS_2:
            return self._article(TALKS_2, "Budget talks stall over port fees", "talks-2")
        if path == NEXT_POST:
            nxt = f'<link rel="next" href="{ANOTHER_POST}">'
            return self._article(NEXT_POST, "A story followed by another post", "np", nxt)
        if path == ANOTHER_POST:
            return self._article(ANOTHER_POST, "The post after it, on bank rates", "ap")
        if path.split("?")[0] == ENDLESS:  # a new page of new text behind every page
            number = int(path.split("=")[1]) if "?page=" in path else 1
            nxt = f'<link rel="next" href="{ENDLESS}?page={number + 1}">'
            return self._article(path, "A story whose pages never end", f"end-{number}", nxt)
        if path.split("?")[0] == IGNORED:
            pager = f'<p><a href="{IGNORED}?page=2" rel="next">Next page</a></p>'
            return self._article(IGNORED, "A site that ignores page numbers", "ig", "", pager)
        return None


@pytest.fixture(scope="module")
def site():
    with _PartsSite().serving() as server:
        yield server


def _reprocess(workdir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "archive", "reprocess", "--db", str(workdir / "archive.db"),
         "--workers", "0"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def _body(db: sqlite_utils.Database, path: str) -> str:
    (body,) = db.execute(
        "select a.body from articles a join article_urls u on u.article_id = a.id"
        " where u.url like ?",
        [f"%{path}"],
    ).fetchone()
    return body


def _positions(body: str, name: str) -> list[int]:
    return [body.index(p) for p in _paras(name)]


def test_a_story_in_several_pages_is_one_article_with_all_its_text(site, tmp_path):
    first, paths = crawl_logged(site, tmp_path, "parts")
    assert first.returncode == 0, first.stderr[-3000:]
    db = sqlite_utils.Database(tmp_path / "archive.db")
    titles = sorted(t for (t,) in db.execute("select title from articles"))
    assert titles == sorted(
        [
            "Long read: how software exports grew",
            "Textile orders: a story in two pages",
            "A story followed by another post",
            "The post after it, on bank rates",
            "A site that ignores page numbers",
            "A story whose pages never end",
            "A story found at the depth limit",
            "Software exports, page by page",
            "Budget talks open on software levies",
            "Budget talks stall over port fees",
        ]
    )
    long_body = _body(db, LONG)
    spans = [_positions(long_body, f"long-{n}") for n in (1, 2, 3)]
    assert spans[0][-1] < spans[1][0] and spans[1][-1] < spans[2][0]  # in page order
    wp_body = _body(db, WP)
    assert _positions(wp_body, "wp-1")[-1] < _positions(wp_body, "wp-2")[0]
    # the next post is an article of its own, and page 1 served again is not added twice
    assert _paras("ap")[0] not in _body(db, NEXT_POST)
    assert _body(db, IGNORED).count(_paras("ig")[0]) == 1
    parts = db.execute(
        "select u.url, p.part, p.warc_file is not null from article_parts p"
        " join article_urls u on u.url = p.url and u.via = 'part'"
        " where u.url not like ? and u.url not like ? and u.url not like ? order by u.url",
        [f"%{ENDLESS}%", f"%{DEEP}%", f"%{FAZ}%"],
    ).fetchall()
    assert [(url.split("/", 3)[3], n, warc) for url, n, warc in parts] == [
        (f"{LONG.lstrip('/')}?page=2", 2, 1),
        (f"{LONG.lstrip('/')}?page=3", 3, 1),
        (f"{WP.lstrip('/')}2/", 2, 1),
    ]
    # pages numbered in the file name, with a pager linking them all: each fetched once
    faz_body = _body(db, f"{FAZ}.html")
    assert _positions(faz_body, "faz-2")[-1] < _positions(faz_body, "faz-3")[0]
    assert sorted(p for p in paths if p.startswith(FAZ)) == sorted(
        [f"{FAZ}.html", f"{FAZ}-p2.html", f"{FAZ}-p3.html"]
    )
    # an article at DEPTH_LIMIT is read to its last page all the same
    assert _paras("deep-2")[-1] in _body(db, DEEP)
    # an article's pages end at MAX_PARTS: a chain without end is a trap
    assert len([p for p in paths if p.startswith(ENDLESS)]) == MAX_PARTS
    assert _paras(f"end-{MAX_PARTS}")[0] in _body(db, ENDLESS)
    assert sorted(p for p in paths if p.startswith(LONG)) == [
        LONG,
        f"{LONG}?page=2",
        f"{LONG}?page=3",
    ]

    # Read again from the WARC captures: the same joined text, no revision.
    again = _reprocess(tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert _body(db, LONG) == long_body and _body(db, WP) == wp_body
    assert db.execute("select count(*) from article_versions").fetchone()[0] == 0

    # A re-run knows the pages: none of the story's is fetched again.
    second, paths = crawl_logged(site, tmp_path, "parts")
    assert second.returncode == 0, second.stderr[-3000:]
    assert [p for p in paths if p.startswith((LONG, WP))] == []

    # A re-fetch whose last page fails keeps the stored reading: a failed fetch is no revision.
    site.failing.add(f"{LONG}?page=3")
    try:
        third, paths = crawl_logged(site, tmp_path, "parts", "--recrawl")
    finally:
        site.failing.clear()
    assert third.returncode == 0, third.stderr[-3000:]
    assert f"{LONG}?page=3" in paths and "fetch failed" in third.stderr
    assert _body(db, LONG) == long_body
    assert db.execute("select count(*) from article_versions").fetchone()[0] == 0
    assert db["articles"].count == 10


def test_import_of_the_crawl_s_warcs_rebuilds_the_same_articles(site, tmp_path):
    """``broadsheet import-warc`` of the crawl's own WARCs joins every later page to its article
    again, also the pages numbered in their file name (``-p2.html``), which a URL alone does not
    tell from a story whose slug ends in a number: the stored first page links them as its
    next pages, as the crawl's chain followed them."""
    crawled, _ = crawl_logged(site, tmp_path, "parts")
    assert crawled.returncode == 0, crawled.stderr[-3000:]
    fresh = tmp_path / "imported.db"
    proc = subprocess.run(
        [sys.executable, "-m", "archive", "import-warc", "--sources",
         str(tmp_path / "sources.toml"), "--db", str(fresh),
         *map(str, sorted((tmp_path / "warc").glob("*.warc.gz")))],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    crawled_db, imported = (
        sqlite_utils.Database(tmp_path / "archive.db"),
        sqlite_utils.Database(fresh),
    )

    def articles(db: sqlite_utils.Database) -> dict[str, tuple[str, str]]:
        rows = db.execute("select url, title, body from articles").fetchall()
        return {url.split("/", 3)[3]: (title, body) for url, title, body in rows}

    assert articles(imported) == articles(crawled_db)
    assert {TALKS.lstrip("/"), TALKS_2.lstrip("/")} <= set(articles(imported))
