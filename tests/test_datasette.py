"""The published archive: Datasette with our metadata, templates and plugin, in-process."""

from __future__ import annotations

import asyncio
import csv
import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from datasette.app import Datasette

from archive import serve
from archive.schema import open_archive

DB = serve.DATABASE_NAME
XSS_TITLE = 'Chips <script>alert(1)</script> rally <img src=x onerror="alert(2)">'
XSS_BODY = (
    "First paragraph about semiconductors.\n\n"
    "<script>alert(1)</script> and <img src=x onerror=alert(3)> in the text.\n \n"
    "Last paragraph."
)
EXTRA_ARTICLES = 1200  # more than max_returned_rows, so CSV streaming must page


def _article(n: int, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": f"{n:016x}",
        "source": "alpha" if n % 2 else "beta",
        "url": f"https://alpha.example/news/{n}",
        "title": f"Routine story {n}",
        "authors": '["A. Writer"]',
        "published_at": f"2024-0{1 + n % 3}-1{n % 10}T08:00:00+00:00",
        "body": f"Body of routine story {n}.\n\nSecond paragraph.",
        "language": "en" if n % 3 else "de",
        "word_count": 7,
        "fetched_at": "2024-04-01T00:00:00Z",
    }
    row.update(fields)
    return row


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # A file stem other than "broadsheet": the plugin must rename it.
    path = tmp_path_factory.mktemp("archive") / "my-archive.db"
    db = open_archive(path)
    db["sources"].insert_all(
        [
            {"id": "alpha", "name": "Alpha Times", "url": "https://alpha.example/"},
            {"id": "beta", "name": "Beta Wire", "url": "https://beta.example/"},
        ]
    )
    db["articles"].insert_all(
        [
            _article(
                1,
                title=XSS_TITLE,
                body=XSS_BODY,
                url="javascript:alert(4)",
                authors='["Eve <b>Evil</b>"]',
                description="<script>alert(5)</script>",
            ),
            _article(2, title="Zeppelin logistics", body="Airships move quinoa cargo.\n\nMore."),
            *(_article(n) for n in range(3, 3 + EXTRA_ARTICLES)),
        ]
    )
    db["crawl_runs"].insert_all(
        [
            {"run_id": "r1", "source": "alpha", "started_at": "2024-04-01T00:00:00Z",
             "finished_at": "2024-04-01T00:10:00Z", "status": "ok", "pages_fetched": 10,
             "articles_new": 5, "errors": 0},
            {"run_id": "r2", "source": "alpha", "started_at": "2024-04-02T00:00:00Z",
             "status": "failed", "pages_fetched": 3, "articles_new": 0, "errors": 2},
            {"run_id": "r1", "source": "gamma", "started_at": "2024-04-01T00:00:00Z",
             "status": "running"},
        ]
    )  # fmt: skip
    db.close()
    return path


@pytest.fixture(scope="module")
def ds(db_path: Path) -> Iterator[Datasette]:
    datasette = serve.make_datasette(db_path)
    yield datasette
    for database in datasette.databases.values():
        database.close()


def get(ds: Datasette, path: str) -> httpx.Response:
    return asyncio.run(ds.client.get(path))


def test_database_is_served_under_fixed_name(ds: Datasette) -> None:
    response = get(ds, "/.json")
    assert response.status_code == 200
    assert DB in response.json()
    assert "my-archive" not in response.json()


def test_every_page_renders(ds: Datasette, db_path: Path) -> None:
    # Catches metadata mistakes (a facet or sortable column that does not exist) on any table.
    metadata = yaml.safe_load(serve.METADATA.read_text(encoding="utf-8"))["databases"][DB]
    paths = ["/", f"/{DB}", f"/{DB}/sources/alpha", f"/{DB}/search?q=quinoa"]
    paths += [f"/{DB}/{table}" for table in _schema_objects(db_path)]
    paths += [f"/{DB}/{query}" for query in metadata["queries"] if query != "search"]
    failed = {path: status for path in paths if (status := get(ds, path).status_code) != 200}
    assert not failed


def test_articles_table_page_loads_with_facets(ds: Datasette) -> None:
    response = get(ds, f"/{DB}/articles")
    assert response.status_code == 200
    assert "Routine story" in response.text
    data = get(ds, f"/{DB}/articles.json?_extra=facet_results").json()
    facets = data["facet_results"]
    assert {"source", "language", "published_at"} <= set(facets)
    assert facets["published_at"]["type"] == "date"
    sources = {v["value"]: v["count"] for v in facets["source"]["results"]}
    assert sources["alpha"] + sources["beta"] == EXTRA_ARTICLES + 2


def test_sort_newest_first(ds: Datasette) -> None:
    rows = get(ds, f"/{DB}/articles.json?_sort_desc=published_at&_shape=array").json()
    dates = [r["published_at"] for r in rows]
    assert dates == sorted(dates, reverse=True)


def test_no_default_sort_in_metadata() -> None:
    # Datasette 0.65 pages a sorted table without a primary-key tie-breaker on the first page
    # only, so a default sort would make CSV streams repeat and drop rows at tied values.
    tables = yaml.safe_load(serve.METADATA.read_text(encoding="utf-8"))["databases"][DB]["tables"]
    assert not [t for t, m in tables.items() if {"sort", "sort_desc"} & set(m)]


def test_full_text_search(ds: Datasette) -> None:
    data = get(ds, f"/{DB}/articles.json?_search=quinoa&_shape=array").json()
    assert [r["title"] for r in data] == ["Zeppelin logistics"]
    # Porter stemming: "airship" finds "Airships".
    data = get(ds, f"/{DB}/articles.json?_search=airship&_shape=array").json()
    assert len(data) == 1


def test_article_page_escapes_scraped_text(ds: Datasette) -> None:
    response = get(ds, f"/{DB}/articles/{1:016x}")
    assert response.status_code == 200
    html = response.text
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "<b>Evil</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # onerror only ever appears inside escaped text, never as a live attribute.
    assert " onerror=" not in html.replace("&lt;img src=x onerror=", "")
    assert 'href="javascript:' not in html
    assert "<p>First paragraph about semiconductors.</p>" in html
    assert "<p>Last paragraph.</p>" in html
    assert "Eve &lt;b&gt;Evil&lt;/b&gt;" in html


def test_article_page_layout(ds: Datasette) -> None:
    html = get(ds, f"/{DB}/articles/{2:016x}").text
    assert "<h1>Zeppelin logistics</h1>" in html
    assert 'href="https://alpha.example/news/2"' in html
    assert "By A. Writer" in html
    assert f'href="/{DB}/sources/beta"' in html
    assert "/static/broadsheet.css" in html
    assert get(ds, "/static/broadsheet.css").status_code == 200


def test_canned_search(ds: Datasette) -> None:
    data = get(ds, f"/{DB}/search.json?q=quinoa&_shape=array").json()
    assert len(data) == 1
    assert "«quinoa»" in data[0]["snippet"]
    assert data[0]["title"] == "Zeppelin logistics"


def test_canned_articles_per_month(ds: Datasette) -> None:
    data = get(ds, f"/{DB}/articles_per_month.json?_shape=array").json()
    assert sum(r["articles"] for r in data) == EXTRA_ARTICLES + 2
    assert {r["month"] for r in data} == {"2024-01", "2024-02", "2024-03"}


def test_canned_source_health(ds: Datasette) -> None:
    rows = {r["source"]: r for r in get(ds, f"/{DB}/health.json?_shape=array").json()}
    assert set(rows) == {"alpha", "beta", "gamma"}
    alpha = rows["alpha"]
    assert alpha["last_status"] == "failed"
    assert alpha["last_ok_run"] == "2024-04-01T00:10:00Z"
    assert alpha["needs_attention"].startswith("last run failed")
    assert rows["beta"]["last_run"] is None
    assert rows["beta"]["needs_attention"] == "never crawled"
    assert rows["gamma"]["name"] is None  # crawled but no longer configured


def test_csv_stream_returns_every_row(ds: Datasette) -> None:
    response = get(ds, f"/{DB}/articles.csv?_stream=on&_size=max")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == EXTRA_ARTICLES + 2
    bodies = {r["id"]: r["body"] for r in rows}
    assert bodies[f"{1:016x}"] == XSS_BODY  # full body, newlines intact


def test_no_writes_and_no_download(ds: Datasette) -> None:
    response = get(ds, f"/{DB}.json?sql=delete+from+articles")
    assert response.status_code == 400
    count = get(ds, f"/{DB}.json?sql=select+count(*)+as+n+from+articles&_shape=array").json()
    assert count[0]["n"] == EXTRA_ARTICLES + 2
    assert get(ds, f"/{DB}.db").status_code == 403
    metadata = yaml.safe_load(serve.METADATA.read_text(encoding="utf-8"))
    queries = metadata["databases"][DB]["queries"]
    assert not [name for name, q in queries.items() if q.get("write")]


def test_only_our_plugin_is_loaded(ds: Datasette) -> None:
    # A new Datasette plugin could add write endpoints: review it, then extend this list.
    plugins = {p["name"] for p in get(ds, "/-/plugins.json").json()}
    assert plugins == {"broadsheet.py"}


def _schema_objects(db_path: Path) -> dict[str, list[str]]:
    db = open_archive(db_path)
    try:
        return {
            name: [c.name for c in db[name].columns]
            for name in [*db.table_names(), *db.view_names()]
        }
    finally:
        db.close()


def test_every_visible_table_and_column_is_described(ds: Datasette, db_path: Path) -> None:
    hidden = set(asyncio.run(ds.databases[DB].hidden_table_names()))
    assert {"articles_fts", "articles_fts_data", "_sqlite_migrations"} <= hidden
    tables = yaml.safe_load(serve.METADATA.read_text(encoding="utf-8"))["databases"][DB]["tables"]
    missing = []
    for name, columns in _schema_objects(db_path).items():
        if name in hidden:
            continue
        described = tables.get(name) or {}
        if not described.get("description"):
            missing.append(name)
        missing += [
            f"{name}.{column}"
            for column in columns
            if not (described.get("columns") or {}).get(column)
        ]
    assert not missing, f"describe these in archive/datasette/metadata.yaml: {missing}"


def test_no_description_for_columns_that_do_not_exist(db_path: Path) -> None:
    schema = _schema_objects(db_path)
    tables = yaml.safe_load(serve.METADATA.read_text(encoding="utf-8"))["databases"][DB]["tables"]
    stale = [
        f"{name}.{column}"
        for name, described in tables.items()
        for column in (described.get("columns") or {})
        if column not in schema.get(name, [])
    ]
    stale += [name for name in tables if name not in schema]
    assert not stale, f"metadata.yaml describes what the schema does not have: {stale}"


def test_immutable_mode(db_path: Path) -> None:
    datasette = serve.make_datasette(db_path, immutable=True)
    try:
        data = asyncio.run(datasette.client.get(f"/{DB}/articles.json?_search=quinoa")).json()
        assert len(data["rows"]) == 1
    finally:
        for database in datasette.databases.values():
            database.close()


def test_datasette_argv() -> None:
    db = Path("/data/archive.db")
    argv = serve.datasette_argv(db, port=9000)
    assert argv[:2] == ["serve", str(db)]
    assert argv[argv.index("--port") + 1] == "9000"
    assert argv[argv.index("--host") + 1] == "127.0.0.1"
    settings = {argv[i + 1]: argv[i + 2] for i, a in enumerate(argv) if a == "--setting"}
    assert settings["allow_download"] == "off"
    assert settings["max_csv_mb"] == "0"
    immutable = serve.datasette_argv(db, immutable=True)
    assert immutable[1:3] == ["-i", str(db)]
    assert str(db) not in immutable[3:]


def test_serve_command_runs_datasette(db_path: Path) -> None:
    # --get makes `datasette serve` answer one request and exit: no socket is opened.
    command = serve.serve_command(db_path, immutable=True)
    result = subprocess.run(
        [*command, "--get", f"/{DB}/articles/{2:016x}"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "<h1>Zeppelin logistics</h1>" in result.stdout
    assert command[:3] == [sys.executable, "-m", "datasette"]


def test_serve_exit_codes_and_missing_file(tmp_path: Path) -> None:
    assert serve._exit_code(0) == 0
    assert serve._exit_code(-15) == 143  # killed by SIGTERM, as a shell reports it
    with pytest.raises(FileNotFoundError):
        serve.serve(tmp_path / "missing.db")
