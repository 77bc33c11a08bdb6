"""Datasette plugin for the Broadsheet archive: a fixed database name and safe template filters.

Loaded with ``--plugins-dir`` (see archive/serve.py). It adds no routes, no write queries and no
SQL functions: the archive stays read-only.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from datasette import hookimpl
from datasette.utils import tilde_encode

# A blank line (possibly holding spaces) separates paragraphs in articles.body.
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")


@hookimpl
def startup(datasette: Any) -> None:
    """Serve the one archive file under the one database name metadata.yaml describes.

    Datasette names a database after its file stem, and metadata, canned queries, templates and
    every URL are keyed by that name. Renaming here keeps them valid for any file name.
    """
    described = list(datasette.metadata("databases") or {})
    if len(described) != 1:
        return
    target = described[0]
    files = [name for name, db in datasette.databases.items() if db.path]
    # Only the single-archive case is ours to rename; several files keep their own names.
    if len(files) != 1 or files[0] == target or target in datasette.databases:
        return
    db = datasette.databases[files[0]]
    datasette.remove_database(files[0])
    datasette.add_database(db, name=target)


def paragraphs(text: str | None) -> list[str]:
    """Split plain text on blank lines; the template escapes each paragraph."""
    if not text:
        return []
    return [p.strip() for p in _PARAGRAPH_BREAK.split(text.replace("\r\n", "\n")) if p.strip()]


def json_list(value: str | None) -> list[str]:
    """A JSON list column as strings; anything else (bad JSON, a bare string) as one item."""
    if not value:
        return []
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        return [str(value)]
    if isinstance(parsed, list):
        return [str(item) for item in parsed if item not in (None, "")]
    return [str(parsed)]


def http_url(value: str | None) -> str | None:
    """The URL if it is http(s), else None: scraped hrefs must not become javascript: links."""
    if not value:
        return None
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return value.strip()
    return None


@hookimpl
def prepare_jinja2_environment(env: Any) -> None:
    env.filters["broadsheet_paragraphs"] = paragraphs
    env.filters["broadsheet_json_list"] = json_list
    env.filters["broadsheet_http_url"] = http_url
    env.filters["broadsheet_tilde"] = tilde_encode
