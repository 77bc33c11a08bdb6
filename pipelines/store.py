"""Writes to the archive. Every write is an idempotent upsert inside one transaction, so a
process killed at any point leaves either the whole article or none of it, and a re-run
converges on the same rows."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum

import sqlite_utils

from .article_parts import PARTS_CUT
from .dedup import bodies_agree, build_record, fallback_record, identity_key
from .enrich import Derived, derive, relevance_columns, store_derived
from .faults import CrashPoints
from .models import ArticleRecord, Extracted, FetchedPage, FetchRecord, PageKind, Source
from .sqlrows import insert_row, update_row
from .stories import Signature, StoryAction, StoryConfig, StoryIndex
from .templates import TemplateModel
from .urls import canonicalize
from .versions import record_version
from .wire import constructor_pickle


def _part_reason(number: int | str, first_url: str) -> str:
    """The ``pages`` verdict of a later page of a multi-page article (``%`` wildcards give the
    LIKE pattern that finds such rows)."""
    return f"page {number} of {first_url}"


class Outcome(StrEnum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    TOUCHED = "touched"  # changed below the version threshold (whitespace, counters): no version
    DROPPED = "dropped"  # off-topic, and the source's relevance policy is "drop": not stored
    DUPLICATE = "duplicate"  # same body as an article of the same source under another URL


@constructor_pickle
@dataclass(frozen=True, slots=True)
class StoreResult:
    outcome: Outcome
    article_id: str


REDIRECT_REASON = "redirects to "
WARC_COLUMNS = ("warc_file", "warc_offset", "warc_length", "warc_record_id", "warc_payload_digest")


@contextmanager
def immediate(db: sqlite_utils.Database) -> Iterator[None]:
    """A write transaction that takes the write lock at BEGIN.

    A deferred transaction that reads first cannot upgrade to a write lock once another
    connection committed in between ("database is locked", whatever the busy timeout); BEGIN
    IMMEDIATE waits for the lock up front instead. Nested, it is a savepoint.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.conn.rollback()
        raise
    db.conn.commit()


# Outcomes after which an article's body is counted for site-template learning.
_OBSERVED = frozenset({Outcome.NEW, Outcome.UPDATED, Outcome.TOUCHED})

# Columns whose change makes a re-fetched article "updated" rather than "unchanged".
CONTENT_FIELDS = ("title", "authors", "published_at", "updated_at", "body")


def _article_row(record: ArticleRecord, extractor_version: str) -> dict[str, object]:
    e = record.extracted
    return {
        "id": record.id,
        "source": record.source,
        "url": record.url,
        "canonical_url": record.canonical_url,
        "title": e.title,
        "authors": json.dumps(e.authors, ensure_ascii=False),
        "agencies": json.dumps(e.agencies, ensure_ascii=False),
        "date_flags": json.dumps(e.date_flags, ensure_ascii=False),
        "robots_directives": json.dumps(e.robots_directives, ensure_ascii=False),
        "published_at": e.published_at or None,
        "published_method": e.published_method or None,
        "updated_at": e.updated_at or None,
        "updated_method": e.updated_method or None,
        "body": e.body,
        "description": e.description,
        "language": e.language or None,
        "site_name": e.site_name,
        "section": e.section,
        "tags": json.dumps(e.tags, ensure_ascii=False),
        "top_image": e.top_image,
        "original_source": e.original_source,
        "is_paywalled": int(e.is_paywalled),
        "word_count": len(e.body.split()),
        "content_hash": record.content_hash,
        "http_status": record.http_status,
        "fetched_at": record.fetched_at,
        "extractor_version": extractor_version,
        **{column: (record.warc or {}).get(column) for column in WARC_COLUMNS},
    }


# Fields an extractor upgrade reads differently more often than publishers change them alone.
_READINGS = ("authors", "published_at", "updated_at")


def _across_upgrade(existing: dict, row: dict, extractor_version: str) -> dict:
    """The new state as the revision check should see it. Stored by an older extractor with the
    same body, a change in authors or dates alone is the upgrade's reading, not the publisher's
    revision: those fields are compared as stored. The row itself is updated in full."""
    same_body = existing.get("content_hash") == row.get("content_hash")
    if existing.get("extractor_version") == extractor_version or not same_body:
        return row
    return {**row, **{name: existing.get(name) for name in _READINGS}}


class ArchiveWriter:
    """The only writer of articles, pages, sources and crawl runs."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        extractor_version: str,
        story_config: StoryConfig | None = None,
    ) -> None:
        self.db = db
        self.extractor_version = extractor_version
        self.crash_points = CrashPoints.from_env()
        # Near-duplicate story clusters across all sources; rebuilt from stored signatures.
        self.stories = StoryIndex.load(db, story_config)
        # Boilerplate learned from each source's stored articles (pipelines/templates.py).
        self.templates = TemplateModel(db)

    def upsert_sources(self, sources: tuple[Source, ...], now: str) -> None:
        with immediate(self.db):
            for s in sources:
                row = {
                    "id": s.id,
                    "name": s.name or s.id,
                    "url": s.url,
                    "country": s.country,
                    "language": s.language,
                    "tags": json.dumps(list(s.tags)),
                    "relevance": s.relevance,
                    "last_config_at": now,
                }
                if self.db["sources"].count_where("id = ?", [s.id]):
                    self.db["sources"].update(s.id, row)
                else:
                    self.db["sources"].insert({**row, "first_seen_at": now})

    def source(self, source_id: str) -> Source:
        """A source as last configured (for offline work that has no sources file)."""
        row = self.db["sources"].get(source_id)
        return Source(
            id=row["id"], url=row["url"], name=row["name"] or "", country=row["country"] or "",
            language=row["language"] or "", tags=tuple(json.loads(row["tags"] or "[]")),
            relevance=row.get("relevance") or "keep",
        )  # fmt: skip

    def _find(self, article_id: str) -> dict | None:
        # Plain SQL: sqlite-utils' rows_where reads sqlite_master three times per call.
        cursor = self.db.execute("select * from articles where id = ?", [article_id])
        row = cursor.fetchone()
        return dict(zip((d[0] for d in cursor.description), row, strict=True)) if row else None

    def _same_body(self, record: ArticleRecord, same_source: bool) -> dict | None:
        if not record.extracted.body.strip():
            return None
        op = "=" if same_source else "!="
        rows = self.db.execute(
            f"select id, url from articles where content_hash = ? and source {op} ? "
            "order by first_seen_at, id limit 1",
            [record.content_hash, record.source],
        ).fetchall()
        return {"id": rows[0][0], "url": rows[0][1]} if rows else None

    def _link_urls(self, article_id: str, record: ArticleRecord, via: str) -> None:
        part_urls = {canonicalize(part.url) for part in record.parts}
        for url in record.seen_urls:
            kind = via
            if via == "fetched":
                kind = (
                    "fetched"
                    if url == record.url
                    else ("canonical" if url == record.canonical_url else "redirect")
                )
                if kind == "redirect" and url in part_urls:
                    kind = "part"
            self.db.execute(
                "insert into article_urls (url, article_id, source, via, first_seen_at, last_seen_at)"
                " values (?, ?, ?, ?, ?, ?) on conflict(url) do update set"
                " last_seen_at = excluded.last_seen_at",
                [url, article_id, record.source, kind, record.fetched_at, record.fetched_at],
            )

    def _write_comments(self, article_id: str, comments: list[str]) -> None:
        self.db.execute("delete from comments where article_id = ?", [article_id])
        for position, text in enumerate(comments):
            insert_row(
                self.db, "comments", {"article_id": article_id, "position": position, "text": text}
            )

    def store_article(
        self,
        record: ArticleRecord,
        signature: Signature | None = None,
        columns: Mapping[str, object] | None = None,
    ) -> StoreResult:
        """Store one article; ``columns`` (derived fields such as relevance) are written with
        its row when the row is inserted or updated."""
        with immediate(self.db):
            existing = self._find(record.id)
            # Another page already claimed this canonical URL. Only trust the claim if the
            # bodies agree; otherwise this page is an article of its own.
            if (
                existing is not None
                and identity_key(existing["url"]) != identity_key(record.url)
                and not bodies_agree(existing["body"] or "", record.extracted.body)
            ):
                record = fallback_record(record)
                existing = self._find(record.id)
            if existing is None:
                twin = self._same_body(record, same_source=True)
                if twin is not None:
                    self._link_urls(twin["id"], record, "duplicate-body")
                    return StoreResult(Outcome.DUPLICATE, twin["id"])
                decision = self.stories.decide(record, signature)
                if decision.action is StoryAction.SAME_ARTICLE and decision.matched_article_id:
                    # Same outlet, another URL, nearly the same text (a tracking or template
                    # variant the URL rules missed): one article, one more URL.
                    self._link_urls(decision.matched_article_id, record, "near-duplicate")
                    self.stories.commit(decision)
                    return StoreResult(Outcome.DUPLICATE, decision.matched_article_id)
                row = {**_article_row(record, self.extractor_version), **(columns or {})}
                other = self._same_body(record, same_source=False)
                row["duplicate_of"] = other["id"] if other else None
                row["first_seen_at"] = record.fetched_at
                row["story_id"] = decision.story_id
                insert_row(self.db, "articles", row)
                self.crash_points.maybe_crash("store")  # tests: die mid-transaction
                self._link_urls(record.id, record, "fetched")
                self._write_comments(record.id, record.extracted.comments)
                self.stories.commit(decision, row_story=decision.story_id)
                return StoreResult(Outcome.NEW, record.id)
            fetched_key = identity_key(record.url)
            if fetched_key != identity_key(existing["url"]) and fetched_key != identity_key(
                record.canonical_url
            ):
                # A variant (AMP, print, mirror) of a stored article: remember its URL, but keep
                # the content from the article's own page so templates do not flap as versions.
                self._link_urls(record.id, record, "variant")
                return StoreResult(Outcome.DUPLICATE, record.id)
            row = _article_row(record, self.extractor_version)
            changed = any(existing.get(f) != row.get(f) for f in CONTENT_FIELDS)
            self._link_urls(record.id, record, "fetched")
            if not changed:
                # Only a newer fetch moves fetched_at: re-extracting an old capture changes nothing
                # but the version of the extractor that now reads the row as it stands.
                self.db.execute(
                    "update articles set fetched_at = max(fetched_at, ?), extractor_version = ?"
                    " where id = ? and (fetched_at < ? or extractor_version is not ?)",
                    [record.fetched_at, self.extractor_version, record.id, record.fetched_at,
                     self.extractor_version],
                )  # fmt: skip
                return StoreResult(Outcome.UNCHANGED, record.id)
            row.pop("url")  # keep the URL the article was first stored under
            # The previous state is kept in article_versions when the change is a real revision
            # (not a touch: whitespace, punctuation, counters); the row always shows the latest.
            # The same capture extracted again (`broadsheet reprocess` after an extractor
            # upgrade) is no revision by the publisher, whatever the new extractor reads.
            capture = existing.get("warc_record_id")
            if capture and capture == row.get("warc_record_id"):
                change = "touch"
            else:
                judged = _across_upgrade(existing, row, self.extractor_version)
                change = record_version(self.db, record.id, existing, judged, record.fetched_at)
            update_row(self.db, "articles", ("id", record.id), {**row, **(columns or {})})
            self._write_comments(record.id, record.extracted.comments)
            self.stories.assign(record, signature, row_story=existing.get("story_id"))
            return StoreResult(
                Outcome.UPDATED if change == "version" else Outcome.TOUCHED, record.id
            )

    def ingest(
        self,
        page: FetchedPage,
        extracted: Extracted,
        source: Source,
        derived: Derived | None = None,
    ) -> StoreResult | None:
        """Store one extracted page: the one path shared by crawls, reprocessing, WARC import and
        the distributed writer. ``derived`` (facts, relevance, signature) is computed here when
        not given. Returns None for a page that is not an article (only remembered in ``pages``).
        """
        etag, modified = page.headers.get("etag", ""), page.headers.get("last-modified", "")
        if extracted.kind is not PageKind.ARTICLE:
            self.record_page(
                page.url, page.source_id, extracted.kind.value, extracted.kind_reason,
                page.status, None, page.fetched_at, etag, modified,
            )  # fmt: skip
            return None
        if not page.parts:
            known = self._later_page_of(page.url)
            if known is not None:
                # a later page of a stored multi-page article, reached alone (a listing or a
                # sitemap linking page 2; another worker of a distributed crawl): its text is
                # in that article already, so it is no article of its own
                article_id, reason = known
                self.record_page(
                    page.url, page.source_id, extracted.kind.value, reason, page.status,
                    article_id, page.fetched_at, etag, modified,
                )  # fmt: skip
                return StoreResult(Outcome.DUPLICATE, article_id)
        derived = derived or derive(extracted, source, self.stories.config)
        if derived.decision == "drop":
            reason = f"off-topic (relevance {derived.relevance.score:.2f}), source policy drop"
            self.record_page(
                page.url, page.source_id, "dropped", reason, page.status, None, page.fetched_at,
                etag, modified,
            )  # fmt: skip
            return StoreResult(Outcome.DROPPED, "")
        # Site-template learning: the stored body is the extracted one without the blocks that
        # recur across the source's articles; the counts are taken on the extracted body.
        extracted_body = extracted.body
        cleaned, removed = self.templates.clean(page.source_id, extracted_body)
        if removed:
            extracted = dataclasses.replace(extracted, body=cleaned)
        # The workers hashed the body they saw; a body cleaned here is hashed again.
        body_hash = "" if removed else derived.body_hash
        record = build_record(page, extracted, source.url, body_hash)
        with immediate(self.db):  # the article and its block counts in one transaction
            if self._fewer_parts(record, page):
                result = StoreResult(Outcome.UNCHANGED, record.id)
            else:
                result = self.store_article(record, derived.signature, relevance_columns(derived))
            evaluate = result.outcome in _OBSERVED and self.templates.observe(
                page.source_id, result.article_id, extracted_body, page.fetched_at
            )
        if evaluate and self.templates.evaluate(page.source_id):
            self.templates.reclean(page.source_id)
        if result.outcome in (Outcome.NEW, Outcome.UPDATED, Outcome.TOUCHED):
            store_derived(self.db, result.article_id, derived)
        self.record_page(
            page.url, page.source_id, extracted.kind.value, extracted.kind_reason,
            page.status, result.article_id, page.fetched_at, etag, modified,
        )  # fmt: skip
        for hop in page.redirect_urls:
            # The old URL of a moved article: known, so later runs need not follow it again.
            self.record_page(
                hop, page.source_id, extracted.kind.value, f"redirects to {page.url}",
                301, result.article_id, page.fetched_at,
            )  # fmt: skip
        self._adopt_redirects(result.article_id, page)
        self._record_parts(result, page)
        return result

    def _later_page_of(self, url: str) -> tuple[str, str] | None:
        """(article id, "page N of <url>") when ``url`` is recorded as a later page of a stored
        article (``_record_parts``); None otherwise."""
        row = self.db.execute(
            "select article_id, kind_reason from pages where identity = ? and article_id is not"
            " null and kind_reason like ? limit 1",
            [identity_key(url), _part_reason("%", "%")],
        ).fetchone()
        return (row[0], row[1]) if row else None

    def _fewer_parts(self, record: ArticleRecord, page: FetchedPage) -> bool:
        """A multi-page article whose later page could not be fetched this time: the stored
        reading, with every page, stands (a failed fetch is no revision by the publisher)."""
        if not page.hints.get(PARTS_CUT):
            return False
        row = self.db.execute(
            "select count(*) from article_parts where article_id = ?", [record.id]
        ).fetchone()
        return row[0] > len(page.parts)

    def _record_parts(self, result: StoreResult, page: FetchedPage) -> None:
        """The later pages of a multi-page article: known to later runs as pages of it, and,
        when this fetch is the article's stored reading, where each was captured."""
        if result.outcome in (Outcome.NEW, Outcome.UPDATED, Outcome.TOUCHED):
            with immediate(self.db):
                self.db.execute(
                    "delete from article_parts where article_id = ?", [result.article_id]
                )
                for number, part in enumerate(page.parts, start=2):
                    warc = part.warc or {}
                    self.db["article_parts"].insert(
                        {"article_id": result.article_id, "part": number, "url": part.url,
                         "fetched_at": part.fetched_at, "warc_file": warc.get("warc_file"),
                         "warc_offset": warc.get("warc_offset"),
                         "warc_length": warc.get("warc_length"),
                         "warc_record_id": warc.get("warc_record_id")}
                    )  # fmt: skip
        for number, part in enumerate(page.parts, start=2):
            self.record_page(
                part.url, page.source_id, PageKind.ARTICLE.value, _part_reason(number, page.url),
                part.status, result.article_id, part.fetched_at,
                part.headers.get("etag", ""), part.headers.get("last-modified", ""),
            )  # fmt: skip

    def record_fetch(self, fetch: FetchRecord) -> None:
        """Remember a fetch that produced no page: a document, a 304, a redirect, a 404."""
        reason = f"{REDIRECT_REASON}{fetch.target}" if fetch.target else ""
        self.record_page(
            fetch.url, fetch.source_id, fetch.kind, reason, fetch.status, None, fetch.fetched_at,
            fetch.etag, fetch.last_modified,
        )  # fmt: skip
        if fetch.target:
            target = self.db.execute(
                "select article_id from pages where identity = ? and article_id is not null"
                " limit 1",
                [identity_key(fetch.target)],
            ).fetchone()
            if target:
                self._link_alias(fetch.url, target[0], fetch.source_id, fetch.fetched_at)

    def _adopt_redirects(self, article_id: str, page: FetchedPage) -> None:
        """Old URLs whose redirect was recorded before their target was stored."""
        reasons = [f"{REDIRECT_REASON}{canonicalize(u)}" for u in (page.url, *page.redirect_urls)]
        marks = ",".join("?" * len(reasons))
        rows = self.db.execute(
            f"select url from pages where kind = 'redirect' and article_id is null"
            f" and kind_reason in ({marks})",
            reasons,
        ).fetchall()
        for (url,) in rows:
            self._link_alias(url, article_id, page.source_id, page.fetched_at)

    def _link_alias(self, url: str, article_id: str, source: str, at: str) -> None:
        with immediate(self.db):
            self.db.execute(
                "insert into article_urls (url, article_id, source, via, first_seen_at, last_seen_at)"
                " values (?, ?, ?, 'redirect', ?, ?) on conflict(url) do update set"
                " last_seen_at = excluded.last_seen_at",
                [url, article_id, source, at, at],
            )
            self.db.execute("update pages set article_id = ? where url = ?", [article_id, url])

    def record_page(
        self,
        url: str,
        source: str,
        kind: str,
        reason: str,
        status: int,
        article_id: str | None,
        now: str,
        etag: str = "",
        last_modified: str = "",
    ) -> None:
        """Remember one fetch. A 304 keeps the earlier verdict and validators."""
        with immediate(self.db):
            if status == 304 and self.db["pages"].count_where("url = ?", [url]):
                self.db.execute(
                    "update pages set last_fetched_at = ?, fetch_count = fetch_count + 1"
                    " where url = ?",
                    [now, url],
                )
                return
            self.db.execute(
                "insert into pages (url, identity, source, kind, kind_reason, http_status,"
                " article_id, first_fetched_at, last_fetched_at, fetch_count, etag, last_modified)"
                " values (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?) on conflict(url) do update set"
                " kind = excluded.kind, kind_reason = excluded.kind_reason,"
                " http_status = excluded.http_status, article_id = excluded.article_id,"
                " last_fetched_at = excluded.last_fetched_at, fetch_count = fetch_count + 1,"
                " etag = excluded.etag, last_modified = excluded.last_modified",
                [url, identity_key(url), source, kind, reason, status, article_id, now, now,
                 etag or None, last_modified or None],
            )  # fmt: skip

    def start_run(self, run_id: str, sources: tuple[Source, ...], now: str) -> None:
        """Open this run's rows. Call it holding the crawl lock: any row still ``running`` then
        belongs to a process that died, and is closed as ``aborted``."""
        with immediate(self.db):
            self.db.execute(
                "update crawl_runs set status = 'aborted', finish_reason ="
                " 'the process ended before the run finished (killed or crashed)'"
                " where status = 'running'"
            )
            for s in sources:
                self.db["crawl_runs"].insert(
                    {"run_id": run_id, "source": s.id, "started_at": now, "status": "running"}
                )

    def finish_run(
        self, run_id: str, source: str, counts: dict[str, int], status: str, reason: str, now: str
    ) -> None:
        columns = {
            "pages_fetched": "pages_fetched", "articles_new": "new",
            "articles_updated": "updated", "articles_unchanged": "unchanged",
            "articles_duplicate": "duplicate", "pages_not_article": "not_article",
            "articles_dropped": "dropped",
            "errors": "errors", "blocked": "blocked", "not_modified": "not_modified",
            "known_skipped": "known_skipped", "pages_not_found": "not_found",
        }  # fmt: skip
        values = {column: counts.get(key, 0) for column, key in columns.items()}
        values["articles_updated"] += counts.get("touched", 0)  # a touch updates the row too
        assignments = ", ".join(f"{column} = :{column}" for column in values)
        with immediate(self.db):
            self.db.execute(
                f"update crawl_runs set finished_at = :now, status = :status,"
                f" finish_reason = :reason, {assignments} where run_id = :run and source = :source",
                {**values, "now": now, "status": status, "reason": reason, "run": run_id,
                 "source": source},
            )  # fmt: skip
