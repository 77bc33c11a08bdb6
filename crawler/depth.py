"""Scrapy's depth limit, except that the next page of a paginated list is as deep as the page
before it.

``DEPTH_LIMIT`` counts link hops from the home page, which is what bounds calendar and
pagination traps. A real archive paginated over dozens of pages would then end at the fifth:
a crawl of 306 real pages served 50 to a page reached 205. The spider marks the next page of a
list with ``SAME_DEPTH`` only while that list keeps yielding articles new to the run, and counts
the pages of each chain against ``BROADSHEET_MAX_LIST_PAGES`` (crawler.spiders.news).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.spidermiddlewares.depth import DepthMiddleware

if TYPE_CHECKING:
    from scrapy.http import Request, Response

SAME_DEPTH = "broadsheet_same_depth"


class ListDepthMiddleware(DepthMiddleware):
    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        if response is None or not request.meta.pop(SAME_DEPTH, False):
            return super().get_processed_request(request, response)
        # No deeper than the page that links to it, so within the limit that page was.
        depth = request.meta["depth"] = response.meta["depth"]
        request.priority -= depth * self.prio
        return request
