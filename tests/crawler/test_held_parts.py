"""crawler.held_parts: later pages of articles held back for their first page's chain."""

from __future__ import annotations

from crawler.held_parts import HeldPart, HeldParts
from pipelines.models import Extracted, ExtractedPage, FetchedPage, PageAnalysis, PageKind


def _part(url: str) -> HeldPart:
    page = FetchedPage(url=url, source_id="s", body=b"", status=200)
    extracted = Extracted(kind=PageKind.ARTICLE, body=f"text of {url}")
    return HeldPart(ExtractedPage(page, extracted), PageAnalysis(extracted), url.encode()[:-7])


def test_a_chain_takes_a_held_page_once() -> None:
    parts = HeldParts()
    parts.hold(b"a2", _part("https://e.example/a?page=2"))
    taken = parts.take(b"a2")
    assert taken is not None and taken.item.page.url.endswith("?page=2")
    assert parts.take(b"a2") is None
    assert parts.release() == ([], [])


def test_release_gives_back_what_no_chain_joined_in_order_and_empties() -> None:
    parts = HeldParts()
    for n in (2, 3, 4):
        parts.hold(f"b{n}".encode(), _part(f"https://e.example/b?page={n}"))
    parts.joined.add(b"b3")  # a chain read it again while this copy was on its way
    released, waiting = parts.release()
    assert [p.item.page.url[-6:] for p in released] == ["page=2", "page=4"] and waiting == []
    assert parts.release() == ([], []) and parts.take(b"b2") is None


def test_an_article_whose_pages_ended_gives_back_the_pages_held_for_it() -> None:
    parts = HeldParts()
    for n in (2, 3):
        parts.hold(f"d{n}".encode(), _part(f"https://e.example/d?page={n}"))
    parts.hold(b"e2", _part("https://e.example/e?page=2"))
    parts.joined.add(b"d2")
    released = parts.release_for(b"https://e.example/d")
    assert [p.item.page.url[-6:] for p in released] == ["page=3"]
    assert parts.release_for(b"https://e.example/d") == []
    assert [p.item.page.url for p in parts.release()[0]] == ["https://e.example/e?page=2"]


def test_beyond_the_limit_nothing_more_is_held() -> None:
    parts = HeldParts(limit=2)
    for n in (1, 2):
        assert parts.has_room(str(n).encode())
        parts.hold(str(n).encode(), _part(f"https://e.example/{n}?page=2"))
    assert not parts.has_room(b"3")
    assert parts.has_room(b"2")  # the same page again
    assert len(parts.release()[0]) == 2


def test_an_article_waits_only_for_a_page_on_its_way_alone() -> None:
    parts = HeldParts()
    article = _part("https://e.example/c").item
    assert not parts.in_flight(b"c2", requested=False)  # never requested: request it
    assert parts.in_flight(b"c2", requested=True)
    parts.wait(b"c2", article)
    assert not parts.in_flight(b"c2", requested=True)  # one article waits for it already
    assert parts.waiting_for(b"c2") is article and parts.waiting_for(b"c2") is None
    for done in (parts.arrived, parts.chained, parts.joined):
        done.add(b"c3")
        assert not parts.in_flight(b"c3", requested=True)
        done.clear()
    parts.wait(b"c4", article)  # its response never came: the article is given back
    assert parts.release() == ([], [article]) and parts.waiting == {}


def test_a_page_read_alone_as_no_article_is_fetched_again_by_its_chain() -> None:
    parts = HeldParts()
    parts.arrived.add(b"f2")
    assert parts.read_alone(b"f2", requested=True) and not parts.read_alone(b"f2", False)
    assert not parts.in_flight(b"f2", True)
    for done in (parts.chained, parts.joined):
        done.add(b"f2")
        assert not parts.read_alone(b"f2", True)
        done.clear()
