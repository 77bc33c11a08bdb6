"""One outlet at one edition, served under one base URL: routing and page assembly.

A ``Site`` is immutable after construction; the server builds a fresh one per outlet whenever the
edition changes, so request threads never see a half-updated site.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import ModuleType
from urllib.parse import parse_qs, urlsplit

from demo_sites import feeds, pdf, themes
from demo_sites.catalog import Article, Listing, Outlet, slugify, story_number

HTML = "text/html; charset=utf-8"
HOME_SIZE = 12


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes
    content_type: str = HTML
    last_modified: datetime | None = None  # aware, UTC
    etag: str = ""
    location: str = ""


def _utc(iso: str) -> datetime:
    return datetime.fromisoformat(iso).astimezone(UTC).replace(microsecond=0)


def cached(body: str | bytes, content_type: str, modified_iso: str) -> Response:
    """A 200 carrying validators, so the server can answer conditional requests with 304."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    etag = '"' + hashlib.sha1(data).hexdigest()[:20] + '"'
    return Response(200, data, content_type, _utc(modified_iso), etag)


class Site:
    def __init__(
        self, outlet: Outlet, base_url: str, edition: int = 1, revised_at: str = ""
    ) -> None:
        self.outlet = outlet
        self.base_url = base_url.rstrip("/")  # origin plus optional path prefix
        self.prefix = urlsplit(self.base_url).path  # "" or "/<outlet id>"
        self.edition = edition
        self.theme: ModuleType = themes.for_outlet(outlet.id)
        self.articles = outlet.articles(edition)
        self.listings = outlet.listings(edition)
        self._articles = {a.path: a for a in self.articles}
        self._amp = {a.amp_path: a for a in self.articles if a.amp_path}
        self._listings = {lst.path: lst for lst in self.listings}
        self.disallowed_article = self._make_disallowed()
        # Articles whose text this edition changed were edited "now" (when the edition was set):
        # their sitemap lastmod and Last-Modified say so, as a real CMS's would.
        first = {a.path: a for a in outlet.articles(1)}
        self.revised_at = revised_at
        self.revised = {
            a.path for a in self.articles
            if a.path in first and (a.title, a.paragraphs) != (first[a.path].title, first[a.path].paragraphs)
        }  # fmt: skip

    def modified(self, article: Article) -> str:
        """When the site last changed ``article`` (ISO 8601)."""
        if self.revised_at and article.path in self.revised:
            return max(article.modified_at, self.revised_at, key=datetime.fromisoformat)
        return article.modified_at

    # -- links -------------------------------------------------------------------------------
    def href(self, path: str) -> str:
        """Root-relative link (carries the shared-host prefix)."""
        return self.prefix + path

    def abs(self, path: str) -> str:
        return self.base_url + path

    def section_path(self, key: str) -> str:
        return self.outlet.paths.listing_path("section", key)

    def tag_path(self, tag: str) -> str:
        return self.outlet.paths.listing_path("tag", slugify(tag))

    def author_path(self, name: str) -> str:
        return (
            self.outlet.paths.listing_path("author", slugify(name))
            if self.outlet.paths.author
            else ""
        )

    @property
    def feed_type(self) -> str:
        return "application/atom+xml" if self.outlet.feed_kind == "atom" else "application/rss+xml"

    # -- page furniture shared by every theme --------------------------------------------------
    def latest(self, n: int = HOME_SIZE) -> list[Article]:
        return self.articles[:n]

    def trending(self, exclude: Article | None = None) -> list[Article]:
        picks = [a for a in self.articles if story_number(a.slug) % 3 == 0 and a != exclude]
        return picks[:5]

    def related(self, article: Article, n: int = 3) -> list[Article]:
        def score(other: Article) -> tuple[int, str]:
            return (len(set(other.tags) & set(article.tags)), other.published_at)

        others = [a for a in self.articles if a.path != article.path]
        return sorted(others, key=score, reverse=True)[:n]

    def also_see(self, article: Article) -> Article | None:
        related = self.related(article, 2)
        return related[-1] if related else None

    def comments(self, article: Article) -> list[tuple[str, datetime, str]]:
        """3-5 reader comments, picked deterministically from the outlet's pool."""
        pool = self.outlet.comments
        seed = story_number(article.slug)
        start = datetime.fromisoformat(article.published_at)
        out = []
        for i in range(3 + seed % 3):
            name, text = pool[(seed + i * 7) % len(pool)]
            out.append(
                (name, start + timedelta(hours=5 + i * 9, minutes=(seed + i * 13) % 60), text)
            )
        return out

    def bio(self, name: str) -> str:
        return dict(self.outlet.author_bios).get(name, "")

    def _make_disallowed(self) -> Article:
        title, paragraphs = self.outlet.disallowed_page
        newest = self.articles[0].published_at
        first = self.articles[0]
        return Article(
            outlet_id=self.outlet.id,
            slug="draft",
            path=self.outlet.traps.disallowed,
            title=title,
            authors=first.authors,
            byline=first.byline,
            published_at=newest,
            updated_at="",
            paragraphs=paragraphs,
            tags=first.tags,
            section=first.section,
            section_key=first.section_key,
            summary=paragraphs[0][:150],
        )

    # -- routing -------------------------------------------------------------------------------
    def handle(self, target: str) -> Response:
        """Answer a GET for ``target`` (path plus query, relative to this site's base)."""
        parts = urlsplit(target)
        path, query = parts.path or "/", parse_qs(parts.query)
        page = query.get("page", ["1"])[0]
        outlet, traps = self.outlet, self.outlet.traps
        if path == "/":
            return self._html(self.theme.home(self))
        if path == "/robots.txt" and not self.prefix:  # under a shared host only the root has one
            return Response(200, feeds.robots([self]).encode(), "text/plain; charset=utf-8")
        if path == outlet.paths.sitemap or path in outlet.paths.child_sitemaps:
            body, modified = feeds.sitemap(self, path)
            return cached(body, "application/xml; charset=utf-8", modified)
        if path == outlet.paths.feed:
            body, modified = feeds.feed(self)
            kind = "application/atom+xml" if outlet.feed_kind == "atom" else "application/rss+xml"
            return cached(body, kind + "; charset=utf-8", modified)
        if path == traps.redirect_from:
            return Response(301, b"", location=self.abs(traps.redirect_to))
        if path == traps.pdf:
            return cached(
                pdf.build(outlet.pdf_lines), "application/pdf", self.articles[-1].published_at
            )
        if path == traps.disallowed:
            return self._html(self.theme.article(self, self.disallowed_article))
        if path == outlet.paths.about:
            return self._html(self.theme.static(self, "About us", outlet.about, path))
        if path == outlet.paths.contact:
            return self._html(self.theme.static(self, "Contact", outlet.contact, path))
        article = self._find_article(path)
        if article is not None:
            if query.get("print") == ["1"]:
                return cached(self.theme.print_article(self, article), HTML, self.modified(article))
            if article.path == traps.paged:
                return cached(self._paged(article, page), HTML, self.modified(article))
            return cached(self.theme.article(self, article), HTML, self.modified(article))
        amp = self._amp.get(path)
        if amp is not None:
            return cached(self.theme.amp_article(self, amp), HTML, self.modified(amp))
        listing = self._find_listing(path, page)
        if listing is not None:
            return self._html(self.theme.listing(self, listing))
        return Response(404, self.theme.not_found(self).encode("utf-8"))

    def _paged(self, article: Article, page: str) -> str:
        """``article`` split in two pages, as outlets serve long reads: half of its paragraphs on
        each, the same canonical URL, a pager, and rel="next" / rel="prev" in the head."""
        half = (len(article.paragraphs) + 1) // 2
        number = 2 if page == "2" else 1
        shown = article.paragraphs[:half] if number == 1 else article.paragraphs[half:]
        html = self.theme.article(self, dataclasses.replace(article, paragraphs=shown))
        first, second = self.href(article.path), self.href(article.path) + "?page=2"
        rel = (
            f'<link rel="next" href="{second}">'
            if number == 1
            else f'<link rel="prev" href="{first}">'
        )
        pager = (
            f'<nav class="pager">Page {number} of 2: <a href="{first}">1</a> '
            f'<a href="{second}">2</a></nav>'
        )
        return html.replace("</head>", rel + "</head>", 1).replace("</body>", pager + "</body>", 1)

    def _find_article(self, path: str) -> Article | None:
        # Both slash forms answer 200 (as many CMSes do); only rel=canonical tells them apart.
        twin = path[:-1] if path.endswith("/") else path + "/"
        return self._articles.get(path) or self._articles.get(twin)

    def _find_listing(self, path: str, page: str) -> Listing | None:
        if page != "1":
            for listing in self.listings:
                first = self.outlet.paths.listing_path(listing.kind, listing.key)
                if first == path and str(listing.page) == page:
                    return listing
        return self._listings.get(path)

    @staticmethod
    def _html(text: str) -> Response:
        return Response(200, text.encode("utf-8"))
