"""Multi-page articles: pipelines.article_parts, the joined extraction and the wire format."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive.reprocess import _links_as_next
from pipelines.article_parts import (
    chain_first_page,
    first_page,
    is_continuation,
    join_part,
    next_part,
    number_told,
    other_pages,
    pages_by_path,
    read_through,
)
from pipelines.extraction.body import MAX_BODY_CHARS
from pipelines.extraction.comments import MAX_COMMENTS
from pipelines.messages import Message, decode, encode
from pipelines.models import Extracted, ExtractedPage, FetchedPage, PageKind, Source
from pipelines.workers import PageAnalyser, process_fetched
from tests.hostile import content

E = "https://e.example"


@pytest.mark.parametrize(
    ("url", "page", "candidates", "expected"),
    [
        (f"{E}/news/story", 1, [f"{E}/news/story?page=2", f"{E}/news/other?page=2"], "?page=2"),
        (f"{E}/news/story?page=2", 2, [f"{E}/news/story", f"{E}/news/story?page=3"], "?page=3"),
        (f"{E}/news/story?id=7", 1, [f"{E}/news/story?id=7&seite=2"], "?id=7&seite=2"),
        (f"{E}/news/story-slug/", 1, [f"{E}/news/story-slug/2/"], "/2/"),
        (f"{E}/news/story-slug/2/", 2, [f"{E}/news/story-slug/", f"{E}/news/story-slug/3/"], "/3/"),
        (f"{E}/wirtschaft/zugverkehr-eu", 1, [f"{E}/wirtschaft/zugverkehr-eu/seite-2"], "/seite-2"),
        (f"{E}/w/zug-eu/seite-2", 2, [f"{E}/w/zug-eu", f"{E}/w/zug-eu/seite-3"], "/seite-3"),
        (f"{E}/a/musik-16604622.html", 1, [f"{E}/a/musik-16604622-p2.html"], "-p2.html"),
        (f"{E}/a/musik-16604622-p2.html", 2, [f"{E}/a/musik-16604622-p3.html"], "-p3.html"),
        (f"{E}/test/phone-review.html", 1, [f"{E}/test/phone-review-2.html"], "review-2.html"),
        (f"{E}/a/title,3050673", 1, [f"{E}/a/title,3050673,2"], ",2"),
        (f"{E}/news/story", 1, [f"{E}/news/next-story"], None),  # rel=next naming the next post
        (f"{E}/news/story", 1, [f"{E}/news/story?page=3"], None),  # not the next number
        (f"{E}/news/12", 1, [f"{E}/news/13"], None),  # an id after no slug: another story
        (f"{E}/2024/05/", 1, [f"{E}/2024/06/"], None),  # a month, not a page
        (f"{E}/news/story", 1, ["https://other.example/news/story?page=2"], None),
        # a story whose slug ends in a number, and the next post: no page of it
        (f"{E}/news/weekly-roundup-12", 1, [f"{E}/news/weekly-roundup-13"], None),
        (f"{E}/news/blog-home", 1, [f"{E}/news/blog-home/page/2/"], None),  # a list's pages
    ],
)
def test_next_part(url: str, page: int, candidates: list[str], expected: str | None) -> None:
    found = next_part(url, candidates, page)
    if expected is None:
        assert found is None
    else:
        assert found is not None and found.endswith(expected)


def test_other_pages_are_the_articles_own() -> None:
    candidates = [f"{E}/news/story?page={n}" for n in (1, 2, 3)] + [f"{E}/news/x?page=2"]
    assert other_pages(f"{E}/news/story", candidates) == candidates[:3]


@given(st.text(max_size=60), st.lists(st.text(max_size=60), max_size=5))
def test_next_part_never_raises_and_picks_a_candidate(url: str, candidates: list[str]) -> None:
    found = next_part(url, candidates)
    assert found is None or found in candidates


def _extracted(title: str, body: str, kind: PageKind = PageKind.ARTICLE) -> Extracted:
    return Extracted(kind=kind, title=title, body=body, comments=[f"{title} comment"])


def test_a_continuation_has_new_text_and_the_articles_headline_or_markup() -> None:
    first = _extracted("Software exports grow", "Page one text.")
    assert is_continuation(first, _extracted("Software exports grow (2)", "Page two text."))
    listing = PageKind.LISTING
    assert is_continuation(first, _extracted("Software exports grow - page 2", "More.", listing))
    assert not is_continuation(first, _extracted("Bank rates", "Other text.", listing))
    assert not is_continuation(first, _extracted("Software exports grow", "Page one text."))
    assert not is_continuation(first, _extracted("Software exports grow", "  "))


@given(st.lists(st.text(min_size=1, max_size=30).filter(str.strip), min_size=1, max_size=5))
def test_joined_pages_keep_every_text_in_order(texts: list[str]) -> None:
    article = _extracted("Headline", texts[0])
    for text in texts[1:]:
        article = join_part(article, _extracted("Headline", text))
    positions = []
    start = 0
    for text in texts:
        start = article.body.index(text.strip(), start)
        positions.append(start)
    assert positions == sorted(positions)
    assert article.title == "Headline" and len(article.comments) == len(texts)


def _page(url: str, title: str, name: str) -> FetchedPage:
    html = content.article_html(title, content.paragraphs(name, 4))
    return FetchedPage(url=url, source_id="s", body=html.encode(), encoding="utf-8")


def test_reprocessing_joins_the_stored_pages_as_the_crawl_did() -> None:
    source = Source("s", f"{E}/")
    first = _page(f"{E}/news/story", "Software exports grow", "p1")
    second = _page(f"{E}/news/story?page=2", "Software exports grow", "p2")
    alone, _ = process_fetched(first, source)
    crawl = PageAnalyser().add_part(alone, process_fetched(second, source)[0], source)
    assert crawl is not None
    first.parts = (second,)
    offline, derived = process_fetched(first, source)
    assert offline.body == crawl[0].body
    assert content.paragraphs("p2", 4)[-1] in offline.body
    assert derived is not None and derived.body_hash == crawl[1].body_hash


def test_the_wire_carries_an_articles_later_pages() -> None:
    part = FetchedPage(url=f"{E}/s?page=2", source_id="s", body=b"<html>", warc={"warc_file": "a"})
    page = FetchedPage(url=f"{E}/s", source_id="s", body=b"<html>", parts=(part,))
    message = Message("page", "run", page=ExtractedPage(page, _extracted("T", "Body")))
    decoded = decode(encode(message)).page
    assert decoded is not None
    assert [(p.url, p.warc, p.body) for p in decoded.page.parts] == [
        (f"{E}/s?page=2", {"warc_file": "a"}, b"")
    ]


def test_the_next_page_of_an_article_is_read_whatever_its_url_says() -> None:
    # "/business?page=2" looks like page 2 of a section, which is not extracted
    page = _page(f"{E}/business?page=2", "Software exports grow", "p2")
    source = Source("s", f"{E}/")
    assert PageAnalyser().analyse(page, source, link_limit=10).extracted.body == ""
    page.discovered_via = "part"
    body = PageAnalyser().analyse(page, source, link_limit=10).extracted.body
    assert content.paragraphs("p2", 4)[0] in body


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"{E}/news/story?page=2", (f"{E}/news/story", 2)),
        (f"{E}/news/story?id=4&seite=3", (f"{E}/news/story?id=4", 3)),
        (f"{E}/news/story-slug/2/", (f"{E}/news/story-slug", 2)),
        (f"{E}/news/page/3/", None),  # /page/N numbers a list
        (f"{E}/w/zug-eu/seite-3", (f"{E}/w/zug-eu", 3)),
        (f"{E}/a/musik-16604622-p2.html", None),  # told only along the chain
        (f"{E}/news/story", None),
        (f"{E}/news/story?page=1", None),
        (f"{E}/news/12", None),  # an id
        (f"{E}/news?start=20", None),  # an offset counts items, not pages
    ],
)
def test_first_page(url: str, expected: tuple[str, int] | None) -> None:
    assert first_page(url) == expected


@given(st.text(max_size=80))
def test_first_page_never_raises(url: str) -> None:
    found = first_page(url)
    assert found is None or found[1] >= 2


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"{E}/a/musik-16604622-p2.html", (f"{E}/a/musik-16604622.html", 2)),
        (f"{E}/a/musik-16604622-p3.html?x=1", (f"{E}/a/musik-16604622.html?x=1", 3)),
        (f"{E}/news/budget-talks-2.html", (f"{E}/news/budget-talks.html", 2)),
        (f"{E}/news/story_2", (f"{E}/news/story", 2)),
        (f"{E}/news/story-1.html", None),  # a page 1 is no later page
        (f"{E}/news/story-about-5g", None),
        (f"{E}/news/story?page=2", None),  # told by the URL alone: ``first_page``
    ],
)
def test_chain_first_page(url: str, expected: tuple[str, int] | None) -> None:
    assert chain_first_page(url) == expected


@given(st.text(max_size=80))
def test_chain_first_page_never_raises(url: str) -> None:
    found = chain_first_page(url)
    assert found is None or found[1] >= 2


@pytest.mark.parametrize(
    ("url", "candidates", "expected"),
    [
        # a pager back to page 1, or on to page 3: read through the first page
        (f"{E}/news/story?page=2", [f"{E}/news/story", f"{E}/news/story?page=3"], "/news/story"),
        (f"{E}/news/story?page=3", [f"{E}/news/story?page=2"], "/news/story"),
        # the page's own link to page 1 names it as the site serves it
        (f"{E}/news/story-slug/2/", [f"{E}/news/story-slug/"], "/news/story-slug/"),
        (f"{E}/news/story-slug/3/", [f"{E}/news/story-slug/2/"], "/news/story-slug"),
        (f"{E}/w/zug-eu/seite-2", [f"{E}/w/zug-eu/seite-3"], "/w/zug-eu"),
        # no link to any page of the article: nothing shows it is one
        (f"{E}/news/story?page=2", [f"{E}/news/other", f"{E}/news/other?page=2"], None),
        (f"{E}/news/story?page=2", [], None),
        # page 1, a list's page, a page told only along the chain
        (f"{E}/news/story", [f"{E}/news/story?page=2"], None),
        (f"{E}/news/page/2/", [f"{E}/news/page/3/"], None),
        (f"{E}/a/musik-16604622-p2.html", [f"{E}/a/musik-16604622.html"], None),
    ],
)
def test_read_through(url: str, candidates: list[str], expected: str | None) -> None:
    found = read_through(url, candidates)
    assert (found is None) if expected is None else (found == f"{E}{expected}")


@given(st.text(max_size=80), st.lists(st.text(max_size=40), max_size=4))
def test_read_through_never_raises_and_names_the_first_page(
    url: str, candidates: list[str]
) -> None:
    found = read_through(url, candidates)
    told = first_page(url)
    assert found is None or (told is not None and found in (told[0], *candidates))
    assert number_told(url) == (1 if told is None else told[1])


def test_joined_pages_stay_within_one_pages_limits() -> None:
    article = _extracted("Headline", "word " * 200_000)
    for _ in range(3):
        article = join_part(article, _extracted("Headline", "more " * 200_000))
    assert len(article.body) == MAX_BODY_CHARS and len(article.comments) <= MAX_COMMENTS


def test_a_rel_next_names_the_next_page_before_a_comments_pager() -> None:
    # ZEIT ONLINE: "?page=2#comments" pages the reader comments, rel="next" the article
    url = f"{E}/mobilitaet/zugverkehr-eu"
    rel_next, comments = f"{url}/seite-2", f"{url}?page=2"
    assert next_part(url, [rel_next, comments]) == rel_next


def test_a_page_dated_another_day_or_signed_by_others_is_another_story() -> None:
    first = _extracted("Weekly update", "This week's text.")
    first.published_at, first.authors = "2024-05-02T09:00:00+05:00", ["Ana Ruiz"]
    same = _extracted("Weekly update", "More of this week's text.")
    same.published_at, same.authors = "2024-05-02T09:00:00+05:00", ["Ana Ruiz"]
    assert is_continuation(first, same)
    next_week = _extracted("Weekly update", "Next week's text.")
    next_week.published_at = "2024-05-09T09:00:00+05:00"
    assert not is_continuation(first, next_week)  # WordPress's "weekly-update-2"
    other_author = _extracted("Weekly update", "Someone else's text.")
    other_author.authors = ["Tom Lee"]
    assert not is_continuation(first, other_author)


def test_page_one_served_again_with_a_changed_box_is_no_continuation() -> None:
    first = _extracted(
        "Software exports grow", "Lead paragraph.\n\nSecond paragraph.\n\nMost read: A"
    )
    again = _extracted(
        "Software exports grow", "Lead paragraph.\n\nSecond paragraph.\n\nMost read: B"
    )
    assert not is_continuation(first, again)
    page_two = _extracted("Software exports grow", "Lead paragraph.\n\nThird.\n\nFourth paragraph.")
    assert is_continuation(first, page_two)  # a repeated lead is not most of the page


def test_pages_by_path_leave_query_numbered_pages_to_the_list_rules() -> None:
    url = f"{E}/a/musik-16604622.html"
    candidates = [f"{E}/a/musik-16604622-p2.html", f"{url}?page=2", f"{E}/a/other-story.html"]
    assert pages_by_path(url, candidates) == [candidates[0]]
    assert pages_by_path("http://[bad", candidates) == []


def test_an_import_takes_a_page_named_in_its_file_name_only_when_linked_as_the_next() -> None:
    # what ``broadsheet import-warc`` asks of "-p2.html" and "-2.html" pages: the stored page
    # before it must link it as its next page (pager or rel="next"), as the crawl's chain did
    source = Source("s", f"{E}/")
    pages = [f"{E}/a/musik-16604622.html", f"{E}/a/musik-16604622-p2.html"]
    pager = " ".join(f'<a href="{u}">{n}</a>' for n, u in enumerate(pages, start=1))
    html = content.article_html("Musik", content.paragraphs("m1", 4), raw_paras=[f"<p>{pager}</p>"])
    first = FetchedPage(url=pages[0], source_id="s", body=html.encode(), encoding="utf-8")
    assert _links_as_next(first, 1, pages[1], source)
    assert not _links_as_next(first, 1, f"{E}/a/musik-16604622-p3.html", source)  # not next
    plain = _page(f"{E}/news/budget-talks.html", "Budget talks", "b1")  # links no "-2.html"
    assert not _links_as_next(plain, 1, f"{E}/news/budget-talks-2.html", source)
