"""Exact de-duplication: which article a fetched page is, and whether its body was seen before.

An article's identity comes from its ``rel=canonical`` URL when that can be trusted, otherwise from
the URL it was fetched from; both go through ``identity_key`` so tracking, AMP, print, scheme and
trailing-slash variants collapse. ``content_hash`` catches the same body under unrelated URLs.
"""

from __future__ import annotations

import hashlib

from .models import ArticleRecord, Extracted, FetchedPage
from .shingles import words
from .urls import article_id, canonicalize, identity_key, is_site_root, registrable_host


def normalise_for_hash(text: str) -> str:
    """Case-folded words only: whitespace and punctuation edits do not change the hash.

    Runs of letters and digits (``shingles.words``) joined by single spaces."""
    return " ".join(words(text))


def content_hash(text: str) -> str:
    return words_hash(words(text))


def words_hash(tokens: list[str]) -> str:
    """``content_hash`` of a text from its ``shingles.words``, for a caller that has them."""
    return hashlib.sha1(" ".join(tokens).encode("utf-8")).hexdigest()[:16]


def bodies_agree(a: str, b: str, threshold: float = 0.6) -> bool:
    """Whether two bodies are the same article in different templates (AMP, print, mobile).

    Word-set Jaccard: template differences (captions, a dropped teaser) leave it high, while two
    different stories of one site share only common words and stay far below ``threshold``.
    """
    words_a, words_b = set(normalise_for_hash(a).split()), set(normalise_for_hash(b).split())
    if not words_a or not words_b:
        return words_a == words_b
    return len(words_a & words_b) / len(words_a | words_b) >= threshold


def trusted_canonical(page_url: str, canonical: str, source_url: str) -> str:
    """The page's canonical URL if it may define identity, else an empty string.

    Not trusted blindly: it must be absolute http(s), on the same site as the page, and not the
    site root or the source's home page (some CMSs point every page's canonical there).
    """
    if not canonical:
        return ""
    canonical = canonicalize(canonical)
    if not canonical.startswith(("http://", "https://")):
        return ""
    if registrable_host(canonical) != registrable_host(page_url):
        return ""
    if is_site_root(canonical) or identity_key(canonical) == identity_key(source_url):
        return ""
    return canonical


def build_record(
    page: FetchedPage, extracted: Extracted, source_url: str, body_hash: str = ""
) -> ArticleRecord:
    """``body_hash``: ``content_hash(extracted.body)`` when the caller has it (computed here
    otherwise)."""
    canonical = trusted_canonical(page.url, extracted.canonical_url, source_url)
    identity_url = canonical or canonicalize(page.url)
    urls = (*page.redirect_urls, page.url, canonical, *(part.url for part in page.parts))
    seen = dict.fromkeys(canonicalize(u) for u in urls if u)
    return ArticleRecord(
        id=article_id(identity_url),
        url=canonicalize(page.url),
        canonical_url=canonical or canonicalize(page.url),
        source=page.source_id,
        fetched_at=page.fetched_at,
        extracted=extracted,
        content_hash=body_hash or content_hash(extracted.body),
        seen_urls=tuple(seen),
        http_status=page.status,
        warc=page.warc,
        parts=page.parts,
    )


def fallback_record(record: ArticleRecord) -> ArticleRecord:
    """The same record keyed on its fetched URL, for when its canonical claim proved false."""
    return ArticleRecord(
        id=article_id(record.url),
        url=record.url,
        canonical_url=record.url,
        source=record.source,
        fetched_at=record.fetched_at,
        extracted=record.extracted,
        content_hash=record.content_hash,
        seen_urls=tuple(u for u in record.seen_urls if u != record.canonical_url) or (record.url,),
        http_status=record.http_status,
        warc=record.warc,
        parts=record.parts,
    )
