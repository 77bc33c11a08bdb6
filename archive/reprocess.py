"""Offline extraction from WARC files: re-extract stored articles, or import foreign WARCs.

Both go through the same extraction and ``ArchiveWriter.ingest`` as a crawl, so an unchanged
result changes nothing, an improved one becomes an update, and nothing is stored twice.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from pipelines.article_parts import (
    PART_NUMBER,
    PARTS_CUT,
    chain_first_page,
    first_page,
    is_continuation,
    join_part,
    next_part,
)
from pipelines.clock import now_iso, to_iso_utc
from pipelines.enrich import derive
from pipelines.extract import EXTRACTOR_VERSION
from pipelines.frontier import parse_time
from pipelines.models import FetchedPage, PageKind, Source, SourcesConfig
from pipelines.scope import scopes_for
from pipelines.store import ArchiveWriter
from pipelines.urls import identity_key
from pipelines.warcs import RecordHead, WarcFormatError, WarcResponse, iter_responses, read_record
from pipelines.workers import Extraction, PageAnalyser, extracted_in_order, process_fetched

logger = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")


def _page(response: WarcResponse, source_id: str, warc_file: str) -> FetchedPage:
    headers = {name.lower(): value for name, value in response.headers}
    charset = ""
    for part in headers.get("content-type", "").split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip("\"'")
    return FetchedPage(
        url=response.url,
        source_id=source_id,
        body=response.body,
        status=response.status,
        headers=headers,
        encoding=charset or None,
        fetched_at=to_iso_utc(response.fetched_at),
        discovered_via="warc",
        warc={
            "warc_file": warc_file,
            "warc_offset": response.offset,
            "warc_length": response.length,
            "warc_record_id": response.record_id,
            "warc_payload_digest": response.payload_digest,
        },
    )


def _store(
    writer: ArchiveWriter,
    page: FetchedPage,
    source: Source,
    extraction: Extraction | None,
    counts: Counter[str],
) -> None:
    if extraction is None:  # logged by the worker pool
        counts["errors"] += 1
        return
    extracted, derived = extraction
    result = writer.ingest(page, extracted, source, derived)
    counts["not_article" if result is None else result.outcome.value] += 1


@dataclass(frozen=True, slots=True)
class StoredCapture:
    article_id: str
    source: str
    source_url: str
    warc_file: str
    warc_offset: int


def stored_captures(
    db: sqlite_utils.Database, source: str | None, since: str | None, stale_only: bool = False
) -> list[StoredCapture]:
    where, params = ["a.warc_file is not null"], []
    if stale_only:
        where.append("a.extractor_version is not ?")
        params.append(EXTRACTOR_VERSION)
    if source:
        where.append("a.source = ?")
        params.append(source)
    if since:
        where.append("coalesce(a.published_at, a.fetched_at) >= ?")
        params.append(since)
    rows = db.execute(
        "select a.id, a.source, coalesce(s.url, ''), a.warc_file, a.warc_offset from articles a"
        f" left join sources s on s.id = a.source where {' and '.join(where)} order by a.rowid",
        params,
    ).fetchall()
    return [StoredCapture(*row) for row in rows]


def reprocess(
    db: sqlite_utils.Database,
    warc_dir: Path,
    *,
    source: str | None = None,
    since: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    workers: int = 0,
    stale_only: bool = False,
) -> Counter[str]:
    """Re-extract stored articles from their WARC records, with no network; extraction runs in
    ``workers`` processes (0: in this one) while this process stores. ``stale_only``: only the
    articles an older extractor read."""
    writer = ArchiveWriter(db, EXTRACTOR_VERSION)
    captures = stored_captures(db, source, since, stale_only)
    counts: Counter[str] = Counter()

    missing: set[Path] = set()

    def pages() -> Iterator[tuple[FetchedPage, Source]]:
        for capture in captures:
            path = warc_dir / capture.warc_file  # an absolute warc_file (imported) stays as is
            if path in missing or not path.is_file():
                if path not in missing:  # one line per file, not one per article
                    logger.error("WARC file %s is missing: its articles are not read again", path)
                    missing.add(path)
                counts["missing_capture"] += 1
                continue
            try:
                response = read_record(path, capture.warc_offset)
            except (OSError, WarcFormatError) as exc:
                logger.error(
                    "article %s: cannot read its capture %s: %s", capture.article_id, path, exc
                )
                counts["missing_capture"] += 1
                continue
            page = _page(response, capture.source, capture.warc_file)
            page.parts, complete = _parts(db, warc_dir, capture)
            if not complete:
                page.hints[PARTS_CUT] = "1"  # the stored reading, with every page, stands
            yield page, writer.source(capture.source)

    for done, (page, page_source, extraction) in enumerate(extracted_in_order(pages(), workers), 1):
        _store(writer, page, page_source, extraction, counts)
        if progress:
            progress(done + counts["missing_capture"], len(captures))
    return counts


def _parts(
    db: sqlite_utils.Database, warc_dir: Path, capture: StoredCapture
) -> tuple[tuple[FetchedPage, ...], bool]:
    """The later pages of a multi-page article, read from their captures, up to the first that
    cannot be read; and whether every one was read."""
    rows = db.execute(
        "select warc_file, warc_offset from article_parts where article_id = ? order by part",
        [capture.article_id],
    ).fetchall()
    parts = []
    for warc_file, offset in rows:
        try:
            if warc_file is None:
                raise OSError("the page was fetched with WARC capture off")
            response = read_record(warc_dir / warc_file, offset)
        except (OSError, WarcFormatError) as exc:
            logger.error(
                "article %s: cannot read a later page's capture: %s", capture.article_id, exc
            )
            return tuple(parts), False
        parts.append(_page(response, capture.source, warc_file))
    return tuple(parts), True


def _as_later_page(
    db: sqlite_utils.Database, page: FetchedPage, source: Source, extraction: Extraction | None
) -> tuple[FetchedPage, Extraction] | None:
    """A WARC's page that is the next page of an article stored from the same import (the crawl
    captured it as one): that article's first page, from its capture, with its pages so far and
    this one, and their joined extraction. None for any other page."""
    found = first_page(page.url)
    told = found is not None  # else a form only the stored pages' links can confirm
    if not told:
        found = chain_first_page(page.url)
    if found is None or extraction is None or page.warc is None:
        return None
    first_url, number = found
    row = db.execute(
        "select a.id, a.warc_file, a.warc_offset from pages p join articles a on a.id ="
        " p.article_id where p.identity = ? and a.warc_file is not null limit 1",
        [identity_key(first_url)],
    ).fetchone()
    if row is None:
        return None
    capture = StoredCapture(row[0], page.source_id, "", row[1], row[2])
    parts, complete = _parts(db, Path("/"), capture)  # imported captures have absolute paths
    if not complete or number != len(parts) + 2:
        return None  # a page out of order, or a gap: stored as a page of its own
    try:
        first = _page(read_record(Path(capture.warc_file), capture.warc_offset), page.source_id,
                      capture.warc_file)  # fmt: skip
    except (OSError, WarcFormatError):
        return None
    if not told and not _links_as_next(parts[-1] if parts else first, len(parts) + 1, page.url,
                                       source):  # fmt: skip
        return None  # "/story-2.html" with no page before it linking it: a story of its own
    first.parts = parts
    article, _ = process_fetched(first, source)
    if article.kind is not PageKind.ARTICLE or not is_continuation(article, extraction[0]):
        return None
    joined = join_part(article, extraction[0])
    first.parts = (*parts, page)
    return first, (joined, derive(joined, source))


_PART_LINK_LIMIT = 2000  # links of a stored page read for its next page


def _links_as_next(before: FetchedPage, number: int, url: str, source: Source) -> bool:
    """Whether ``before``, page ``number`` of an article, links ``url`` as its next page, as the
    crawl's chain read it (``next_part`` over its rel="next" and pager links)."""
    if number > 1:
        before = dataclasses.replace(
            before, discovered_via="part", hints={**before.hints, PART_NUMBER: str(number)}
        )
    analysis = PageAnalyser().analyse(before, source, _PART_LINK_LIMIT)
    following = next_part(before.url, analysis.list_pages, page=number)
    return following is not None and identity_key(following) == identity_key(url)


def stale_articles(db: sqlite_utils.Database, warc_dir: Path) -> int:
    """Articles whose stored reading comes from an older extractor and whose capture's WARC file
    is there to read again (a file an operator has removed is not asked for on every run)."""
    if "articles" not in db.table_names():
        return 0
    per_file = db.execute(
        "select warc_file, count(*) from articles where warc_file is not null"
        " and extractor_version is not ? group by warc_file",
        [EXTRACTOR_VERSION],
    ).fetchall()
    return sum(count for name, count in per_file if (warc_dir / name).is_file())


def import_warcs(
    db: sqlite_utils.Database,
    paths: Iterable[Path],
    config: SourcesConfig,
    *,
    since: str | None = None,
    until: str | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int = 0,
) -> Counter[str]:
    """Ingest HTML responses of foreign WARCs (e.g. CC-NEWS) that belong to a configured source.

    Streams: one record in memory at a time. ``since``/``until`` bound the capture date
    (WARC-Date), which is what a WARC knows before extraction.
    """
    scopes = scopes_for(config.sources)
    start, end = parse_time(since), parse_time(until)
    writer = ArchiveWriter(db, EXTRACTOR_VERSION)
    run_id = f"import-{now_iso()}-{uuid.uuid4().hex[:8]}"
    writer.upsert_sources(config.sources, now_iso())
    writer.start_run(run_id, config.sources, now_iso())
    per_source: dict[str, Counter[str]] = {s.id: Counter() for s in config.sources}
    totals: Counter[str] = Counter()

    def owner(url: str) -> str | None:
        return next((sid for sid, scope in scopes.items() if scope.contains(url)), None)

    def wanted(head: RecordHead) -> bool:
        if head.status != 200:  # a response, or a revisit of ours (it comes with its body)
            return False
        if not any(t in head.content_type for t in HTML_TYPES):
            return False
        when = parse_time(head.fetched_at)
        if when is not None and ((start and when < start) or (end and when > end)):
            return False
        return owner(head.url) is not None

    def pages() -> Iterator[tuple[FetchedPage, Source]]:
        for path in paths:
            resolved = str(Path(path).resolve())
            responses = iter_responses([path], filter=wanted, progress=progress)
            for response in responses:
                if response.is_revisit and not response.body:
                    continue  # a foreign revisit: its payload is in a record we cannot find
                source_id = owner(response.url)
                if source_id is None:  # the filter saw the same URL; kept for type safety
                    continue
                per_source[source_id]["pages_fetched"] += 1
                yield _page(response, source_id, resolved), config.get(source_id)

    for page, source, extraction in extracted_in_order(pages(), workers):
        joined = _as_later_page(db, page, source, extraction)
        if joined is not None:  # the article, stored again with one page more
            page, extraction = joined
        _store(writer, page, source, extraction, per_source[page.source_id])
    for source_id, counts in per_source.items():
        totals.update(counts)
        writer.finish_run(run_id, source_id, dict(counts), "ok", "warc import", now_iso())
    return totals
