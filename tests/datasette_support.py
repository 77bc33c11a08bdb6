"""The in-process Datasette of the archive tests: built on a module's ``db_path`` fixture and
asked through its own client (no socket; the UI tests use a real server instead)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from datasette.app import Datasette

from archive import serve


@pytest.fixture(scope="module")
def ds(db_path: Path) -> Iterator[Datasette]:
    datasette = serve.make_datasette(db_path)
    yield datasette
    for database in datasette.databases.values():
        database.close()


def get(ds: Datasette, path: str) -> httpx.Response:
    return asyncio.run(ds.client.get(path))
