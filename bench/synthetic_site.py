"""A generated news site of N article pages, served on 127.0.0.1, for throughput benchmarks.

Pages are built from a seeded generator (no files), with realistic weight: a template
with navigation, share and related boxes around a 400-900 word article with JSON-LD. The site
has robots.txt, a sitemap index over sitemaps of 1,000 URLs, and paginated section pages.

    python bench/synthetic_site.py --pages 10000 --port 8700     # serve until Ctrl-C
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import threading
from http import HTTPStatus
from typing import Self

WORDS = [
    "exports",
    "software",
    "freelancers",
    "growth",
    "billion",
    "million",
    "percent",
    "fiscal",
    "year",
    "quarter",
    "telecom",
    "spectrum",
    "auction",
    "operators",
    "subscribers",
    "broadband",
    "fintech",
    "payments",
    "wallets",
    "banks",
    "central",
    "bank",
    "regulator",
    "policy",
    "ministry",
    "investment",
    "startups",
    "funding",
    "round",
    "seed",
    "series",
    "venture",
    "capital",
    "investors",
    "market",
    "share",
    "revenue",
    "profit",
    "margin",
    "companies",
    "government",
    "tax",
    "incentive",
    "data",
    "centres",
    "cloud",
    "chips",
    "semiconductors",
    "supply",
    "chain",
    "devices",
    "assembly",
    "manufacturing",
    "imports",
    "rupee",
    "dollar",
    "inflation",
    "interest",
    "rate",
    "budget",
    "parliament",
    "industry",
    "association",
    "survey",
    "report",
    "analysts",
    "customers",
    "users",
    "platform",
    "digital",
    "economy",
    "technology",
    "services",
]
SECTIONS = ("economy", "startups", "telecom", "fintech", "policy")
PER_SITEMAP = 1000
PER_LISTING = 25


# Plain words around the domain vocabulary, so the text has the density of terms of real news
# (about one word in eight), not a page made of keywords.
COMMON = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "is",
    "that",
    "for",
    "on",
    "was",
    "with",
    "as",
    "by",
    "at",
    "it",
    "from",
    "said",
    "has",
    "have",
    "are",
    "be",
    "this",
    "which",
    "an",
    "were",
    "will",
    "its",
    "but",
    "not",
    "they",
    "their",
    "more",
    "had",
    "also",
    "after",
    "about",
    "than",
    "two",
    "year",
    "new",
    "last",
    "first",
    "over",
    "other",
    "some",
    "into",
    "could",
    "would",
    "been",
    "most",
    "these",
    "when",
    "there",
    "who",
    "many",
    "during",
    "while",
    "people",
    "week",
    "month",
    "officials",
    "city",
    "country",
    "since",
    "according",
    "told",
    "under",
    "including",
]


def _text(rng: random.Random, words: int) -> list[str]:
    paragraphs, left = [], words
    while left > 0:
        n = min(left, rng.randint(40, 90))
        sentence_words = [
            rng.choice(WORDS) if rng.random() < 0.125 else rng.choice(COMMON) for _ in range(n)
        ]
        paragraphs.append(" ".join(sentence_words).capitalize() + ".")
        left -= n
    return paragraphs


def article_html(n: int) -> str:
    rng = random.Random(n)
    title = " ".join(rng.choice(WORDS) for _ in range(8)).capitalize()
    paragraphs = _text(rng, rng.randint(400, 900))
    day = 1 + n % 28
    month = 1 + (n // 28) % 12
    date = f"2024-{month:02d}-{day:02d}T09:{n % 60:02d}:00+05:00"
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": title,
        "datePublished": date,
        "author": {"@type": "Person", "name": f"Writer {n % 97}"},
    }
    related = "".join(
        f'<li><a href="/news/{(n + k) % 10_000}/story-{(n + k) % 10_000}">Related {k}</a></li>'
        for k in range(1, 6)
    )
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title} | Bench '
        f'Times</title><link rel="canonical" href="/news/{n}/story-{n}">'
        f'<meta property="og:type" content="article">'
        f'<script type="application/ld+json">{json.dumps(ld)}</script></head><body>'
        "<header><nav>"
        + "".join(f'<a href="/section/{s}/">{s}</a> ' for s in SECTIONS)
        + "</nav></header><main><article>"
        f'<h1>{title}</h1><p class="byline">By Writer {n % 97}</p>{body}</article>'
        '<div class="share">Share on X · Facebook · WhatsApp</div>'
        f"<aside><h2>Related stories</h2><ul>{related}</ul></aside></main>"
        "<footer>© Bench Times</footer></body></html>"
    )


def listing_html(section: str, page: int, pages: int, total: int) -> str:
    start = SECTIONS.index(section) + (page - 1) * PER_LISTING * len(SECTIONS)
    items = "".join(
        f'<li><h3><a href="/news/{k}/story-{k}">Story {k}</a></h3><p>Teaser text.</p></li>'
        for k in range(start, min(total, start + PER_LISTING * len(SECTIONS)), len(SECTIONS))
    )
    nxt = f'<a href="/section/{section}/?page={page + 1}">Next</a>' if page < pages else ""
    return (
        f"<!doctype html><html><head><title>{section} | Bench Times</title></head><body>"
        f"<h1>{section}</h1><ul>{items}</ul>{nxt}</body></html>"
    )


class _Http(asyncio.Protocol):
    """HTTP/1.1 with keep-alive, enough for a crawler: request line and headers in, a prepared
    response out. The site stands in for remote servers, whose work costs the crawling machine
    nothing; http.server's per-request parsing in Python took CPU from the crawlers measured."""

    def __init__(self, site: SyntheticSite) -> None:
        self.site = site
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
            method, _, rest = head.partition(b" ")
            path = rest.partition(b" ")[0].decode("latin-1") or "/"
            assert self.transport is not None
            self.transport.write(self.site.response(path, head_only=method == b"HEAD"))
            if b"connection: close" in head.lower():
                self.transport.close()
                return


class SyntheticSite:
    """The site, served from a thread. Article responses are rendered once, before serving, so
    every crawl of it (the baseline's and ours) costs the server the same: a dict lookup."""

    def __init__(self, pages: int, port: int = 0) -> None:
        self.pages = pages
        self.port = port
        self.url = ""
        self._cache: dict[str, bytes] = {}
        self._loop = asyncio.new_event_loop()
        self._server = self._loop.run_until_complete(
            self._loop.create_server(lambda: _Http(self), "127.0.0.1", port)
        )
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/"
        for n in range(pages):
            self.response(f"/news/{n}/story-{n}")
        self.thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def response(self, path: str, head_only: bool = False) -> bytes:
        """The whole HTTP response for ``path``, cached (the site never changes)."""
        data = self._cache.get(path)
        if data is None:
            status, ctype, body = self.respond(path)
            payload = body.encode("utf-8")
            data = (
                f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\nContent-Type: {ctype}\r\n"
                f"Content-Length: {len(payload)}\r\n\r\n"
            ).encode("latin-1") + payload
            if status != 404:  # a crawler may ask for any path: only the site's own are kept
                self._cache[path] = data
        if head_only:
            return data[: data.index(b"\r\n\r\n") + 4]
        return data

    def respond(self, path: str) -> tuple[int, str, str]:
        html, xml = "text/html; charset=utf-8", "application/xml"
        route, _, query = path.partition("?")
        if route == "/robots.txt":
            return (
                200,
                "text/plain",
                f"User-agent: *\nDisallow: /private/\nSitemap: {self.url}sitemap.xml\n",
            )
        if route == "/sitemap.xml":
            maps = "".join(
                f"<sitemap><loc>{self.url}sitemap-{i}.xml</loc></sitemap>"
                for i in range(-(-self.pages // PER_SITEMAP))
            )
            ns = "http://www.sitemaps.org/schemas/sitemap/0.9"
            return (
                200,
                xml,
                f'<?xml version="1.0"?><sitemapindex xmlns="{ns}">{maps}</sitemapindex>',
            )
        if route.startswith("/sitemap-") and route.endswith(".xml"):
            i = int(route[len("/sitemap-") : -4])
            urls = "".join(
                f"<url><loc>{self.url}news/{k}/story-{k}</loc></url>"
                for k in range(i * PER_SITEMAP, min(self.pages, (i + 1) * PER_SITEMAP))
            )
            ns = "http://www.sitemaps.org/schemas/sitemap/0.9"
            return 200, xml, f'<?xml version="1.0"?><urlset xmlns="{ns}">{urls}</urlset>'
        if route.startswith("/news/"):
            n = int(route.split("/")[2])
            if n < self.pages:
                return 200, html, article_html(n)
        if route.startswith("/section/"):
            section = route.split("/")[2]
            page = int(query.partition("=")[2] or 1) if query.startswith("page=") else 1
            per_page = PER_LISTING
            pages = -(-self.pages // (per_page * len(SECTIONS)))
            if section in SECTIONS and page <= pages:
                return 200, html, listing_html(section, page, pages, self.pages)
        if route == "/":
            links = "".join(f'<a href="/section/{s}/">{s}</a>' for s in SECTIONS)
            return (
                200,
                html,
                f"<html><head><title>Bench Times</title></head><body>{links}</body></html>",
            )
        return 404, html, "<html><body>not found</body></html>"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self.thread.join(timeout=5)
        self._server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--port", type=int, default=8700)
    args = parser.parse_args()
    with SyntheticSite(args.pages, args.port) as site:
        print(f"serving {args.pages} articles at {site.url}", flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
