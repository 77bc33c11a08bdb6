"""The robots.txt gate: Scrapy's RobotsTxtMiddleware, with every waiting request checked.

Scrapy 2.19's middleware keeps one Deferred per host while that host's robots.txt downloads, and
every request for the host that arrives meanwhile awaits it through
``maybe_deferred_to_future(deferred)``. Under the asyncio reactor that is
``Deferred.asFuture()``, which *consumes* the Deferred's result: the first waiter receives the
parser and the Deferred then fires ``None`` to everyone after it, and ``None`` means "no
robots.txt, allow everything". So with three or more requests for a host in flight before its
robots.txt is parsed, all but the first two were fetched unchecked (scrapy/scrapy#6802 replaced
a per-waiter Deferred with this await).

A local crawl rarely has such requests: its links come from pages fetched after robots.txt. A
worker of a distributed crawl has them at once: it joins a shared frontier already full of links
other workers found, and pops many of them for one host before its own robots.txt arrives. That
is how a disallowed page was fetched in about one distributed run in six.

Here each waiter gets its own Deferred, fired with the parser and passing the parser on to the
next one, so every request is checked against robots.txt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.robotstxt import RobotParser

T = TypeVar("T")


class RobotsTxtGate(RobotsTxtMiddleware):
    async def robot_parser(self, request: Request) -> RobotParser | None:
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if isinstance(pending, Deferred):
            # robots.txt of this host is still downloading: wait on a Deferred of our own.
            waiter: Deferred[RobotParser | None] = Deferred()
            pending.addBoth(_relay, waiter)
            return await maybe_deferred_to_future(waiter)
        return await super().robot_parser(request)


def _relay(result: T, waiter: Deferred[T]) -> T:
    """Hand the result to one waiter and keep it for the next callback."""
    waiter.callback(result)
    return result
