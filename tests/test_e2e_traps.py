"""End to end: two crawler traps that real sites set without meaning to.

- Session ids in links. The server writes a fresh id into every link it serves (``;jsessionid=``,
  ``?PHPSESSID=``) and a cache buster into some (``?_=<time>``), so one story has a new URL on
  every page and in every run. Each story must be fetched once per crawl, stored once, and not
  fetched again by a second crawl.
- Comment and share buttons: "Older comments" (``/comment-page-2/``), "Reply"
  (``?replytocom=``), "Share" (``?share=twitter``), "Like" (``?_wpnonce=``), on every story.
  They show the same story or act on it, and are never fetched.
- A catch-all. Every path under ``/sections/`` answers with the same page, whose links are
  relative ("world/"), so each copy links four deeper copies: 1 + 4 + 16 + 64 requests down to
  ``DEPTH_LIMIT`` without a guard. The links of a page already read under another URL are not
  followed, and a path that repeats a segment three times is no link at all.
"""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import pytest
import sqlite_utils

from tests.hostile import content
from tests.loopback import LoopbackSite, QuietHandler, crawl_logged, reply

pytestmark = pytest.mark.e2e

STORIES = 8
SECTIONS = ("world/", "business/", "markets/", "technology/")


def _story(n: int) -> str:
    return f"/news/software-exports-story-number-{n}"


def _comment_links(story: str) -> str:
    """A blog's comment and share buttons, none marked nofollow: views of the same story."""
    return "".join(
        f'<a href="{story}{suffix}">{label}</a> '
        for suffix, label in (
            ("/comment-page-2/", "Older comments"),
            ("?replytocom=41#respond", "Reply"),
            ("?share=twitter&nb=1", "Share on X"),
            ("?like_comment=41&_wpnonce=9f8e7d", "Like"),
        )
    )


class _TrapSite(LoopbackSite):
    def __init__(self) -> None:
        super().__init__(_Handler)
        self.tokens = itertools.count(10**15)

    def session_link(self, n: int) -> str:
        """A link to story ``n`` as a session-keeping server writes it: a new id every time."""
        token = f"a{next(self.tokens):x}b"
        if n % 3 == 0:
            return f"{_story(n)};jsessionid={token.upper()}"
        if n % 3 == 1:
            return f"{_story(n)}?PHPSESSID={token}"
        return f"{_story(n)}?_={next(self.tokens)}"


class _Handler(QuietHandler):
    server: _TrapSite

    def do_GET(self) -> None:
        self.server.log_path(self.path)
        body = self._page(self.path.split("?", 1)[0].split(";", 1)[0])
        if body is None:
            reply(self, 404, b"<html><body>Not found</body></html>")
        else:
            reply(self, 200, body)

    def _links(self, stories: range | list[int]) -> str:
        return "".join(
            f'<li><h3><a href="{self.server.session_link(n)}">Software exports, report {n}</a>'
            "</h3></li>"
            for n in stories
        )

    def _page(self, path: str) -> bytes | None:
        if path == "/":
            body = f'<h1>Latest</h1><ul>{self._links(range(STORIES))}</ul><a href="sections/">All'
            return content.simple_page("Trap Times", body + " sections</a>").encode()
        if path.startswith("/sections/"):
            # The same page at any depth, its section links relative to wherever it is served.
            nav = " ".join(f'<a href="{s}">{s.strip("/").title()}</a>' for s in SECTIONS)
            body = f"<h1>Sections</h1><nav>{nav}</nav><ul>{self._links(range(3))}</ul>"
            return content.simple_page("Trap Times: sections", body).encode()
        for n in range(STORIES):
            if path == _story(n):
                also = [(n + 1) % STORIES, (n + 2) % STORIES]
                links = f'<p>Also read: <ul>{self._links(also)}</ul></p><a href="/">Home</a>'
                links += _comment_links(_story(n))
                title = f"Software exports reach a new high, report number {n}"
                page = content.article_html(
                    title, content.paragraphs(f"trap-story-{n}"), raw_paras=[links]
                )
                return page.encode()
        return None


@pytest.fixture(scope="module")
def site():
    with _TrapSite().serving() as server:
        yield server


def _crawl(site: _TrapSite, workdir: Path) -> tuple[subprocess.CompletedProcess, list[str]]:
    proc, paths = crawl_logged(site, workdir, "traps")
    return proc, [p.split("?", 1)[0].split(";", 1)[0] for p in paths]


def test_session_ids_and_a_catch_all_do_not_multiply_fetches(site, tmp_path):
    first, paths = _crawl(site, tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    stories = [p for p in paths if p.startswith("/news/")]
    assert sorted(stories) == sorted(_story(n) for n in range(STORIES))  # each once
    copies = [p for p in paths if p.startswith("/sections/")]
    # the first copy and the four it links; their own links are those of a page read before
    assert len(copies) == 1 + len(SECTIONS), copies
    assert "repeated_pages" in first.stderr

    db = sqlite_utils.Database(tmp_path / "archive.db")
    assert db["articles"].count == STORIES
    assert db.execute("select count(distinct title) from articles").fetchone()[0] == STORIES

    second, paths = _crawl(site, tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]
    # A fresh session id in every link, and still no story is fetched again.
    assert [p for p in paths if p.startswith("/news/")] == []
    assert db["articles"].count == STORIES
