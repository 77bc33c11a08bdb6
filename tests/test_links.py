"""Link reading in the extraction worker: pipelines.extraction.links and pipelines.workers."""

from __future__ import annotations

from html import escape

from hypothesis import given
from hypothesis import strategies as st

from pipelines.extract import analyse_html
from pipelines.extraction.links import read_links
from pipelines.extraction.parse import parse_document
from pipelines.models import FetchedPage, PageKind, Source
from pipelines.workers import PageAnalyser, link_key

PAGE = b"""<html><head>
<link rel="alternate" type="application/rss+xml" href="/feed.xml">
<base href="http://127.0.0.1:9/news/">
</head><body>
<a href="story-1">one</a>
<a href="/story-2#comments">two</a>
<a href="http://127.0.0.1:9/story-2?utm_source=x">two again</a>
<a href="/sponsored" rel="sponsored nofollow">ad</a>
<a href="mailto:desk@example.org">mail</a>
<a href="javascript:void(0)">js</a>
<a href="/report.pdf">pdf</a>
<a href="/tag/economy/">tag</a>
<a>no href</a>
<map><area href="/area-link"></map>
</body></html>"""


def tree():
    return parse_document(PAGE)[0]


def test_anchors_are_absolute_followable_and_in_page_order():
    links = read_links(tree(), "http://127.0.0.1:9/page", limit=100)
    assert links.anchors == (
        "http://127.0.0.1:9/news/story-1",
        "http://127.0.0.1:9/story-2#comments",
        "http://127.0.0.1:9/story-2?utm_source=x",
        "http://127.0.0.1:9/report.pdf",
        "http://127.0.0.1:9/tag/economy/",
        "http://127.0.0.1:9/area-link",
    )
    assert ("alternate", "application/rss+xml", "/feed.xml") in links.alternates


def test_the_limit_bounds_the_anchors_examined():
    links = read_links(tree(), "http://127.0.0.1:9/page", limit=2)
    assert links.examined == 2
    assert links.anchors == (
        "http://127.0.0.1:9/news/story-1",
        "http://127.0.0.1:9/story-2#comments",
    )
    assert read_links(tree(), "http://127.0.0.1:9/page", limit=0).anchors == ()


def test_prepared_links_fold_variants_and_drop_what_is_no_page():
    analyser = PageAnalyser()
    raw = read_links(tree(), "http://127.0.0.1:9/page", limit=100)
    found = analyser.found_links(raw.anchors)
    assert [link.url for link in found] == [
        "http://127.0.0.1:9/news/story-1",
        "http://127.0.0.1:9/story-2",
        "http://127.0.0.1:9/tag/economy/",
        "http://127.0.0.1:9/area-link",
    ]
    assert [link.listing for link in found] == [False, False, True, False]
    assert found[1].key == link_key("https://127.0.0.1:9/story-2?utm_medium=y")
    # the second pass is served from the worker's cache and gives the same answer
    assert analyser.found_links(raw.anchors) == found


def test_link_cache_is_bounded():
    analyser = PageAnalyser()
    analyser.LINK_CACHE_SIZE = 10
    analyser.found_links(tuple(f"http://127.0.0.1:9/a/{n}" for n in range(25)))
    assert len(analyser.link_cache) <= 10


def test_links_are_read_before_the_body_extractor_prunes_the_tree():
    html = PAGE.replace(
        b"</body>", b"<article><p>" + b"Text of the story. " * 80 + b"</p></article></body>"
    )
    extracted, raw = analyse_html(html, "http://127.0.0.1:9/page", link_limit=100)
    assert "Text of the story." in extracted.body
    assert len(raw.anchors) == 6


def test_a_url_hint_skips_extraction_but_not_links():
    extracted, raw = analyse_html(
        PAGE, "http://127.0.0.1:9/tag/x/", link_limit=100, kind_hint=PageKind.LISTING
    )
    assert extracted.kind is PageKind.LISTING and extracted.body == ""
    assert len(raw.anchors) == 6


@given(st.lists(st.text(max_size=40), max_size=20))
def test_any_hrefs_give_unique_http_links(hrefs):
    anchors = "".join(f'<a href="{escape(href)}">x</a>' for href in hrefs)
    root = parse_document(f"<html><body>{anchors}</body></html>")[0]
    if root is None:
        return
    links = read_links(root, "http://127.0.0.1:9/", limit=50)
    assert all(url.startswith(("http://", "https://")) for url in links.anchors)
    assert len(set(links.anchors)) == len(links.anchors)
    assert links.examined <= 50


NEXT_PAGE = b"""<html><head>
<link rel="next" href="/news/page/3/">
<link rel="prev" href="/news/">
</head><body>
<a href="/news/2024/05/story">a story</a>
<a href="/news/page/3/?utm_source=pager" rel="next">Older</a>
<a href="/promo" rel="next nofollow">not followed</a>
<a href="javascript:next()" rel="next">script</a>
</body></html>"""


def test_rel_next_targets_and_other_pages_of_the_list_are_its_pages():
    url = "http://127.0.0.1:9/news/page/2/"
    raw = read_links(parse_document(NEXT_PAGE)[0], url, limit=100)
    assert raw.nexts == (
        "http://127.0.0.1:9/news/page/3/",
        "http://127.0.0.1:9/news/page/3/?utm_source=pager",
    )
    page = FetchedPage(url=url, source_id="s", body=NEXT_PAGE, status=200, headers={},
                       encoding="utf-8", fetched_at="2024-05-02T00:00:00Z")  # fmt: skip
    analysis = PageAnalyser().analyse(page, Source("s", "http://127.0.0.1:9/"), link_limit=100)
    # Canonical, so the tracking variant is the same next page; the story is no page of the list
    assert analysis.list_pages == ("http://127.0.0.1:9/news/page/3/",)


@given(
    st.sampled_from(
        ["0; url=/en/", "0;URL='/en/'", '5; url="/en/"', "0.5 ; url = /en/", "url=/en/"]
    ),
    st.sampled_from(["refresh", "Refresh", " REFRESH "]),
)
def test_a_meta_refresh_target_is_a_link(content: str, equiv: str) -> None:
    page = (
        f'<html><head><meta http-equiv="{equiv}" content="{escape(content)}"></head>'
        "<body></body></html>"
    )
    links = read_links(parse_document(page.encode())[0], "http://127.0.0.1:9/", limit=10)
    assert links.anchors == ("http://127.0.0.1:9/en/",)


def test_other_meta_elements_and_a_refresh_without_url_are_no_links() -> None:
    page = (
        b'<html><head><meta http-equiv="refresh" content="30">'
        b'<meta name="url" content="/x"><meta property="og:url" content="/y"></head></html>'
    )
    assert read_links(parse_document(page)[0], "http://127.0.0.1:9/", limit=10).anchors == ()


CATCH_ALL = """<html><head><title>Sections</title></head><body><h1>Sections</h1>
<a href="world/">World</a> <a href="business/">Business</a>
<a href="/news/story-1;jsessionid={token}">Story</a> <a href="/news/story-2?sid={token}">Two</a>
</body></html>"""


def _analysis(url: str, html: str):
    page = FetchedPage(url=url, source_id="s", body=html.encode(), status=200, headers={},
                       encoding="utf-8", fetched_at="2024-05-02T00:00:00Z")  # fmt: skip
    return PageAnalyser().analyse(page, Source("s", "http://127.0.0.1:9/"), link_limit=100)


def test_copies_of_one_page_at_other_paths_share_a_page_print():
    first = _analysis("http://127.0.0.1:9/sections/", CATCH_ALL.format(token="A1B2C3D4E5F6A7B8"))
    copy = _analysis(
        "http://127.0.0.1:9/sections/world/", CATCH_ALL.format(token="99F8E7D6C5B4A3F2")
    )
    # relative links resolve to other URLs on each copy; as written they are the same
    assert {link.url for link in first.links} != {link.url for link in copy.links}
    assert first.page_print == copy.page_print != 0
    other = CATCH_ALL.replace('href="business/"', 'href="markets/"')
    assert _analysis("http://127.0.0.1:9/x/", other.format(token="1")).page_print != (
        first.page_print
    )
    retitled = CATCH_ALL.replace("<title>Sections", "<title>Regions")
    assert _analysis("http://127.0.0.1:9/x/", retitled.format(token="1")).page_print != (
        first.page_print
    )


def test_a_page_whose_links_are_not_read_has_no_page_print():
    page = FetchedPage(url="http://127.0.0.1:9/s/", source_id="s", body=CATCH_ALL.encode(),
                       status=200, headers={}, encoding="utf-8",
                       fetched_at="2024-05-02T00:00:00Z")  # fmt: skip
    analysis = PageAnalyser().analyse(page, Source("s", "http://127.0.0.1:9/"), link_limit=0)
    assert analysis.page_print == 0 and analysis.links == ()


def test_links_that_loop_back_on_their_own_path_are_no_pages():
    found = PageAnalyser().found_links(
        (
            "http://127.0.0.1:9/news/world/news/sport/news/",
            "http://127.0.0.1:9/a/b/a/b/a/b/",
            "http://127.0.0.1:9/news/world/news/story",  # twice is a site's own naming
            "http://127.0.0.1:9/2024/11/11/11/story",  # numbers repeat in dates
        )
    )
    assert [link.url for link in found] == [
        "http://127.0.0.1:9/news/world/news/story",
        "http://127.0.0.1:9/2024/11/11/11/story",
    ]
