"""Searching the archive in Datasette: the articles table's search box (plugins/
broadsheet_search.py) and the `search` / `search_best` canned queries, checked row for row
against the same question asked of SQLite directly."""

from __future__ import annotations

import csv
import html
import importlib.util
import io
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from datasette.app import Datasette
from datasette.plugins import pm
from datasette.utils import parse_metadata

from archive import serve
from archive.schema import open_archive
from tests.datasette_support import get

DB = serve.DATABASE_NAME
# More than the canned search's threshold (2,000), so both of its ways of finding the newest
# matches run: walking the publication-date index, and sorting a few matches.
COMMON = 2100
RARE = 30


def _load_plugin() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "broadsheet_search_under_test", serve.PLUGINS / "broadsheet_search.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


plugin = _load_plugin()


def _articles() -> Iterator[dict[str, Any]]:
    for n in range(COMMON):
        # Dates out of storage order, some repeated and some missing: the orders must not
        # depend on rowids following dates, and ties and nulls must be placed the same way.
        day = None if n % 97 == 0 else f"2024-{1 + n * 7 % 12:02d}-{1 + n % 28:02d}T08:00:00+00:00"
        words = "tariff quota" if n < RARE else "budget"
        yield {
            "id": f"{n:016x}",
            "source": "alpha" if n % 3 else "beta",
            "url": f"https://alpha.example/{n}",
            "title": f"Story {n} on the {words}" if n % 5 == 0 else f"Story {n}",
            "body": f"Common words, then the {words} paragraph number {n}. " * (1 + n % 4),
            "published_at": day,
            "language": "en",
        }


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("search") / "archive.db"
    db = open_archive(path)
    db["sources"].insert_all(
        [{"id": "alpha", "name": "Alpha"}, {"id": "beta", "name": "Beta"}], pk="id"
    )
    db["articles"].insert_all(_articles(), batch_size=500)
    db.close()
    return path


@pytest.fixture
def small_limit(ds: Datasette, monkeypatch: pytest.MonkeyPatch) -> int:
    """The loaded plugin summarises searches of more than 10 matches."""
    get(ds, "/-/versions.json")  # loads the plugins
    loaded = pm.get_plugin("broadsheet_search.py")
    monkeypatch.setattr(loaded, "FULL_RESULTS_LIMIT", 10)
    return 10


@pytest.fixture(scope="module")
def sql(db_path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    yield conn
    conn.close()


def ids(sql: sqlite3.Connection, query: str, *params: str) -> list[str]:
    return [row[0] for row in sql.execute(query, params)]


def matching_ids_newest_stored_first(sql: sqlite3.Connection, q: str) -> list[str]:
    return ids(
        sql,
        "select id from articles where rowid in (select rowid from articles_fts"
        " where articles_fts match ?) order by rowid desc",
        q,
    )


# --- the rewrite of a table search's parameters ------------------------------------------------


def test_a_search_is_listed_newest_stored_first() -> None:
    pairs = plugin.rewrite([("_search", "tariff")], matches=3)
    assert pairs == [("_search", "tariff"), ("_sort_desc", "rowid")]


def test_a_chosen_order_is_kept() -> None:
    for order in (("_sort", "published_at"), ("_sort_desc", "word_count")):
        assert plugin.rewrite([("_search", "tariff"), order], matches=3) == [
            ("_search", "tariff"),
            order,
        ]


def test_only_a_large_or_uncounted_search_loses_count_and_facets() -> None:
    limit = plugin.FULL_RESULTS_LIMIT
    summary = {("_nocount", "search"), ("_nofacet", "search")}
    assert not summary & set(plugin.rewrite([("_search", "x")], matches=limit))
    assert summary <= set(plugin.rewrite([("_search", "x")], matches=limit + 1))
    assert summary <= set(plugin.rewrite([("_search", "x")], matches=None))
    # A user's own _nofacet stays, and is not doubled.
    pairs = plugin.rewrite([("_search", "x"), ("_nofacet", "1")], matches=limit + 1)
    assert [p for p in pairs if p[0] == "_nofacet"] == [("_nofacet", "1")]


def test_its_parameters_are_decided_afresh_and_dropped_without_a_search() -> None:
    carried = [("_nocount", "search"), ("_nofacet", "search"), ("_labels", "0")]
    assert plugin.rewrite([*carried, ("source", "alpha")], matches=None) == [("source", "alpha")]
    assert plugin.rewrite([("_search", " "), *carried], matches=None) == [("_search", " ")]
    # A search narrowed below the limit gets its count and facets back.
    assert plugin.rewrite([("_search", "x y"), *carried[:2]], matches=3) == [
        ("_search", "x y"),
        ("_sort_desc", "rowid"),
    ]


def test_labels_off_only_for_a_rowid_order_on_the_html_page() -> None:
    no_labels = ("_labels", "0")
    assert no_labels in plugin.rewrite([("_search", "x")], matches=3, html=True)
    assert no_labels not in plugin.rewrite([("_search", "x")], matches=3)
    chosen = [("_search", "x"), ("_sort", "title")]
    assert no_labels not in plugin.rewrite(chosen, matches=3, html=True)
    # The next page's link carries the order and our _labels=0: decided again, kept.
    carried = [("_search", "x"), ("_sort_desc", "rowid"), no_labels, ("_next", "9,a")]
    assert no_labels in plugin.rewrite(carried, matches=3, html=True)
    # Sorting the whole table by rowid is not a search, but would fail the same way.
    assert no_labels in plugin.rewrite([("_sort", "rowid")], matches=None, html=True)
    assert plugin.rewrite([("_sort", "rowid"), ("_labels", "on")], matches=None) == [
        ("_sort", "rowid"),
        no_labels,
    ]
    # A search asking for labels keeps Datasette's order (by id), which can show them.
    for asked in (("_labels", "on"), ("_label", "source")):
        assert plugin.rewrite([("_search", "x"), asked], matches=3, html=True) == [
            ("_search", "x"),
            asked,
        ]


def test_labelled_pages_sorted_by_rowid_do_not_fail(ds: Datasette) -> None:
    for path in (
        "articles.json?_search=budget&_labels=on&_size=5",
        "articles.json?_search=budget&_sort_desc=rowid&_labels=on&_size=5",
        "articles?_sort_desc=rowid&_size=5",
        "articles.json?_sort=rowid&_label=source&_size=5",
    ):
        response = get(ds, f"/{DB}/{path}")
        assert response.status_code == 200, path
        assert response.json()["next_url"] if ".json" in path else "Next page" in response.text


def test_only_the_articles_table_is_touched() -> None:
    assert plugin._is_search_table_path("/broadsheet/articles", "broadsheet")
    assert plugin._is_search_table_path("/broadsheet/articles.json", "broadsheet")
    assert plugin._is_search_table_path("/broadsheet/articles.csv", "broadsheet")
    assert not plugin._is_search_table_path("/broadsheet/articles/0000000000000001", "broadsheet")
    assert not plugin._is_search_table_path("/broadsheet/article_urls", "broadsheet")
    assert not plugin._is_search_table_path("/broadsheet/articles_fts", "broadsheet")


# --- the table search in Datasette ---------------------------------------------------------------


def test_table_search_newest_stored_first_with_count_and_facets(
    ds: Datasette, sql: sqlite3.Connection
) -> None:
    data = get(ds, f"/{DB}/articles.json?_search=tariff&_size=10").json()
    want = matching_ids_newest_stored_first(sql, "tariff")
    assert len(want) == RARE
    assert [row[0] for row in data["rows"]] == want[:10]
    assert data["filtered_table_rows_count"] == RARE  # small: Datasette still counts
    assert {"source", "language"} <= set(data["facet_results"])
    assert "sorted by rowid descending" in data["human_description_en"]


def test_table_search_pages_through_every_match_once(
    ds: Datasette, sql: sqlite3.Connection, small_limit: int
) -> None:
    got: list[str] = []
    url = f"/{DB}/articles.json?_search=tariff&_size=7"
    while url:
        data = get(ds, url.replace("http://localhost", "")).json()
        got += [row[0] for row in data["rows"]]
        url = data["next_url"]
    assert got == matching_ids_newest_stored_first(sql, "tariff")


def test_large_search_has_no_count_or_facets_but_the_page_says_how_many(
    ds: Datasette, small_limit: int
) -> None:
    data = get(ds, f"/{DB}/articles.json?_search=tariff").json()
    assert data["filtered_table_rows_count"] is None
    assert data["facet_results"] == {}
    assert len(data["rows"]) == RARE
    html = get(ds, f"/{DB}/articles?_search=tariff&_size=5").text
    assert f"<strong>{RARE}</strong> articles match this search" in html
    assert "Most recently stored first" in html
    assert "searches matching at most 10 articles" in html
    assert 'href="/broadsheet/search_best?q=tariff"' in html
    assert "Next page" in html  # the labelled-page failure of Datasette 0.65 is avoided
    # The filters form does not carry our parameters into the next search or into clearing it.
    form = html[html.index('<form class="filters"') :]
    form = form[: form.index("</form>")]
    for hidden in ('name="_nocount"', 'name="_nofacet"', 'name="_labels"'):
        assert hidden not in form


def test_html_search_page_with_a_next_page(ds: Datasette) -> None:
    response = get(ds, f"/{DB}/articles?_search=budget")
    assert response.status_code == 200
    assert "Next page" in response.text
    # Pages 2 and 3 through the links the pages give, as a reader clicks them.
    for _ in range(2):
        link = re.search(r'<a href="([^"]+)">Next page</a>', response.text)
        assert link
        response = get(ds, html.unescape(link.group(1)).replace("http://localhost", ""))
        assert response.status_code == 200
        assert "Next page" in response.text
    assert f"<strong>{COMMON - RARE:,}</strong> articles match" in response.text


def test_clearing_a_large_search_brings_facets_and_count_back(ds: Datasette) -> None:
    data = get(ds, f"/{DB}/articles.json?_nocount=search&_nofacet=search").json()
    assert data["filtered_table_rows_count"] == COMMON
    assert "source" in data["facet_results"]


def test_table_search_with_a_chosen_order(ds: Datasette, sql: sqlite3.Connection) -> None:
    data = get(ds, f"/{DB}/articles.json?_search=tariff&_sort=title&_size=5").json()
    want = ids(
        sql,
        "select id from articles where rowid in (select rowid from articles_fts where"
        " articles_fts match 'tariff') order by title, id limit 5",
    )
    assert [row[0] for row in data["rows"]] == want


def test_table_search_csv_stream_has_every_match(
    ds: Datasette, sql: sqlite3.Connection, small_limit: int
) -> None:
    response = get(ds, f"/{DB}/articles.csv?_search=budget&_stream=on&_size=max")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["id"] for row in rows] == matching_ids_newest_stored_first(sql, "budget")


def test_phrase_in_the_search_box(ds: Datasette, sql: sqlite3.Connection) -> None:
    data = get(ds, f"/{DB}/articles.json?_search=%22tariff+quota%22").json()
    assert [row[0] for row in data["rows"]] == matching_ids_newest_stored_first(
        sql, '"tariff quota"'
    )


# --- the canned queries --------------------------------------------------------------------------

NEWEST_FIRST = (
    "select a.id from articles_fts f join articles a on a.rowid = f.rowid"
    " where articles_fts match ? order by a.published_at desc, a.rowid desc limit 100"
)


@pytest.mark.parametrize(
    "q", ["tariff", "budget", '"tariff quota"', "budg*", "NEAR(tariff paragraph, 3)", "story"]
)
def test_canned_search_is_every_match_newest_first(
    ds: Datasette, sql: sqlite3.Connection, q: str
) -> None:
    rows = get(ds, f"/{DB}/search.json?_shape=array&q={q}").json()
    assert [row["id"] for row in rows] == ids(sql, NEWEST_FIRST, q)
    count = sql.execute("select count(*) from articles_fts where articles_fts match ?", [q])
    assert {row["matches"] for row in rows} == {count.fetchone()[0]}
    assert all("«" in row["snippet"] for row in rows)
    assert all(row["article"] == f"/{DB}/articles/{row['id']}" for row in rows)


def test_canned_search_lists_undated_articles_last(ds: Datasette) -> None:
    rows = get(ds, f"/{DB}/search.json?_shape=array&q=tariff").json()
    dates = [row["published_at"] for row in rows]
    assert None in dates
    assert dates == sorted(d for d in dates if d)[::-1] + [None] * dates.count(None)


def test_canned_search_with_no_match(ds: Datasette) -> None:
    assert get(ds, f"/{DB}/search.json?_shape=array&q=zeppelin").json() == []


def test_search_best_is_ranked(ds: Datasette, sql: sqlite3.Connection) -> None:
    rows = get(ds, f"/{DB}/search_best.json?_shape=array&q=tariff").json()
    want = ids(
        sql,
        "select a.id from articles_fts f join articles a on a.rowid = f.rowid"
        " where articles_fts match 'tariff' order by bm25(articles_fts), f.rowid limit 100",
    )
    assert [row["id"] for row in rows] == want
    assert all("«tariff»" in row["snippet"] for row in rows)


@pytest.mark.parametrize("q", ['"tariff quota"', "tari*", "tariff OR quota"])
def test_search_best_other_shapes(ds: Datasette, sql: sqlite3.Connection, q: str) -> None:
    rows = get(ds, f"/{DB}/search_best.json?_shape=array&q={q}").json()
    want = ids(
        sql,
        "select a.id from articles_fts f join articles a on a.rowid = f.rowid"
        " where articles_fts match ? order by bm25(articles_fts), f.rowid limit 100",
        q,
    )
    assert [row["id"] for row in rows] == want and want


def test_large_search_is_summarised_by_default(ds: Datasette) -> None:
    assert plugin.FULL_RESULTS_LIMIT < COMMON - RARE
    data = get(ds, f"/{DB}/articles.json?_search=budget").json()
    assert data["filtered_table_rows_count"] is None
    assert data["facet_results"] == {}


def test_bad_fts_syntax_is_reported_not_a_crash(ds: Datasette) -> None:
    response = get(ds, f"/{DB}/articles.json?_search=%22tariff&_searchmode=raw")
    assert response.status_code == 400  # as without the plugin: Datasette reports the error
    assert "unterminated string" in response.text


# --- the articles table's rows, written by the plugin's filter ------------------------------------


def _cells(page: str) -> list[str]:
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    return re.findall(r"<td class=\"[^\"]*\">.*?</td>", body, re.DOTALL)


def test_rows_are_the_cells_datasette_writes(db_path: Path) -> None:
    # The same page drawn with Datasette's own _table.html (no template folder) and with ours.
    plain = Datasette(
        [str(db_path)],
        metadata=parse_metadata(serve.METADATA.read_text(encoding="utf-8")),
        plugins_dir=str(serve.PLUGINS),
        settings=dict(serve.SETTINGS),
    )
    ours = serve.make_datasette(db_path)
    try:
        for path in (
            f"/{DB}/articles?_search=tariff&_size=12",
            f"/{DB}/articles?_size=7&_sort=title",
            f"/{DB}/articles?_search=tariff&_labels=on&_size=3",
        ):
            theirs, mine = get(plain, path).text, get(ours, path).text
            assert _cells(mine) == _cells(theirs) and _cells(mine), path
            heads = [re.findall(r"<th [^>]*>", page) for page in (mine, theirs)]
            assert heads[0] == heads[1]
    finally:
        for datasette in (plain, ours):
            for database in datasette.databases.values():
                database.close()


def test_table_rows_escape_text_and_keep_markup() -> None:
    from markupsafe import Markup

    rows = [
        [
            {"column": "id", "value_type": "pk", "value": Markup('<a href="/x">1</a>')},
            {"column": "title", "value_type": "str", "value": "<script>alert(1)</script> & co"},
            {"column": "odd name", "value_type": "none", "value": Markup("&nbsp;")},
            {"column": "word_count", "value_type": "int", "value": 42},
        ]
    ]
    html = str(plugin.table_rows(rows))
    assert '<td class="col-id type-pk"><a href="/x">1</a></td>' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    assert "<script>" not in html
    assert 'class="col-odd-name-' in html  # Datasette's to_css_class for names with spaces
    assert '<td class="col-word_count type-int">42</td>' in html
