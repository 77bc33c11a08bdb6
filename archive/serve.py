"""Publish the archive read-only with Datasette, using the configuration in archive/datasette/.

The archive is served under the database name ``broadsheet`` whatever its file is called
(``plugins/broadsheet.py`` renames it), so URLs such as ``/broadsheet/articles/<id>`` are stable.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from datasette.app import Datasette

log = logging.getLogger(__name__)

DATASETTE_DIR: Final = Path(__file__).resolve().parent / "datasette"
METADATA: Final = DATASETTE_DIR / "metadata.yaml"
TEMPLATES: Final = DATASETTE_DIR / "templates"
PLUGINS: Final = DATASETTE_DIR / "plugins"
STATIC: Final = DATASETTE_DIR / "static"
STATIC_MOUNT: Final = "static"  # served at /static/, referenced by metadata.yaml extra_css_urls
DATABASE_NAME: Final = "broadsheet"  # the one key under `databases:` in metadata.yaml
# Where /-/capture/<id> reads WARC files from (plugins/broadsheet.py): this variable in the
# Datasette process, else `warc/` beside the archive file, where `broadsheet crawl` writes them.
WARC_DIR_ENV: Final = "BROADSHEET_WARC_DIR"

# Datasette settings (docs.datasette.io/en/0.65.x/settings.html). Read-only view of a constant.
SETTINGS: Final = MappingProxyType(
    {
        # A slow ad-hoc query must not tie up one of the few SQL threads for long.
        "sql_time_limit_ms": 3000,
        "max_returned_rows": 1000,
        "default_page_size": 50,
        # Facets over a large articles table need more than the 200 ms default.
        "facet_time_limit_ms": 1000,
        # Suggesting facets runs a query per column on every table page; ours are curated.
        "suggest_facets": False,
        # Bodies are long: truncate them in table views (row pages show them in full).
        "truncate_cells_html": 400,
        # No download of the whole .db file: it is large, and export.py streams data instead.
        "allow_download": False,
        # CSV with _stream=on pages through every row of a table, with no size cap.
        "allow_csv_stream": True,
        "max_csv_mb": 0,
    }
)

PR_SET_PDEATHSIG = 1  # prctl option: the signal this process gets when its parent dies


def _setting_value(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def datasette_argv(
    db_path: Path, *, host: str = "127.0.0.1", port: int = 8001, immutable: bool = False
) -> list[str]:
    """Arguments for ``datasette`` (starting with ``serve``) that publish ``db_path`` read-only.

    ``immutable`` passes the file with ``-i``: Datasette then opens it with ``immutable=1``,
    skips locking and counts rows once. Only for a snapshot nothing writes to any more: SQLite
    ignores the ``-wal`` file in that mode, so commits not yet checkpointed are invisible.
    """
    db = str(Path(db_path))
    argv = ["serve", *(["-i", db] if immutable else [db])]
    argv += ["--host", host, "--port", str(port)]
    argv += ["--metadata", str(METADATA), "--template-dir", str(TEMPLATES)]
    argv += ["--plugins-dir", str(PLUGINS), "--static", f"{STATIC_MOUNT}:{STATIC}"]
    for name, value in SETTINGS.items():
        argv += ["--setting", name, _setting_value(value)]
    return argv


def serve_command(
    db_path: Path, *, host: str = "127.0.0.1", port: int = 8001, immutable: bool = False
) -> list[str]:
    """The full command line ``serve`` runs: this interpreter's ``-m datasette``."""
    argv = datasette_argv(db_path, host=host, port=port, immutable=immutable)
    return [sys.executable, "-m", "datasette", *argv]


def _wal_pending(db_path: Path) -> bool:
    wal = Path(f"{db_path}-wal")
    return wal.exists() and wal.stat().st_size > 0


def _exit_code(returncode: int) -> int:
    # Popen reports death by signal N as -N; shells (and cron mail) expect 128 + N.
    return 128 - returncode if returncode < 0 else returncode


def default_warc_dir(db_path: Path) -> Path:
    """The WARC folder a crawl into ``db_path`` writes: ``warc/`` beside the archive."""
    from pipelines.warcs import warc_dir_for

    return warc_dir_for(Path(db_path).resolve())


def serve_env(db_path: Path, warc_dir: Path | None = None) -> dict[str, str]:
    """The environment of the Datasette child: ours, with the WARC folder made absolute.

    An explicit ``warc_dir`` wins, then an inherited $BROADSHEET_WARC_DIR, then the default.
    """
    env = dict(os.environ)
    chosen = warc_dir or env.get(WARC_DIR_ENV) or default_warc_dir(db_path)
    env[WARC_DIR_ENV] = str(Path(chosen).resolve())
    return env


def _die_with_parent() -> None:
    """In the Datasette child, before exec: the kernel kills it if we die, even by SIGKILL
    (a supervisor's or a test's hard stop), so it never outlives us holding its port. Linux only;
    elsewhere the SIGTERM forwarding below is all there is."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


@contextlib.contextmanager
def _forwarding_sigterm(proc: subprocess.Popen[bytes]) -> Iterator[None]:
    """Pass a SIGTERM sent to us (``kill <pid>``, a supervisor, a test's ``terminate()``) on to
    Datasette, which then shuts down; without this the child outlived us, holding its port."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set in the main thread
        return

    def forward(signum: int, frame: object) -> None:
        proc.send_signal(signum)

    previous = signal.signal(signal.SIGTERM, forward)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def serve(
    db_path: Path,
    host: str = "127.0.0.1",
    port: int = 8001,
    immutable: bool = False,
    warc_dir: Path | None = None,
) -> int:
    """Run Datasette on ``db_path`` until it stops; return its exit code.

    ``warc_dir`` is where the raw captures (``/-/capture/<article id>``) are read from;
    default: $BROADSHEET_WARC_DIR, else ``warc/`` beside ``db_path``.

    Datasette runs in a child process: its plugin manager is process-global (plugins loaded from
    a directory stay registered for the rest of the process), ``datasette serve`` ends with
    ``sys.exit`` and owns the event loop and signal handlers. A child keeps all of that out of
    the caller and turns the outcome into a plain exit code.
    """
    db_path = Path(db_path)
    if not db_path.is_file():
        raise FileNotFoundError(f"no archive at {db_path}")
    if immutable and _wal_pending(db_path):
        log.warning(
            "%s has uncheckpointed changes in its -wal file; immutable mode will not show them",
            db_path,
        )
    with (
        subprocess.Popen(
            serve_command(db_path, host=host, port=port, immutable=immutable),
            env=serve_env(db_path, warc_dir),
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - only prctl, before exec
        ) as proc,
        _forwarding_sigterm(proc),
    ):
        try:
            return _exit_code(proc.wait())
        except KeyboardInterrupt:
            # Forward the stop in case only we got the signal (kill -INT <pid>, not Ctrl-C). If
            # Datasette is already stopping, a second signal only cuts it short: it writes nothing.
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            return 130  # the shell's code for "interrupted"


def make_datasette(
    db_path: Path, *, immutable: bool = False, warc_dir: Path | None = None
) -> Datasette:
    """An in-process Datasette with the same metadata, templates, plugins, static and settings.

    For tests and scripts: ``await ds.client.get("/broadsheet/articles.json")``. The database is
    renamed to ``broadsheet`` on the first request (the plugin's startup hook). ``warc_dir``
    becomes the plugin's ``warc_dir`` setting (else $BROADSHEET_WARC_DIR, else ``warc/``
    beside the file).
    """
    from datasette.app import Datasette
    from datasette.utils import parse_metadata

    db = str(Path(db_path))
    metadata = parse_metadata(METADATA.read_text(encoding="utf-8"))
    if warc_dir is not None:
        plugins = metadata.setdefault("plugins", {})
        plugins.setdefault("broadsheet", {})["warc_dir"] = str(Path(warc_dir).resolve())
    return Datasette(
        [] if immutable else [db],
        immutables=[db] if immutable else [],
        metadata=metadata,
        template_dir=str(TEMPLATES),
        plugins_dir=str(PLUGINS),
        static_mounts=[(STATIC_MOUNT, str(STATIC))],
        settings=dict(SETTINGS),
    )
