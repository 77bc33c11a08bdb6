"""Parsing of the documents that lead to articles: robots.txt, sitemaps and feeds.

Pure functions over bytes, no Scrapy. XML is parsed with entity resolution, network access and
huge-tree support switched off, so entity bombs and external-entity payloads expand to nothing.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from urllib.parse import urljoin

from lxml import etree

MAX_ENTRIES = 50_000  # the sitemap protocol's own limit per file
MAX_UNZIPPED = 50 * 1024 * 1024  # and its limit on a file's uncompressed size
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True, slots=True)
class Entry:
    """A link found in a sitemap or feed, with what the document said about it."""

    url: str
    lastmod: str = ""  # sitemap <lastmod>, feed <updated>
    published: str = ""  # news:publication_date, RSS pubDate, Atom published
    title: str = ""


@dataclass(frozen=True, slots=True)
class Sitemap:
    is_index: bool
    entries: tuple[Entry, ...]


def robots_sitemaps(body: bytes, base_url: str) -> list[str]:
    """The ``Sitemap:`` lines of a robots.txt, made absolute."""
    text = body.decode("utf-8", errors="replace")
    found: list[str] = []
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() == "sitemap" and value.strip():
            url = urljoin(base_url, value.strip())
            if url not in found:
                found.append(url)
    return found


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, recover=True, load_dtd=False
    )


def gunzipped(body: bytes) -> bytes | None:
    """A gzip file's content (``sitemap.xml.gz`` is served as a file, not with a
    Content-Encoding that the downloader would undo), the body itself when it is not gzip, or
    None when nothing can be inflated or it inflates past ``MAX_UNZIPPED`` (a decompression
    bomb)."""
    if not body.startswith(_GZIP_MAGIC):
        return body
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, MAX_UNZIPPED + 1)
    except zlib.error:
        return None
    # a file cut short still gives the entries before the cut (the XML parser recovers)
    if len(out) > MAX_UNZIPPED or (not out and not inflater.eof):
        return None
    return out


def _parse_xml(body: bytes) -> etree._Element | None:
    unzipped = gunzipped(body)
    if unzipped is None:
        return None
    body = unzipped.lstrip()
    if not body:
        return None
    try:
        return etree.fromstring(body, parser=_parser())
    except (etree.XMLSyntaxError, ValueError):
        return None


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _text(el: etree._Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


def _child(el: etree._Element, name: str) -> etree._Element | None:
    for child in el:
        if _local(child.tag) == name:
            return child
    return None


def _descendant_text(el: etree._Element, name: str) -> str:
    for child in el.iter():
        if _local(child.tag) == name:
            return _text(child)
    return ""


def parse_sitemap(body: bytes, base_url: str) -> Sitemap | None:
    """Parse a sitemap or sitemap index; None when the body is not one."""
    root = _parse_xml(body)
    if root is None:
        return None
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        return None
    entries: list[Entry] = []
    for item in root:
        if _local(item.tag) not in ("url", "sitemap"):
            continue
        loc = _text(_child(item, "loc"))
        if not loc:
            continue
        entries.append(
            Entry(
                url=urljoin(base_url, loc),
                lastmod=_text(_child(item, "lastmod")),
                published=_descendant_text(item, "publication_date"),
                title=_descendant_text(item, "title"),
            )
        )
        if len(entries) >= MAX_ENTRIES:
            break
    return Sitemap(is_index=kind == "sitemapindex", entries=tuple(entries))


def _atom_link(entry: etree._Element) -> str:
    fallback = ""
    for child in entry:
        if _local(child.tag) != "link":
            continue
        href = (child.get("href") or "").strip()
        rel = (child.get("rel") or "alternate").strip().lower()
        if href and rel == "alternate":
            return href
        fallback = fallback or href
    return fallback


def parse_feed(body: bytes, base_url: str) -> list[Entry] | None:
    """Items of an RSS 2.0, RSS 1.0 (RDF) or Atom feed; None when the body is not a feed."""
    root = _parse_xml(body)
    if root is None:
        return None
    kind = _local(root.tag)
    entries: list[Entry] = []
    if kind in ("rss", "rdf"):
        items = [el for el in root.iter() if _local(el.tag) == "item"]
        for item in items[:MAX_ENTRIES]:
            link = _text(_child(item, "link"))
            if not link:
                guid = _child(item, "guid")
                if guid is not None and (guid.get("isPermaLink") or "true").lower() == "true":
                    link = _text(guid)
            if link:
                entries.append(
                    Entry(
                        url=urljoin(base_url, link),
                        published=_text(_child(item, "pubdate")) or _descendant_text(item, "date"),
                        title=_text(_child(item, "title")),
                    )
                )
    elif kind == "feed":
        items = [el for el in root if _local(el.tag) == "entry"]
        for item in items[:MAX_ENTRIES]:
            link = _atom_link(item)
            if link:
                entries.append(
                    Entry(
                        url=urljoin(base_url, link),
                        published=_text(_child(item, "published")),
                        lastmod=_text(_child(item, "updated")),
                        title=_text(_child(item, "title")),
                    )
                )
    else:
        return None
    return entries


FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
)


def feed_links(html_links: list[tuple[str, str, str]], base_url: str) -> list[str]:
    """Feed URLs among a page's ``<link rel type href>`` triples."""
    found: list[str] = []
    for rel, mime, href in html_links:
        if "alternate" in rel.lower().split() and mime.lower().strip() in FEED_TYPES[:3] and href:
            url = urljoin(base_url, href.strip())
            if url not in found:
                found.append(url)
    return found
