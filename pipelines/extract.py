"""Extract stage: one lxml parse per page, every ``Extracted`` field read from that one tree.

``extract_page`` never raises: unparseable input comes back as ``PageKind.EMPTY`` with a reason.
Method and measured quality: docs/extraction.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import fields
from typing import Any

from lxml.html import HtmlElement

from pipelines.classify import classify_page, read_page_signals
from pipelines.extraction.authors import credit_line_authors, find_authors
from pipelines.extraction.body import clean_body, extract_body_text, join_split_body
from pipelines.extraction.comments import find_comments
from pipelines.extraction.dates import (
    find_date_flags,
    find_published,
    find_updated,
    story_article,
)
from pipelines.extraction.fields import (
    find_canonical,
    find_description,
    find_section,
    find_site_name,
    find_tags,
    find_top_image,
)
from pipelines.extraction.language import find_language
from pipelines.extraction.links import RawLinks, read_links
from pipelines.extraction.page import collect_page_info, drop_inert
from pipelines.extraction.parse import parse_document
from pipelines.extraction.precision import repair_for_precision
from pipelines.extraction.robots import find_robots_directives
from pipelines.extraction.source import (
    find_original_source,
    find_page_source,
    find_paywall_markup,
    find_paywall_text,
)
from pipelines.extraction.text import nfc
from pipelines.extraction.title import find_title
from pipelines.models import Extracted, PageKind

EXTRACTOR_VERSION = "1.2.9"

LOGGER = logging.getLogger(__name__)


NO_LINKS = RawLinks((), (), 0)


def extract_page(
    html: bytes | str,
    url: str,
    *,
    encoding: str | None = None,
    hints: dict[str, str] | None = None,
) -> Extracted:
    """Parse ``html`` once and fill every field of ``Extracted`` from that tree."""
    return analyse_html(html, url, encoding=encoding, hints=hints)[0]


def analyse_html(
    html: bytes | str,
    url: str,
    *,
    encoding: str | None = None,
    hints: dict[str, str] | None = None,
    link_limit: int = 0,
    kind_hint: PageKind | None = None,
) -> tuple[Extracted, RawLinks]:
    """One parse: the page's links (up to ``link_limit`` anchors) and its fields.

    With ``kind_hint`` (the URL alone says what the page is) the fields are not extracted.
    Never raises: unparseable input comes back as ``PageKind.EMPTY`` with a reason.
    """
    try:
        tree, text = parse_document(html, encoding)
    except Exception as err:  # noqa: BLE001 - arbitrary bytes must not stop a crawl
        reason = f"unparseable: {type(err).__name__}"
        return Extracted(kind=PageKind.EMPTY, kind_reason=reason), NO_LINKS
    if tree is None:
        return Extracted(kind=PageKind.EMPTY, kind_reason="no HTML content"), NO_LINKS
    # Links first: the body extractor prunes the tree in place.
    links = read_links(tree, url, link_limit) if link_limit > 0 else NO_LINKS
    if kind_hint is not None:
        return Extracted(kind=kind_hint, kind_reason="url pattern"), links
    try:
        return _extract_fields(tree, text, url, hints or {}), links
    except Exception as err:
        LOGGER.exception("extraction failed for %s", url)
        reason = f"extraction error: {type(err).__name__}"
        return Extracted(kind=PageKind.EMPTY, kind_reason=reason), links


def _reparse(text: str) -> Callable[[], HtmlElement | None]:
    def fresh() -> HtmlElement | None:
        return parse_document(text)[0]

    return fresh


def _extract_fields(tree: HtmlElement, text: str, url: str, hints: dict[str, str]) -> Extracted:
    # Every step that reads the tree runs first: trafilatura then gets the tree itself (no
    # copy) and prunes it in place. The classifier's tree signals are read here for the same
    # reason, and take the head sweep's meta and JSON-LD instead of parsing them again.
    info = collect_page_info(tree)
    site_name = find_site_name(info)
    title = find_title(tree, info, url, site_name)
    story = story_article(info, title)
    published_at, published_method = find_published(tree, info, url, hints, text, story)
    updated_at, updated_method = find_updated(tree, info, story)
    date_flags = find_date_flags(info, url, published_at, published_method, hints, updated_at)
    robots_directives = find_robots_directives(info, hints)
    authors, agencies = find_authors(tree, info, site_name, url)
    paywall_markup = find_paywall_markup(tree, info)
    comments = find_comments(tree, info)
    page_source = find_page_source(tree, info, text)
    signals = read_page_signals(tree, url, info)

    drop_inert(info)  # less for trafilatura to copy and walk; it would delete them itself
    join_split_body(signals.paragraph_parents, tree)
    repair_for_precision(tree, info, url)
    raw_body = extract_body_text(tree, _reparse(text))
    lines = raw_body.split("\n")
    original_source = find_original_source(lines, info)
    if not authors:  # no byline: a wire story's credit line may name its reporters
        authors = credit_line_authors(lines)
    if not original_source:
        original_source = page_source
    body = clean_body(raw_body, title)
    extracted = Extracted(
        kind=PageKind.ARTICLE,
        title=title,
        authors=authors,
        published_at=published_at,
        published_method=published_method,
        updated_at=updated_at if updated_at != published_at else "",
        updated_method=updated_method if updated_at != published_at else "",
        body=body,
        language=find_language(info, body),
        canonical_url=find_canonical(info, url),
        site_name=site_name,
        description=find_description(info),
        top_image=find_top_image(info, url),
        tags=find_tags(info),
        section=find_section(info),
        original_source=original_source,
        is_paywalled=paywall_markup or find_paywall_text(raw_body),
        comments=comments,
        agencies=agencies,
        date_flags=date_flags,
        robots_directives=robots_directives,
    )
    # the tree is spent (trafilatura pruned it): the classifier reads only ``signals``
    extracted.kind, extracted.kind_reason = classify_page(tree, url, extracted, signals)
    _compose_text(extracted)
    return extracted


# the text fields a reader searches and compares; URLs, dates and tokens are ASCII in practice
_TEXT_FIELDS = ("title", "body", "site_name", "description", "section", "original_source")
_TEXT_LISTS = ("authors", "tags", "comments", "agencies")


def _compose_text(extracted: Extracted) -> None:
    """Every text field in Unicode NFC (``text.nfc``): one spelling of "geprüft" for search."""
    for name in _TEXT_FIELDS:
        setattr(extracted, name, nfc(getattr(extracted, name)))
    for name in _TEXT_LISTS:
        setattr(extracted, name, [nfc(item) for item in getattr(extracted, name)])


def extracted_to_dict(e: Extracted, url: str = "") -> dict[str, Any]:
    """JSON-ready dict of every field; ``url`` defaults to the canonical URL.

    ``authors`` is the byline as printed: the people, then the news agencies, which are kept
    and marked as such by ``agencies``; ``people`` holds the person names alone (what the
    archive's ``authors`` column stores)."""
    data: dict[str, Any] = {"url": url or e.canonical_url}
    for f in fields(e):
        value = getattr(e, f.name)
        data[f.name] = str(value) if isinstance(value, PageKind) else value
        if isinstance(value, list):
            data[f.name] = list(value)
    data["people"] = list(e.authors)
    data["authors"] = e.authors + [a for a in e.agencies if a not in e.authors]
    return data
