"""End to end: a site with no feed and no sitemap, whose archive is only reachable through long
paginated lists, is read to the end of each list; a second run after new stories reads only the
pages that show something new.

Two lists: the home page (``/page/N/``, announced by ``<link rel="next">`` in the head and a
plain "Older posts" anchor) and a section (``/markets?page=N``, plain numbered anchors). Both are
longer than ``DEPTH_LIMIT``, which alone would stop at the fifth page.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import sqlite_utils

from crawler import settings as crawl_defaults
from tests.hostile import content
from tests.loopback import LoopbackSite, QuietHandler, crawl_logged, crawl_site, reply

pytestmark = pytest.mark.e2e

HOME_PAGES, HOME_PER_PAGE = 10, 3
MARKETS_PAGES, MARKETS_PER_PAGE = 8, 6


def _story(n: int) -> str:
    return f"/2024/05/story-about-export-figures-number-{n}"


class _ListSite(LoopbackSite):
    def __init__(self) -> None:
        super().__init__(_Handler)
        self.fresh = 0  # stories published since the first crawl, shown first on the home page

    def home_stories(self) -> list[int]:
        newest = [1000 + i for i in range(self.fresh, 0, -1)]
        return newest + list(range(HOME_PAGES * HOME_PER_PAGE))

    @staticmethod
    def market_stories() -> list[int]:
        return [500 + i for i in range(MARKETS_PAGES * MARKETS_PER_PAGE)]


def _list_page(title: str, stories: list[int], next_url: str, head: str, pager: str) -> bytes:
    items = "".join(
        f'<li><h3><a href="{_story(n)}">Software exports reach a new high, report {n}</a></h3></li>'
        for n in stories
    )
    nav = '<nav><a href="/">Home</a> <a href="/markets">Markets</a></nav>'
    return (
        content.simple_page(title, f"{nav}<h1>{title}</h1><ul>{items}</ul>{pager}")
        .replace("</head>", head + "</head>")
        .encode()
    )


class _Handler(QuietHandler):
    server: _ListSite

    def do_GET(self) -> None:
        self.server.log_path(self.path)
        body = self._page()
        if body is None:
            reply(self, 404, b"<html><body>Not found</body></html>")
        else:
            reply(self, 200, body)

    def _page(self) -> bytes | None:
        path = self.path
        if path == "/" or path.startswith("/page/"):
            number = 1 if path == "/" else int(path.split("/")[2])
            stories = self.server.home_stories()
            chunk = stories[(number - 1) * HOME_PER_PAGE : number * HOME_PER_PAGE]
            more = number * HOME_PER_PAGE < len(stories)
            nxt = f"/page/{number + 1}/"
            head = f'<link rel="next" href="{nxt}">' if more else ""
            pager = f'<a href="{nxt}">Older posts</a>' if more else ""
            return _list_page(f"Latest, page {number}", chunk, nxt, head, pager) if chunk else None
        if path == "/markets" or path.startswith("/markets?page="):
            number = 1 if path == "/markets" else int(path.split("=")[1])
            stories = self.server.market_stories()
            chunk = stories[(number - 1) * MARKETS_PER_PAGE : number * MARKETS_PER_PAGE]
            # A numbered pager: a window of pages around this one, none marked rel="next".
            window = range(max(1, number - 2), min(MARKETS_PAGES, number + 2) + 1)
            # page 1 linked as "?page=1", as numbered pagers do: the same page as "/markets"
            pager = " ".join(f'<a href="/markets?page={p}">{p}</a>' for p in window)
            return _list_page(f"Markets, page {number}", chunk, "", "", pager) if chunk else None
        for n in (*self.server.home_stories(), *self.server.market_stories()):
            if path == _story(n):
                title = f"Software exports reach a new high, report number {n}"
                return content.article_html(title, content.paragraphs(f"story-{n}")).encode()
        return None


@pytest.fixture(scope="module")
def site():
    with _ListSite().serving() as server:
        yield server


def _crawl(site: _ListSite, workdir: Path) -> tuple[subprocess.CompletedProcess, list[str]]:
    return crawl_logged(site, workdir, "lists")


def _stored_stories(workdir: Path) -> set[str]:
    db = sqlite_utils.Database(workdir / "archive.db")
    return {
        url.split("/", 3)[3]
        for (url,) in db.execute(
            "select u.url from article_urls u join articles a on a.id = u.article_id"
        )
    }


def test_long_lists_are_read_to_the_end_and_a_rerun_reads_only_what_is_new(site, tmp_path):
    assert min(HOME_PAGES, MARKETS_PAGES) > crawl_defaults.DEPTH_LIMIT + 1  # else no test
    first, paths = _crawl(site, tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    expected = {_story(n).lstrip("/") for n in (*site.home_stories(), *site.market_stories())}
    assert _stored_stories(tmp_path) == expected
    home_pages = [p for p in paths if p == "/" or p.startswith("/page/")]
    market_pages = [p for p in paths if p.startswith("/markets")]
    assert sorted(home_pages) == sorted(["/", *(f"/page/{n}/" for n in range(2, 11))])
    # Every page of the section, once ("/markets?page=1" is "/markets").
    assert len(market_pages) == len(set(market_pages)) == MARKETS_PAGES
    assert "list_pages_followed" in first.stderr

    site.fresh = 2
    second, paths = _crawl(site, tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]
    assert {_story(1001).lstrip("/"), _story(1002).lstrip("/")} <= _stored_stories(tmp_path)
    pages = {p for p in paths if not p.startswith(("/robots.txt", "/sitemap"))}
    # The home page shows the two new stories and pushes two old ones onto page 2, which shows
    # nothing new: the walk ends there. No deeper page and no known story is fetched again (the
    # section's first page may be asked again: it is linked from the home page).
    assert (
        {"/", "/page/2/", _story(1001), _story(1002)}
        <= pages
        <= {"/", "/page/2/", "/markets", _story(1001), _story(1002)}
    ), pages


def test_a_walk_cut_short_by_the_budget_is_finished_by_the_next_run(tmp_path):
    site = _ListSite()
    with site.serving():
        with site.lock:
            site.paths.clear()
        first = crawl_site(
            site.base_url, tmp_path, "lists", "--set", "BROADSHEET_MAX_REQUESTS_PER_SOURCE=12"
        )
        assert first.returncode == 0, first.stderr[-3000:]
        partial = _stored_stories(tmp_path)
        second, _ = _crawl(site, tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]
    expected = {_story(n).lstrip("/") for n in (*site.home_stories(), *site.market_stories())}
    assert len(partial) < len(expected)  # else the budget cut nothing and there is no test
    assert _stored_stories(tmp_path) == expected
