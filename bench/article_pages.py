"""Which real article pages the crawl would read as the first page of a multi-page article.

Runs the extraction worker (``PageAnalyser.analyse``) on saved real pages with their real URLs
and prints, for every article page that has a ``rel="next"`` or links to other pages of its
list, the next page ``pipelines.article_parts.next_part`` finds, if any. A false "next page"
would join another post or a list to the article; a missed one would lose its later pages.

Pages: trafilatura 0.9.3's test cache with the URLs of its ``realworld_tests.py`` (as
``bench/snippet_checks.py`` reads them), and htmldate 1.4.0's test cache with the URLs of its
unit tests (``pip download --no-deps --no-binary :all: trafilatura==0.9.3 htmldate==1.4.0``)::

    .venv/bin/python bench/article_pages.py --trafilatura trafilatura-0.9.3/tests/cache \\
        --tests realworld_tests.py --htmldate htmldate-1.4.0/tests
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.snippet_checks import read_checks  # after the sys.path line above
from pipelines.article_parts import next_part
from pipelines.models import FetchedPage, PageKind, Source
from pipelines.workers import PageAnalyser

_HTMLDATE_CASE = re.compile(r'"(https?://[^"]+)":\s*"([^"]+\.html)"')


def htmldate_pages(tests: Path) -> list[tuple[Path, str]]:
    """(file, URL) of htmldate's cached pages, from the URL-to-file table of its tests."""
    found: dict[str, str] = {}
    for source in sorted(tests.glob("*.py")):
        for url, name in _HTMLDATE_CASE.findall(source.read_text(encoding="utf-8")):
            found.setdefault(name, url)
    return [(tests / "cache" / name, url) for name, url in sorted(found.items())]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trafilatura", type=Path, required=True, help="its tests/cache")
    parser.add_argument("--tests", type=Path, required=True, help="its realworld_tests.py")
    parser.add_argument("--htmldate", type=Path, required=True, help="its tests folder")
    args = parser.parse_args()
    pages, _ = read_checks(args.tests.read_text(encoding="utf-8"))
    items = [(args.trafilatura / name, url) for url, name in pages.items()]
    items += htmldate_pages(args.htmldate)
    analyser = PageAnalyser()
    read = linked = 0
    for path, url in items:
        if not path.is_file():
            continue
        read += 1
        page = FetchedPage(url=url, source_id="bench", body=path.read_bytes())
        analysis = analyser.analyse(page, Source("bench", url), link_limit=400)
        if analysis.extracted.kind is not PageKind.ARTICLE or not analysis.list_pages:
            continue
        linked += 1
        target = next_part(url, analysis.list_pages)
        print(f"{'NEXT' if target else '    '} {url}" + (f"\n       -> {target}" if target else ""))
    print(f"{read} pages read; {linked} article pages with rel=next or list-page links")


if __name__ == "__main__":
    main()
