"""bench/article_pages.py finds the next page of saved multi-page articles with their URLs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.article_pages import htmldate_pages
from tests.hostile import content

ROOT = Path(__file__).resolve().parent.parent


def test_htmldate_cases_are_read_from_its_tests(tmp_path: Path) -> None:
    (tmp_path / "unit_tests.py").write_text(
        'PAGES = {"https://b.example/x": "b.html",\n "https://a.example/y": "a.html"}\n'
    )
    assert htmldate_pages(tmp_path) == [
        (tmp_path / "cache" / "a.html", "https://a.example/y"),
        (tmp_path / "cache" / "b.html", "https://b.example/x"),
    ]


def test_reports_the_next_page_of_a_paged_article_and_not_of_a_post(tmp_path: Path) -> None:
    cache, dates = tmp_path / "cache", tmp_path / "htmldate"
    cache.mkdir()
    (dates / "cache").mkdir(parents=True)
    paged = "https://a.example/news/long-read-on-exports"
    post = "https://a.example/2024/05/a-post-on-bank-rates/"
    (cache / "paged.html").write_text(
        content.article_html(
            "Long read",
            content.paragraphs("p", 5),
            head_extra=f'<link rel="next" href="{paged}/seite-2">',
        )
    )
    (dates / "cache" / "post.html").write_text(
        content.article_html(
            "A post", content.paragraphs("q", 5),
            head_extra='<link rel="next" href="https://a.example/2024/05/the-next-post/">',
        )
    )  # fmt: skip
    tests = tmp_path / "realworld_tests.py"
    tests.write_text(
        f'MOCK_PAGES = {{"{paged}": "paged.html"}}\n'
        "def test_x():\n"
        f'    result = load_mock_page("{paged}")\n'
        '    assert "text" in result\n'
    )
    (dates / "unit_tests.py").write_text(f'CASES = {{"{post}": "post.html"}}\n')
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "article_pages.py"), "--trafilatura", str(cache),
         "--tests", str(tests), "--htmldate", str(dates)],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert f"NEXT {paged}\n       -> {paged}/seite-2" in run.stdout
    assert f"     {post}" in run.stdout
    assert "2 pages read; 2 article pages with rel=next or list-page links" in run.stdout
