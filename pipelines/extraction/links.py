"""The links of a page, read from the tree the extraction parses anyway.

The spider used to run Scrapy's link extractor on the reactor thread, a second parse of every
page; reading the anchors here, in the extraction worker, before the body extractor prunes the
tree, costs the crawl process nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

from lxml.html import HtmlElement

_SCHEMES = ("http://", "https://")


@dataclass(frozen=True, slots=True)
class RawLinks:
    anchors: tuple[str, ...]  # absolute http(s) URLs of followable anchors, in page order
    alternates: tuple[tuple[str, str, str], ...]  # (rel, type, href) of <link> elements
    examined: int  # anchors looked at (the page may have had more)


def base_url_of(tree: HtmlElement, url: str) -> str:
    """The page URL, or the document's ``<base href>`` resolved against it."""
    for base in tree.iter("base"):
        href = (base.get("href") or "").strip()
        if href:
            try:
                return urljoin(url, href)
            except ValueError:
                return url
    return url


def read_links(tree: HtmlElement, url: str, limit: int) -> RawLinks:
    """Followable anchors (``rel=nofollow`` left out) of the first ``limit`` ``<a>``/``<area>``.

    The limit bounds the work on a page with 100,000 links; duplicates are dropped here.
    """
    base = base_url_of(tree, url)
    anchors: list[str] = []
    seen: set[str] = set()
    examined = 0
    for element in tree.iter("a", "area"):
        href = element.get("href")
        if href is None:
            continue
        if examined >= limit:
            break
        examined += 1
        if "nofollow" in (element.get("rel") or "").lower().split():
            continue
        try:
            absolute = urljoin(base, href.strip())
        except ValueError:  # e.g. a malformed IPv6 host
            continue
        if absolute.startswith(_SCHEMES) and absolute not in seen:
            seen.add(absolute)
            anchors.append(absolute)
    alternates = tuple(
        (link.get("rel") or "", link.get("type") or "", link.get("href") or "")
        for link in tree.iter("link")
        if link.get("rel") and link.get("href")
    )
    return RawLinks(tuple(anchors), alternates, examined)
