"""The byte budget per source (crawler/budget.py), end to end: a site whose every page is large
stops being fetched once it has sent its budget, the crawl ends normally, and the WARC files
hold about the budget, not the site."""

from __future__ import annotations

import random
import sqlite3
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from tests.hostile import content
from tests.loopback import LoopbackSite, crawl_site, reply

pytestmark = pytest.mark.e2e

PAGES = 40
PAGE_BYTES = 400_000
BUDGET = 2_000_000
WORDS = ("export", "software", "billion", "tariff", "port")
IN_FLIGHT = 16  # CONCURRENT_REQUESTS_PER_DOMAIN of LOCAL_CRAWL_SETTINGS: what may be under way


def _path(n: int) -> str:
    return f"/2024/05/large-report-on-software-exports-part-{n}"


def _large_article(n: int) -> bytes:
    # Numbered words compress poorly, as a hostile site's bytes would.
    rng = random.Random(n)
    filler = " ".join(f"{rng.choice(WORDS)}{rng.randrange(10**9)}" for _ in range(40_000))
    html = content.article_html(f"Large report part {n}", [*content.paragraphs(f"big-{n}"), filler])
    return html.encode()[:PAGE_BYTES].ljust(PAGE_BYTES)


class _Handler(BaseHTTPRequestHandler):
    server: _LargeSite

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.paths.append(self.path)
        if self.path == "/":
            links = [(_path(n), f"Part {n}") for n in range(PAGES)]
            reply(self, 200, content.home_html(links, []).encode())
        elif self.path.startswith("/2024/05/large-report-on-software-exports-part-"):
            reply(self, 200, _large_article(int(self.path.rsplit("-", 1)[1])))
        else:
            reply(self, 404, b"not found")

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _LargeSite(LoopbackSite):
    def __init__(self) -> None:
        super().__init__(_Handler)
        self.paths: list[str] = []


def test_a_source_stops_at_its_byte_budget_and_the_crawl_ends_normally(tmp_path):
    with _LargeSite().serving() as site:
        proc = crawl_site(
            site.base_url, tmp_path, "large", "--set", f"BROADSHEET_MAX_BYTES_PER_SOURCE={BUDGET}"
        )
        large = [p for p in site.paths if p.startswith("/2024/")]
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "reached its byte budget" in proc.stderr
    run = (
        sqlite3.connect(tmp_path / "archive.db")
        .execute("select status, finish_reason from crawl_runs")
        .fetchone()
    )
    assert run[0] == "ok" and run[1].startswith("byte budget reached: "), run  # the run's note
    assert "over_byte_budget" in proc.stderr
    # The budget, plus what was already under way when it was reached.
    assert BUDGET // PAGE_BYTES <= len(large) <= BUDGET // PAGE_BYTES + IN_FLIGHT + 1
    assert len(large) < PAGES
    warc_bytes = sum(f.stat().st_size for f in (tmp_path / "warc").iterdir())
    assert warc_bytes <= BUDGET + (IN_FLIGHT + 2) * PAGE_BYTES
    assert "Traceback" not in proc.stderr
    print(f"{len(large)} of {PAGES} large pages fetched, {warc_bytes:,} bytes of WARC")
