"""The Scrapy project itself: ``scrapy.cfg`` makes ``scrapy list`` and ``scrapy crawl news`` work
from the repository's root, with the project's settings, as in any Scrapy project."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostile import content
from tests.loopback import LoopbackSite, QuietHandler, reply, reply_story

REPO = Path(__file__).resolve().parents[2]
SCRAPY = str(Path(sys.executable).with_name("scrapy"))
STORIES = [f"/2024/05/story-about-software-exports-number-{n}" for n in range(2)]


class _Handler(QuietHandler):
    def do_GET(self) -> None:
        if self.path == "/":
            links = [(p, f"Story {n}") for n, p in enumerate(STORIES)]
            reply(self, 200, content.home_html(links, []).encode())
        elif not reply_story(self, STORIES, "cfg"):
            reply(self, 404, b"not found")


def _scrapy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SCRAPY, *args], cwd=REPO, capture_output=True, text=True, timeout=300, check=False
    )


def test_scrapy_finds_the_project_and_its_spider() -> None:
    listed = _scrapy("list")
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert listed.stdout.split() == ["news"]


@pytest.mark.e2e
def test_scrapy_crawl_news_runs_the_real_spider_and_pipelines(tmp_path: Path) -> None:
    """With only the sources file and the archive named: the site on 127.0.0.1 is the source's
    own origin, so no private-network switch is needed."""
    with LoopbackSite(_Handler).serving() as site:
        sources = tmp_path / "sources.toml"
        sources.write_text(f'[[source]]\nid = "cfg"\nurl = "{site.base_url}/"\n', encoding="utf-8")
        crawl = _scrapy(
            "crawl", "news",
            "-s", f"BROADSHEET_SOURCES={sources}",
            "-s", f"BROADSHEET_DB={tmp_path / 'archive.db'}",
            "-s", f"BROADSHEET_WARC_DIR={tmp_path / 'warc'}",
            "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
        )  # fmt: skip
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    assert "Spider closed (finished)" in crawl.stderr
    with sqlite3.connect(tmp_path / "archive.db") as db:
        stored = {url for (url,) in db.execute("select url from articles")}
    assert stored == {site.base_url + path for path in STORIES}
    assert list((tmp_path / "warc").glob("*.warc.gz"))
