"""bench/bench_recipe.py's judge: which stored row is which demo article, a variant or no article."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.bench_recipe import Truth, corrected, judge
from demo_sites.catalog import outlets
from demo_sites.server import DemoServer


@pytest.fixture(scope="module")
def server() -> Iterator[DemoServer]:
    with DemoServer(port=0, shared_host=True) as srv:
        yield srv


def _first(server: DemoServer) -> tuple[str, str, object]:
    """An article of the first outlet, one with an AMP version when there is one."""
    outlet = outlets()[0]
    articles = outlet.articles(1)
    article = next((a for a in articles if a.amp_path), articles[0])
    return server.base_urls[outlet.id], f"{outlet.id}{article.path}", article


def test_variants_of_an_article_are_that_article_and_listings_are_none(server):
    base, key, article = _first(server)
    url = base + article.path
    twin = url[:-1] if url.endswith("/") else url + "/"
    truth = Truth.of(server)
    for variant in (url, url + "?print=1", url + "?page=2", twin):
        assert truth.article(variant) == (key, article), variant
    if article.amp_path:
        assert truth.article(base + article.amp_path) == (key, article)
    for other in (base + "/", base + "/about/", server.root_url + "/robots.txt"):
        assert truth.article(other) is None, other


def test_judge_counts_copies_non_articles_and_misses(server):
    base, key, article = _first(server)
    url = base + article.path
    truth = Truth.of(server, editions=(1,))
    expected = {f"{o.id}{a.path}" for o in outlets() for a in o.articles(1)}
    rows = [
        (url + "?print=1", "junk", "", "print view"),
        (url, article.title, article.published_at, article.body),
        (base + "/", "Home", "", "headlines"),
    ]
    result = judge(truth, rows, expected)
    assert result.articles == 1
    assert result.extra_copies == {key: 1}
    assert result.non_articles == [base + "/"]
    assert result.missed == len(expected) - 1
    # scored on its best row: the true one
    assert result.body_f1 == pytest.approx(1.0)
    assert (result.titles_right, result.days_right) == (1, 1)


def test_corrected_finds_the_changed_wording():
    first = {o.id + a.path: a for o in outlets() for a in o.articles(1)}
    second = {o.id + a.path: a for o in outlets() for a in o.articles(2)}
    changes = corrected(first, second)
    assert changes  # the second edition corrects at least one article
    for key, paragraph in changes.items():
        assert paragraph in first[key].paragraphs
        assert paragraph not in second[key].paragraphs
