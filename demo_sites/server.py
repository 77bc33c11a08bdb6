"""A small threaded HTTP server for the demo outlets, bound to 127.0.0.1 only.

Default: one port per outlet (own origin, robots.txt and sitemap). ``shared_host=True``: every
outlet on one port under ``/<outlet id>/``, with one combined root robots.txt, the way path-scoped
sources are served to us in production.
"""

from __future__ import annotations

import sys
import threading
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

from demo_sites import feeds
from demo_sites.catalog import EDITIONS, outlets
from demo_sites.site import HTML, Response, Site

HOST = "127.0.0.1"


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, app: DemoServer, outlet_id: str | None) -> None:
        self.app = app
        self.outlet_id = outlet_id  # None: shared host, dispatch on the path prefix
        super().__init__((HOST, port), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-request (a killed crawler, a cancelled download) is normal
        # for a web server; only unexpected errors deserve a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "DemoNews/1.0"
    timeout = 15  # idle keep-alive connections must not pin threads forever

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_POST(self) -> None:
        self._send(Response(405, b"Method not allowed\n", "text/plain; charset=utf-8"), head=False)

    def _serve(self, head: bool) -> None:
        response = self.server.app.respond(self.server.outlet_id, self.path)
        if response.status == 200 and _not_modified(self.headers, response):
            response = Response(
                304, b"", response.content_type, response.last_modified, response.etag
            )
        self._send(response, head)

    def _send(self, r: Response, head: bool) -> None:
        self.server.app.log_request_result(self.server.outlet_id, self.command, self.path, r.status)
        self.send_response(r.status)
        if r.status != 304:
            self.send_header("Content-Type", r.content_type)
            self.send_header("Content-Length", str(len(r.body)))
        else:
            self.send_header("Content-Length", "0")
        if r.etag:
            self.send_header("ETag", r.etag)
        if r.last_modified:
            self.send_header("Last-Modified", format_datetime(r.last_modified, usegmt=True))
        if r.location:
            self.send_header("Location", r.location)
        self.send_header("Cache-Control", "max-age=60")
        self.end_headers()
        if not head and r.status != 304:
            self.wfile.write(r.body)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.app.verbose:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")


def _not_modified(headers: Any, r: Response) -> bool:
    """RFC 9110: If-None-Match wins; If-Modified-Since is only consulted without it."""
    inm = headers.get("If-None-Match")
    if inm is not None:
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return "*" in tags or r.etag in tags
    ims = headers.get("If-Modified-Since")
    if ims and r.last_modified:
        try:
            return r.last_modified <= parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
    return False


class DemoServer:
    """Serve the demo outlets. Use as a context manager or call ``start()`` / ``stop()``.

    ``port=0`` picks ephemeral ports. With a fixed port and one port per outlet, outlets get
    ``port``, ``port + 1``, ... in catalog order.
    """

    def __init__(
        self, port: int = 0, *, shared_host: bool = False, edition: int = 1, verbose: bool = False
    ) -> None:
        if edition not in EDITIONS:
            raise ValueError(f"unknown edition {edition}")
        self.port = port
        self.shared_host = shared_host
        self.verbose = verbose
        self.base_urls: dict[str, str] = {}
        self._edition = edition
        self._outlets = outlets()
        self._lock = threading.Lock()
        self._log: list[tuple[str | None, str, str, int]] = []
        self._sites: dict[str, Site] = {}
        self._servers: list[_HTTPServer] = []
        self._threads: list[threading.Thread] = []

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> Self:
        if self._servers:
            return self
        try:
            if self.shared_host:
                srv = _HTTPServer(self.port, self, None)
                self._servers.append(srv)
                root = f"http://{HOST}:{srv.server_address[1]}"
                self.base_urls = {o.id: f"{root}/{o.id}" for o in self._outlets}
            else:
                for i, outlet in enumerate(self._outlets):
                    srv = _HTTPServer(self.port + i if self.port else 0, self, outlet.id)
                    self._servers.append(srv)
                    self.base_urls[outlet.id] = f"http://{HOST}:{srv.server_address[1]}"
        except OSError:
            self.stop()
            raise
        self._build_sites()
        for srv in self._servers:
            thread = threading.Thread(
                target=srv.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"demo-sites-{srv.outlet_id or 'shared'}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for srv in self._servers:
            if self._threads:
                srv.shutdown()
            srv.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers, self._threads = [], []

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- editions --------------------------------------------------------------------------
    @property
    def edition(self) -> int:
        return self._edition

    def set_edition(self, edition: int) -> None:
        """Switch content: edition 2 corrects one article and publishes one new one."""
        if edition not in EDITIONS:
            raise ValueError(f"unknown edition {edition}")
        with self._lock:
            self._edition = edition
        self._build_sites()

    def _build_sites(self) -> None:
        # Editions after the first are "published" when set, so their edits carry that time.
        revised_at = "" if self._edition == 1 else datetime.now(UTC).isoformat(timespec="seconds")
        sites = {
            o.id: Site(o, self.base_urls[o.id], self._edition, revised_at) for o in self._outlets
        }
        with self._lock:
            self._sites = sites  # swapped whole: readers see the old or the new edition

    @property
    def root_url(self) -> str:
        """The shared host's root (shared mode only)."""
        if not self.shared_host or not self._servers:
            raise RuntimeError("root_url exists only for a started shared-host server")
        return f"http://{HOST}:{self._servers[0].server_address[1]}"

    # -- request log -----------------------------------------------------------------------
    def log_request_result(
        self, outlet_id: str | None, method: str, path: str, status: int
    ) -> None:
        with self._lock:
            self._log.append((outlet_id, method, path, status))

    @property
    def requests(self) -> list[tuple[str, str, int]]:
        """(method, path, status) of every request so far, oldest first (a copy)."""
        with self._lock:
            return [(m, p, s) for _o, m, p, s in self._log]

    def requests_for(self, outlet_id: str) -> list[tuple[str, str, int]]:
        """Requests one outlet answered, paths relative to its base (works in both modes)."""
        prefix = f"/{outlet_id}"
        out = []
        with self._lock:
            log = list(self._log)
        for o, m, p, s in log:
            if o == outlet_id:
                out.append((m, p, s))
            elif o is None and (p == prefix or p.startswith(prefix + "/")):
                out.append((m, p[len(prefix) :] or "/", s))
        return out

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()

    # -- dispatch --------------------------------------------------------------------------
    def respond(self, outlet_id: str | None, target: str) -> Response:
        with self._lock:
            sites = self._sites
        if outlet_id is not None:
            return sites[outlet_id].handle(target)
        path = target.split("?", 1)[0]
        if path == "/robots.txt":
            return Response(
                200, feeds.robots(list(sites.values())).encode(), "text/plain; charset=utf-8"
            )
        if path == "/":
            links = "".join(
                f'<li><a href="/{oid}/">{s.outlet.name}</a></li>' for oid, s in sites.items()
            )
            page = f'<!DOCTYPE html><html lang="en"><title>Demo news host</title><ul>{links}</ul></html>'
            return Response(200, page.encode(), HTML)
        oid = path[1:].split("/", 1)[0]
        if oid in sites and target.startswith(f"/{oid}/"):
            return sites[oid].handle(target[len(oid) + 1 :])
        if oid in sites:
            return Response(301, b"", location=f"{self.root_url}/{oid}/")
        return Response(404, b"Not found\n", "text/plain; charset=utf-8")
