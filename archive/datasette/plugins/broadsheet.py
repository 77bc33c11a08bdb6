"""Datasette plugin for the Broadsheet archive: a fixed database name, the article page's
related rows, the raw capture of each article, the data dictionary and safe template filters.

Loaded with ``--plugins-dir`` (see archive/serve.py). It adds no write queries and no SQL
functions: the archive stays read-only. Its routes only read:

- ``/-/capture/<article id>``: the WARC record an article was extracted from, as plain text
  under a sandboxing Content-Security-Policy (never as HTML);
- ``/-/dictionary`` (and ``/-/dictionary.json``): every visible table and column with its
  description from metadata.yaml, and every canned query.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sqlite3
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from datasette import hookimpl
from datasette.utils import tilde_encode
from datasette.utils.asgi import Request, Response
from markupsafe import Markup

# A blank line (possibly holding spaces) separates paragraphs in articles.body.
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")
# Canned-query columns holding an article page path ("/<db>/articles/<id>"), shown as links.
ARTICLE_LINK_COLUMNS = frozenset({"article", "original_article", "first_report"})
# Setting names: `plugins: {broadsheet: {warc_dir: ...}}` in metadata, else this variable.
WARC_DIR_SETTING = "warc_dir"
WARC_DIR_ENV = "BROADSHEET_WARC_DIR"
# Headers of every capture response: plain text that a browser must neither sniff into HTML
# nor run scripts in, even when the archived page is opened directly.
CAPTURE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_TEXT = "text/plain; charset=utf-8"


def _database_name(datasette: Any) -> str:
    """The one database metadata.yaml describes ("broadsheet")."""
    described = list(datasette.metadata("databases") or {})
    return described[0] if len(described) == 1 else next(iter(datasette.databases))


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


# --- template filters -------------------------------------------------------------------------


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
        return [_item_text(item) for item in parsed if item not in (None, "")]
    return [str(parsed)]


def _item_text(item: object) -> str:
    """A list item as text: relevance terms ([term, category, count] or an object with those
    keys) as "term (category ×count)"."""
    if isinstance(item, list) and item:
        term, *rest = item
        extras = [str(rest[0])] if rest and rest[0] else []
        if len(rest) > 1 and rest[1]:
            extras.append(f"×{rest[1]}")
        return f"{term} ({' '.join(extras)})" if extras else str(term)
    if isinstance(item, dict):
        term = item.get("term") or item.get("name") or json.dumps(item, ensure_ascii=False)
        extras = [str(item[k]) for k in ("category",) if item.get(k)]
        if item.get("count"):
            extras.append(f"×{item['count']}")
        return f"{term} ({' '.join(extras)})" if extras else str(term)
    return str(item)


def relevance_terms(value: str | None) -> tuple[list[str], str | None]:
    """articles.relevance_terms as (terms as text, lexicon version) whatever its JSON shape."""
    if not value:
        return [], None
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        return [str(value)], None
    if isinstance(parsed, dict):
        version = parsed.get("lexicon_version") or parsed.get("version")
        terms = parsed.get("terms") or parsed.get("matches") or []
        if isinstance(terms, dict):
            terms = [{"term": k, "count": v} for k, v in terms.items()]
        items = terms if isinstance(terms, list) else [terms]
        return [_item_text(t) for t in items], str(version) if version else None
    if isinstance(parsed, list):
        return [_item_text(t) for t in parsed if t not in (None, "")], None
    return [str(parsed)], None


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


def version_diff(value: str | None) -> list[dict[str, str]]:
    """article_versions.diff (JSON field changes) as [{field, text}] of plain text to escape."""
    if not value:
        return []
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        return [{"field": "diff", "text": str(value)}]
    if not isinstance(parsed, list):
        return [{"field": "diff", "text": json.dumps(parsed, ensure_ascii=False, indent=1)}]
    out = []
    for change in parsed:
        if not isinstance(change, dict):
            out.append({"field": "diff", "text": str(change)})
            continue
        field = str(change.get("field") or "?")
        if change.get("diff"):
            lines = change["diff"]
            text = "\n".join(str(x) for x in lines) if isinstance(lines, list) else str(lines)
        else:
            text = f"- {change.get('old', '')}\n+ {change.get('new', '')}"
        out.append({"field": field, "text": text})
    return out


@hookimpl
def prepare_jinja2_environment(env: Any) -> None:
    env.filters["broadsheet_paragraphs"] = paragraphs
    env.filters["broadsheet_json_list"] = json_list
    env.filters["broadsheet_http_url"] = http_url
    env.filters["broadsheet_tilde"] = tilde_encode
    env.filters["broadsheet_relevance_terms"] = relevance_terms
    env.filters["broadsheet_version_diff"] = version_diff


# --- the article page's related rows ----------------------------------------------------------

FACTS_SQL = """
select kind, text, value, value_high, amount, amount_high, currency, unit, period,
       start_date, end_date, direction, qualifier, sentence, "start"
from facts where article_id = :id order by "start", id
"""
ENTITIES_SQL = """
select kind, code_or_name, mention_count from article_entities
where article_id = :id order by kind, mention_count desc, code_or_name
"""
STORY_SQL = """
select id, title, member_count, outlets, original_article_id, earliest_published_at
from stories where id = :story
"""
MEMBERS_SQL = """
select id, title, source, published_at, url, duplicate_of from articles
where story_id = :story and id != :id
order by coalesce(datetime(published_at), published_at), id
"""
VERSIONS_SQL = """
select version, fetched_at, changed_fields, diff, title, content_hash
from article_versions where article_id = :id order by version
"""
LINKS_SQL = """
select l.kind, l.target_article_id, l.score, a.title, a.source from story_links l
left join articles a on a.id = l.target_article_id
where l.article_id = :id order by l.kind
"""


async def _rows(db: Any, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows as dicts; an archive older than the table (or without it) gives none."""
    try:
        result = await db.execute(sql, params)
    except sqlite3.OperationalError:
        return []
    return [dict(row) for row in result.rows]


async def article_extras(datasette: Any, database: str, article: dict[str, Any]) -> dict[str, Any]:
    """Facts, entities, story and its other members, versions and links of one article."""
    db = datasette.get_database(database)
    params = {"id": article["id"], "story": article.get("story_id")}
    story_rows = await _rows(db, STORY_SQL, params) if params["story"] else []
    return {
        "facts": await _rows(db, FACTS_SQL, params),
        "entities": await _rows(db, ENTITIES_SQL, params),
        "story": story_rows[0] if story_rows else None,
        "members": await _rows(db, MEMBERS_SQL, params) if params["story"] else [],
        "versions": await _rows(db, VERSIONS_SQL, params),
        "links": await _rows(db, LINKS_SQL, params),
    }


@hookimpl
def extra_template_vars(
    database: str | None, table: str | None, view_name: str, datasette: Any
) -> dict[str, Any]:
    if view_name != "row" or table != "articles" or not database:
        return {}

    async def broadsheet_article(article: dict[str, Any]) -> dict[str, Any]:
        return await article_extras(datasette, database, dict(article))

    return {"broadsheet_article": broadsheet_article}


@hookimpl
def render_cell(value: Any, column: str, table: str | None, database: str) -> Markup | None:
    """In canned-query results, article page paths ("/<db>/articles/<id>") become links."""
    if table is not None or column not in ARTICLE_LINK_COLUMNS or not isinstance(value, str):
        return None
    prefix = f"/{tilde_encode(database)}/articles/"
    if not value.startswith(prefix) or "/" in value[len(prefix) :]:
        return None
    return Markup('<a href="{0}">{0}</a>').format(value)  # format() escapes the value


# --- the raw capture ----------------------------------------------------------------------------


def warc_dir(datasette: Any, db_path: str | None) -> Path | None:
    """Where the WARC files are: the plugin setting, else $BROADSHEET_WARC_DIR, else ``warc/``
    beside the archive file."""
    config = datasette.plugin_config("broadsheet") or {}
    configured = config.get(WARC_DIR_SETTING) or os.environ.get(WARC_DIR_ENV)
    if configured:
        return Path(configured)
    return Path(db_path).resolve().parent / "warc" if db_path else None


def _text_response(text: str, status: int = 200) -> Response:
    return Response(
        text.encode("utf-8"), status=status, headers=dict(CAPTURE_HEADERS), content_type=_TEXT
    )


def _charset(headers: Iterable[tuple[str, str]]) -> str | None:
    for name, value in headers:
        if name.lower() == "content-type":
            match = re.search(r"charset=[\"']?([\w.:-]+)", value, re.IGNORECASE)
            if match:
                return match.group(1)
    return None


def _decode_body(body: bytes, headers: Iterable[tuple[str, str]]) -> str:
    from bs4 import UnicodeDammit

    declared = _charset(headers)
    dammit = UnicodeDammit(body, known_definite_encodings=[declared] if declared else [])
    if dammit.unicode_markup is not None:
        return dammit.unicode_markup
    return body.decode("utf-8", errors="replace")


def capture_text(article: dict[str, Any], path: Path) -> str:
    """The WARC response record of ``article`` as a plain-text audit document."""
    from pipelines.warcs import WarcFormatError, read_record

    warning = ""
    try:
        record = read_record(path, int(article["warc_offset"]))
    except WarcFormatError as exc:
        if "digest" not in str(exc):
            raise
        warning = f"WARNING: {exc}. The record is shown unverified.\n"
        record = read_record(path, int(article["warc_offset"]), verify=False)
    stored = article.get("warc_payload_digest") or ""
    match = "matches" if stored and stored == record.payload_digest else "DIFFERS from"
    lines = [
        f"Raw capture of Broadsheet article {article['id']}",
        "This is the HTTP response archived when the article was fetched, shown as text.",
        warning.rstrip("\n"),
        f"WARC file: {path}",
        f"WARC offset: {article['warc_offset']}",
        f"WARC-Record-ID: {record.record_id}",
        f"WARC-Type: {record.record_type}",
        f"WARC-Target-URI: {record.url}",
        f"WARC-Date: {record.fetched_at}",
        f"WARC-Payload-Digest: {record.payload_digest} ({match} the archive's {stored or '-'})",
    ]
    if record.ip_address:
        lines.append(f"WARC-IP-Address: {record.ip_address}")
    if record.is_revisit:
        lines.append(f"Revisit of {record.refers_to_uri} captured {record.refers_to_date}")
    if record.body_truncated:
        lines.append("NOTE: the body was longer than the reader's limit and is cut.")
    if record.decode_error:
        lines.append(f"NOTE: the Content-Encoding could not be undone: {record.decode_error}")
    lines += ["", "-" * 72, f"{record.protocol or 'HTTP'} {record.status}"]
    lines += [f"{name}: {value}" for name, value in record.headers]
    lines += ["", _decode_body(record.body, record.headers)]
    return "\n".join(line for line in lines if line is not None)


async def capture(request: Request, datasette: Any) -> Response:
    """``/-/capture/<article id>``: the archived response of one article as plain text."""
    database = _database_name(datasette)
    allowed = await datasette.permission_allowed(
        request.actor, "view-table", resource=(database, "articles"), default=True
    )
    if not allowed:
        return _text_response("Forbidden\n", status=403)
    db = datasette.get_database(database)
    rows = await _rows(
        db,
        "select id, warc_file, warc_offset, warc_payload_digest from articles where id = :id",
        {"id": request.url_vars["article_id"]},
    )
    if not rows:
        return _text_response("No article with this id.\n", status=404)
    article = rows[0]
    folder = warc_dir(datasette, db.path)
    if not article["warc_file"] or article["warc_offset"] is None or folder is None:
        return _text_response("This article has no archived capture.\n", status=404)
    name = str(article["warc_file"])
    if not name.endswith((".warc", ".warc.gz")):
        return _text_response("The capture is not in a WARC file.\n", status=404)
    path = folder / name  # an absolute warc_file (imported WARCs) stays as it is
    if not path.is_file():
        message = f"The WARC file {name} is not in {folder} (set {WARC_DIR_ENV}).\n"
        return _text_response(message, status=404)
    from pipelines.warcs import WarcFormatError

    try:
        text = await asyncio.to_thread(capture_text, article, path)
    except (WarcFormatError, OSError, ValueError) as exc:
        return _text_response(f"The capture cannot be read: {exc}\n", status=500)
    return _text_response(text)


# --- the data dictionary --------------------------------------------------------------------------


async def dictionary_data(datasette: Any) -> dict[str, Any]:
    """Every visible table and view with its columns and descriptions, and the canned queries."""
    database = _database_name(datasette)
    db = datasette.get_database(database)
    hidden = set(await db.hidden_table_names())
    views = set(await db.view_names())
    tables = []
    for name in [*await db.table_names(), *sorted(views)]:
        if name in hidden:
            continue
        meta = datasette.metadata(database=database, table=name) or {}
        described = meta.get("columns") or {}
        columns = [
            {"name": column, "description": described.get(column) or ""}
            for column in await db.table_columns(name)
        ]
        tables.append(
            {
                "name": name,
                "kind": "view" if name in views else "table",
                "description": meta.get("description") or "",
                "columns": columns,
                "url": datasette.urls.table(database, name),
            }
        )
    queries = [
        {
            "name": name,
            "title": query.get("title") or name,
            "description": query.get("description") or "",
            "params": query.get("params") or [],
            "url": datasette.urls.table(database, name),
        }
        for name, query in (await datasette.get_canned_queries(database, None)).items()
    ]
    return {"database": database, "tables": tables, "queries": queries}


async def dictionary(request: Request, datasette: Any) -> Response:
    """``/-/dictionary``: the data dictionary, generated from metadata.yaml and the schema."""
    await datasette.ensure_permissions(request.actor, ["view-instance"])
    data = await dictionary_data(datasette)
    if request.url_vars.get("format") == "json":
        return Response.json(data)
    html = await datasette.render_template(
        "broadsheet_dictionary.html", data, request=request, view_name="dictionary"
    )
    return Response.html(html)


RouteView = Callable[[Request, Any], Awaitable[Response]]


@hookimpl
def register_routes() -> list[tuple[str, RouteView]]:
    return [
        (r"^/-/capture/(?P<article_id>[^/]+)$", capture),
        (r"^/-/dictionary(\.(?P<format>json))?$", dictionary),
    ]


@hookimpl
def menu_links(datasette: Any) -> list[dict[str, str]]:
    return [{"href": datasette.urls.path("/-/dictionary"), "label": "Data dictionary"}]
