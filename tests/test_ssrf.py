"""The SSRF guard (crawler/ssrf.py): the address policy, the middleware, the resolver, and real
crawls with the guard on.

Nothing here connects anywhere but 127.0.0.1: refused addresses such as 10.0.0.1 are only ever
handed to the policy or to the middleware directly, which refuse them before any download; the
real crawls only point at loopback, which the guard must refuse before connecting.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scrapy import Request
from scrapy.resolver import dnscache
from scrapy.settings import Settings

from crawler.ssrf import (
    REFUSED_NETWORKS,
    AddressPolicy,
    GuardedResolver,
    RefusedAddress,
    RefusedResolution,
    SSRFGuardMiddleware,
    parse_ip,
    proxy_urls,
    refusal_reason,
)
from tests.hostile import content
from tests.loopback import LoopbackSite, QuietHandler, reply

GUARD = AddressPolicy.create()
OPEN = AddressPolicy.create(allow_private=True)


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment's proxies are trusted origins (``proxy_urls``): none unless a test sets
    one, whatever the machine running the tests has."""
    for name in [k for k in os.environ if k.lower().endswith("_proxy")]:
        monkeypatch.delenv(name)


# --- the address policy -------------------------------------------------------------------------

REFUSED_URLS = [
    ("http://127.0.0.1/", "loopback"),
    ("http://127.0.0.1./", "loopback"),
    ("http://localhost./", None),  # a name: decided after DNS, not here
    ("http://2130706433/", "loopback"),  # decimal
    ("http://0x7f000001/", "loopback"),  # hex
    ("http://0177.0.0.1/", "loopback"),  # octal
    ("http://0x7f.1/", "loopback"),
    ("http://127.1/", "loopback"),
    ("http://017700000001/", "loopback"),
    ("http://１２７．０．０．１/", "loopback"),  # fullwidth, folded by IDNA
    ("http://[::1]/", "loopback"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),
    ("http://[0:0:0:0:0:ffff:7f00:1]/", "loopback"),
    ("http://[::ffff:10.0.0.5]:8080/", "private"),
    ("http://[64:ff9b::a00:5]/", "private"),  # NAT64 of 10.0.0.5
    ("http://[2002:a00:5::1]/", "private"),  # 6to4 of 10.0.0.5
    ("http://10.0.0.5/admin", "private"),
    ("http://172.16.3.4/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://[fd12:3456::1]/", "private"),
    ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
    ("http://[fd00:ec2::254]/", "cloud metadata"),
    ("http://169.254.1.2/", "link-local"),
    ("http://[fe80::1%25eth0]/", "link-local"),
    ("http://100.64.0.1/", "carrier-grade NAT"),
    ("http://224.0.0.251/", "multicast"),
    ("http://[ff02::1]/", "multicast"),
    ("http://240.0.0.1/", "reserved"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://0/", "unspecified"),
    ("http://[::]/", "unspecified"),
    ("file:///etc/passwd", "non-HTTP scheme"),
    ("ftp://example.com/", "non-HTTP scheme"),
    ("http:///nohost", "no host"),
]


@pytest.mark.parametrize(("url", "reason"), REFUSED_URLS)
def test_literal_forms_are_refused_without_dns(url: str, reason: str | None) -> None:
    refusal = GUARD.check_url(url)
    assert (refusal.reason if refusal else None) == reason


@pytest.mark.parametrize(
    "url",
    ["http://8.8.8.8/", "https://1.1.1.1/x", "http://[2606:4700:4700::1111]/",
     "https://example.com/news", "http://93.184.215.14:8080/", "http://[::ffff:8.8.8.8]/"],
)  # fmt: skip
def test_public_addresses_and_names_pass(url: str) -> None:
    assert GUARD.check_url(url) is None


def test_allow_private_networks_switches_address_checks_off_but_not_the_scheme_check() -> None:
    assert OPEN.check_url("http://127.0.0.1:8000/") is None
    assert OPEN.check_address("10.0.0.5") is None
    assert OPEN.check_url("file:///etc/passwd") is not None


def test_pinned_host_is_trusted_for_that_name_only() -> None:
    policy = AddressPolicy.create(pinned={"Allowed.Test": "127.0.0.1"})
    assert policy.pinned_address("allowed.test") == "127.0.0.1"
    assert policy.pinned_address("allowed.test.") == "127.0.0.1"
    assert policy.check_url("http://allowed.test:8080/") is None
    assert policy.check_url("http://127.0.0.1:8080/secret") is not None
    assert policy.check_url("http://other.test/") is None  # decided after DNS
    with pytest.raises(ValueError, match="not an IP"):
        AddressPolicy.create(pinned={"x.test": "not-an-ip"})


def test_the_sources_files_own_origins_are_trusted_and_nothing_else() -> None:
    policy = AddressPolicy.create(trusted=["http://127.0.0.1:8765/", "http://Mirror.Test/feed"])
    assert policy.check_url("http://127.0.0.1:8765/news/story") is None
    assert policy.check_url("http://127.0.0.1:6379/") is not None  # another port
    assert policy.check_url("http://2130706433:8765/") is not None  # another spelling
    assert policy.check_url("https://127.0.0.1/") is not None
    assert policy.trusts("http://mirror.test:80/x") and policy.trusts("http://mirror.test./x")
    assert policy.trusts_name("mirror.test") and not policy.trusts_name("other.test")
    assert not policy.trusts("https://mirror.test/x")  # port 443
    assert AddressPolicy.create().trusted == frozenset()


def test_policy_reads_the_trusted_origins_from_the_sources_file(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(
        '[[source]]\nid = "a"\nurl = "http://127.0.0.1:8001/"\n'
        'sitemaps = ["http://maps.test:8002/sitemap.xml"]\n',
        encoding="utf-8",
    )
    s = Settings({"BROADSHEET_SOURCES": str(path)})
    assert AddressPolicy.from_settings(s).trusted == {"127.0.0.1:8001", "maps.test:8002"}
    s.set("BROADSHEET_SOURCES", str(tmp_path / "missing.toml"))
    assert AddressPolicy.from_settings(s).trusted == frozenset()  # the spider reports it


def test_policy_reads_its_settings() -> None:
    s = Settings()
    assert AddressPolicy.from_settings(s) == AddressPolicy.create()
    s.set("BROADSHEET_ALLOW_PRIVATE_NETWORKS", "true")
    s.set("BROADSHEET_SSRF_PINNED_HOSTS", json.dumps({"allowed.test": "127.0.0.1"}))
    policy = AddressPolicy.from_settings(s)
    assert policy.allow_private and policy.pinned_address("allowed.test") == "127.0.0.1"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_policy_never_raises_on_arbitrary_strings(text: str) -> None:
    parse_ip(text)
    GUARD.check_url(text)
    GUARD.check_url("http://" + text + "/")
    GUARD.check_address(text)


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"\A[0-9a-fA-FxX.:\[\]%]{0,40}\Z"))
def test_policy_never_raises_on_address_like_strings(text: str) -> None:
    GUARD.check_url(f"http://{text}/")
    GUARD.check_address(text)


_REFUSED = [ipaddress.ip_network(net) for net, _ in REFUSED_NETWORKS]


@pytest.mark.parametrize("network", _REFUSED, ids=[n for n, _ in REFUSED_NETWORKS])
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_every_address_in_a_refused_network_is_refused(network: Any, data: Any) -> None:
    address = data.draw(st.ip_addresses(network=network))
    assert refusal_reason(address) is not None
    assert GUARD.check_address(str(address)) is not None
    host = f"[{address}]" if address.version == 6 else str(address)
    assert GUARD.check_url(f"http://{host}:8080/x") is not None
    if address.version == 4:
        # The same address in its IPv4-mapped, decimal and hex spellings.
        assert GUARD.check_url(f"http://[::ffff:{address}]/") is not None
        assert GUARD.check_url(f"http://{int(address)}/") is not None
        assert GUARD.check_url(f"http://{hex(int(address))}/") is not None


@settings(max_examples=200, deadline=None)
@given(st.ip_addresses())
def test_refused_iff_not_globally_routable(address: Any) -> None:
    """Whatever Python's tables say is not global (or is multicast) is refused."""
    if not address.is_global or address.is_multicast:
        assert refusal_reason(address) is not None, address


# --- the middleware (no network: refusals happen before any download) ---------------------------


class FakeStats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + count


async def _must_not_resolve(host: str) -> str:
    raise AssertionError(f"a literal address must not be resolved: {host}")


def _middleware(policy: AddressPolicy, resolve: Any = _must_not_resolve) -> SSRFGuardMiddleware:
    return SSRFGuardMiddleware(policy, FakeStats(), resolve)  # type: ignore[arg-type]


def test_middleware_refuses_a_private_literal_and_counts_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    mw = _middleware(GUARD)
    request = Request("http://10.0.0.5/admin", meta={"source": "dawn"})
    with caplog.at_level(logging.WARNING), pytest.raises(RefusedAddress) as exc:
        asyncio.run(mw.process_request(request))
    assert exc.value.address == "10.0.0.5" and exc.value.reason == "private"
    assert "refused private address 10.0.0.5 for http://10.0.0.5/admin" in caplog.text
    assert mw.stats.values == {  # type: ignore[union-attr]
        "broadsheet/ssrf/refused": 1,
        "broadsheet/source/dawn/refused_address": 1,
    }


def test_middleware_checks_every_redirect_hop(caplog: pytest.LogCaptureFixture) -> None:
    mw = _middleware(GUARD)
    hop = Request(
        "http://10.0.0.1/",
        meta={"source": "s", "redirect_urls": ["https://news.example/story"]},
    )
    with caplog.at_level(logging.WARNING), pytest.raises(RefusedAddress):
        asyncio.run(mw.process_request(hop))
    assert "(redirected from https://news.example/story)" in caplog.text


def test_middleware_checks_the_resolved_address_of_a_name() -> None:
    async def to_loopback(host: str) -> str:
        return "127.0.0.1"

    async def to_public(host: str) -> str:
        return "93.184.215.14"

    with pytest.raises(
        RefusedAddress, match=re.escape("loopback address 127.0.0.1 for http://evil.test/")
    ):
        asyncio.run(_middleware(GUARD, to_loopback).process_request(Request("http://evil.test/")))
    assert (
        asyncio.run(_middleware(GUARD, to_public).process_request(Request("http://ok.test/")))
        is None
    )


def test_middleware_reports_the_resolvers_refusal_and_leaves_dns_errors_to_the_download() -> None:
    async def refused(host: str) -> str:
        raise RefusedResolution(host, "10.1.2.3", "private")

    async def nxdomain(host: str) -> str:
        raise OSError("no such host")

    with pytest.raises(RefusedAddress, match=re.escape("private address 10.1.2.3")):
        asyncio.run(_middleware(GUARD, refused).process_request(Request("http://a.test/")))
    assert (
        asyncio.run(_middleware(GUARD, nxdomain).process_request(Request("http://b.test/"))) is None
    )


def test_middleware_with_private_networks_allowed_does_nothing() -> None:
    mw = _middleware(OPEN)
    assert asyncio.run(mw.process_request(Request("http://127.0.0.1:8000/"))) is None
    assert asyncio.run(mw.process_request(Request("http://intranet.test/"))) is None


# --- the resolver (no network: answers come from Scrapy's DNS cache) ----------------------------


@contextlib.contextmanager
def _cached_answers(answers: dict[str, str]) -> Iterator[None]:
    """Scrapy's DNS cache holding ``answers`` for the duration (no network is asked)."""
    dnscache.update(answers)
    try:
        yield
    finally:
        for name in answers:
            dnscache.pop(name, None)


def _answer(resolver: GuardedResolver, name: str) -> str | Any:
    """The resolver's answer for ``name``: the address, or the failure it raised."""
    outcome: list[Any] = []
    resolver.getHostByName(name).addCallbacks(outcome.append, outcome.append)
    return outcome[0]


def _resolver(policy: AddressPolicy) -> GuardedResolver:
    resolver = GuardedResolver.__new__(GuardedResolver)
    resolver.policy = policy
    resolver.timeout = 1.0
    return resolver


def test_resolver_refuses_a_refused_answer_even_from_the_cache() -> None:
    """DNS rebinding: the name once resolved publicly now answers 127.0.0.1."""
    resolver = _resolver(GUARD)
    with _cached_answers({"rebind.test": "127.0.0.1", "public.test": "93.184.215.14"}):
        failure = _answer(resolver, "rebind.test")
        assert failure.check(RefusedResolution) and failure.value.address == "127.0.0.1"
        assert _answer(resolver, "public.test") == "93.184.215.14"


def test_resolver_answers_pinned_names_without_dns() -> None:
    resolver = _resolver(AddressPolicy.create(pinned={"allowed.test": "127.0.0.1"}))
    assert _answer(resolver, "allowed.test") == "127.0.0.1"


def test_resolver_hands_out_a_trusted_names_private_address() -> None:
    """A source named ``mirror.test`` that resolves to a private address is crawled; another
    name with the same answer is still refused."""
    resolver = _resolver(AddressPolicy.create(trusted=["http://mirror.test:8080/"]))
    with _cached_answers({"mirror.test": "10.0.0.5", "other.test": "10.0.0.5"}):
        assert _answer(resolver, "mirror.test") == "10.0.0.5"
        assert _answer(resolver, "other.test").check(RefusedResolution)


# --- real crawls with the guard on --------------------------------------------------------------

GUARD_SETTINGS = {
    "BROADSHEET_ALLOW_PRIVATE_NETWORKS": "false",
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "RETRY_TIMES": "1",
    "DOWNLOAD_TIMEOUT": "5",
    "LOG_LEVEL": "INFO",
}
# Where the hostile pages and sitemaps send the crawler: loopback in four spellings.
TARGETS = (
    "http://127.0.0.1:{port}/secret",
    "http://2130706433:{port}/secret-decimal",
    "http://localhost:{port}/secret-name",
    "http://[::ffff:127.0.0.1]:{port}/secret-v6",
)
# Sitemaps listed in robots.txt that redirect to a target (Scrapy's RedirectMiddleware follows
# document redirects across hosts), and article links that do the same (the spider follows page
# redirects itself, within the source's scope).
DOC_REDIRECTS = {f"/sitemaps/moved-{i}.xml": target for i, target in enumerate(TARGETS)}
PAGE_REDIRECTS = {f"/news/2024/05/moved-story-number-{i}": t for i, t in enumerate(TARGETS)}
REDIRECTS = {**DOC_REDIRECTS, **PAGE_REDIRECTS}
GOOD = "/news/2024/05/allowed-host-article-about-port-tariffs"


class _Site(LoopbackSite):
    def __init__(self, handler: type[QuietHandler] | None = None) -> None:
        super().__init__(handler or _SiteHandler)
        self.seen: list[tuple[str, str]] = []  # (Host header, path)


class _SiteHandler(QuietHandler):
    server: _Site

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.seen.append((self.headers.get("Host", ""), self.path))
        status, body, headers = 404, b"not found", {}
        host = self.headers.get("Host", "")
        if self.path == "/robots.txt":
            sitemaps = "".join(f"Sitemap: http://{host}{p}\n" for p in DOC_REDIRECTS)
            status, body = 200, f"User-agent: *\nAllow: /\n{sitemaps}".encode()
        elif self.path == "/":
            links = [(p, p) for p in (*PAGE_REDIRECTS, GOOD)]
            status, body = 200, content.home_html(links, []).encode()
        elif self.path in REDIRECTS:
            status, headers = 302, {"Location": REDIRECTS[self.path].format(port=self.server.port)}
            body = b""
        elif self.path == GOOD:
            html = content.article_html("Port tariffs cut", content.paragraphs("ssrf-good"))
            status, body = 200, html.encode()
        elif self.path.startswith("/secret"):
            status, body = 200, b"the secret"
        reply(self, status, body, headers)


@pytest.fixture
def site() -> Iterator[_Site]:
    with _Site().serving() as server:
        yield server


@dataclass
class GuardedCrawl:
    returncode: int
    log: str


def _guarded_crawl(
    workdir: Path, sources: str, extra: dict[str, str], proxy: str = ""
) -> GuardedCrawl:
    path = workdir / "sources.toml"
    path.write_text(sources, encoding="utf-8")
    sets = [arg for k, v in {**GUARD_SETTINGS, **extra}.items() for arg in ("--set", f"{k}={v}")]
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    if proxy:
        env["http_proxy"] = proxy
    proc = subprocess.run(
        [sys.executable, "-m", "archive", "crawl", "--sources", str(path),
         "--db", str(workdir / "archive.db"), *sets],
        capture_output=True, text=True, timeout=300, check=False, env=env,
    )  # fmt: skip
    return GuardedCrawl(proc.returncode, proc.stderr)


def _stat(log: str, name: str) -> int:
    match = re.search(rf"'{re.escape(name)}': (\d+)", log)
    return int(match[1]) if match else 0


@pytest.mark.e2e
def test_only_the_origin_the_sources_file_names_is_trusted(site: _Site, tmp_path: Path) -> None:
    """A source at ``http://localhost:PORT/`` is crawled without ``allow_private_networks``: the
    operator named it. Its pages and sitemaps redirect to the same server in three other
    spellings (127.0.0.1, decimal, IPv4-mapped IPv6), which are refused before connecting; the
    one redirect to its own origin is followed."""
    port = site.port
    sources = f'[[source]]\nid = "named"\nurl = "http://localhost:{port}/"\n'
    crawl = _guarded_crawl(tmp_path, sources, {})
    log = crawl.log
    assert crawl.returncode == 0, log[-3000:]
    assert {h for h, _ in site.seen} == {f"localhost:{port}"}, site.seen
    secrets = {p for _, p in site.seen if p.startswith("/secret")}
    assert secrets == {"/secret-name"}, site.seen
    assert GOOD in {p for _, p in site.seen}
    for target in TARGETS:
        url = target.format(port=port)
        refused = f"refused loopback address 127.0.0.1 for {url}"
        if "localhost" in url:
            assert refused not in log
        elif "::ffff" not in url:
            assert refused in log, url
    assert "refused loopback address ::ffff:127.0.0.1 for http://[::ffff:127.0.0.1]" in log
    assert log.count("set allow_private_networks = true") == 1
    # the sitemap redirects; the page redirects leave the source's scope and are not followed
    assert _stat(log, "broadsheet/source/named/refused_address") == len(DOC_REDIRECTS) - 1
    articles = sqlite3.connect(tmp_path / "archive.db").execute("select url from articles")
    assert [u for (u,) in articles] == [f"http://localhost:{port}{GOOD}"]


class _ProxyHandler(QuietHandler):
    """A forward proxy on loopback that replays one site, ``replayed.test``, as an archive of a
    real site would; it answers nothing else."""

    server: _Site

    def do_GET(self) -> None:
        target = urlsplit(self.path)  # a proxy is asked for the absolute URL
        with self.server.lock:
            self.server.seen.append((target.netloc, target.path))
        status, body = 404, b"not found"
        if target.netloc != "replayed.test":
            status, body = 502, b"not in this archive"
        elif target.path == "/robots.txt":
            status, body = 200, b"User-agent: *\nAllow: /\n"
        elif target.path == "/":
            status, body = 200, content.home_html([(GOOD, "Port tariffs cut")], []).encode()
        elif target.path == GOOD:
            html = content.article_html("Port tariffs cut", content.paragraphs("ssrf-good"))
            status, body = 200, html.encode()
        reply(self, status, body)


@pytest.mark.e2e
def test_a_site_replayed_by_a_proxy_on_loopback_is_crawled_through_it(tmp_path: Path) -> None:
    """``http_proxy`` names a proxy on 127.0.0.1: the operator configured it, so the guard lets
    the crawl connect to it (a private address) without ``allow_private_networks``. Before, the
    guard's resolver refused the proxy's address and nothing was fetched."""
    sources = '[[source]]\nid = "replayed"\nurl = "http://replayed.test/"\n'
    with _Site(_ProxyHandler).serving() as proxy:
        crawl = _guarded_crawl(tmp_path, sources, {}, proxy=proxy.base_url)
        seen = list(proxy.seen)
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert {host for host, _ in seen} == {"replayed.test"}, seen
    articles = sqlite3.connect(tmp_path / "archive.db").execute("select url from articles")
    assert [u for (u,) in articles] == [f"http://replayed.test{GOOD}"]


def test_the_environments_proxies_are_trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    assert proxy_urls() == ()
    monkeypatch.setenv("http_proxy", "127.0.0.1:3128")  # no scheme: http, as Scrapy reads it
    monkeypatch.setenv("https_proxy", "http://10.1.2.3:8080")
    assert proxy_urls() == ("http://127.0.0.1:3128", "http://10.1.2.3:8080")
    policy = AddressPolicy.from_settings(Settings())
    assert policy.trusted == {"127.0.0.1:3128", "10.1.2.3:8080"}
    assert policy.trusts_name("127.0.0.1") and policy.check_url("http://127.0.0.1:6379/")
    # Scrapy's proxy middleware switched off: no request goes through them, none is trusted
    off = AddressPolicy.from_settings(Settings({"HTTPPROXY_ENABLED": False}))
    assert off.trusted == frozenset()


@pytest.mark.e2e
def test_redirect_from_an_allowed_host_to_a_refused_address_is_refused(
    site: _Site, tmp_path: Path
) -> None:
    """`allowed.test` stands for a public host (pinned to 127.0.0.1 for this test only); its
    sitemaps and pages redirect to loopback in four spellings. No secret is ever requested; each
    sitemap redirect is refused by the guard, logged, and reaches the spider's errback as a
    ``RefusedAddress``."""
    port = site.port
    sources = f'[[source]]\nid = "allowed"\nurl = "http://allowed.test:{port}/"\n'
    pins = {"BROADSHEET_SSRF_PINNED_HOSTS": json.dumps({"allowed.test": "127.0.0.1"})}
    crawl = _guarded_crawl(tmp_path, sources, pins)
    log = crawl.log
    paths = [p for _, p in site.seen]
    assert not [p for p in paths if p.startswith("/secret")], site.seen
    assert {h for h, _ in site.seen} == {f"allowed.test:{port}"}, site.seen
    assert set(REDIRECTS) <= set(paths) and GOOD in paths, paths
    for origin, target in DOC_REDIRECTS.items():
        url = target.format(port=port)
        assert re.search(
            rf"refused loopback address \S+ for {re.escape(url)} "
            rf"\(redirected from http://allowed\.test:{port}{re.escape(origin)}\)",
            log,
        ), url
        # The spider's errback got the failure and counted it against the source.
        assert f"fetch failed: {url} (refused loopback address" in log, url
    refused = len(DOC_REDIRECTS)
    assert _stat(log, "downloader/exception_type_count/crawler.ssrf.RefusedAddress") >= refused
    assert _stat(log, "broadsheet/source/allowed/refused_address") >= refused
    assert "Spider closed (finished)" in log, log[-3000:]
