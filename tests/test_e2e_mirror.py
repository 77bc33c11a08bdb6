"""End to end: sites whose way in is not the usual one, each crawled on loopback.

- A copy of a site whose robots.txt still names the original host's sitemap. The crawl talks to
  the source's host only: the original's sitemap is never asked for, and the same path on the
  copy is read instead. The original host is pinned to 127.0.0.1
  (BROADSHEET_SSRF_PINNED_HOSTS), so that even a crawl that did ask for it would reach this
  test's server, never the network, and be seen by it.
- A home page that only forwards (``<meta http-equiv="refresh">``) to the edition with the
  stories, with no sitemap and no feed.
- A robots.txt that names a gzipped sitemap file.
- A sitemap longer than the run's request budget, listed oldest first.
"""

from __future__ import annotations

import datetime
import gzip
import json
from typing import Any

import pytest
import sqlite_utils

from tests.hostile import content
from tests.loopback import LoopbackSite, QuietHandler, crawl_site, reply, reply_story

pytestmark = pytest.mark.e2e

ORIGIN = "origin-of-the-mirror.test"
STORIES = [f"/2024/05/mirrored-story-about-software-exports-{n}" for n in range(3)]
XML, TEXT, GZIP = "application/xml", "text/plain", "application/x-gzip"


class _Site(LoopbackSite):
    """Serves ``routes`` (path -> (body, content type); ``{base}`` in a body is this site's
    base URL), and the stories at their paths; records every request's Host and User-Agent."""

    def __init__(self, routes: dict[str, tuple[bytes, str]]) -> None:
        super().__init__(_Handler)
        self.routes = routes
        self.hosts: dict[str, str] = {}  # path -> the only host name that serves it
        self.seen: list[tuple[str, str]] = []
        self.agents: set[str] = set()


class _Handler(QuietHandler):
    server: _Site

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.seen.append((self.headers.get("Host", ""), self.path))
            self.server.agents.add(self.headers.get("User-Agent", ""))
        only = self.server.hosts.get(self.path)
        if only and not self.headers.get("Host", "").startswith(only):
            reply(self, 404, b"not found")
        elif self.path in self.server.routes:
            body, kind = self.server.routes[self.path]
            reply(
                self, 200, body.replace(b"{base}", self.server.base_url.encode()), content_type=kind
            )
        elif not reply_story(self, STORIES, "m"):
            reply(self, 404, b"not found")


def _sitemap() -> bytes:
    return content.sitemap_xml([("{base}" + p, "2024-05-02") for p in STORIES]).encode()


def _stored(tmp_path: Any) -> int:
    return sqlite_utils.Database(tmp_path / "archive.db")["articles"].count


def test_a_mirror_is_crawled_without_asking_the_original_host(tmp_path):
    # the copy keeps the sitemap where the original had it, not at /sitemap.xml
    robots = f"User-agent: *\nAllow: /\nSitemap: http://{ORIGIN}:{{port}}/news-sitemap.xml\n"
    site = _Site({"/": (content.home_html([], []).encode(), "text/html"),
                  "/news-sitemap.xml": (_sitemap(), XML)})  # fmt: skip
    site.routes["/robots.txt"] = (robots.replace("{port}", str(site.port)).encode(), TEXT)
    with site.serving():
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
    assert {path for _, path in seen} >= {"/news-sitemap.xml", *STORIES}
    # The robots.txt token names the crawler to robots.txt only; every request says who it is.
    assert len(agents) == 1 and agents.pop().startswith("Broadsheet/"), agents
    assert "ScrapyDeprecationWarning" not in proc.stderr


def test_a_home_page_that_only_forwards_is_followed(tmp_path):
    forward = b'<html><head><meta http-equiv="refresh" content="0; url=/en/"></head></html>'
    listing = content.home_html([(p, f"Story {n}") for n, p in enumerate(STORIES)], [])
    site = _Site({"/": (forward, "text/html"), "/en/": (listing.encode(), "text/html")})
    with site.serving():
        proc = crawl_site(site.base_url, tmp_path, "fwd")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert _stored(tmp_path) == len(STORIES)


def test_a_gzipped_sitemap_file_leads_to_the_stories(tmp_path):
    robots = b"User-agent: *\nAllow: /\nSitemap: {base}/sitemap.xml.gz\n"
    site = _Site(
        {"/robots.txt": (robots, TEXT), "/": (content.home_html([], []).encode(), "text/html")}
    )
    # the {base} placeholder is filled in before compressing
    site.routes["/sitemap.xml.gz"] = (
        gzip.compress(_sitemap().replace(b"{base}", site.base_url.encode())),
        GZIP,
    )
    with site.serving():
        proc = crawl_site(site.base_url, tmp_path, "gz")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert _stored(tmp_path) == len(STORIES)


def test_a_budget_too_small_for_the_sitemap_goes_to_its_newest_entries(tmp_path):
    # 40 stories listed oldest first, one a week; a run allowed 20 requests
    paths = [f"/2024/stories/story-about-software-exports-number-{n}" for n in range(40)]
    dates = [f"{datetime.date(2024, 1, 1) + datetime.timedelta(weeks=n)}" for n in range(40)]
    sitemap = content.sitemap_xml([("{base}" + p, d) for p, d in zip(paths, dates, strict=True)])
    site = _Site({"/": (content.home_html([], []).encode(), "text/html"),
                  "/sitemap.xml": (sitemap.encode(), XML)})  # fmt: skip
    for n, path in enumerate(paths):
        html = content.article_html(f"Export story number {n}", content.paragraphs(f"w-{n}"))
        site.routes[path] = (html.encode(), "text/html")
    with site.serving():
        proc = crawl_site(
            site.base_url, tmp_path, "big", "--set", "BROADSHEET_MAX_REQUESTS_PER_SOURCE=20"
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    db = sqlite_utils.Database(tmp_path / "archive.db")
    stored = sorted(int(url.rsplit("-", 1)[1]) for (url,) in db.execute("select url from articles"))
    assert 10 <= len(stored) < len(paths)
    assert stored == list(range(len(paths) - len(stored), len(paths)))  # the newest ones


def test_a_sitemap_on_another_host_of_the_sites_domain_is_read(tmp_path):
    # www.ledger.test is the source; its sitemap is served from sitemaps.ledger.test; a third,
    # unrelated host is listed too. All three names are pinned to this test's server.
    site = _Site({})
    www, maps = f"http://www.ledger.test:{site.port}", f"http://sitemaps.ledger.test:{site.port}"
    other = f"http://unrelated.test:{site.port}"
    robots = f"User-agent: *\nSitemap: {maps}/news.xml\nSitemap: {other}/news.xml\n"
    site.routes.update({
        "/robots.txt": (robots.encode(), TEXT),
        "/": (content.home_html([], []).encode(), "text/html"),
        "/news.xml": (content.sitemap_xml([(www + p, "2024-05-02") for p in STORIES]).encode(), XML),
    })  # fmt: skip
    site.hosts["/news.xml"] = "sitemaps.ledger.test"  # not at the same path on www
    pins = json.dumps(
        dict.fromkeys(["www.ledger.test", "sitemaps.ledger.test", "unrelated.test"], "127.0.0.1")
    )
    with site.serving():
        proc = crawl_site(www, tmp_path, "ledger", "--set", f"BROADSHEET_SSRF_PINNED_HOSTS={pins}")
        seen = list(site.seen)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (f"sitemaps.ledger.test:{site.port}", "/news.xml") in seen
    assert not [path for host, path in seen if host.startswith("unrelated.test")], seen
    assert _stored(tmp_path) == len(STORIES)
