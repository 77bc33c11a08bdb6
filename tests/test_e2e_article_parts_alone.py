"""End to end: a later page of an article that a listing links by itself is read through the
article's first page, not stored alone.

The home page links page 2 of a story before its page 1 and page 3 after it (each page its own
canonical), page 2 alone of a story whose pages all name page 1 as canonical, page 2 alone of a
WordPress-style story (``/slug/2/``), and page 2 of a story whose page 1 is gone. The crawl
before this stored pages 2 and 3 of the first story as articles of their own and left page 1
without their text; for the second story it kept page 1 and dropped the text of the others.
"""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

import pytest
import sqlite_utils

from tests.hostile import content
from tests.loopback import LoopbackSite, QuietHandler, crawl_logged, reply

pytestmark = pytest.mark.e2e

SELF = "/news/software-exports-the-long-read"  # every page its own canonical URL
FIRST = "/news/software-exports-by-quarter"  # every page names page 1 as canonical
WP = "/news/textile-orders-explained"  # /slug/2/ pages
ORPHAN = "/news/garment-exports-after-the-rules"  # page 1 answers 404
# A short slug: "/news/trade-gap?page=2" reads like page 2 of a section, so alone it is not
# extracted; the article reads it as its page all the same (fetched a second time).
SHORT = "/news/trade-gap"
# Page 1 links no page 2: the page 2 that links it back is no page of it, and is kept alone.
LONE = "/news/shipping-costs-fall-for-exporters"
PAGES = {
    SELF: [SELF, f"{SELF}?page=2", f"{SELF}?page=3"],
    FIRST: [FIRST, f"{FIRST}?page=2", f"{FIRST}?page=3"],
    WP: [f"{WP}/", f"{WP}/2/"],
    ORPHAN: [f"{ORPHAN}?page=2"],
    SHORT: [SHORT, f"{SHORT}?page=2"],
    LONE: [LONE, f"{LONE}?page=2"],
}
TITLES = {
    SELF: "Software exports, the long read",
    FIRST: "Software exports quarter by quarter",
    WP: "Textile orders explained",
    ORPHAN: "Garment exports after the rules changed",
    SHORT: "The trade gap narrows",
    LONE: "Shipping costs fall for exporters",
}


def _paras(story: str, number: int) -> list[str]:
    return content.paragraphs(f"{story}-{number}", 4)


class _Handler(QuietHandler):
    server: LoopbackSite

    def do_GET(self) -> None:
        self.server.log_path(self.path)
        body = self._page(self.path)
        if body is None:
            reply(self, 404, b"<html><body>Not found</body></html>")
        else:
            reply(self, 200, body.encode())

    def _page(self, path: str) -> str | None:
        if path == "/":
            linked = [PAGES[SELF][1], SELF, PAGES[SELF][2], PAGES[FIRST][1], PAGES[WP][1]]
            linked += [PAGES[SHORT][1], SHORT, PAGES[LONE][1]]
            items = "".join(
                f'<li><h3><a href="{p}">Exports and trade, story {n}</a></h3></li>'
                for n, p in enumerate([*linked, PAGES[ORPHAN][0]])
            )
            return content.simple_page("Parts Post", f"<h1>Latest</h1><ul>{items}</ul>")
        for story, pages in PAGES.items():
            if path in pages:
                number = pages.index(path) + (2 if story == ORPHAN else 1)
                return self._article(story, pages, number)
        return None

    def _article(self, story: str, pages: list[str], number: int) -> str:
        base = self.server.base_url
        canonical = pages[0] if story == FIRST else pages[number - 1 - (story == ORPHAN)]
        head = f'<link rel="canonical" href="{base}{canonical}">'
        if number < len(pages) and story != LONE:
            head += f'<link rel="next" href="{pages[number]}">'
        pager = " ".join(f'<a href="{p}">{n}</a>' for n, p in enumerate(pages, start=1))
        if story == ORPHAN:
            pager = f'<a href="{ORPHAN}">1</a> <a href="{ORPHAN}?page=2">2</a>'
        if story == LONE and number == 1:
            pager = ""
        return content.article_html(
            TITLES[story], _paras(story, number), head_extra=head, raw_paras=[f"<p>{pager}</p>"]
        )


@pytest.fixture(scope="module")
def site():
    with LoopbackSite(_Handler).serving() as server:
        yield server


def _body(db: sqlite_utils.Database, title: str) -> str:
    rows = db.execute("select body from articles where title = ?", [title]).fetchall()
    assert len(rows) == 1, f"{title!r} stored {len(rows)} times"
    return rows[0][0]


def test_a_later_page_linked_alone_joins_its_article(site, tmp_path):
    first, paths = crawl_logged(site, tmp_path, "alone")
    assert first.returncode == 0, first.stderr[-3000:]
    db = sqlite_utils.Database(tmp_path / "archive.db")
    titles = sorted(t for (t,) in db.execute("select title from articles"))
    assert titles == sorted([*TITLES.values(), TITLES[LONE]])
    for story, pages in PAGES.items():
        if story in (ORPHAN, LONE):
            continue
        body = _body(db, TITLES[story])
        spans = [[body.index(p) for p in _paras(story, n)] for n in range(1, len(pages) + 1)]
        assert all(a[-1] < b[0] for a, b in pairwise(spans)), story
        # the article is stored under its first page; its later pages are its own
        (url,) = db.execute("select url from articles where title = ?", [TITLES[story]]).fetchone()
        assert url == f"{site.base_url}{pages[0]}"
        parts = db.execute(
            "select u.url from article_urls u join articles a on a.id = u.article_id"
            " where a.title = ? and u.via = 'part' order by u.url",
            [TITLES[story]],
        ).fetchall()
        assert [u for (u,) in parts] == [f"{site.base_url}{p}" for p in pages[1:]]
    # page 2 of a story whose first page is gone is kept as it was read
    assert _paras(ORPHAN, 2)[0] in _body(db, TITLES[ORPHAN])
    lone = db.execute("select url, body from articles where title = ?", [TITLES[LONE]])
    found = sorted((url[len(site.base_url) :], _paras(LONE, 2)[0] in body) for url, body in lone)
    assert found == [(LONE, False), (f"{LONE}?page=2", True)]
    # each page fetched once: a page read alone is not fetched again for its article
    counts = Counter(paths)
    for story, pages in PAGES.items():
        assert all(counts[p] == 1 for p in pages if story != SHORT), counts
    assert counts[ORPHAN] == 1 and counts[SHORT] == 1 and counts[PAGES[SHORT][1]] <= 2

    again, paths = crawl_logged(site, tmp_path, "alone")
    assert again.returncode == 0, again.stderr[-3000:]
    assert not [p for p in paths if p.startswith("/news/")], paths
    assert db.execute("select count(*) from articles").fetchone()[0] == len(TITLES) + 1
