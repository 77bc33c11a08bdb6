"""Helpers for the real-browser tests: Debian's Chromium driven by Playwright, and a real
`broadsheet serve` subprocess.

Playwright's own browser download (`playwright install`) is never used: the tests launch the
system Chromium (`apt-get install chromium`) with a fresh profile and no background traffic.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

CHROMIUM: Final = Path(os.environ.get("BROADSHEET_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS: Final = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
MAKE_TARGET: Final = "make test-browser-deps"
SCREENSHOTS: Final = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"


def require_browser() -> None:
    """Fail (never skip) with the command that installs what is missing."""
    problems = []
    if not CHROMIUM.is_file():
        problems.append(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("the playwright package is not installed (pip install -e '.[dev]')")
    if problems:
        pytest.fail(
            "browser tests need " + " and ".join(problems) + f"; run `{MAKE_TARGET}`",
            pytrace=False,
        )


@contextmanager
def chromium(profile_dir: Path) -> Iterator[BrowserContext]:
    """A headless Chromium context with a fresh profile in ``profile_dir``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile_dir),
            executable_path=str(CHROMIUM),
            headless=True,
            args=list(CHROMIUM_ARGS),
            viewport={"width": 1280, "height": 900},
            accept_downloads=True,
        )
        try:
            yield context
        finally:
            context.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:  # 127.0.0.1 only
        return bytes(response.read())


@contextmanager
def broadsheet_serve(db_path: Path, *, timeout: float = 60) -> Iterator[str]:
    """Run `broadsheet serve` on a free port; yield its base URL (``http://127.0.0.1:N``)."""
    port = free_port()
    log = db_path.with_suffix(".serve.log")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "archive", "serve", "--db", str(db_path), "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    _get(f"{base}/-/versions.json")
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        text = log.read_text(encoding="utf-8", errors="replace")
                        raise RuntimeError(f"broadsheet serve did not start:\n{text}") from None
                    time.sleep(0.2)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
