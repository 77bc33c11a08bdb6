"""End to end: a copy of a site on 127.0.0.1 whose robots.txt asks for a long Crawl-delay is
crawled with the project's default settings, without that delay (crawler.loopback), while a
pace the operator gives on the command line still brings the delay back."""

from __future__ import annotations

import re
import sqlite3
from urllib.parse import urlsplit

import pytest

from tests.loopback import HTML, LoopbackSite, QuietHandler, crawl_site, reply, reply_story

pytestmark = pytest.mark.e2e

STORIES = [f"/2024/05/loopback-story-on-exports-{n}" for n in range(4)]
ROBOTS = "User-agent: *\nCrawl-delay: 30\nDisallow: /private/\n"
ASKED = re.compile(r"robots\.txt of 127\.0\.0\.1:\d+ asks for 30\.0 s between requests")


class _Handler(QuietHandler):
    def do_GET(self) -> None:
        if self.path == "/robots.txt":
            reply(self, 200, ROBOTS.encode(), {"Content-Type": "text/plain"})
        elif self.path == "/":
            links = "".join(f'<li><a href="{p}">Story {n}</a></li>' for n, p in enumerate(STORIES))
            body = f"<html><head><title>Copy</title></head><body><ul>{links}</ul></body></html>"
            reply(self, 200, body.encode(), {"Content-Type": HTML})
        elif not reply_story(self, STORIES, "loopback"):
            reply(self, 404, b"not found", {"Content-Type": "text/plain"})


def _stored(workdir) -> set[str]:
    """The paths of the stored articles."""
    with sqlite3.connect(workdir / "archive.db") as db:
        return {urlsplit(url).path for (url,) in db.execute("select url from articles")}


def test_a_copy_on_loopback_is_crawled_without_its_crawl_delay(tmp_path):
    with LoopbackSite(_Handler).serving() as site:
        proc = crawl_site(site.base_url, tmp_path, "copy", local=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert _stored(tmp_path) == set(STORIES)
    assert not ASKED.search(proc.stderr)  # the gate applied no Crawl-delay
    assert "robotstxt/crawl_delay" not in proc.stderr


def test_a_pace_given_on_the_command_line_brings_the_crawl_delay_back(tmp_path):
    with LoopbackSite(_Handler).serving() as site:
        proc = crawl_site(
            site.base_url, tmp_path, "copy", "--set", "DOWNLOAD_DELAY=0",
            "--set", "BROADSHEET_MAX_CRAWL_DELAY=0.2", local=False,
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert ASKED.search(proc.stderr)  # obeyed (capped at 0.2 s for this test)
    assert _stored(tmp_path) == set(STORIES)
