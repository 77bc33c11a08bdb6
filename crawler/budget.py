"""A byte budget per source and run: what one site can make the crawl download, and so store.

The request budget (``BROADSHEET_MAX_REQUESTS_PER_SOURCE``) bounds how many pages a run fetches
and ``DOWNLOAD_MAXSIZE`` how large each may be, but not their product: a hostile site answering
every one of 5,000 requests with 9 MB would fill 45 GB of WARC files in one run. This middleware
counts the bytes each source's responses bring, as received (what the WARC files keep), and
once a source has had ``BROADSHEET_MAX_BYTES_PER_SOURCE`` it refuses that source's further
requests, queued ones included, until the next run. Other sources go on.

It sits next to the WARC capture (940, below its 950), so it sees the bodies before Scrapy
decompresses them.

The count is the run's (``crawler/run_share.py``): in a distributed run every worker adds to
and checks one total per source, so the budget bounds the run, not each worker.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Self

from scrapy.exceptions import IgnoreRequest

from crawler.run_share import LocalTally, Tally, tally
from pipelines.runs import stat_key

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

# The refusal's message: the spider's errback treats it as a decision, not a failed fetch.
REFUSAL = "byte budget of the source reached"


class SourceByteBudget:
    def __init__(self, crawler: Crawler, max_bytes: int, received: Tally | None = None) -> None:
        self.crawler = crawler
        self.max_bytes = max_bytes
        self.received = received if received is not None else LocalTally()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        return cls(
            crawler,
            settings.getint("BROADSHEET_MAX_BYTES_PER_SOURCE"),
            tally(settings, "bytes_received"),
        )

    def process_request(self, request: Request) -> None:
        source = request.meta.get("source")
        if source and self.max_bytes and self.received.total(source) >= self.max_bytes:
            self.crawler.stats.inc_value(stat_key(source, "over_byte_budget"))
            raise IgnoreRequest(REFUSAL)

    def process_response(self, request: Request, response: Response) -> Response:
        source = request.meta.get("source")
        if not source:
            return response
        size = len(response.body)
        total = self.received.add(source, size)
        # This process's share (a distributed run's workers each report their own).
        self.crawler.stats.inc_value(stat_key(source, "bytes_received"), size)
        if self.max_bytes and total - size < self.max_bytes <= total:
            logger.warning(
                "source %s reached its byte budget (%d MB received, BROADSHEET_MAX_BYTES_PER_SOURCE"
                " = %d MB): its other requests wait for the next run",
                source, total // 2**20, self.max_bytes // 2**20,
            )  # fmt: skip
        return response
