"""The published archive in a real browser: Debian's headless Chromium, driven by Playwright,
against a real `broadsheet serve` over a real crawl of the demo sites.

The researcher's path: search, open an article and its raw capture, apply a facet, open the
dashboards, download the money-figures CSV. Plus one hostile article whose scraped title, body,
fact and URLs carry script: it must show as text and never run. Screenshots of every step go to
test-artifacts/screenshots/.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import pytest
import sqlite_utils
import yaml

from archive import serve
from demo_sites.server import DemoServer
from tests.browser_support import SCREENSHOTS, broadsheet_serve, chromium, require_browser
from tests.test_e2e_crawl import run_crawl

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

pytestmark = pytest.mark.e2e

DB = serve.DATABASE_NAME
XSS_ID = "00000000deadbeef"
XSS_SCRIPT = "<script>window.__xss=1</script>"
XSS_IMG = '<img src=x onerror="window.__xss=2">'
XSS_TITLE = f"Pakistan IT exports {XSS_SCRIPT} hit a record {XSS_IMG}"
XSS_SENTENCE = f"Pakistan's IT exports reached $9.9 billion {XSS_SCRIPT} in FY2024."
XSS_BODY = f"{XSS_SENTENCE}\n\nAnalysts {XSS_IMG} were surprised.\n\nThe end."
IT_EXPORTS = {"country": "PK", "keyword": '"IT exports"'}


def _inject_hostile_article(db_path: Path) -> None:
    db = sqlite_utils.Database(db_path)
    try:
        source = db.execute("select id from sources order by id limit 1").fetchone()[0]
        db["articles"].insert(
            {
                "id": XSS_ID,
                "source": source,
                "url": "javascript:window.__xss=3",
                "canonical_url": "javascript:window.__xss=3",
                "title": XSS_TITLE,
                "authors": '["Mallory <b onmouseover=window.__xss=4>M</b>"]',
                "published_at": "2024-09-01T09:00:00+05:00",
                "body": XSS_BODY,
                "description": XSS_IMG,
                "original_source": "javascript:window.__xss=5",
                "language": "en",
                "word_count": 20,
                "fetched_at": "2024-09-01T10:00:00Z",
            }
        )
        start = XSS_BODY.index("$9.9 billion")
        db["facts"].insert(
            {
                "article_id": XSS_ID,
                "kind": "money",
                "text": "$9.9 billion",
                "value": 9.9,
                "currency": "USD",
                "multiplier": 1e9,
                "amount": 9.9e9,
                "sentence": XSS_SENTENCE,
                "sentence_start": 0,
                "start": start,
                "end": start + len("$9.9 billion"),
                "extractor_version": "test",
            }
        )
        db["article_entities"].insert(
            {"article_id": XSS_ID, "kind": "country", "code_or_name": "PK", "mention_count": 1}
        )
    finally:
        db.close()


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with DemoServer() as server:
        crawl = run_crawl(server, tmp_path_factory.mktemp("browser-crawl"))
    assert crawl.returncode == 0, crawl.output[-3000:]
    crawl.db.close()
    _inject_hostile_article(crawl.db_path)
    return crawl.db_path


@pytest.fixture(scope="module")
def base_url(archive_db: Path) -> Iterator[str]:
    with broadsheet_serve(archive_db) as base:
        yield base


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    require_browser()
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


class Watched:
    """A page with the dialogs it opened and the errors its scripts threw."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def assert_no_script_ran(self) -> None:
        self.page.wait_for_timeout(300)  # let a broken <img> fire onerror, if it could
        assert self.page.evaluate("typeof window.__xss") == "undefined"
        assert not self.dialogs


@pytest.fixture
def watched(browser: BrowserContext) -> Iterator[Watched]:
    page = browser.new_page()
    try:
        yield Watched(page)
    finally:
        page.close()


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_search_open_article_and_capture(watched: Watched, base_url: str) -> None:
    page = watched.page
    page.goto(f"{base_url}/{DB}/search")
    page.fill("textarea[name=q], input[name=q]", '"IT exports"')
    page.locator("form.sql input[type=submit]").click()
    page.wait_for_url("**/search?*q=*")
    links = page.locator(f'table.rows-and-columns a[href^="/{DB}/articles/"]')
    assert links.count() >= 3
    assert "«IT exports»" in page.locator("table.rows-and-columns").inner_text()
    shot(page, "01-search")
    watched.assert_no_script_ran()  # the hostile article is among the results

    # Open the first real article (not the injected one) from the results.
    href = next(
        h for i in range(links.count()) if XSS_ID not in (h := links.nth(i).get_attribute("href"))
    )
    page.locator(f'table.rows-and-columns a[href="{href}"]').first.click()
    page.wait_for_url(f"**{href}")
    assert page.locator("article.bs-article h1").inner_text()
    assert page.locator(".bs-body p").count() >= 2
    assert "Facts found in this article" in page.locator("#facts").inner_text()
    original = page.locator(".bs-original a").first.get_attribute("href")
    assert original and original.startswith("http://127.0.0.1:")
    shot(page, "02-article")

    page.locator("a.bs-capture").click()
    page.wait_for_url("**/-/capture/*")
    text = page.locator("body").inner_text()
    assert "WARC-Target-URI: http://127.0.0.1:" in text
    assert "<html" in text.lower()  # the archived HTML, shown as text
    shot(page, "03-capture")


def test_articles_search_box(watched: Watched, base_url: str) -> None:
    page = watched.page
    page.goto(f"{base_url}/{DB}/articles")
    page.fill("input[name=_search]", "exports")
    page.press("input[name=_search]", "Enter")
    page.wait_for_url("**_search=exports*")
    assert page.locator("table.rows-and-columns tbody tr").count() >= 3
    shot(page, "04-articles-search")


def test_apply_a_facet(watched: Watched, base_url: str) -> None:
    page = watched.page
    page.goto(f"{base_url}/{DB}/articles")
    facet = page.locator("#facet-source li a").first
    value = facet.inner_text()
    facet.click()
    page.wait_for_url(f"**source={value}*")
    cells = page.locator("table.rows-and-columns td.col-source")
    assert cells.count() > 0
    assert set(cells.all_inner_texts()) == {value}
    assert page.locator("#facet-story_id").count() == 1
    shot(page, "05-facet")


def test_dashboards_draw_charts(watched: Watched, base_url: str) -> None:
    page = watched.page
    page.goto(f"{base_url}/-/dashboards/money-figures?{urlencode(IT_EXPORTS)}")
    for chart in ("by-publication", "by-period"):
        page.wait_for_selector(f"#chart-{chart} canvas, #chart-{chart} svg", timeout=20_000)
    shot(page, "06-dashboard-money")
    watched.assert_no_script_ran()  # the hostile article's figure is plotted
    page.goto(f"{base_url}/-/dashboards/overview")
    page.wait_for_selector("#chart-per-month canvas, #chart-per-month svg", timeout=20_000)
    assert page.locator("#chart-articles p").inner_text().strip().isdigit()
    shot(page, "07-dashboard-overview")
    assert not watched.errors, watched.errors


def _expected_money_rows(db_path: Path) -> list[dict[str, Any]]:
    """The money_figures canned query run straight on the file, with the same parameters."""
    metadata = yaml.safe_load(serve.METADATA.read_text(encoding="utf-8"))
    query = metadata["databases"][DB]["queries"]["money_figures"]
    params = {name: IT_EXPORTS.get(name, "") for name in query["params"]}
    with sqlite3.connect(db_path) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(query["sql"], params)]


def test_download_money_figures_csv(watched: Watched, base_url: str, archive_db: Path) -> None:
    page = watched.page
    page.goto(f"{base_url}/{DB}/money_figures?{urlencode(IT_EXPORTS, quote_via=quote)}")
    table = page.locator("table.rows-and-columns")
    assert "$9.9 billion" in table.inner_text()
    shot(page, "08-money-figures")
    watched.assert_no_script_ran()
    href = page.locator(".export-links a", has_text="CSV").get_attribute("href")
    assert href
    # Download exactly what the page's CSV link points to, as a file.
    with page.expect_download() as info:
        page.evaluate(
            """href => { const a = document.createElement('a'); a.href = href;
                         a.download = 'money_figures.csv'; document.body.appendChild(a);
                         a.click(); }""",
            href + "&_size=max",
        )
    download = info.value
    path = download.path()
    assert path is not None
    rows = list(csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8"))))
    expected = _expected_money_rows(archive_db)
    assert expected, "the demo crawl found no money figure about Pakistan's IT exports"
    assert [r["article"] for r in rows] == [r["article"] for r in expected]
    assert [r["figure"] for r in rows] == [r["figure"] for r in expected]
    hostile = next(r for r in rows if r["article"] == f"/{DB}/articles/{XSS_ID}")
    assert hostile["title"] == XSS_TITLE  # exact text in the CSV: nothing stripped
    assert {"published_at", "source", "amount", "currency", "period", "sentence"} <= set(rows[0])


def test_hostile_article_shows_text_and_runs_nothing(watched: Watched, base_url: str) -> None:
    page = watched.page
    page.goto(f"{base_url}/{DB}/articles/{XSS_ID}")
    watched.assert_no_script_ran()
    assert XSS_TITLE in page.locator("article.bs-article h1").inner_text()
    body = page.locator(".bs-body").inner_text()
    assert XSS_IMG in body
    assert XSS_SCRIPT in page.locator("#facts").inner_text()
    assert page.locator('a[href^="javascript:"]').count() == 0
    assert page.locator("article img, #facts img, #metadata img, #metadata b").count() == 0
    # Hovering the author (a would-be onmouseover) runs nothing either.
    page.locator("#metadata").hover()
    shot(page, "09-hostile-article")
    watched.assert_no_script_ran()
