"""Later pages of an article reached by links of their own, held back for their first page.

A listing, a sitemap or a "most read" box may link page 2 of an article as well as, or instead
of, page 1. Stored as it came, page 2 would be an article of its own, or, when it names page 1
as its canonical URL, a variant whose text is dropped; and page 1's chain of pages would skip a
page that was already requested, so the article would lack it. Instead such a page waits here
while the crawl requests its first page (``pipelines.article_parts.read_through``); that page's
chain takes it from here (``take``) rather than fetching it again. A page no chain took when the
crawl goes idle is stored alone (``release``): nothing read is lost.

The other order happens too: page 1's chain reaches a page whose own request is still on its
way. Fetching it again would cost a second request, so the article waits for that response
(``wait``, ``waiting_for``), which is then read as its next page.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.models import ExtractedPage, PageAnalysis

# Pages held at once at most: beyond it a later page is stored alone, as before (a site whose
# every page looks like a page 2 should not fill the crawl's memory: a held page keeps its text
# and links, tens of kilobytes).
MAX_HELD = 200


@dataclass(frozen=True, slots=True)
class HeldPart:
    item: ExtractedPage  # the page as read alone
    analysis: PageAnalysis  # its links and pages, for the chain to go on from it
    first: bytes  # identity key of its article's first page


class HeldParts:
    """The crawl's held-back later pages, keyed by identity (``workers.link_key``)."""

    def __init__(self, limit: int = MAX_HELD) -> None:
        self.limit = limit
        self.held: dict[bytes, HeldPart] = {}
        # Pages a chain joined to their article in this run: a copy read alone is dropped.
        self.joined: set[bytes] = set()
        # Pages a chain requested in this run: a copy read alone may be in flight as well.
        self.chained: set[bytes] = set()
        # Later pages (told by their URL) whose own response arrived in this run, and those of
        # them being analysed now (a chain reaching one of these waits for it).
        self.arrived: set[bytes] = set()
        self.analysing: set[bytes] = set()
        # Articles waiting for the response to a request made for their next page alone.
        self.waiting: dict[bytes, ExtractedPage] = {}

    def read_alone(self, key: bytes, requested: bool) -> bool:
        """Whether the page ``key``, ``requested`` in this run by a link of its own, has been
        read alone (and not held: its URL made it look like no article), so that a chain that
        reaches it must fetch it again, as its page."""
        return (
            requested and key in self.arrived and key not in self.chained and key not in self.joined
        )

    def in_flight(self, key: bytes, requested: bool) -> bool:
        """Whether the page ``key``, ``requested`` in this run, was requested by a link of its
        own and has not arrived: a chain may wait for it (``wait``) instead of fetching it."""
        return (
            requested
            and (key not in self.arrived or key in self.analysing)
            and key not in self.chained
            and key not in self.joined
            and key not in self.waiting
        )

    def wait(self, key: bytes, article: ExtractedPage) -> None:
        self.waiting[key] = article

    def waiting_for(self, key: bytes) -> ExtractedPage | None:
        """The article waiting for the page ``key``, removed; None when none is."""
        return self.waiting.pop(key, None)

    def has_room(self, key: bytes) -> bool:
        """Whether the page ``key`` may be held (the limit is not reached, or it is held)."""
        return key in self.held or len(self.held) < self.limit

    def hold(self, key: bytes, part: HeldPart) -> None:
        """Hold ``part`` for its first page (asked ``has_room`` first)."""
        self.held[key] = part

    def take(self, key: bytes) -> HeldPart | None:
        """The held page, removed, for a chain that reached it; None when none is held."""
        return self.held.pop(key, None)

    def release_for(self, first: bytes) -> list[HeldPart]:
        """The pages held for the article whose first page is ``first``, once its chain of
        pages has ended without them (its first page led elsewhere); they are held no more."""
        keys = [key for key, part in self.held.items() if part.first == first]
        return [self.held.pop(key) for key in keys if key not in self.joined]

    def release(self) -> tuple[list[HeldPart], list[ExtractedPage]]:
        """The held pages no chain joined, in the order they were held, and the articles
        still waiting for a page (its response never came); nothing is held after."""
        released = [part for key, part in self.held.items() if key not in self.joined]
        articles = list(self.waiting.values())
        self.held.clear()
        self.waiting.clear()
        return released, articles
