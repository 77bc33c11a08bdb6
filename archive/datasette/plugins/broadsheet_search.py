"""Datasette plugin: the articles table's search box stays fast on an archive of millions.

Datasette 0.65 answers ``/broadsheet/articles?_search=…`` with a page of rows ordered by the
primary key, a ``count(*)`` of the matches and one query per facet, and every one of them reads
every matching article: a word found in 180,000 of 1,000,000 articles costs seconds
(docs/performance.md). This plugin changes the defaults of a search on the articles table, and
nothing else:

- **order**: without ``_sort``/``_sort_desc`` the matches are listed most recently stored first
  (``_sort_desc=rowid``). Datasette then reads the page of rows it shows, instead of sorting
  every match by id (an order that meant nothing to a reader anyway).
- **count and facets**: when more than ``FULL_RESULTS_LIMIT`` articles match, the search is not
  counted by Datasette and its facets are not computed (``_nocount``/``_nofacet``); the HTML
  page says how many articles match, counted in the full-text index alone. A search matching
  fewer articles keeps Datasette's count and facets.
- **labels**: a page sorted by rowid does not expand foreign keys into labels (``_labels=0``,
  even if asked for): Datasette 0.65 fails (error 500) to build the next-page link of a
  labelled page sorted by a column it does not show. A search that asks for labels
  (``_labels=on``, ``_label=``) keeps Datasette's own order instead of ours.

The parameters it adds carry their own values (``_nocount=search``, ``_nofacet=search``,
``_labels=0``) so that they can be told from a user's own: each request is decided afresh, they
are dropped from a request without a search, and the table's form does not carry them over.

It also gives the articles page's template a faster way to write its rows
(``broadsheet_table_rows``): the same cells as Datasette's ``_table.html``, written by one Python
call instead of Jinja's loop, which took about 30 ms of CPU for a page of 50 articles and their
39 columns.

It reads only, through Datasette's own read connections, and adds no route and no SQL function.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.utils import to_css_class
from markupsafe import Markup, escape

SEARCH_TABLE = "articles"
# Above this many matching articles a table search gets no Datasette count and no facets: each
# of those six queries reads every matching article again, about 2 µs per match on a quiet
# machine (0.3-0.43 s per query for a word in 180,000 of 1,000,000 articles), more under load.
FULL_RESULTS_LIMIT = 1000
DEFAULT_ORDER = ("_sort_desc", "rowid")
SUMMARY = (("_nocount", "search"), ("_nofacet", "search"))
NO_LABELS = ("_labels", "0")
ADDED = frozenset({*SUMMARY, NO_LABELS})
# The count of matches must never hold up the page: past this, the search is taken as large.
COUNT_TIME_LIMIT_MS = 500
SCOPE_KEY = "broadsheet_search"

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def _database_name(datasette: Any) -> str | None:
    described = list(datasette.metadata("databases") or {})
    return described[0] if len(described) == 1 else None


def _is_search_table_path(path: str, database: str) -> bool:
    """``/<db>/articles`` in any format (``.json``, ``.csv``), not a row page."""
    prefix = f"/{database}/{SEARCH_TABLE}"
    if path == prefix:
        return True
    rest = path[len(prefix) :] if path.startswith(prefix) else ""
    return rest.startswith(".") and "/" not in rest


def _value(pairs: list[tuple[str, str]], key: str) -> str:
    """The first non-blank value of ``key`` (Datasette ignores blank parameters)."""
    return next((v for k, v in pairs if k == key and v.strip()), "")


def rewrite(
    pairs: list[tuple[str, str]], matches: int | None, *, html: bool = False
) -> list[tuple[str, str]]:
    """The query parameters Datasette gets for a request on the articles table.

    ``matches`` is the number of articles the search matches (None: not known, or too many to
    count quickly); it is ignored for a request without ``_search``. ``html``: the request is
    for the HTML page, where Datasette expands foreign keys into labels by default.
    """
    kept = [pair for pair in pairs if pair not in ADDED]
    search = _value(pairs, "_search")
    labels = _value(kept, "_labels").lower()
    asked_for_labels = labels in ("on", "true", "1") or bool(_value(kept, "_label"))
    chose_order = _value(kept, "_sort") or _value(kept, "_sort_desc")
    if search and not chose_order and not asked_for_labels:
        kept.append(DEFAULT_ORDER)
    if search and (matches is None or matches > FULL_RESULTS_LIMIT):
        kept += [(k, v) for k, v in SUMMARY if not _value(kept, k)]
    if "rowid" in (_value(kept, "_sort"), _value(kept, "_sort_desc")):
        if asked_for_labels:
            kept = [(k, v) for k, v in kept if k not in ("_labels", "_label")]
        if html or asked_for_labels:
            kept.append(NO_LABELS)
    return kept


def match_count_sql(fts_table: str, raw: bool, limit: int | None = None) -> str:
    """Count, with the full-text index alone, the articles Datasette's own MATCH expression
    (filters.py) finds; with ``limit``, stop counting there."""
    expression = ":search" if raw else "escape_fts(:search)"
    matching = f"select rowid from [{fts_table}] where [{fts_table}] match {expression}"
    if limit is None:
        return f"select count(*) from ({matching})"
    return f"select count(*) from ({matching} limit {int(limit)})"


async def count_matches(
    datasette: Any, database: str, pairs: list[tuple[str, str]], limit: int | None = None
) -> int | None:
    """How many articles the request's ``_search`` matches (at most ``limit``), or None if
    that is not known: not valid FTS5 syntax (Datasette reports it), or too slow to count."""
    meta = datasette.table_metadata(database, SEARCH_TABLE) or {}
    fts_table = meta.get("fts_table")
    if not fts_table:
        return None
    mode = _value(pairs, "_searchmode") or meta.get("searchmode") or "escaped"
    sql = match_count_sql(fts_table, raw=mode == "raw", limit=limit)
    db = datasette.get_database(database)
    try:
        result = await db.execute(
            sql,
            {"search": _value(pairs, "_search")},
            custom_time_limit=COUNT_TIME_LIMIT_MS,
            log_sql_errors=False,  # Datasette logs and reports a bad search itself
        )
    except (QueryInterrupted, sqlite3.DatabaseError):
        return None
    return int(result.first()[0])


@hookimpl
def asgi_wrapper(datasette: Any) -> Callable[[ASGIApp], ASGIApp]:
    def wrap(app: ASGIApp) -> ASGIApp:
        async def search_defaults(scope: dict[str, Any], receive: Any, send: Any) -> None:
            # Datasette names the archive "broadsheet" at startup, which runs on the first
            # request, inside this wrapper; it only ever runs once.
            await datasette.invoke_startup()
            database = _database_name(datasette)
            if (
                scope.get("type") != "http"
                or scope.get("method") not in ("GET", "HEAD")
                or not database
                or database not in datasette.databases
                or not _is_search_table_path(scope.get("path", ""), database)
            ):
                await app(scope, receive, send)
                return
            query = scope.get("query_string", b"").decode("latin-1")
            pairs = parse_qsl(query, keep_blank_values=True)
            # A column-restricted search (_search_title=) or another index is left as asked.
            if any(k.startswith(("_search_", "_fts_")) for k, _ in pairs):
                await app(scope, receive, send)
                return
            matches = None
            if _value(pairs, "_search"):
                # Is it a large search? Counting stops one past the limit: a word in a fifth of
                # a million articles is told in about a millisecond.
                limit = FULL_RESULTS_LIMIT + 1
                matches = await count_matches(datasette, database, pairs, limit=limit)
            html = scope["path"].rsplit("/", 1)[-1] == SEARCH_TABLE
            new_pairs = rewrite(pairs, matches, html=html)
            if new_pairs != pairs:
                scope = dict(scope, query_string=urlencode(new_pairs).encode("latin-1"))
            if _value(pairs, "_search"):
                state = {"database": database, "pairs": new_pairs}
                scope = dict(scope, **{SCOPE_KEY: state})
            await app(scope, receive, send)

        return search_defaults

    return wrap


def form_hidden_args(args: Any) -> list[tuple[str, str]]:
    """Datasette's hidden fields of the table form (views/table.py), without ours."""
    return [
        (key, value)
        for key in args
        if key.startswith("_")
        and key not in ("_sort", "_sort_desc", "_search", "_next")
        and "__" not in key
        for value in args.getlist(key)
        if (key, value) not in ADDED
    ]


@hookimpl
def extra_template_vars(
    database: str | None, table: str | None, view_name: str, request: Any, datasette: Any
) -> Callable[[], Awaitable[dict[str, Any]]] | dict[str, Any]:
    """On the articles table page: the form without our parameters and, on a search,
    ``broadsheet_search``: whether the order is ours and, when the search was too large for
    Datasette's count and facets, how many articles it matches (from the full-text index)."""
    if view_name != "table" or table != SEARCH_TABLE or request is None:
        return {}
    extra: dict[str, Any] = {"form_hidden_args": form_hidden_args(request.args)}
    state = request.scope.get(SCOPE_KEY)
    if not state:
        return extra

    async def with_search() -> dict[str, Any]:
        pairs = state["pairs"]
        summarised = any(pair in pairs for pair in SUMMARY)
        matches = await count_matches(datasette, state["database"], pairs) if summarised else None
        extra["broadsheet_search"] = {
            "summarised": summarised,
            "matches": matches,
            "limit": FULL_RESULTS_LIMIT,
            "newest_stored_first": _value(pairs, "_sort_desc") == "rowid",
        }
        return extra

    return with_search


def table_rows(rows: Iterable[Iterable[Mapping[str, Any]]]) -> Markup:
    """The ``<tr>`` rows of a table page, cell for cell what Datasette 0.65's ``_table.html``
    writes: ``<td class="col-<column> type-<value type>">value</td>``. A cell's value is
    escaped unless Datasette already made it markup (links, blanks), as autoescape does."""
    out = []
    for row in rows:
        out.append("<tr>")
        for cell in row:
            css = escape(to_css_class(str(cell["column"])))
            kind = escape(cell["value_type"])
            out.append(f'<td class="col-{css} type-{kind}">{escape(cell["value"])}</td>')
        out.append("</tr>\n")
    return Markup("".join(out))


@hookimpl
def prepare_jinja2_environment(env: Any) -> None:
    env.filters["broadsheet_table_rows"] = table_rows
