"""`broadsheet serve` as a process: stopping it stops Datasette too."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from archive.schema import open_archive


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # 127.0.0.1 only
            return response.status == 200
    except OSError:
        return False


def test_terminating_serve_stops_datasette(tmp_path: Path) -> None:
    # A supervisor, a shell's `kill` or a test's terminate() sends SIGTERM to `broadsheet
    # serve`; Datasette runs in a child process that used to outlive it, holding the port.
    db_path = tmp_path / "archive.db"
    open_archive(db_path).close()
    port = _free_port()
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
        proc.terminate()
        assert proc.wait(timeout=20) in (0, 143)
        deadline = time.monotonic() + 10
        while _answers(url) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _answers(url), "Datasette still serves after `broadsheet serve` was stopped"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_killing_serve_outright_stops_datasette_too(tmp_path: Path) -> None:
    # SIGKILL cannot be forwarded: the kernel ends the child (parent-death signal, Linux).
    db_path = tmp_path / "archive.db"
    open_archive(db_path).close()
    port = _free_port()
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
        proc.kill()
        proc.wait(timeout=20)
        deadline = time.monotonic() + 10
        while _answers(url) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _answers(url), "Datasette still serves after `broadsheet serve` was killed"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
