"""pipelines.frontier: what earlier runs know, and when their validators may be trusted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from archive.schema import open_archive
from pipelines.frontier import CrawlMemory, conditional_headers, newest_first, recency_bonus
from pipelines.models import FetchRecord, Source
from pipelines.store import ArchiveWriter

SOURCE = Source(id="s", url="http://127.0.0.1:9/")
SITEMAP = "http://127.0.0.1:9/sitemap.xml"
FEED = "http://127.0.0.1:9/feed.xml"


def record(writer: ArchiveWriter, url: str, at: str) -> None:
    writer.record_fetch(FetchRecord(url, "s", "sitemap", 200, at, etag='"v1"', last_modified=""))


def test_validators_of_a_completed_run_are_used_those_of_a_killed_run_are_not(tmp_path):
    path = tmp_path / "a.db"
    writer = ArchiveWriter(open_archive(path), "test")
    writer.upsert_sources((SOURCE,), "2026-01-01T00:00:00+00:00")
    writer.start_run("r1", (SOURCE,), "2026-01-01T00:00:00+00:00")
    record(writer, SITEMAP, "2026-01-01T00:00:05+00:00")
    writer.finish_run("r1", "s", {}, "ok", "", "2026-01-01T00:01:00+00:00")
    # a second run is killed after reading the feed: its rows stay "running", then "aborted"
    writer.start_run("r2", (SOURCE,), "2026-01-02T00:00:00+00:00")
    record(writer, FEED, "2026-01-02T00:00:05+00:00")
    writer.start_run("r3", (SOURCE,), "2026-01-03T00:00:00+00:00")
    writer.db.close()

    memory = CrawlMemory(path)
    try:
        sitemap, feed = memory.lookup(SITEMAP), memory.lookup(FEED)
    finally:
        memory.close()
    assert sitemap is not None and conditional_headers(sitemap) == {"If-None-Match": '"v1"'}
    # known (so not counted as news), but asked for in full: its entries may never have been read
    assert feed is not None and feed.kind == "sitemap"
    assert conditional_headers(feed) == {}


def test_a_run_cut_short_or_killed_makes_the_next_one_walk_its_listings_again(tmp_path):
    path = tmp_path / "a.db"
    writer = ArchiveWriter(open_archive(path), "test")
    writer.upsert_sources((SOURCE, Source(id="t", url="http://127.0.0.1:8/")), "2026-01-01")
    both = (SOURCE, Source(id="t", url="http://127.0.0.1:8/"))
    writer.start_run("r1", both, "2026-01-01T00:00:00+00:00")
    writer.finish_run("r1", "s", {}, "ok", "finished", "2026-01-01T00:01:00+00:00")
    reason = "request budget reached: 40 links left for later"
    writer.finish_run("r1", "t", {}, "ok", reason, "2026-01-01T00:01:00+00:00")
    writer.db.close()
    memory = CrawlMemory(path)
    try:
        later = "2026-01-02T00:00:00+00:00"
        assert not memory.walk_unfinished("s", later)  # a whole walk: known listings pruned
        assert memory.walk_unfinished("t", later)  # cut short by its budget
        assert not memory.walk_unfinished("u", later)  # never crawled
        assert not memory.walk_unfinished("t", "2026-01-01T00:00:00+00:00")  # only earlier runs
    finally:
        memory.close()
    writer = ArchiveWriter(open_archive(path), "test")
    writer.start_run("r2", both, "2026-01-02T00:00:00+00:00")  # then killed: stays "running"
    writer.db.close()
    memory = CrawlMemory(path)
    try:
        assert memory.walk_unfinished("s", "2026-01-03T00:00:00+00:00")
    finally:
        memory.close()


_WHEN = st.one_of(
    st.none(),
    st.datetimes(timezones=st.just(UTC), min_value=datetime(2000, 1, 1)),  # noqa: DTZ001 - hypothesis wants a naive bound
)


@given(st.lists(_WHEN, max_size=30))
def test_newest_first_orders_the_dated_and_keeps_the_undated_last_in_their_order(
    whens: list[datetime | None],
) -> None:
    items = list(enumerate(whens))
    ordered = [item for _, item in newest_first([(item[1], item) for item in items])]
    assert sorted(ordered) == items  # nothing lost, nothing twice
    dated = [when for _, when in ordered if when is not None]
    assert dated == sorted(dated, reverse=True)
    undated = [item for item in ordered if item[1] is None]
    assert ordered[len(dated) :] == undated == [item for item in items if item[1] is None]


def test_recency_bonus_steps_down_with_age() -> None:
    now = datetime(2026, 11, 28, tzinfo=UTC)
    ages = [timedelta(days=d) for d in (0, 7, 8, 31, 32, 365, 366, 1096, 1097)]
    assert [recency_bonus(now - age, now) for age in ages] == [4, 4, 3, 3, 2, 2, 1, 1, 0]
    assert recency_bonus(None, now) == 0
