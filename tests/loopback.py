"""A small HTTP site on 127.0.0.1 for tests that need a server of their own shape."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

from archive.cli import LOCAL_CRAWL_SETTINGS
from tests.hostile import content

HTML = "text/html; charset=utf-8"


class QuietHandler(BaseHTTPRequestHandler):
    """A keep-alive request handler that logs nothing (the tests count what they need)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass


class LoopbackSite(ThreadingHTTPServer):
    """A server on a free port of 127.0.0.1; ``serving()`` runs it in a thread of its own."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.lock = threading.Lock()
        self.paths: list[str] = []  # request paths, for handlers that call ``log_path``

    def log_path(self, path: str) -> None:
        with self.lock:
            self.paths.append(path)

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @contextmanager
    def serving(self) -> Iterator[Self]:
        thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        thread.start()
        try:
            yield self
        finally:
            self.shutdown()
            self.server_close()
            thread.join(timeout=5)


def reply(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    headers: dict[str, str] | None = None,
    content_type: str = HTML,
) -> None:
    """Send a whole response with its length, so that keep-alive connections work."""
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def reply_story(handler: BaseHTTPRequestHandler, stories: Sequence[str], seed: str) -> bool:
    """Answer with a generated article (title "Story N on exports", prose seeded by ``seed``)
    when the request's path is the N-th of ``stories``; False, having sent nothing, otherwise."""
    if handler.path not in stories:
        return False
    n = stories.index(handler.path)
    html = content.article_html(f"Story {n} on exports", content.paragraphs(f"{seed}-{n}"))
    reply(handler, 200, html.encode())
    return True


def crawl_site(
    base_url: str, workdir: Path, source_id: str, *options: str, local: bool = True
) -> subprocess.CompletedProcess[str]:
    """``broadsheet crawl`` of one source at ``base_url`` into ``workdir/archive.db``, in a
    subprocess, with private networks allowed and (``local``) the tests' settings for loopback
    (``LOCAL_CRAWL_SETTINGS``); without them, the project's own defaults."""
    sources = workdir / "sources.toml"
    sources.write_text(
        f'allow_private_networks = true\n[[source]]\nid = "{source_id}"\nurl = "{base_url}/"\n',
        encoding="utf-8",
    )
    return subprocess.run(
        [sys.executable, "-m", "archive", "crawl", "--sources", str(sources),
         "--db", str(workdir / "archive.db"), *(LOCAL_CRAWL_SETTINGS if local else ()),
         *options],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def crawl_logged(
    site: LoopbackSite, workdir: Path, source_id: str, *options: str
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """``crawl_site`` of ``site``, with the paths it was asked for during the crawl."""
    with site.lock:
        site.paths.clear()
    proc = crawl_site(site.base_url, workdir, source_id, *options)
    with site.lock:
        return proc, list(site.paths)
