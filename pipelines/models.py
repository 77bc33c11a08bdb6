"""Typed contracts between the stages of the pipeline.

Flow: the spider sends a ``FetchedPage`` for every HTML response it keeps to an extraction
worker, which returns a ``PageAnalysis`` (one parse: every field, the derived data and the
links); the spider follows the links and yields an ``ExtractedPage``, which the store stage
turns into an article row (``ArticleRecord``). None of these types import Scrapy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .wire import constructor_pickle


class PageKind(StrEnum):
    """What a fetched HTML page is. Only ``ARTICLE`` pages are stored as articles."""

    ARTICLE = "article"
    LISTING = "listing"  # home, section, tag, author, archive and search pages
    OTHER = "other"  # about, contact, legal, error pages, media wrappers
    EMPTY = "empty"  # nothing extractable (JS-only shells, 0-byte bodies)


@constructor_pickle
@dataclass(frozen=True, slots=True)
class Source:
    """One outlet from sources.toml. Only ``id`` and ``url`` are required."""

    id: str
    url: str
    name: str = ""
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    country: str = ""
    language: str = ""
    tags: tuple[str, ...] = ()
    # What to do with articles the topic lexicon finds irrelevant: keep, flag or drop.
    relevance: str = "keep"


@dataclass(frozen=True, slots=True)
class SourcesConfig:
    sources: tuple[Source, ...]
    allow_private_networks: bool = False

    def get(self, source_id: str) -> Source:
        for source in self.sources:
            if source.id == source_id:
                return source
        raise KeyError(source_id)


@constructor_pickle
@dataclass(slots=True)
class FetchedPage:
    """An HTML response as fetched, with how the crawler reached it.

    ``url`` is the final URL after redirects; ``redirect_urls`` holds the ones before it.
    ``hints`` carries what discovery knew before fetching (feed or sitemap dates, titles).
    """

    url: str
    source_id: str
    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None
    fetched_at: str = ""  # ISO 8601, UTC
    redirect_urls: tuple[str, ...] = ()
    discovered_via: str = ""  # "sitemap", "feed", "link", "start"
    hints: dict[str, str] = field(default_factory=dict)
    # Where the raw response is archived: warc_file, warc_offset, warc_length, warc_record_id,
    # warc_payload_digest (pipelines.warcs.WarcRef.row()); None when WARC capture is off.
    warc: dict[str, object] | None = None
    # The later pages of an article split over several (pipelines.article_parts), in order; the
    # crawl drops their bodies once extracted, reprocessing reads them from their WARC records.
    parts: tuple[FetchedPage, ...] = ()


@constructor_pickle
@dataclass(slots=True)
class Extracted:
    """Every field one parse of a page yields. Empty string / empty list means "not found"."""

    kind: PageKind
    kind_reason: str = ""
    title: str = ""
    authors: list[str] = field(default_factory=list)
    published_at: str = ""  # ISO 8601; carries the page's timezone offset when it gave one
    published_method: str = ""  # "json-ld", "meta", "time", "url", "text", "feed"
    updated_at: str = ""
    updated_method: str = ""
    body: str = ""
    language: str = ""
    canonical_url: str = ""
    site_name: str = ""
    description: str = ""
    top_image: str = ""
    tags: list[str] = field(default_factory=list)
    section: str = ""
    original_source: str = ""
    is_paywalled: bool = False
    comments: list[str] = field(default_factory=list)
    # news agencies / wire services credited in the byline ("AP", "SAN News Service"); the
    # people of the byline are in ``authors``
    agencies: list[str] = field(default_factory=list)
    # warnings about published_at, which they do not change: "future", "before_site",
    # "disagree:<a>-<b>" (two kinds of date source more than a day apart)
    date_flags: list[str] = field(default_factory=list)
    # robots / AI-training / TDM directives of the page and its X-Robots-Tag header, as
    # lowercase tokens ("noindex", "noarchive", "noai", "tdm-reservation")
    robots_directives: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ArticleRecord:
    """What the store stage writes: an extracted article plus identity and provenance."""

    id: str  # stable key derived from the canonical URL
    url: str  # the URL we fetched it from (final, after redirects)
    canonical_url: str
    source: str
    fetched_at: str
    extracted: Extracted
    content_hash: str  # hash of the normalised body; equal bodies under other URLs collide here
    seen_urls: tuple[str, ...] = ()  # every URL that reached this article on this fetch
    http_status: int = 200
    warc: dict[str, object] | None = None  # the capture this record was extracted from
    parts: tuple[FetchedPage, ...] = ()  # the article's later pages (FetchedPage.parts)


@constructor_pickle
@dataclass(slots=True)
class ExtractedPage:
    """A fetched page with what extraction found in it (the extract stage's output)."""

    page: FetchedPage
    extracted: Extracted
    # pipelines.enrich.Derived (facts, relevance, signature) when a worker computed it.
    derived: Any = None


@constructor_pickle
@dataclass(frozen=True, slots=True)
class FoundLink:
    """A link of a fetched page, prepared in the extraction worker for the spider."""

    url: str  # canonical
    key: bytes  # digest of the URL's identity key: what the spider de-duplicates on
    listing: bool  # the URL alone says it is a listing (section, tag, page 2...)


@constructor_pickle
@dataclass(slots=True)
class PageAnalysis:
    """Everything the extraction worker returns for one page: fields, derived data, links."""

    extracted: Extracted
    derived: Any = None  # pipelines.enrich.Derived for articles
    links: tuple[FoundLink, ...] = ()  # in page order, unique, not-page URLs left out
    alternates: tuple[tuple[str, str, str], ...] = ()  # (rel, type, href) of <link> elements
    # canonical URLs of the other pages of this page's list: rel="next" targets and links to
    # /page/N, ?page=N ... of the same path (pipelines.urlkind.other_pages_of_list)
    list_pages: tuple[str, ...] = ()
    # the page's title, text and written links hashed (``workers.page_print``); 0 for none
    page_print: int = 0


@constructor_pickle
@dataclass(slots=True)
class FetchRecord:
    """A fetch that yields no page to extract: a discovery document, a 304 Not Modified, a
    redirect, a gone page or a robots.txt refusal."""

    url: str
    source_id: str
    kind: str  # robots, sitemap, feed, redirect, gone, forbidden, or the verdict for a 304 page
    status: int
    fetched_at: str
    etag: str = ""
    last_modified: str = ""
    target: str = ""  # where a redirect points
