"""Source health: is each source still delivering, at its usual rate, without errors or blocks?

One SQL view, ``source_health``, holds the figures, so ``broadsheet status`` and Datasette show
exactly the same thing. ``judge`` turns a row into flags an operator can act on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlite_utils

# Usual rate: new articles per day over the last USUAL_DAYS; recent rate over RECENT_DAYS.
RECENT_DAYS = 7
USUAL_DAYS = 90
# A source is silent when it has shown nothing new for this many of its usual intervals
# between articles (and at least SILENT_MIN_DAYS).
SILENT_INTERVALS = 3.0
SILENT_MIN_DAYS = 2.0
ERROR_RATE_ALERT = 0.2
BLOCKED_RATE_ALERT = 0.05

_SINCE = "strftime('%Y-%m-%dT%H:%M:%S', 'now', '-{days} days')"

VIEW_SQL = f"""
create view source_health as
with known as (
  select id as source from sources union select source from crawl_runs
),
runs as (
  select source,
    max(case when status = 'ok' then finished_at end) as last_ok_run,
    max(started_at) as last_run,
    sum(case when started_at >= {_SINCE.format(days=USUAL_DAYS)} then pages_fetched end)
      as pages_fetched,
    sum(case when started_at >= {_SINCE.format(days=USUAL_DAYS)} then errors end) as errors,
    sum(case when started_at >= {_SINCE.format(days=USUAL_DAYS)} then blocked end) as blocked
  from crawl_runs group by source
),
last as (
  select source, status as last_status, finish_reason as last_reason from (
    select source, status, finish_reason,
      row_number() over (partition by source order by started_at desc, id desc) as n
    from crawl_runs
  ) where n = 1
),
arts as (
  select source,
    max(first_seen_at) as last_new_article,
    count(*) as articles,
    sum(first_seen_at >= {_SINCE.format(days=RECENT_DAYS)}) as recent_articles,
    sum(first_seen_at >= {_SINCE.format(days=USUAL_DAYS)}) as usual_articles
  from articles group by source
),
docs as (
  select source, group_concat(url, ' ') as dead_documents
  from pages
  where kind in ('feed', 'sitemap') and http_status not in (200, 304)
  group by source
)
select known.source, s.name,
  runs.last_run, last.last_status, last.last_reason, runs.last_ok_run,
  arts.last_new_article,
  coalesce(arts.articles, 0) as articles,
  round(coalesce(arts.recent_articles, 0) * 1.0 / {RECENT_DAYS}, 2) as per_day_recent,
  round(coalesce(arts.usual_articles, 0) * 1.0 / {USUAL_DAYS}, 2) as per_day_usual,
  round(coalesce(runs.errors, 0) * 1.0
    / max(coalesce(runs.pages_fetched, 0) + coalesce(runs.errors, 0), 1), 3) as error_rate,
  round(coalesce(runs.blocked, 0) * 1.0
    / max(coalesce(runs.pages_fetched, 0) + coalesce(runs.errors, 0), 1), 3) as blocked_rate,
  docs.dead_documents
from known
left join sources s on s.id = known.source
left join runs on runs.source = known.source
left join last on last.source = known.source
left join arts on arts.source = known.source
left join docs on docs.source = known.source
order by known.source
"""


@dataclass(frozen=True, slots=True)
class SourceHealth:
    source: str
    name: str | None
    last_run: str | None
    last_status: str | None
    last_reason: str | None
    last_ok_run: str | None
    last_new_article: str | None
    articles: int
    per_day_recent: float
    per_day_usual: float
    error_rate: float
    blocked_rate: float
    dead_documents: str | None

    def flags(self, now: datetime | None = None) -> list[str]:
        """What an operator should look at, worst first; empty when the source is healthy."""
        now = now or datetime.now(UTC)
        flags: list[str] = []
        if self.last_run is None:
            return ["never crawled"]
        if self.last_status == "failed":
            flags.append(f"last run failed: {self.last_reason or 'see crawl_runs'}")
        if self.last_ok_run is None:
            flags.append("no successful run")
        if self.blocked_rate >= BLOCKED_RATE_ALERT:
            flags.append(f"blocked {self.blocked_rate:.0%} of requests (403/429)")
        if self.error_rate >= ERROR_RATE_ALERT:
            flags.append(f"errors on {self.error_rate:.0%} of requests")
        if self.dead_documents:
            flags.append(f"dead feeds/sitemaps: {self.dead_documents}")
        if self.is_silent(now):
            flags.append(f"silent: no new article since {self.last_new_article or 'ever'}")
        return flags

    def is_silent(self, now: datetime) -> bool:
        if self.per_day_usual <= 0:
            return self.articles == 0
        if not self.last_new_article:
            return True
        last = datetime.fromisoformat(self.last_new_article)
        last = last if last.tzinfo else last.replace(tzinfo=UTC)
        quiet_days = (now - last).total_seconds() / 86400
        return quiet_days > max(SILENT_MIN_DAYS, SILENT_INTERVALS / self.per_day_usual)


def source_health(db: sqlite_utils.Database) -> list[SourceHealth]:
    rows = db.execute("select * from source_health").fetchall()
    return [SourceHealth(*row) for row in rows]
