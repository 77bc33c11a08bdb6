"""A real Scrapy crawl (subprocess: the reactor cannot restart) of a tiny 127.0.0.1 site with
WarcCaptureMiddleware on: the WARCs must be valid, complete, and give back what the spider saw."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import json
import os
import subprocess
import sys
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.core.downloader.middleware import DownloaderMiddlewareManager
from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from crawler.warc import WarcCaptureMiddleware
from pipelines.warcs import WarcRef, iter_responses, read_record

REPO = Path(__file__).resolve().parents[2]
WARCIO = Path(sys.executable).with_name("warcio")

ARTICLE = "<html><head><title>{n}</title></head><body><p>{text}</p></body></html>"


def article(n: int) -> bytes:
    return ARTICLE.format(n=n, text=f"Article number {n}. " * 60).encode()


HOME = (
    b'<html><body><a href="/a/1">one</a> <a href="/a/2">two (gzip)</a> '
    b'<a href="/old">moved</a> <a href="/missing">gone</a> <a href="/a/4">chunked</a>'
    b"</body></html>"
)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SiteServer

    def log_message(self, format: str, *args: object) -> None:
        self.server.requested.append(self.path)

    def send(self, status: int, body: bytes, *headers: tuple[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/":
            self.send(200, HOME)
        elif self.path == "/a/1":
            self.send(200, article(1))
        elif self.path == "/a/2":
            self.send(200, gzip.compress(article(2)), ("Content-Encoding", "gzip"))
        elif self.path == "/a/3":
            self.send(200, article(3))
        elif self.path == "/a/4":
            body = article(4)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
        elif self.path == "/old":
            self.send(301, b"moved", ("Location", "/a/3"))
        else:  # /missing, /robots.txt
            self.send(404, b"<html>not here</html>")


class SiteServer(http.server.ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.requested: list[str] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


CRAWL_SCRIPT = """
import hashlib, json, sys, warnings
warnings.simplefilter("always")
import scrapy
from scrapy.crawler import CrawlerProcess

base, out, settings = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])

class Tiny(scrapy.Spider):
    name = "tiny"
    handle_httpstatus_list = [404]
    start_urls = [base + "/"]

    def parse(self, response):
        ref = response.meta.get("warc")
        with open(out, "a") as fh:
            fh.write(json.dumps({
                "url": response.url, "status": response.status,
                "sha256": hashlib.sha256(response.body).hexdigest(),
                "ref": None if ref is None else {
                    "file": ref.file, "offset": ref.offset, "length": ref.length,
                    "record_id": ref.record_id, "payload_digest": ref.payload_digest,
                    "fetched_at": ref.fetched_at},
            }) + "\\n")
        yield from response.follow_all(css="a")

    def closed(self, reason):
        with open(out + ".stats", "w") as fh:
            json.dump(self.crawler.stats.get_stats(), fh, default=str)

process = CrawlerProcess({
    "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    "DOWNLOADER_MIDDLEWARES": {"crawler.warc.WarcCaptureMiddleware": 950},
    "ROBOTSTXT_OBEY": True, "DOWNLOAD_DELAY": 0, "LOG_LEVEL": "INFO",
    "BROADSHEET_CONTACT": "mailto:archive@example.org",
    **settings,
})
process.crawl(Tiny)
process.start()
"""


@dataclass
class Crawl:
    server: SiteServer
    warc_dir: Path
    pages: list[dict] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    stderr: str = ""

    @property
    def files(self) -> list[Path]:
        return sorted(self.warc_dir.glob("*.warc.gz"))


def crawl(server: SiteServer, workdir: Path, **settings: object) -> Crawl:
    script = workdir / "crawl.py"
    script.write_text(CRAWL_SCRIPT)
    out = workdir / "pages.jsonl"
    warc_dir = workdir / "warc"
    settings = {"BROADSHEET_WARC_DIR": str(warc_dir), **settings}
    proc = subprocess.run(
        [sys.executable, str(script), server.base, str(out), json.dumps(settings)],
        cwd=workdir, env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    pages = [json.loads(line) for line in out.read_text().splitlines()]
    stats = json.loads(Path(f"{out}.stats").read_text())
    return Crawl(server, warc_dir, pages, stats, proc.stderr)


@pytest.fixture(scope="module")
def server() -> Iterator[SiteServer]:
    with SiteServer() as srv:
        thread = threading.Thread(target=srv.serve_forever, daemon=True)
        thread.start()
        yield srv
        srv.shutdown()


@pytest.fixture(scope="module")
def rotated(server, tmp_path_factory) -> Crawl:
    server.requested.clear()
    result = crawl(server, tmp_path_factory.mktemp("warc"), BROADSHEET_WARC_MAX_BYTES=2500)
    result.server = server
    return result


def records(path: Path) -> Iterator[tuple[str, dict[str, str], int | None]]:
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh):
            status = record.http_headers.get_statuscode() if record.http_headers else None
            yield (
                record.rec_type,
                dict(record.rec_headers.headers),
                int(status) if status and status.isdigit() else None,
            )


def test_warcs_are_valid_closed_and_rotated(rotated):
    assert len(rotated.files) >= 3, "a 2,500-byte limit must rotate"
    assert not list(rotated.warc_dir.glob("*.open"))
    for path in rotated.files:
        check = subprocess.run(
            [str(WARCIO), "check", "-v", str(path)], capture_output=True, check=False
        )
        assert check.returncode == 0, check.stdout
        assert subprocess.run(["gzip", "-t", str(path)], check=False).returncode == 0
        kinds = [kind for kind, _, _ in records(path)]
        assert kinds[0] == "warcinfo" and kinds.count("warcinfo") == 1
        assert kinds[1:] == ["response", "request"] * ((len(kinds) - 1) // 2)
    with gzip.open(rotated.files[0], "rb") as fh:
        info = fh.read(2000)
    assert b"operator: mailto:archive@example.org" in info
    assert b"format: WARC File Format 1.1" in info
    assert "DeprecationWarning" not in rotated.stderr  # warnings are "always" in the script


def test_every_fetch_has_a_response_and_a_request_record(rotated):
    responses: dict[str, dict[str, str]] = {}
    statuses: dict[str, int | None] = {}
    requests: dict[str, dict[str, str]] = {}
    for path in rotated.files:
        for kind, headers, status in records(path):
            url = headers.get("WARC-Target-URI", "")
            if kind == "response":
                responses[headers["WARC-Record-ID"]] = headers
                statuses[url] = status
            elif kind == "request":
                requests[headers["WARC-Concurrent-To"]] = headers
    fetched = {rotated.server.base + path for path in rotated.server.requested}
    assert fetched == set(statuses), "one response record per URL the server answered"
    assert len(responses) == len(rotated.server.requested)
    assert set(requests) == set(responses)  # every response has its linked request
    for record_id, request in requests.items():
        assert request["WARC-Target-URI"] == responses[record_id]["WARC-Target-URI"]
    base = rotated.server.base
    # redirects, 404s and robots.txt are evidence too, not only the pages the spider kept
    assert statuses[f"{base}/old"] == 301
    assert statuses[f"{base}/missing"] == 404
    assert statuses[f"{base}/robots.txt"] == 404
    for headers in responses.values():
        assert headers["WARC-IP-Address"] == "127.0.0.1"
        assert headers["WARC-Payload-Digest"].startswith("sha1:")
        assert headers["WARC-Block-Digest"].startswith("sha1:")
        assert headers["WARC-Date"].endswith("Z")
    assert rotated.stats["warc/responses"] == len(responses)


def test_read_record_gives_back_what_the_spider_saw(rotated):
    base = rotated.server.base
    seen = {page["url"]: page for page in rotated.pages}
    assert set(seen) == {f"{base}{p}" for p in ("/", "/a/1", "/a/2", "/a/3", "/a/4", "/missing")}
    for url, page in seen.items():
        ref = page["ref"]
        assert not ref["file"].endswith(".open")
        got = read_record(rotated.warc_dir / ref["file"], ref["offset"])
        assert got.url == url and got.status == page["status"]
        assert hashlib.sha256(got.body).hexdigest() == page["sha256"]
        assert got.record_id == ref["record_id"]
        assert got.payload_digest == ref["payload_digest"]
        assert got.fetched_at == ref["fetched_at"]
    # the gzip page is stored as it came over the wire: encoded, with its header
    gz = read_record(rotated.warc_dir / seen[f"{base}/a/2"]["ref"]["file"],
                     seen[f"{base}/a/2"]["ref"]["offset"])  # fmt: skip
    assert gz.header("Content-Encoding") == "gzip" and gz.body == article(2)
    redirected = seen[f"{base}/a/3"]["ref"]  # the ref is the final response's, not the 301's
    assert read_record(rotated.warc_dir / redirected["file"], redirected["offset"]).status == 200


def test_iter_responses_streams_the_crawl(rotated):
    got = list(iter_responses(rotated.files))
    assert len(got) == len(rotated.server.requested)
    bodies = {r.url: r.body for r in got}
    assert bodies[f"{rotated.server.base}/a/4"] == article(4)  # was chunked on the wire


def test_http_cache_hits_are_not_recaptured(server, tmp_path):
    cache = {"HTTPCACHE_ENABLED": True, "HTTPCACHE_DIR": str(tmp_path / "cache")}
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first = crawl(server, tmp_path / "one", **cache)
    assert first.stats["warc/responses"] > 0
    second = crawl(server, tmp_path / "two", **cache)
    assert second.stats.get("warc/responses", 0) == 0
    assert second.stats["warc/skipped"] == first.stats["warc/responses"]
    assert second.files == []  # a file is only opened for a first record
    assert all(page["ref"] is None for page in second.pages)


def test_disabled_by_setting(server, tmp_path):
    result = crawl(server, tmp_path, BROADSHEET_WARC_ENABLED=False)
    assert not result.warc_dir.exists()
    assert all(page["ref"] is None for page in result.pages)


def test_middleware_api_in_process(tmp_path):
    """Current Scrapy API (no spider argument, so no deprecation warning); cache hits never
    carry a stale ref (HttpCacheMiddleware answers before our process_request runs)."""
    settings = {
        "BROADSHEET_WARC_DIR": str(tmp_path),
        "DOWNLOADER_MIDDLEWARES": {"crawler.warc.WarcCaptureMiddleware": 950},
    }
    crawler = get_crawler(settings_dict=settings)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ScrapyDeprecationWarning)
        manager = DownloaderMiddlewareManager.from_crawler(crawler)
    (middleware,) = [mw for mw in manager.middlewares if isinstance(mw, WarcCaptureMiddleware)]

    url = "http://127.0.0.1:9/a"
    request = Request(url, meta={"download_latency": 0.25})
    response = HtmlResponse(url, body=b"<p>fresh</p>", request=request, protocol="HTTP/1.0")
    assert middleware.process_response(request, response) is response
    ref = request.meta["warc"]
    assert isinstance(ref, WarcRef) and ref.file.endswith(".warc.gz")
    assert (tmp_path / f"{ref.file}.open").exists()  # final name promised while still open
    got = read_record(tmp_path / f"{ref.file}.open", ref.offset)
    assert got.body == b"<p>fresh</p>" and got.protocol == "http/1.0"

    stale = Request(url, meta={"warc": ref})
    cached = HtmlResponse(url, body=b"<p>old</p>", request=stale, flags=["cached"])
    middleware.process_response(stale, cached)
    assert "warc" not in stale.meta

    middleware.spider_closed()
    assert [p.name for p in tmp_path.iterdir()] == [ref.file]
    assert read_record(tmp_path / ref.file, ref.offset).record_id == ref.record_id
