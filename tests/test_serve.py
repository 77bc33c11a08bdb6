"""`broadsheet serve` as a process: stopping it stops Datasette too."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from archive.schema import open_archive
from tests.browser_support import free_port


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # 127.0.0.1 only
            return response.status == 200
    except OSError:
        return False


@pytest.mark.parametrize(
    ("stop", "codes"),
    [
        # a supervisor, a shell's `kill` or a test's terminate(): SIGTERM, forwarded to Datasette
        (subprocess.Popen.terminate, (0, 143)),
        # SIGKILL cannot be forwarded: the kernel ends the child (parent-death signal, Linux)
        (subprocess.Popen.kill, (-9,)),
    ],
    ids=["terminate", "kill"],
)
def test_stopping_serve_stops_datasette(tmp_path: Path, stop, codes) -> None:
    # Datasette runs in a child process that used to outlive `broadsheet serve`, holding the port.
    db_path = tmp_path / "archive.db"
    open_archive(db_path).close()
    port = free_port()
    url = f"http://127.0.0.1:{port}/-/versions.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "archive", "serve", "--db", str(db_path), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not _answers(url):
            assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.2)
        stop(proc)
        assert proc.wait(timeout=20) in codes
        deadline = time.monotonic() + 10
        while _answers(url) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _answers(url), "Datasette still serves after `broadsheet serve` was stopped"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
