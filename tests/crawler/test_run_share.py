"""The counts and claims a run's crawl processes share: in memory on their own, in a real
redis-server for the workers of a distributed run."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import redis
from hypothesis import given
from hypothesis import strategies as st
from scrapy.settings import Settings

from crawler.run_share import (
    KEY_TTL_SECONDS,
    LocalTally,
    RedisClaims,
    RedisTally,
    claims,
    run_key,
    tally,
)


@given(st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 10**9))))
def test_local_tally_totals_what_was_added(adds: list[tuple[str, int]]) -> None:
    counts = LocalTally()
    for source, amount in adds:
        counts.add(source, amount)
    for source in "abc":
        assert counts.total(source) == sum(n for s, n in adds if s == source)


def test_a_crawl_on_its_own_shares_nothing() -> None:
    assert isinstance(tally(Settings(), "requests_made"), LocalTally)
    assert claims(Settings()) is None


def test_workers_add_to_one_total_per_source(redis_url: str) -> None:
    settings = Settings({"BROADSHEET_REDIS_RUN": "r1", "REDIS_URL": redis_url})
    first, second = tally(settings, "requests_made"), tally(settings, "requests_made")
    assert isinstance(first, RedisTally)
    assert first.add("a") == 1 and second.add("a") == 2 and second.add("b", 5) == 5
    assert first.total("a") == 2 and first.total("b") == 5 and first.total("c") == 0
    other_run = tally(Settings({"BROADSHEET_REDIS_RUN": "r2", "REDIS_URL": redis_url}), "x")
    assert other_run.total("a") == 0
    client = redis.Redis.from_url(redis_url)
    assert 0 < client.ttl(run_key("r1", "requests_made")) <= KEY_TTL_SECONDS


def test_the_last_unit_of_a_shared_budget_goes_to_one_worker(redis_url: str) -> None:
    """Eight threads, each a worker with its own connection, take 50 units each of a budget of
    100: exactly 100 takes stay within it, whoever made them."""
    settings = Settings({"BROADSHEET_REDIS_RUN": "race", "REDIS_URL": redis_url})

    def worker(_: int) -> int:
        counts = tally(settings, "requests_made")
        return sum(counts.add("a") <= 100 for _ in range(50))

    with ThreadPoolExecutor(8) as pool:
        assert sum(pool.map(worker, range(8))) == 100


def test_a_page_is_claimed_once_in_a_run(redis_url: str) -> None:
    settings = Settings({"BROADSHEET_REDIS_RUN": "r1", "REDIS_URL": redis_url})
    first, second = claims(settings), claims(settings)
    assert isinstance(first, RedisClaims) and isinstance(second, RedisClaims)
    assert first.claim(b"key-1") and not second.claim(b"key-1") and not first.claim(b"key-1")
    assert second.claim(b"key-2")
    assert claims(Settings({"BROADSHEET_REDIS_RUN": "r2", "REDIS_URL": redis_url})).claim(b"key-1")
