"""One threaded stdlib HTTP server on 127.0.0.1 serving every hostile case (see ``cases``).

Two modes. ``calm`` is an ordinary little outlet with one article, crawled first so that the
archive holds something from "a previous run". ``hostile`` serves every case: the home page links
to the HTML cases and advertises the feeds, robots.txt lists the sitemaps. Large bodies are
streamed in chunks and never held whole in memory; slow and abusive responses stop as soon as the
client goes away or the server stops.

    with HostileServer() as server:
        server.set_mode("hostile")
        server.url("gzip-bomb")  # http://127.0.0.1:<port>/news/2024/05/gzip-bomb-page
"""

from __future__ import annotations

import random
import socket
import struct
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import parse_qsl, urlsplit

from tests.hostile import content
from tests.hostile.cases import (
    CASES,
    ENDLESS_STORIES,
    FARM_PREFIX,
    GOOD_FEED,
    GOOD_SITEMAP,
    REDIRECT_LOOP_B,
    Via,
    case,
)

HOST = "127.0.0.1"
MB = 1024 * 1024
HUGE_BYTES = 50 * MB
BOMB_INFLATED = 512 * MB
FARM_LINKS = 100_000
NESTING = 20_000
DRIP_INTERVAL = 2.0  # seconds between two bytes of the slow-drip page
DRIP_BYTES = 40  # the drip gives up after this many bytes (80 s)
STREAM_CHUNK = 64 * 1024

Mode = Literal["calm", "hostile"]
_DISCONNECTED = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, app: HostileServer) -> None:
        self.app = app
        super().__init__((HOST, 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "HostileHerald/1.0"
    timeout = 15  # idle keep-alive connections must not pin threads forever

    def do_GET(self) -> None:
        self.server.app.handle(self)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.app.verbose:
            sys.stderr.write(f"hostile: {format % args}\n")

    # -- helpers used by the routes ------------------------------------------------------------
    def send(
        self,
        status: int,
        body: bytes = b"",
        content_type: str = "text/html; charset=utf-8",
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.write(body)

    def write(self, data: bytes) -> bool:
        """Write ``data``; False once the client has gone away."""
        try:
            self.wfile.write(data)
            return True
        except _DISCONNECTED:
            self.close_connection = True
            return False

    def stream(self, total: int, chunk: bytes, chunked: bool, stop: threading.Event) -> None:
        """``total`` bytes of ``chunk`` repeated, produced as they are sent."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(total))
        self.send_header("Connection", "close")
        self.close_connection = True
        self.end_headers()
        sent = 0
        while sent < total and not stop.is_set():
            piece = chunk[: total - sent]
            data = b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
            if not self.write(data):
                return
            sent += len(piece)
        if chunked:
            self.write(b"0\r\n\r\n")

    def reset(self) -> None:
        """Abort the connection with a TCP RST instead of a clean close."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass


Route = Callable[[_Handler, dict[str, str]], int]


class HostileServer:
    """Serve the hostile site. Use as a context manager or call ``start()`` / ``stop()``."""

    def __init__(self, *, verbose: bool = False) -> None:
        self.verbose = verbose
        self.mode: Mode = "calm"
        self.hostile_since = ""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._log: list[tuple[str, int]] = []
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._bomb = b""
        self._filler = (b"<p>" + b"filler " * 60 + b"</p>\n") * (STREAM_CHUNK // 430)

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> Self:
        if self._server is not None:
            return self
        self._bomb = _gzip_bomb(BOMB_INFLATED)
        self._server = _HTTPServer(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
            name="hostile-site", daemon=True,
        )  # fmt: skip
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server, self._thread = None, None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the server is not started")
        return f"http://{HOST}:{self._server.server_address[1]}"

    def url(self, case_id: str) -> str:
        return self.base_url + case(case_id).path

    def set_mode(self, mode: Mode) -> None:
        with self._lock:
            self.mode = mode
            if mode == "hostile" and not self.hostile_since:
                # A lastmod after the calm crawl (whose times have one-second precision): the
                # crawler must re-check the stored article.
                time.sleep(1.1)
                self.hostile_since = datetime.now(UTC).isoformat(timespec="seconds")

    def write_sources(self, path: Any) -> Any:
        """A sources file with one source for this site (private networks allowed)."""
        path.write_text(
            "allow_private_networks = true\n\n[[source]]\n"
            f'id = "hostile"\nurl = "{self.base_url}/"\nname = "Hostile Herald"\n',
            encoding="utf-8",
        )
        return path

    # -- request log ---------------------------------------------------------------------------
    def requests(self) -> list[tuple[str, int]]:
        """(path with query, status) of every request so far, oldest first (a copy)."""
        with self._lock:
            return list(self._log)

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()

    def _record(self, path: str, status: int) -> None:
        with self._lock:
            self._log.append((path, status))

    # -- dispatch ------------------------------------------------------------------------------
    def handle(self, h: _Handler) -> None:
        parts = urlsplit(h.path)
        query = dict(parse_qsl(parts.query))
        with self._lock:
            mode = self.mode
        route = self._route(mode, parts.path)
        if route is None:
            self._record(h.path, 404)
            h.send(404, b"<html><body>Not found</body></html>")
            return
        status = route(h, query)
        self._record(h.path, status)

    def _route(self, mode: Mode, path: str) -> Route | None:
        if mode == "calm":
            calm: dict[str, Route] = {
                "/robots.txt": self._calm_robots,
                "/": self._calm_home,
                GOOD_SITEMAP: self._calm_sitemap,
                case("previously-stored").path: self._previous_article,
            }
            return calm.get(path)
        if path.startswith(FARM_PREFIX):
            return self._farm_item
        if path.startswith("/calendar/"):
            return self._calendar
        if path.startswith(ENDLESS_STORIES):
            return self._endless_story
        fixed: dict[str, Route] = {
            "/robots.txt": self._robots,
            "/": self._home,
            GOOD_SITEMAP: self._good_sitemap,
            GOOD_FEED: self._good_feed,
            "/latest": self._pagination,
            REDIRECT_LOOP_B: self._redirect_to(case("redirect-loop").path),
        }
        if path in fixed:
            return fixed[path]
        for c in CASES:
            if urlsplit(c.path).path == path:
                return getattr(self, "_case_" + c.id.replace("-", "_"), None)
        return None

    # -- calm mode -----------------------------------------------------------------------------
    def _calm_robots(self, h: _Handler, q: dict[str, str]) -> int:
        text = f"User-agent: *\nAllow: /\nSitemap: {self.base_url}{GOOD_SITEMAP}\n"
        h.send(200, text.encode(), "text/plain; charset=utf-8")
        return 200

    def _calm_home(self, h: _Handler, q: dict[str, str]) -> int:
        prev = case("previously-stored")
        html = content.home_html([(prev.path, "Wheat procurement target set")], [])
        h.send(200, html.encode())
        return 200

    def _calm_sitemap(self, h: _Handler, q: dict[str, str]) -> int:
        xml = content.sitemap_xml([(self.url("previously-stored"), "2024-04-20T09:00:00+00:00")])
        h.send(200, xml.encode(), "application/xml")
        return 200

    def _previous_article(self, h: _Handler, q: dict[str, str]) -> int:
        html = content.article_html(
            "Wheat procurement target set for the season",
            content.paragraphs("previously-stored"),
            published="2024-04-20T09:00:00+00:00",
        )
        h.send(200, html.encode())
        return 200

    # -- hostile mode: discovery documents -----------------------------------------------------
    def _robots(self, h: _Handler, q: dict[str, str]) -> int:
        sitemaps = [c.path for c in CASES if c.via is Via.SITEMAP and c.path.endswith(".xml")]
        lines = ["User-agent: *", "Allow: /"]
        lines += [f"Sitemap: {self.base_url}{p}" for p in [GOOD_SITEMAP, *sitemaps]]
        h.send(200, ("\n".join(lines) + "\n").encode(), "text/plain; charset=utf-8")
        return 200

    def _home(self, h: _Handler, q: dict[str, str]) -> int:
        links = [(c.path, c.description) for c in CASES if c.via is Via.HOME]
        feeds = [
            GOOD_FEED,
            *(c.path for c in CASES if c.via is Via.FEED and c.path.endswith(".rss")),
        ]
        h.send(200, content.home_html(links, feeds).encode())
        return 200

    def _good_sitemap(self, h: _Handler, q: dict[str, str]) -> int:
        xml = content.sitemap_xml(
            [
                (self.url("good-article-sitemap"), "2024-05-02T08:30:00+00:00"),
                (self.url("previously-stored"), self.hostile_since),
            ]
        )
        h.send(200, xml.encode(), "application/xml")
        return 200

    def _good_feed(self, h: _Handler, q: dict[str, str]) -> int:
        xml = content.rss_xml([(self.url("good-article-feed"), "Solar tariffs cut")])
        h.send(200, xml.encode(), "application/rss+xml")
        return 200

    def _xml(self, h: _Handler, text: str, content_type: str) -> int:
        h.send(200, text.encode(), content_type)
        return 200

    def _case_sitemap_billion_laughs(self, h: _Handler, q: dict[str, str]) -> int:
        return self._xml(h, content.laughs_sitemap(self.base_url), "application/xml")

    def _case_sitemap_xxe(self, h: _Handler, q: dict[str, str]) -> int:
        return self._xml(h, content.xxe_sitemap(self.base_url), "application/xml")

    def _case_feed_billion_laughs(self, h: _Handler, q: dict[str, str]) -> int:
        return self._xml(h, content.laughs_feed(self.base_url), "application/rss+xml")

    def _case_feed_xxe(self, h: _Handler, q: dict[str, str]) -> int:
        return self._xml(h, content.xxe_feed(self.base_url), "application/rss+xml")

    def _case_sitemap_self_index(self, h: _Handler, q: dict[str, str]) -> int:
        xml = content.sitemap_index_xml(
            [self.url("sitemap-self-index"), self.base_url + GOOD_SITEMAP]
        )
        return self._xml(h, xml, "application/xml")

    # -- hostile mode: articles and pages ------------------------------------------------------
    def _article(self, h: _Handler, case_id: str, title: str, **kw: Any) -> int:
        html = content.article_html(title, content.paragraphs(case_id), **kw)
        h.send(200, html.encode())
        return 200

    def _case_good_article_1(self, h: _Handler, q: dict[str, str]) -> int:
        return self._article(h, "good-article-1", "Port traffic rises after new customs rules")

    def _case_good_article_2(self, h: _Handler, q: dict[str, str]) -> int:
        return self._article(h, "good-article-2", "Textile exporters report record orders")

    def _case_good_article_sitemap(self, h: _Handler, q: dict[str, str]) -> int:
        return self._article(h, "good-article-sitemap", "Central bank holds policy rate steady")

    def _case_good_article_feed(self, h: _Handler, q: dict[str, str]) -> int:
        return self._article(h, "good-article-feed", "Solar tariffs cut for small factories")

    def _case_previously_stored(self, h: _Handler, q: dict[str, str]) -> int:
        h.send(200, b"")  # the CDN now serves an empty 200 for a stored article
        return 200

    def _case_malformed_html(self, h: _Handler, q: dict[str, str]) -> int:
        html = content.article_html(
            "Council budget passes after long night",
            content.paragraphs("malformed-html"),
            raw_paras=[
                (
                    "<div class=lead id=intro><p>Councillors <b>argued <i>until dawn</b> over the"
                    " budget</i>, which passed <span>by two votes"
                ),
                "</div></div></span></table><p><p>The mayor said the vote <a href=/x>was",
                "<table><p>fair and <td>open</p></div>",
            ],
        )
        html = html.replace("</p>", "", 3).replace("</article>", "")
        h.send(200, html.encode())
        return 200

    def _case_truncated_html(self, h: _Handler, q: dict[str, str]) -> int:
        html = content.article_html(
            "Transport fares rise for the first time in five years",
            content.paragraphs("truncated-html", 8),
        )
        cut = html.index("<p>", html.index("<p>", len(html) * 3 // 4))
        h.send(200, (html[:cut] + '<p cla="').encode())
        return 200

    def _case_cp1252_declared_utf8(self, h: _Handler, q: dict[str, str]) -> int:
        html = content.article_html(
            "Café owners’ costs rise as “temporary” levy stays",
            [
                (
                    "Café owners said the “temporary” levy – now in its third year – costs them "
                    "more than rent; one owner’s bill rose by 12 percent."
                ),
                *content.paragraphs("cp1252-declared-utf8"),
            ],
        )
        h.send(200, html.encode("cp1252"))
        return 200

    def _case_utf16_no_bom(self, h: _Handler, q: dict[str, str]) -> int:
        html = content.article_html(
            "Rail link to the port opens next spring",
            content.paragraphs("utf16-no-bom"),
            charset="utf-16",
        )
        h.send(200, html.encode("utf-16-le"), "text/html; charset=utf-16")
        return 200

    def _case_meta_charset_contradicts_header(self, h: _Handler, q: dict[str, str]) -> int:
        html = content.article_html(
            "Fisheries co-operative in Zürich talks: a naïve plan — or a bold one?",
            [
                (
                    "The co-operative’s chairman called the plan “naïve” at first — then signed it "
                    "at a café in Zürich."
                ),
                *content.paragraphs("meta-charset-contradicts-header"),
            ],
            charset="windows-1251",
        )
        h.send(200, html.encode("utf-8"), "text/html; charset=utf-8")
        return 200

    def _case_binary_as_html(self, h: _Handler, q: dict[str, str]) -> int:
        noise = random.Random("binary-as-html").randbytes(64 * 1024)
        h.send(200, b"\x89PNG\r\n\x1a\n" + noise, "text/html")
        return 200

    def _case_octet_stream_article(self, h: _Handler, q: dict[str, str]) -> int:
        html = content.article_html(
            "Cement prices climb in the north", content.paragraphs("octet-stream-article")
        )
        h.send(200, html.encode(), "application/octet-stream")
        return 200

    def _case_empty_body(self, h: _Handler, q: dict[str, str]) -> int:
        h.send(200, b"")
        return 200

    def _case_js_only(self, h: _Handler, q: dict[str, str]) -> int:
        html = (
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Loading…</title>"
            "<script src='/static/app.3f9a.js' defer></script></head>"
            "<body><div id='root'></div><noscript>Please enable JavaScript.</noscript>"
            "</body></html>"
        )
        h.send(200, html.encode())
        return 200

    def _case_script_injection(self, h: _Handler, q: dict[str, str]) -> int:
        title = "Council budget row <script>alert('title')</script> deepens"
        html = content.article_html(
            title,
            content.paragraphs("script-injection"),
            escape_title=False,
            body_attrs=" onload=\"alert('body')\"",
            head_extra="<script>document.cookie='stolen=1'</script>",
            raw_paras=[
                (
                    "<p>The council's web portal was defaced with &lt;script&gt;alert('xss')"
                    "&lt;/script&gt; hours before the vote, officials said.</p>"
                ),
                "<img src='x' onerror=\"alert('img')\">",
                "<script>fetch('/steal?c=' + document.cookie)</script>",
                (
                    "<p onmouseover=\"alert('p')\">Councillors debated the budget for six hours "
                    "before the session was adjourned.</p>"
                ),
                "<svg onload=\"alert('svg')\"></svg>",
                "<p>Read <a href=\"javascript:alert('a')\">the statement</a> online.</p>",
                "<iframe src=\"javascript:alert('frame')\"></iframe>",
            ],
        )
        h.send(200, html.encode())
        return 200

    def _case_date_year_9999(self, h: _Handler, q: dict[str, str]) -> int:
        return self._article(
            h, "date-year-9999", "Grain silo project delayed again",
            published="9999-12-31T23:59:59+00:00",
        )  # fmt: skip

    def _case_date_year_0001(self, h: _Handler, q: dict[str, str]) -> int:
        return self._article(
            h, "date-year-0001", "Mobile tower levy challenged in court",
            published="0001-01-01T00:00:00+00:00",
        )  # fmt: skip

    def _case_deep_nesting(self, h: _Handler, q: dict[str, str]) -> int:
        html = content.article_html(
            "Brick kilns ordered to switch fuel", content.paragraphs("deep-nesting")
        )
        start = html.index("<main>")
        end = html.index("</main>")
        html = html[:start] + "<div>" * NESTING + html[start:end] + "</div>" * NESTING + html[end:]
        h.send(200, html.encode())
        return 200

    def _case_link_farm(self, h: _Handler, q: dict[str, str]) -> int:
        links = "".join(f'<a href="{FARM_PREFIX}{i}">Item {i}</a>\n' for i in range(FARM_LINKS))
        h.send(200, content.simple_page("Everything", f"<h1>Everything</h1>{links}").encode())
        return 200

    def _farm_item(self, h: _Handler, q: dict[str, str]) -> int:
        h.send(200, content.simple_page("Item", "<p>Nothing here.</p>").encode())
        return 200

    def _case_huge_page_declared(self, h: _Handler, q: dict[str, str]) -> int:
        h.stream(HUGE_BYTES, self._filler, chunked=False, stop=self._stop)
        return 200

    def _case_huge_page_chunked(self, h: _Handler, q: dict[str, str]) -> int:
        h.stream(HUGE_BYTES, self._filler, chunked=True, stop=self._stop)
        return 200

    def _case_gzip_bomb(self, h: _Handler, q: dict[str, str]) -> int:
        h.send(200, self._bomb, headers=[("Content-Encoding", "gzip")])
        return 200

    def _case_slow_drip(self, h: _Handler, q: dict[str, str]) -> int:
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", "1000")
        h.send_header("Connection", "close")
        h.close_connection = True
        h.end_headers()
        for _ in range(DRIP_BYTES):
            if not h.write(b"<") or self._stop.wait(DRIP_INTERVAL):
                break
        return 200

    def _case_connection_reset(self, h: _Handler, q: dict[str, str]) -> int:
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", "5000")
        h.end_headers()
        h.write(b"<html><body><p>" + b"x" * 285)
        time.sleep(0.05)
        h.reset()
        return 200

    def _case_oversized_headers(self, h: _Handler, q: dict[str, str]) -> int:
        html = content.article_html("Padding", content.paragraphs("oversized-headers"))
        h.send(200, html.encode(), headers=[("X-Padding", "a" * 100_000)])
        return 200

    def _case_status_429(self, h: _Handler, q: dict[str, str]) -> int:
        h.send(429, b"<html><body>Slow down</body></html>", headers=[("Retry-After", "3600")])
        return 429

    def _case_status_503(self, h: _Handler, q: dict[str, str]) -> int:
        h.send(503, b"<html><body>Maintenance</body></html>", headers=[("Retry-After", "120")])
        return 503

    def _redirect_to(self, path: str) -> Route:
        def route(h: _Handler, q: dict[str, str]) -> int:
            h.send(302, b"", headers=[("Location", self.base_url + path)])
            return 302

        return route

    def _case_redirect_loop(self, h: _Handler, q: dict[str, str]) -> int:
        return self._redirect_to(REDIRECT_LOOP_B)(h, q)

    def _case_redirect_self(self, h: _Handler, q: dict[str, str]) -> int:
        return self._redirect_to(case("redirect-self").path)(h, q)

    # -- traps ---------------------------------------------------------------------------------
    def _calendar(self, h: _Handler, q: dict[str, str]) -> int:
        try:
            year, month = (int(p) for p in h.path.split("?")[0].split("/")[2:4])
        except ValueError:
            h.send(404, b"")
            return 404
        nxt = (year + month // 12, month % 12 + 1)
        body = (
            f"<h1>Events in {year}-{month:02d}</h1><p>No events.</p>"
            f'<a href="/calendar/{nxt[0]}/{nxt[1]:02d}">next month</a>'
        )
        h.send(200, content.simple_page(f"Calendar {year}-{month:02d}", body).encode())
        return 200

    def _pagination(self, h: _Handler, q: dict[str, str]) -> int:
        page = int(q.get("page", "1")) if q.get("page", "1").isdigit() else 1
        body = f'<h1>Latest, page {page}</h1><a href="/latest?page={page + 1}">older</a>'
        h.send(200, content.simple_page(f"Latest {page}", body).encode())
        return 200

    _case_pagination_trap = _pagination

    def _case_endless_list(self, h: _Handler, q: dict[str, str]) -> int:
        page = int(q.get("page", "1")) if q.get("page", "1").isdigit() else 1
        body = (
            f"<h1>Archive, page {page}</h1>"
            f'<ul><li><a href="{ENDLESS_STORIES}{page}">Story {page}</a></li></ul>'
            f'<a href="/endless?page={page + 1}">older</a>'
        )
        h.send(200, content.simple_page(f"Archive {page}", body).encode())
        return 200

    def _endless_story(self, h: _Handler, q: dict[str, str]) -> int:
        number = h.path.rsplit("/", 1)[-1]
        if not number.isdigit():
            h.send(404, b"")
            return 404
        title = f"Archive story number {number} about port tariffs"
        html = content.article_html(title, content.paragraphs(f"endless-{number}"))
        h.send(200, html.encode())
        return 200

    def _case_calendar_trap(self, h: _Handler, q: dict[str, str]) -> int:
        return self._calendar(h, q)


def _gzip_bomb(inflated: int) -> bytes:
    """gzip of ``inflated`` bytes of HTML whitespace: about 1 KB per MB."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)
    block = b" " * MB
    parts = [packer.compress(b"<html><body>")]
    parts += [packer.compress(block) for _ in range(inflated // MB)]
    parts.append(packer.flush())
    return b"".join(parts)
