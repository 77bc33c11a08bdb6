"""ListDepthMiddleware: Scrapy's depth limit, with the pages of a list marked SAME_DEPTH kept at
the depth of the page that links to them. Real Scrapy requests, responses and crawler."""

from __future__ import annotations

from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.depth import SAME_DEPTH, ListDepthMiddleware

LIMIT = 4


def _middleware() -> ListDepthMiddleware:
    crawler = get_crawler(settings_dict={"DEPTH_LIMIT": LIMIT, "DEPTH_PRIORITY": 1})
    return ListDepthMiddleware.from_crawler(crawler)


def _response(depth: int) -> HtmlResponse:
    request = Request("http://127.0.0.1:9/news/page/4/", meta={"depth": depth})
    return HtmlResponse(request.url, body=b"<html></html>", request=request)


def test_a_page_of_a_list_marked_same_depth_is_as_deep_as_the_page_linking_to_it() -> None:
    middleware = _middleware()
    response = _response(LIMIT - 1)
    nxt = Request("http://127.0.0.1:9/news/page/5/", meta={SAME_DEPTH: True}, priority=15)
    link = Request("http://127.0.0.1:9/news/2024/05/story")
    assert middleware.get_processed_request(nxt, response) is nxt
    assert nxt.meta["depth"] == LIMIT - 1
    assert nxt.priority == 15 - (LIMIT - 1)  # DEPTH_PRIORITY still applies
    assert SAME_DEPTH not in nxt.meta  # consumed: it cannot spread to the page's own links
    assert middleware.get_processed_request(link, response) is link
    assert link.meta["depth"] == LIMIT


def test_the_limit_still_drops_every_other_request_beyond_it() -> None:
    middleware = _middleware()
    response = _response(LIMIT)
    assert middleware.get_processed_request(Request("http://127.0.0.1:9/x"), response) is None
    kept = Request("http://127.0.0.1:9/news/page/6/", meta={SAME_DEPTH: True})
    assert middleware.get_processed_request(kept, response) is kept
    assert kept.meta["depth"] == LIMIT


def test_start_requests_are_left_alone() -> None:
    request = Request("http://127.0.0.1:9/", meta={SAME_DEPTH: True})
    assert _middleware().get_processed_request(request, None) is request
    assert "depth" not in request.meta
