"""End to end: a copy of a site served on loopback, whose robots.txt still names the original
host's sitemap. The crawl talks to the source's host only: the original's sitemap is never
asked for, and the sitemap in the usual place on the copy is read instead. And a site whose
home page only forwards (``<meta http-equiv="refresh">``) to the edition with the stories, and
one whose robots.txt names a gzipped sitemap file.

The original host is pinned to 127.0.0.1 (BROADSHEET_SSRF_PINNED_HOSTS), so that even a crawl
that did ask for it would reach this test's server, never the network, and be seen by it.
"""

from __future__ import annotations

import gzip
import json
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
import sqlite_utils

from tests.hostile import content
from tests.loopback import LoopbackSite, crawl_site, reply

pytestmark = pytest.mark.e2e

ORIGIN = "origin-of-the-mirror.test"
STORIES = [f"/2024/05/mirrored-story-about-software-exports-{n}" for n in range(3)]


def _story_or_404(handler: BaseHTTPRequestHandler, label: str) -> None:
    if handler.path not in STORIES:
        reply(handler, 404, b"not found")
        return
    n = STORIES.index(handler.path)
    html = content.article_html(f"{label} story {n}", content.paragraphs(f"{label}-{n}"))
    reply(handler, 200, html.encode())


class _Handler(BaseHTTPRequestHandler):
    server: _Mirror

    def do_GET(self) -> None:
        host = self.headers.get("Host", "")
        with self.server.lock:
            self.server.seen.append((host, self.path))
            self.server.agents.add(self.headers.get("User-Agent", ""))
        base = self.server.base_url
        if self.path == "/robots.txt":
            text = f"User-agent: *\nAllow: /\nSitemap: http://{ORIGIN}:{self.server.port}/sm.xml\n"
            reply(self, 200, text.encode(), content_type="text/plain")
        elif self.path == "/":
            reply(self, 200, content.home_html([], []).encode())
        elif self.path == "/sitemap.xml":
            xml = content.sitemap_xml([(base + p, "2024-05-02") for p in STORIES])
            reply(self, 200, xml.encode(), content_type="application/xml")
        else:
            _story_or_404(self, "Mirrored")

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Forwarding(BaseHTTPRequestHandler):
    """No robots.txt, no sitemap, no feed; the home page forwards to /en/, which lists."""

    def do_GET(self) -> None:
        if self.path == "/":
            page = '<html><head><meta http-equiv="refresh" content="0; url=/en/"></head></html>'
            reply(self, 200, page.encode())
        elif self.path == "/en/":
            links = [(p, f"Story {n}") for n, p in enumerate(STORIES)]
            reply(self, 200, content.home_html(links, []).encode())
        else:
            _story_or_404(self, "Forwarded")

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_a_home_page_that_only_forwards_is_followed(tmp_path):
    with LoopbackSite(_Forwarding).serving() as site:
        proc = crawl_site(site.base_url, tmp_path, "fwd")
    assert proc.returncode == 0, proc.stderr[-3000:]
    db = sqlite_utils.Database(tmp_path / "archive.db")
    assert db["articles"].count == len(STORIES)


class _GzipSitemap(BaseHTTPRequestHandler):
    """robots.txt names a gzipped sitemap file; the home page links nowhere."""

    def do_GET(self) -> None:
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        if self.path == "/robots.txt":
            text = f"User-agent: *\nAllow: /\nSitemap: {base}/sitemap.xml.gz\n"
            reply(self, 200, text.encode(), content_type="text/plain")
        elif self.path == "/":
            reply(self, 200, content.home_html([], []).encode())
        elif self.path == "/sitemap.xml.gz":
            xml = content.sitemap_xml([(base + p, "2024-05-02") for p in STORIES])
            reply(self, 200, gzip.compress(xml.encode()), content_type="application/x-gzip")
        else:
            _story_or_404(self, "Listed")

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_a_gzipped_sitemap_file_leads_to_the_stories(tmp_path):
    with LoopbackSite(_GzipSitemap).serving() as site:
        proc = crawl_site(site.base_url, tmp_path, "gz")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert sqlite_utils.Database(tmp_path / "archive.db")["articles"].count == len(STORIES)


class _Mirror(LoopbackSite):
    def __init__(self) -> None:
        super().__init__(_Handler)
        self.seen: list[tuple[str, str]] = []
        self.agents: set[str] = set()


def test_a_mirror_is_crawled_without_asking_the_original_host(tmp_path):
    with _Mirror().serving() as site:
        pins = json.dumps({ORIGIN: "127.0.0.1"})
        proc = crawl_site(
            site.base_url, tmp_path, "mirror",
            "--set", f"BROADSHEET_SSRF_PINNED_HOSTS={pins}",
            "--set", "ROBOTSTXT_USER_AGENT=broadsheet-test-token",
        )  # fmt: skip
        seen, agents = list(site.seen), set(site.agents)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not [path for host, path in seen if host.startswith(ORIGIN)], seen
    assert ORIGIN not in proc.stderr
    assert {path for _, path in seen} >= {"/sitemap.xml", *STORIES}
    # The robots.txt token names the crawler to robots.txt only; every request says who it is.
    assert len(agents) == 1 and agents.pop().startswith("Broadsheet/"), agents
    assert "ScrapyDeprecationWarning" not in proc.stderr
