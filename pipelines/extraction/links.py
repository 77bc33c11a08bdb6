"""The links of a page, read from the tree the extraction parses anyway.

The spider used to run Scrapy's link extractor on the reactor thread, a second parse of every
page; reading the anchors here, in the extraction worker, before the body extractor prunes the
tree, costs the crawl process nothing.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import urljoin

from lxml.html import HtmlElement

_SCHEMES = ("http://", "https://")


@dataclass(frozen=True, slots=True)
class RawLinks:
    anchors: tuple[str, ...]  # absolute http(s) URLs of followable anchors, in page order
    alternates: tuple[tuple[str, str, str], ...]  # (rel, type, href) of <link> elements
    examined: int  # anchors looked at (the page may have had more)
    nexts: tuple[str, ...] = ()  # absolute URLs of rel="next" anchors and <link>s: the next page
    # digest of the anchors as written (unresolved, queries and ";params" cut): equal for copies of one page
    # served at several paths, whose relative links resolve to different URLs
    written: bytes = b""


_WRITTEN_PATH = re.compile(r"[?;#]")


def _resolve(base: str, href: str) -> str | None:
    try:
        return urljoin(base, href.strip())
    except ValueError:  # e.g. a malformed IPv6 host
        return None


_REFRESH_URL = re.compile(r"""^\s*\d*(?:\.\d*)?\s*[;,]?\s*url\s*=\s*['"]?([^'"]+)""", re.IGNORECASE)


def _refresh_target(meta: HtmlElement) -> str | None:
    if (meta.get("http-equiv") or "").strip().lower() != "refresh":
        return None
    match = _REFRESH_URL.match(meta.get("content") or "")
    return match.group(1).strip() if match else None


def read_links(tree: HtmlElement, url: str, limit: int) -> RawLinks:
    """Followable anchors (``rel=nofollow`` left out) of the first ``limit`` ``<a>``/``<area>``
    and the target of a ``<meta http-equiv="refresh">``, the ``<link>`` elements, and the
    ``rel="next"`` targets, in one walk over the tree.

    The limit bounds the work on a page with 100,000 links; duplicates are dropped here. A
    ``<base href>`` applies to every URL of the page, so anchors are resolved after the walk.
    """
    base = url
    hrefs: list[str] = []
    alternates: list[tuple[str, str, str]] = []
    next_hrefs: list[str] = []
    examined = 0
    for element in tree.iter("a", "area", "link", "base", "meta"):
        tag, href = element.tag, element.get("href")
        if tag == "meta":
            # <meta http-equiv="refresh" content="0; url=/en/">: a home page that only forwards
            # (a language chooser, a moved site) still leads somewhere
            target = _refresh_target(element)
            if target:
                hrefs.append(target)
            continue
        if href is None:
            continue
        if tag == "base":
            if base == url and href.strip():
                base = _resolve(url, href) or url
            continue
        rel = (element.get("rel") or "").lower().split()
        if "next" in rel and "nofollow" not in rel:
            next_hrefs.append(href)
        if tag == "link":
            if rel:
                alternates.append((element.get("rel") or "", element.get("type") or "", href))
        elif examined < limit:
            examined += 1
            if "nofollow" not in rel:
                hrefs.append(href)
    anchors: list[str] = []
    seen: set[str] = set()
    for href in hrefs:
        absolute = _resolve(base, href)
        if absolute and absolute.startswith(_SCHEMES) and absolute not in seen:
            seen.add(absolute)
            anchors.append(absolute)
    nexts = (_resolve(base, href) for href in next_hrefs[:4])
    written = hashlib.blake2b(digest_size=8)
    for href in hrefs:
        # a query or a ";param" may hold a session id, new on every copy
        written.update(_WRITTEN_PATH.split(href, 1)[0].strip().encode("utf-8", "replace") + b"\n")
    return RawLinks(
        tuple(anchors),
        tuple(alternates),
        examined,
        tuple(dict.fromkeys(u for u in nexts if u and u.startswith(_SCHEMES))),
        written.digest(),
    )
