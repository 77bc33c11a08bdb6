"""The seen-URL filters: local (a set) and distributed (a Redis set shared by every worker), both
keyed on article identity, with discovery documents keyed per source and robots.txt per worker."""

from __future__ import annotations

from types import SimpleNamespace

from scrapy import Request
from scrapy.utils.request import request_from_dict
from scrapy_redis import picklecompat

from crawler.distributed import KEY_TTL_SECONDS, RedisIdentityDupeFilter
from crawler.dupefilter import IdentityDupeFilter, request_key


class FakeRedis:
    """The two set commands the filter uses, and expire."""

    def __init__(self) -> None:
        self.sets: dict[str, set[str]] = {}
        self.ttl: dict[str, int] = {}

    def sadd(self, key: str, member: str) -> int:
        members = self.sets.setdefault(key, set())
        added = member not in members
        members.add(member)
        return int(added)

    def expire(self, key: str, seconds: int) -> None:
        self.ttl[key] = seconds

    def delete(self, *keys: str) -> None:  # pragma: no cover - must never be called
        raise AssertionError("the shared filter was deleted")


def robots(worker: str, source: str = "a") -> Request:
    return Request(
        "http://h.test/robots.txt", meta={"role": "robots", "worker": worker, "source": source}
    )


def test_robots_txt_is_keyed_per_worker_and_source():
    seen = IdentityDupeFilter()
    assert not seen.request_seen(robots("w1"))
    assert seen.request_seen(robots("w1"))
    assert not seen.request_seen(robots("w2"))  # another worker reads it too
    assert not seen.request_seen(robots("w1", source="b"))  # another source on the host


def test_pages_are_keyed_on_identity_whoever_found_them():
    seen = IdentityDupeFilter()
    assert not seen.request_seen(Request("http://h.test/a", meta={"worker": "w1"}))
    assert seen.request_seen(Request("https://www.h.test/a/?utm_source=x", meta={"worker": "w2"}))


def test_the_shared_filter_keys_like_the_local_one():
    server = FakeRedis()
    shared = [RedisIdentityDupeFilter(server, "broadsheet:run:r:seen") for _ in range(2)]
    first, second = shared
    assert not first.request_seen(Request("http://h.test/a?utm_medium=y"))
    assert second.request_seen(Request("http://h.test/a"))  # the other worker's find
    assert not first.request_seen(robots("w1"))
    assert not second.request_seen(robots("w2"))
    assert second.request_seen(robots("w2"))
    assert server.sets["broadsheet:run:r:seen"] == {
        request_key(Request("http://h.test/a")).hex(),
        request_key(robots("w1")).hex(),
        request_key(robots("w2")).hex(),
    }


def test_a_stopping_worker_keeps_the_shared_filter():
    server = FakeRedis()
    RedisIdentityDupeFilter(server, "broadsheet:run:r:seen").close("finished")
    assert server.ttl == {"broadsheet:run:r:seen": KEY_TTL_SECONDS}


def test_meta_survives_the_shared_frontier():
    """What scrapy-redis stores in Redis (a pickled request dict) gives back the same request:
    source, role and worker, and so the same key on the other side."""
    spider = SimpleNamespace(name="news")
    request = Request(
        "http://h.test/private/x",
        priority=10,
        meta={"source": "a", "role": "page", "worker": "w1", "via": "link", "depth": 1},
    )
    back = request_from_dict(
        picklecompat.loads(picklecompat.dumps(request.to_dict(spider=spider))), spider=spider
    )
    assert back.url == request.url
    assert back.meta == request.meta
    assert back.priority == request.priority
    assert request_key(back) == request_key(request)
