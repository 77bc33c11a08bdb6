"""Page classification: article pages vs. home, section, tag, author, service and empty pages."""

from __future__ import annotations

import time
from pathlib import Path

import lxml.html
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.bench_classify import trafilatura_extracted
from pipelines.classify import classify_page, explain_page
from pipelines.models import Extracted, PageKind
from pipelines.urlkind import url_kind_hint, url_shape

FIXTURES = Path(__file__).parent / "fixtures" / "classify"
BASE = "http://127.0.0.1:8001"

# fixture file -> (URL it is served under, expected kind)
CASES: dict[str, tuple[str, PageKind]] = {
    "article_wordpress_jsonld.html": ("/2024/03/14/calder-warns-on-orders/", PageKind.ARTICLE),
    "article_plain_visible_date.html": (
        "/news/lithium-prices-slide-as-new-mines-open-482913",
        PageKind.ARTICLE,
    ),
    "article_brief.html": ("/companies/basketly-returns-to-profit", PageKind.ARTICLE),
    "article_opinion_long.html": (
        "/opinion/platform-economy-never-just-software",
        PageKind.ARTICLE,
    ),
    "article_liveblog.html": ("/live/2024/06/11/developer-conference-keynote", PageKind.ARTICLE),
    "article_related_and_comments.html": (
        "/policy/regulators-inquiry-app-store-commissions-20240309",
        PageKind.ARTICLE,
    ),
    "article_div_br.html": ("/news_view.php?idx=88231&cat=1", PageKind.ARTICLE),
    "article_german.html": (
        "/wirtschaft/calder-senkt-prognose-aktie-bricht-ein-a-1234567.html",
        PageKind.ARTICLE,
    ),
    "article_wrapped_paragraphs.html": ("/story/calder-cuts-forecast", PageKind.ARTICLE),
    "article_query_id.html": ("/?p=4821", PageKind.ARTICLE),
    "article_japanese.html": ("/news/20240314/a1b2c3", PageKind.ARTICLE),
    # Thai puts spaces only between phrases; no og:type, JSON-LD or date meta: layout decides
    "article_thai.html": ("/journal/2024/03/48213", PageKind.ARTICLE),
    # a short post with no markup at all: its dated permalink says what it is
    "article_dated_slug_blog_post.html": (
        "/nord/2012/05/31/das-amt-fuer-clubkultur-gibt-bekannt/",
        PageKind.ARTICLE,
    ),
    "home_root.html": ("/", PageKind.LISTING),
    "home_under_path.html": ("/news/", PageKind.LISTING),
    "section_paginated.html": ("/technology/page/2", PageKind.LISTING),
    "section_collectionpage.html": ("/markets", PageKind.LISTING),
    "tag_page.html": ("/tag/semiconductors", PageKind.LISTING),
    "topic_page_opaque_url.html": ("/s/batteries-energy-storage", PageKind.LISTING),
    "author_page.html": ("/people/ines-varga", PageKind.LISTING),
    "listing_long_excerpts.html": ("/insights/", PageKind.LISTING),
    "search_results.html": ("/search?q=ai+chips", PageKind.LISTING),
    "about_page_plain_url.html": ("/who-we-are", PageKind.OTHER),
    "contact_page.html": ("/contact", PageKind.OTHER),
    "privacy_page.html": ("/legal/privacy-policy", PageKind.OTHER),
    "js_shell.html": ("/story/calder-cuts-forecast", PageKind.EMPTY),
}

# Pages whose verdict must not depend on the URL: served under a neutral path as well.
URL_BLIND = (
    "article_wordpress_jsonld.html",
    "article_opinion_long.html",
    "article_related_and_comments.html",
    "home_root.html",
    "tag_page.html",
    "listing_long_excerpts.html",
    "search_results.html",
    "author_page.html",
    "article_thai.html",
)


def build_extracted(html: str, url: str) -> Extracted:
    """Fields as the project's extractor finds them; trafilatura while that is unavailable."""
    try:
        from pipelines.extract import extract_page
    except ImportError:
        return trafilatura_extracted(html, url)
    extracted = extract_page(html, url)
    if extracted.kind_reason.startswith(("extraction error", "unparseable")):
        return trafilatura_extracted(html, url)
    return extracted


def _classify(name: str, url: str) -> tuple[PageKind, str]:
    html = (FIXTURES / name).read_text(encoding="utf-8")
    tree = lxml.html.fromstring(html)
    return classify_page(tree, url, build_extracted(html, url))


def test_fixture_set_is_complete() -> None:
    on_disk = {p.name for p in FIXTURES.glob("*.html")}
    assert on_disk == set(CASES)
    assert len(on_disk) >= 20


@pytest.mark.parametrize("name", sorted(CASES))
def test_fixture_kind(name: str) -> None:
    path, expected = CASES[name]
    kind, reason = _classify(name, BASE + path)
    assert kind is expected, f"{name}: {kind} ({reason})"
    assert reason and len(reason) < 200


@pytest.mark.parametrize("name", URL_BLIND)
def test_kind_does_not_hinge_on_the_url(name: str) -> None:
    _, expected = CASES[name]
    kind, reason = _classify(name, BASE + "/content/view/item")
    assert kind is expected, f"{name}: {kind} ({reason})"


def test_tree_is_not_modified() -> None:
    html = (FIXTURES / "article_related_and_comments.html").read_text(encoding="utf-8")
    tree = lxml.html.fromstring(html)
    before = lxml.html.tostring(tree)
    classify_page(tree, BASE + "/a/b-c-d-e", Extracted(kind=PageKind.ARTICLE))
    assert lxml.html.tostring(tree) == before


def test_listing_stays_listing_when_extractor_returns_teaser_text() -> None:
    # A greedy extractor may hand over every excerpt as "body"; the layout still decides.
    html = (FIXTURES / "listing_long_excerpts.html").read_text(encoding="utf-8")
    tree = lxml.html.fromstring(html)
    body = "\n\n".join(p.text_content() for p in tree.iter("p"))
    extracted = Extracted(kind=PageKind.ARTICLE, title="Insights", body=body)
    kind, _ = classify_page(tree, BASE + "/insights/", extracted)
    assert kind is PageKind.LISTING


def test_empty_extracted_fields_still_work() -> None:
    html = (FIXTURES / "article_wordpress_jsonld.html").read_text(encoding="utf-8")
    tree = lxml.html.fromstring(html)
    kind, _ = classify_page(tree, BASE + "/x", Extracted(kind=PageKind.EMPTY))
    assert kind is PageKind.ARTICLE


@pytest.mark.parametrize("url", ["", "http://[", "not a url", "http://127.0.0.1:8001"])
def test_odd_urls_do_not_raise(url: str) -> None:
    html = (FIXTURES / "home_root.html").read_text(encoding="utf-8")
    kind, _ = classify_page(lxml.html.fromstring(html), url, Extracted(kind=PageKind.EMPTY))
    assert kind is not PageKind.ARTICLE


def test_no_url_is_no_home_page() -> None:
    # a saved page given without its URL: the URL says nothing, it is not the site's root
    html = (FIXTURES / "article_wordpress_jsonld.html").read_text(encoding="utf-8")
    verdict = explain_page(lxml.html.fromstring(html), "", Extracted(PageKind.EMPTY))
    assert verdict.kind is PageKind.ARTICLE
    assert not any("home page" in note for _, note in verdict.notes)


def test_explain_lists_signals() -> None:
    html = (FIXTURES / "tag_page.html").read_text(encoding="utf-8")
    verdict = explain_page(lxml.html.fromstring(html), BASE + "/tag/x", Extracted(PageKind.EMPTY))
    assert verdict.kind is PageKind.LISTING
    assert any("collectionpage" in note for _, note in verdict.notes)


def test_classify_is_cheap() -> None:
    html = (FIXTURES / "article_related_and_comments.html").read_text(encoding="utf-8")
    tree = lxml.html.fromstring(html)
    extracted = Extracted(kind=PageKind.ARTICLE, body="word " * 400)
    classify_page(tree, BASE + "/a/b", extracted)
    start = time.perf_counter()
    for _ in range(50):
        classify_page(tree, BASE + "/a/b", extracted)
    per_call_ms = (time.perf_counter() - start) * 1000 / 50
    assert per_call_ms < 5  # generous bound for slow CI; typical is well under 1 ms


# --- url_kind_hint ---------------------------------------------------------------------------

NOT_ARTICLES = {
    "https://news.example/": PageKind.LISTING,
    "https://news.example/index.html": PageKind.LISTING,
    "https://news.example/?s=chips": PageKind.LISTING,
    "https://news.example/tag/ai": PageKind.LISTING,
    "https://news.example/tags/ai-chips-in-europe/": PageKind.LISTING,
    "https://news.example/category/tech/ai": PageKind.LISTING,
    "https://news.example/author/jane-doe": PageKind.LISTING,
    "https://news.example/authors/": PageKind.LISTING,
    "https://news.example/section/technology": PageKind.LISTING,
    "https://news.example/news/page/2": PageKind.LISTING,
    "https://news.example/tag/ai/page/3/": PageKind.LISTING,
    "https://news.example/business?page=3": PageKind.LISTING,
    "https://news.example/search?q=ai": PageKind.LISTING,
    "https://news.example/2024/03/": PageKind.LISTING,
    "https://news.example/2024/": PageKind.LISTING,
    "https://news.example/1998/": PageKind.LISTING,
    "https://news.example/about": PageKind.OTHER,
    "https://news.example/about-us/": PageKind.OTHER,
    "https://news.example/contact": PageKind.OTHER,
    "https://news.example/privacy": PageKind.OTHER,
    "https://news.example/legal/terms-of-use": PageKind.OTHER,
    "https://news.example/login": PageKind.OTHER,
    "https://news.example/subscribe": PageKind.OTHER,
    "https://news.example/impressum": PageKind.OTHER,
    "https://news.example/feed/": PageKind.OTHER,
    "https://news.example/rss.xml": PageKind.OTHER,
    "https://news.example/?feed=rss2": PageKind.OTHER,
    "https://news.example/files/report.PDF": PageKind.OTHER,
    "https://news.example/img/photo.jpg?w=300": PageKind.OTHER,
    "https://news.example/media/clip.mp4": PageKind.OTHER,
    "https://news.example/dl/data.zip": PageKind.OTHER,
    "https://news.example/wp-json/oembed/1.0/embed?url=x": PageKind.OTHER,
    "https://news.example/xmlrpc.php?rsd": PageKind.OTHER,
    "https://news.example/cdn-cgi/l/email-protection": PageKind.OTHER,
    "https://news.example/2024/05/story/?like_comment=5&_wpnonce=ab12": PageKind.OTHER,
}

ARTICLES = [
    "https://news.example/2024/03/14/chipmaker-raises-prices",
    "https://news.example/2024/03/14/chipmaker-raises-prices/amp",
    "https://news.example/amp/2024/03/14/chipmaker-raises-prices",
    "https://news.example/2024/03/14/chipmaker-raises-prices?page=2",
    "https://news.example/news/slug-123456",
    "https://news.example/story/foo",
    "https://news.example/?p=123",
    "https://news.example/article/123",
    "https://news.example/news/about-the-new-chip",
    "https://news.example/2024/03/14/privacy",
    "https://news.example/topics/ai/openai-raises-more-money-from-investors",
    "https://news.example/tag/ai/2024/03/14/chipmaker-raises-prices",
    "https://news.example/section/technology/chipmaker-raises-prices-again",
    "https://news.example/news/story.asp?guid=%7B49E8785A%7D&siteid=rss",
    "https://news.example/wirtschaft/halbleiter-aktie-bricht-ein-a-1234567.html",
    "https://news.example/a/30657941.html",
    "https://news.example/p/how-we-priced-our-api",
    "https://news.example/technology",  # could be a section, but unsure: no hint
    "https://blog.example/1927",  # a post numbered 1927, not a news site's archive of 1927
]


@pytest.mark.parametrize(
    "url",
    [
        "https://blog.example/?p=959/",  # a WordPress post, linked with a slash after its id
        "https://radio.example/spip.php?article717",  # SPIP names items by kind and number
        "https://radio.example/spip.php?breve42",
    ],
)
def test_a_query_that_picks_one_item_is_no_home_page(url: str) -> None:
    shape = url_shape(url)
    assert shape.post_query and shape.has_long_id and not shape.is_root


def test_a_spip_section_is_no_item() -> None:
    assert not url_shape("https://radio.example/spip.php?rubrique5").post_query


@pytest.mark.parametrize(("url", "expected"), sorted(NOT_ARTICLES.items()))
def test_url_hint_names_non_articles(url: str, expected: PageKind) -> None:
    assert url_kind_hint(url) is expected


@pytest.mark.parametrize("url", ARTICLES)
def test_url_hint_never_rejects_article_urls(url: str) -> None:
    assert url_kind_hint(url) is None


@given(st.text())
def test_url_hint_never_raises_on_text(text: str) -> None:
    assert url_kind_hint(text) in (None, PageKind.LISTING, PageKind.OTHER)


@given(st.from_regex(r"\Ahttps?://[a-z]{1,8}\.[a-z]{2,3}/[\x00-\x7f]{0,40}\Z"))
def test_url_hint_never_raises_on_urls(url: str) -> None:
    url_kind_hint(url)


_slug = st.lists(st.from_regex(r"\A[a-z]{2,9}\Z"), min_size=3, max_size=8).map("-".join)


@given(
    st.integers(1995, 2030),
    st.integers(1, 12),
    st.integers(1, 28),
    _slug,
    st.sampled_from(["", "news/", "tech/", "business/markets/", "en/"]),
    st.sampled_from(["", "/", ".html", "/amp"]),
)
def test_url_hint_keeps_dated_slug_urls(
    year: int, month: int, day: int, slug: str, prefix: str, suffix: str
) -> None:
    url = f"https://site.example/{prefix}{year}/{month:02d}/{day:02d}/{slug}{suffix}"
    assert url_kind_hint(url) is None


@given(
    _slug,
    st.integers(10_000, 10**10),
    st.sampled_from(["news", "story", "article", "a", "world/europe", "economy"]),
)
def test_url_hint_keeps_slug_id_urls(slug: str, number: int, section: str) -> None:
    assert url_kind_hint(f"https://site.example/{section}/{slug}-{number}") is None
    assert url_kind_hint(f"https://site.example/{section}/{number}/{slug}") is None
