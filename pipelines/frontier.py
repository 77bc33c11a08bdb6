"""What earlier runs already fetched, and when a known page is due again.

This is the crawler's memory across runs, read from the archive (``pages``), never held whole in
memory: each lookup is one indexed query, so a million known URLs cost nothing until asked for.

Re-check policy for articles: an article is fetched again when it crosses one of
``RECHECK_AFTER`` (1, 3, 7 and 30 days after publication, or after first being seen when the
page gave no date) since its last fetch; after the last step it is never fetched again unless
a re-crawl is forced, or a sitemap's ``lastmod`` (a feed's ``updated``) says it changed after
our last fetch. Pages that were gone (404/410), refused by robots.txt, or not articles are asked again after
``RETRY_AFTER``. Listings, feeds and sitemaps are always asked again, but conditionally
(``If-None-Match`` / ``If-Modified-Since``), so an unchanged one costs a 304 and no parsing.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from .urls import identity_key

T = TypeVar("T")

RECHECK_AFTER: tuple[timedelta, ...] = (
    timedelta(days=1),
    timedelta(days=3),
    timedelta(days=7),
    timedelta(days=30),
)


@dataclass(frozen=True, slots=True)
class Known:
    """A page an earlier run fetched."""

    url: str
    kind: str
    last_fetched_at: str
    etag: str
    last_modified: str
    article_id: str | None
    published_at: str | None
    first_seen_at: str | None
    # the capture the stored article was read from: an unchanged re-check is then written to
    # the WARC files as a revisit of it (crawler/warc.py)
    warc_file: str | None = None
    warc_offset: int | None = None
    warc_payload_digest: str | None = None


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# Age limits of the recency bonus: a week, a month, a year, three years.
RECENCY_STEPS = (timedelta(days=7), timedelta(days=31), timedelta(days=365), timedelta(days=1096))


def recency_bonus(when: datetime | None, now: datetime) -> int:
    """0-4 priority points for a sitemap or feed entry: the newer, the sooner it is fetched
    (undated: 0)."""
    if when is None:
        return 0
    age = now - when
    return sum(1 for step in RECENCY_STEPS if age <= step)


def newest_first(
    dated: list[tuple[datetime | None, T]],
) -> list[tuple[datetime | None, T]]:
    """The (date, item) pairs, newest first (equal dates in their own order); the undated
    after them."""
    stamped = [pair for pair in dated if pair[0] is not None]
    stamped.sort(key=lambda pair: pair[0], reverse=True)  # a stable sort, reversed or not
    return stamped + [pair for pair in dated if pair[0] is None]


def recheck_due(known: Known, now: datetime, steps: tuple[timedelta, ...] = RECHECK_AFTER) -> bool:
    """Whether a known article crossed a re-check step since its last fetch."""
    anchor = parse_time(known.published_at) or parse_time(known.first_seen_at)
    last = parse_time(known.last_fetched_at)
    if anchor is None or last is None:
        return False
    return any(last < anchor + step <= now for step in steps)


RETRY_AFTER = timedelta(days=30)


def retry_due(known: Known, now: datetime, after: timedelta = RETRY_AFTER) -> bool:
    """Pages that were gone, refused by robots.txt, or not articles are asked again rarely."""
    last = parse_time(known.last_fetched_at)
    return last is None or now - last >= after


def modified_since(known: Known, lastmod: str | None) -> bool:
    """Whether a sitemap ``lastmod`` or feed ``updated`` date is newer than our last fetch."""
    changed, last = parse_time(lastmod), parse_time(known.last_fetched_at)
    return changed is not None and last is not None and changed > last


class CrawlMemory:
    """Read-only view of the archive's ``pages`` table for the spider."""

    def __init__(self, db_path: str | Path) -> None:
        self.db_path = Path(db_path)
        self._conn: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection | None:
        if self._conn is None and self.db_path.is_file():
            self._conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)
        return self._conn

    def lookup(self, url: str) -> Known | None:
        """What earlier runs know of the URL's page. Its validators (ETag, Last-Modified) count
        only if the fetch belongs to a run that completed: a sitemap, feed or listing fetched by
        a run that was killed may still list pages that run never reached, and a 304 would hide
        them from every later run."""
        conn = self._connection()
        if conn is None:
            return None
        try:
            row = conn.execute(
                "select p.url, p.kind, p.last_fetched_at,"
                " case when completed then coalesce(p.etag, '') else '' end,"
                " case when completed then coalesce(p.last_modified, '') else '' end,"
                " p.article_id, a.published_at, a.first_seen_at,"
                " a.warc_file, a.warc_offset, a.warc_payload_digest from ("
                "  select *, exists (select 1 from crawl_runs r where r.source = pages.source"
                "   and r.status = 'ok' and r.started_at <= pages.last_fetched_at"
                "   and r.finished_at >= pages.last_fetched_at) as completed"
                "  from pages where identity = ?"
                " ) p left join articles a on a.id = p.article_id"
                " order by p.kind = 'article' desc, p.last_fetched_at desc limit 1",
                [identity_key(url)],
            ).fetchone()
        except sqlite3.OperationalError:
            return None  # an archive from before the incremental migration: nothing is known
        return Known(*row) if row else None

    def walk_unfinished(self, source: str, before: str) -> bool:
        """Whether the source's last run before ``before`` (ISO time) stopped short of its site:
        killed, failed, or cut short by a budget. Its listings' links may then not all have
        been read, and the next run walks the known listings again instead of pruning them."""
        conn = self._connection()
        if conn is None:
            return False
        try:
            row = conn.execute(
                "select status, coalesce(finish_reason, '') from crawl_runs"
                " where source = ? and started_at < ? order by started_at desc, id desc limit 1",
                [source, before],
            ).fetchone()
        except sqlite3.OperationalError:
            return False
        return row is not None and (row[0] != "ok" or "budget reached" in row[1])

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def conditional_headers(known: Known | None) -> dict[str, str]:
    if known is None:
        return {}
    headers = {}
    if known.etag:
        headers["If-None-Match"] = known.etag
    if known.last_modified:
        headers["If-Modified-Since"] = known.last_modified
    return headers
