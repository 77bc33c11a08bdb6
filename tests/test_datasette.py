"""The published archive: Datasette with our metadata, templates and plugin, in-process."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import yaml
from datasette.app import Datasette

from archive import serve
from archive.schema import open_archive
from tests.datasette_support import get

DB = serve.DATABASE_NAME
XSS_TITLE = 'Chips <script>alert(1)</script> rally <img src=x onerror="alert(2)">'
XSS_BODY = (
    "First paragraph about semiconductors.\n\n"
    "<script>alert(1)</script> and <img src=x onerror=alert(3)> in the text.\n \n"
    "Last paragraph."
)
EXTRA_ARTICLES = 1200  # more than max_returned_rows, so CSV streaming must page
RESEARCH_ARTICLES = 3  # the Pakistan IT-exports fixture below (ids 5001-5003)
TOTAL_ARTICLES = EXTRA_ARTICLES + 2 + RESEARCH_ARTICLES
CAPTURED_HTML = b"<html><body><script>alert(9)</script><p>Airships move quinoa.</p></body></html>"


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


def _aid(n: int) -> str:
    return f"{n:016x}"


R1_BODY = (
    "Pakistan's IT exports reached $2.6 billion in FY2023, up from $2.1 billion in FY2019.\n\n"
    "Local software sales were Rs 10 billion."
)
R2_BODY = "IT exports of Pakistan stood at $2.6 billion in FY2023, the ministry said."
R3_BODY = "India's IT exports were $194 billion in FY2023."
XSS_SENTENCE = "Sales hit $5 million <script>alert(6)</script> this year."


def _fact(article: int, body: str, text: str, kind: str = "money", **fields: Any) -> dict:
    start = body.index(text)
    sentence_start = body.rfind("\n\n", 0, start) + 2 if "\n\n" in body[:start] else 0
    end_of_sentence = body.find(".", start + len(text))
    row = {
        "article_id": _aid(article), "kind": kind, "text": text, "start": start,
        "end": start + len(text), "sentence_start": sentence_start,
        "sentence": body[sentence_start : end_of_sentence + 1], "extractor_version": "test",
    }  # fmt: skip
    row.update(fields)
    return row


def _period(article: int, body: str, text: str, start: str, end: str) -> dict:
    return _fact(article, body, text, "period", period=text, start_date=start, end_date=end)


def _money(article: int, body: str, text: str, amount: float, currency: str = "USD") -> dict:
    return _fact(article, body, text, amount=amount, value=amount / 1e9, currency=currency)


def _insert_research_rows(db: Any, warc_dir: Path) -> None:
    """Pakistan's IT exports in two outlets (one story) and India's in a third article; facts,
    entities, a story, a version, and a WARC capture of article 2."""
    from crawler.warc import WarcFileWriter

    db["articles"].insert_all(
        [
            _article(5001, source="alpha", title="Pakistan IT exports reach $2.6 billion",
                     body=R1_BODY, published_at="2024-01-15T10:00:00+05:00",
                     story_id=_aid(5001), relevance_label="relevant", relevance_score=0.91,
                     relevance_terms='[["IT exports", "software", 2]]',
                     published_method="json-ld", section="Economy", tags='["IT", "Exports"]'),
            _article(5002, source="beta", title="IT exports: Pakistan at $2.6 billion",
                     body=R2_BODY, published_at="2024-02-01T09:00:00+00:00", story_id=_aid(5001),
                     original_source="https://alpha.example/news/5001"),
            _article(5003, source="beta", title="India IT exports at $194 billion",
                     body=R3_BODY, published_at="2024-03-05T09:00:00+00:00"),
        ]
    )  # fmt: skip
    db["facts"].insert_all(
        [
            _money(5001, R1_BODY, "$2.6 billion", 2.6e9),
            _period(5001, R1_BODY, "FY2023", "2022-07-01", "2023-06-30"),
            _money(5001, R1_BODY, "$2.1 billion", 2.1e9),
            _period(5001, R1_BODY, "FY2019", "2018-07-01", "2019-06-30"),
            _money(5001, R1_BODY, "Rs 10 billion", 1e10, "PKR"),
            _money(5002, R2_BODY, "$2.6 billion", 2.6e9),
            _period(5002, R2_BODY, "FY2023", "2022-07-01", "2023-06-30"),
            _money(5003, R3_BODY, "$194 billion", 1.94e11),
            _period(5003, R3_BODY, "FY2023", "2022-07-01", "2023-06-30"),
            # Scraped text in a fact's sentence must be escaped on article 1's page.
            {**_money(1, XSS_SENTENCE, "$5 million", 5e6), "sentence": XSS_SENTENCE},
        ]
    )
    db["article_entities"].insert_all(
        [
            {"article_id": _aid(5001), "kind": "country", "code_or_name": "PK", "mention_count": 1},
            {"article_id": _aid(5002), "kind": "country", "code_or_name": "PK", "mention_count": 1},
            {"article_id": _aid(5003), "kind": "country", "code_or_name": "IN", "mention_count": 1},
        ]
    )
    db["stories"].insert_all(
        [
            {"id": _aid(5001), "first_seen_at": "2024-04-01T00:00:00Z", "member_count": 2,
             "original_article_id": _aid(5001), "earliest_published_at": "2024-01-15T05:00:00Z",
             "outlets": '["alpha", "beta"]', "title": "Pakistan IT exports reach $2.6 billion"},
            {"id": _aid(2), "first_seen_at": "2024-04-01T00:00:00Z", "member_count": 2,
             "original_article_id": _aid(2), "outlets": '["alpha", "beta"]',
             "title": "Zeppelin logistics"},
        ]
    )  # fmt: skip
    db.execute("update articles set story_id = ? where id in (?, ?)", [_aid(2), _aid(1), _aid(2)])
    db["article_versions"].insert(
        {"article_id": _aid(1), "version": 1, "fetched_at": "2024-03-01T00:00:00Z",
         "changed_fields": '["title", "body"]', "title": "Old <b>title</b>", "body": "Old body",
         "diff": json.dumps([
             {"field": "title", "old": "Old <b>title</b>", "new": XSS_TITLE},
             {"field": "body", "diff": ["-Old body", "+<script>alert(7)</script>"]},
         ])}
    )  # fmt: skip
    writer = WarcFileWriter(warc_dir)
    ref = writer.write_exchange(
        url="https://beta.example/news/2",
        fetched_at=datetime(2024, 4, 1, tzinfo=UTC),
        status=200,
        response_headers=[(b"Content-Type", b"text/html; charset=utf-8")],
        body=CAPTURED_HTML,
        protocol="HTTP/1.1",
    )
    writer.close()
    db["articles"].update(_aid(2), ref.row())


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
    _insert_research_rows(db, path.parent / "warc")
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


def test_database_is_served_under_fixed_name(ds: Datasette) -> None:
    response = get(ds, "/.json")
    assert response.status_code == 200
    assert DB in response.json()
    assert "my-archive" not in response.json()


def test_every_page_renders(ds: Datasette, db_path: Path) -> None:
    # Catches metadata mistakes (a facet or sortable column that does not exist) on any table.
    metadata = yaml.safe_load(serve.METADATA.read_text(encoding="utf-8"))["databases"][DB]
    # The two search queries need a q (FTS5 refuses an empty MATCH).
    searches = ("search", "search_best")
    paths = ["/", f"/{DB}", f"/{DB}/sources/alpha"]
    paths += [f"/{DB}/{query}?q=quinoa" for query in searches]
    paths += [f"/{DB}/{table}" for table in _schema_objects(db_path)]
    paths += [f"/{DB}/{query}" for query in metadata["queries"] if query not in searches]
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
    assert sources["alpha"] + sources["beta"] == TOTAL_ARTICLES


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
    assert sum(r["articles"] for r in data) == TOTAL_ARTICLES
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
    assert len(rows) == TOTAL_ARTICLES
    bodies = {r["id"]: r["body"] for r in rows}
    assert bodies[f"{1:016x}"] == XSS_BODY  # full body, newlines intact


def test_no_writes_and_no_download(ds: Datasette) -> None:
    response = get(ds, f"/{DB}.json?sql=delete+from+articles")
    assert response.status_code == 400
    count = get(ds, f"/{DB}.json?sql=select+count(*)+as+n+from+articles&_shape=array").json()
    assert count[0]["n"] == TOTAL_ARTICLES
    assert get(ds, f"/{DB}.db").status_code == 403
    metadata = yaml.safe_load(serve.METADATA.read_text(encoding="utf-8"))
    queries = metadata["databases"][DB]["queries"]
    assert not [name for name, q in queries.items() if q.get("write")]


# Reviewed: none of these adds a write endpoint. datasette-dashboards draws charts (read-only
# routes under /-/dashboards) and pulls in datasette-leaflet (static files) and
# datasette-render-markdown (configured in metadata.yaml to render no column).
# broadsheet_search.py only rewrites the query parameters of GET searches on articles.
REVIEWED_PLUGINS = {
    "broadsheet.py",
    "broadsheet_search.py",
    "datasette-dashboards",
    "datasette-leaflet",
    "datasette-render-markdown",
}


def test_only_reviewed_plugins_are_loaded(ds: Datasette) -> None:
    # A new Datasette plugin could add write endpoints: review it, then extend this list.
    plugins = {p["name"] for p in get(ds, "/-/plugins.json").json()}
    assert plugins == REVIEWED_PLUGINS


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


# --- the article page: metadata, facts, story, versions, capture ------------------------------


def test_article_page_shows_metadata_facts_story_and_capture(ds: Datasette) -> None:
    html = get(ds, f"/{DB}/articles/{_aid(5001)}").text
    assert "<h1>Pakistan IT exports reach $2.6 billion</h1>" in html
    for text in (
        "json-ld",
        "Economy",
        "IT, Exports",
        "relevant (0.91)",
        "IT exports (software ×2)",
    ):
        assert text in html, text
    # Facts: kind, text, normalised amount, currency, period and the sentence.
    facts = html[html.index('id="facts"') : html.index('id="story"')]
    assert "Facts found in this article (5)" in facts
    assert "2,600,000,000" in facts and "USD" in facts and "PKR" in facts
    assert "FY2019" in facts and "up from $2.1 billion in FY2019." in facts
    # The other member of the story, linked.
    story = html[html.index('id="story"') : html.index('id="versions"')]
    assert f'href="/{DB}/articles/{_aid(5002)}"' in story
    assert "IT exports: Pakistan at $2.6 billion" in story and "beta" in story
    assert "This article is the story's original." in story
    assert "The text has not changed" in html
    assert f"Cite as <code>/{DB}/articles/{_aid(5001)}</code>" in html
    # No capture for this row: no link to one.
    assert "/-/capture/" not in html


def test_article_page_links_capture_and_original(ds: Datasette) -> None:
    html = get(ds, f"/{DB}/articles/{_aid(2)}").text
    assert f'href="/-/capture/{_aid(2)}"' in html
    # Article 1 (hostile title) is a member of article 2's story: escaped there too.
    assert "<script>alert" not in html
    assert "Chips &lt;script&gt;alert(1)&lt;/script&gt; rally" in html


def test_article_page_escapes_facts_versions_and_members(ds: Datasette) -> None:
    html = get(ds, f"/{DB}/articles/{_aid(1)}").text
    assert "<script>alert" not in html
    assert "<b>title</b>" not in html
    assert "$5 million &lt;script&gt;alert(6)&lt;/script&gt;" in html  # the fact's sentence
    assert "+&lt;script&gt;alert(7)&lt;/script&gt;" in html  # the body diff
    assert "- Old &lt;b&gt;title&lt;/b&gt;" in html  # the title change
    assert "Version 1, replaced by a fetch at 2024-03-01T00:00:00Z: title, body changed" in html
    assert 'href="javascript:' not in html


def test_capture_is_plain_text_never_html(ds: Datasette) -> None:
    response = get(ds, f"/-/capture/{_aid(2)}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == "sandbox"
    text = response.text
    assert "WARC-Target-URI: https://beta.example/news/2" in text
    assert "matches the archive's sha1:" in text
    assert "Content-Type: text/html; charset=utf-8" in text
    assert CAPTURED_HTML.decode() in text  # the archived bytes, as text


def test_capture_errors_are_plain_text(ds: Datasette) -> None:
    for path, status in ((f"/-/capture/{_aid(5001)}", 404), ("/-/capture/nope", 404)):
        response = get(ds, path)
        assert response.status_code == status
        assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_capture_reads_the_configured_warc_dir(db_path: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "captures"
    shutil.copytree(db_path.parent / "warc", elsewhere)
    datasette = serve.make_datasette(db_path, warc_dir=elsewhere)
    try:
        response = asyncio.run(datasette.client.get(f"/-/capture/{_aid(2)}"))
        assert response.status_code == 200
        assert f"WARC file: {elsewhere}" in response.text
    finally:
        for database in datasette.databases.values():
            database.close()
    empty = serve.make_datasette(db_path, warc_dir=tmp_path / "none")
    try:
        response = asyncio.run(empty.client.get(f"/-/capture/{_aid(2)}"))
        assert response.status_code == 404
        assert "BROADSHEET_WARC_DIR" in response.text
    finally:
        for database in empty.databases.values():
            database.close()


def test_serve_env_passes_the_warc_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(serve.WARC_DIR_ENV, raising=False)
    db = tmp_path / "a.db"
    assert serve.serve_env(db)[serve.WARC_DIR_ENV] == str(tmp_path / "warc")
    assert serve.serve_env(db, tmp_path / "w")[serve.WARC_DIR_ENV] == str(tmp_path / "w")
    monkeypatch.setenv(serve.WARC_DIR_ENV, str(tmp_path / "env"))
    assert serve.serve_env(db)[serve.WARC_DIR_ENV] == str(tmp_path / "env")


# --- the research queries -----------------------------------------------------------------------

IT_EXPORTS = {"country": "PK", "keyword": '"IT exports"'}


def _query(ds: Datasette, name: str, **params: str) -> list[dict[str, Any]]:
    response = get(ds, f"/{DB}/{name}.json?" + urlencode({**params, "_shape": "array"}))
    assert response.status_code == 200, response.text
    return response.json()


def test_money_figures_for_a_country_and_keyword(ds: Datasette) -> None:
    rows = _query(ds, "money_figures", **IT_EXPORTS)
    got = [(r["source"], r["figure"], r["currency"], r["period"], r["figure_year"]) for r in rows]
    assert got == [
        ("alpha", "$2.1 billion", "USD", "FY2019", "2019"),
        ("alpha", "$2.6 billion", "USD", "FY2023", "2023"),
        ("beta", "$2.6 billion", "USD", "FY2023", "2023"),
        ("alpha", "Rs 10 billion", "PKR", "", "2024"),
    ]  # India's article is left out: it does not mention PK
    alpha, beta = rows[1], rows[2]
    assert (alpha["report_number"], beta["report_number"]) == (1, 2)
    assert alpha["reports"] == beta["reports"] == 2
    assert beta["first_reported_by"] == "alpha"
    assert beta["first_reported_at"] == "2024-01-15T10:00:00+05:00"
    assert alpha["amount"] == 2.6e9
    assert alpha["sentence"].startswith("Pakistan's IT exports reached $2.6 billion")
    assert alpha["article"] == f"/{DB}/articles/{_aid(5001)}"
    assert alpha["original_url"] == "https://alpha.example/news/5001"


def test_money_figures_filters(ds: Datasette) -> None:
    usd = _query(ds, "money_figures", **IT_EXPORTS, currency="usd")
    assert {r["currency"] for r in usd} == {"USD"} and len(usd) == 3
    years = _query(ds, "money_figures", **IT_EXPORTS, from_year="2020", to_year="2023")
    assert [r["figure"] for r in years] == ["$2.6 billion", "$2.6 billion"]
    everywhere = _query(ds, "money_figures", keyword="exports")
    assert "$194 billion" in {r["figure"] for r in everywhere}
    # No parameter at all: every money figure in the archive.
    assert len(_query(ds, "money_figures")) == 6


def test_money_figures_page_links_articles_and_exports_csv(ds: Datasette) -> None:
    html = get(ds, f"/{DB}/money_figures?" + urlencode(IT_EXPORTS)).text
    assert f'<a href="/{DB}/articles/{_aid(5002)}">/{DB}/articles/{_aid(5002)}</a>' in html
    response = get(ds, f"/{DB}/money_figures.csv?" + urlencode({**IT_EXPORTS, "_size": "max"}))
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["figure"] for r in rows] == ["$2.1 billion", "$2.6 billion", "$2.6 billion",
                                           "Rs 10 billion"]  # fmt: skip
    assert rows[2]["first_reported_by"] == "alpha"


def test_figure_first_reports(ds: Datasette) -> None:
    rows = _query(ds, "figure_first_reports", **IT_EXPORTS, currency="USD")
    assert [(r["period"], r["figure"], r["first_reported_by"], r["reports"]) for r in rows] == [
        ("FY2019", "$2.1 billion", "alpha", 1),
        ("FY2023", "$2.6 billion", "alpha", 2),
    ]
    assert rows[1]["sources"] in ("alpha,beta", "beta,alpha")
    assert rows[1]["first_report"] == f"/{DB}/articles/{_aid(5001)}"


def test_syndicated_stories(ds: Datasette) -> None:
    rows = _query(ds, "syndicated_stories")
    assert {r["story"] for r in rows} == {_aid(5001), _aid(2)}
    story = next(r for r in rows if r["story"] == _aid(5001))
    assert story["member_count"] == 2
    assert json.loads(story["outlets"]) == ["alpha", "beta"]
    assert story["original_source"] == "alpha"
    assert story["original_article"] == f"/{DB}/articles/{_aid(5001)}"
    assert _query(ds, "syndicated_stories", min_members="3") == []


def test_one_article_per_story(ds: Datasette) -> None:
    rows = _query(ds, "one_article_per_story", q='"IT exports"')
    assert [r["article"] for r in rows] == [f"/{DB}/articles/{_aid(5003)}",
                                            f"/{DB}/articles/{_aid(5001)}"]  # fmt: skip
    assert rows[1]["articles_in_story"] == 2


def test_articles_facets_include_story_and_relevance(ds: Datasette) -> None:
    facets = get(ds, f"/{DB}/articles.json?_extra=facet_results").json()["facet_results"]
    assert {"story_id", "relevance_label"} <= set(facets)
    stories = {v["value"]: v["count"] for v in facets["story_id"]["results"]}
    assert stories[_aid(5001)] == 2
    page = get(ds, f"/{DB}/articles?story_id={_aid(5001)}").text
    assert "IT exports: Pakistan at $2.6 billion" in page


def test_articles_search_box(ds: Datasette) -> None:
    html = get(ds, f"/{DB}/articles?_search=%22IT+exports%22").text
    assert 'name="_search"' in html
    assert "India IT exports at $194 billion" in html
    assert "Routine story" not in html


def test_every_canned_query_is_described() -> None:
    queries = yaml.safe_load(serve.METADATA.read_text(encoding="utf-8"))["databases"][DB]["queries"]
    assert {"money_figures", "syndicated_stories", "one_article_per_story", "health"} <= set(
        queries
    )
    assert not [
        name for name, q in queries.items() if not (q.get("title") and q.get("description"))
    ]


# --- the data dictionary -------------------------------------------------------------------------


def test_dictionary_lists_every_visible_column(ds: Datasette, db_path: Path) -> None:
    response = get(ds, "/-/dictionary")
    assert response.status_code == 200
    html = response.text
    data = get(ds, "/-/dictionary.json").json()
    hidden = set(asyncio.run(ds.databases[DB].hidden_table_names()))
    tables = yaml.safe_load(serve.METADATA.read_text(encoding="utf-8"))["databases"][DB]["tables"]
    listed = {
        t["name"]: {c["name"]: c["description"] for c in t["columns"]} for t in data["tables"]
    }
    missing = []
    for name, columns in _schema_objects(db_path).items():
        if name in hidden:
            assert name not in listed
            continue
        assert f'id="table-{name}"' in html, name
        for column in columns:
            description = tables[name]["columns"][column]
            if listed.get(name, {}).get(column) != description:
                missing.append(f"{name}.{column}")
            assert f'id="column-{name}-{column}"' in html
    assert not missing
    assert "money_figures" in {q["name"] for q in data["queries"]}
    assert "Money figures over time by country and keyword" in html


# --- dashboards ----------------------------------------------------------------------------------


def _dashboards() -> dict[str, Any]:
    metadata = yaml.safe_load(serve.METADATA.read_text(encoding="utf-8"))
    return metadata["plugins"]["datasette-dashboards"]


def test_dashboards_render(ds: Datasette) -> None:
    assert get(ds, "/-/dashboards").status_code == 200
    for slug, dashboard in _dashboards().items():
        response = get(ds, f"/-/dashboards/{slug}")
        assert response.status_code == 200, slug
        assert dashboard["title"] in response.text
        for chart in dashboard["charts"]:
            assert f'id="chart-{chart}"' in response.text


def test_dashboard_queries_run(ds: Datasette) -> None:
    from datasette_dashboards import replace_opts_in_query

    filters = [{}, {"country": "PK", "keyword": '"IT exports"', "currency": "USD"}]
    for slug, dashboard in _dashboards().items():
        for name, chart in dashboard["charts"].items():
            if "query" not in chart:
                continue
            for options in filters:
                sql = replace_opts_in_query(chart["query"], options)
                params = {k: v for k, v in options.items() if f":{k}" in sql}
                response = get(ds, f"/{DB}.json?" + urlencode({"sql": sql, **params}))
                assert response.status_code == 200, (slug, name, response.text)
                assert response.json()["rows"], (slug, name, options)


def test_dashboards_never_put_text_into_html() -> None:
    # The plugin's "table" and "map" charts write values with innerHTML.
    libraries = {c["library"] for d in _dashboards().values() for c in d["charts"].values()}
    assert libraries <= {"vega-lite", "metric", "markdown"}
    metadata = yaml.safe_load(serve.METADATA.read_text(encoding="utf-8"))
    assert metadata["plugins"]["datasette-render-markdown"]["patterns"] == []


def test_table_forms_submit(ds: Datasette, db_path: Path) -> None:
    # The table page's form preselects the primary key in its sort box; Datasette 0.65 then
    # refuses its own form unless that key is a sortable column.
    db = open_archive(db_path)
    try:
        pks = {name: db[name].pks for name in db.table_names()}
    finally:
        db.close()
    tables = yaml.safe_load(serve.METADATA.read_text(encoding="utf-8"))["databases"][DB]["tables"]
    for name, meta in tables.items():
        if "sortable_columns" in meta:
            assert set(pks[name]) <= set(meta["sortable_columns"]), name
    response = get(ds, f"/{DB}/articles?_search=quinoa&_sort=id")
    assert response.status_code == 200
    assert "Zeppelin logistics" in response.text
