"""SSRF guard: the crawler never connects to loopback, private, link-local, metadata, CGNAT,
multicast, reserved or unspecified addresses unless the sources file allows private networks.

A hostile page, sitemap or redirect can point the crawler anywhere; on a cloud machine
``http://169.254.169.254/`` hands out credentials and ``http://127.0.0.1:…`` reaches local admin
services. The check is on the **address**, never on the spelling of the URL, so ``localhost``,
``2130706433``, ``0x7f.1``, ``[::ffff:127.0.0.1]`` and a DNS name that resolves to 10.0.0.5 are all
caught. It happens before any connection, in two places:

``SSRFGuardMiddleware`` (downloader middleware)
    Sees every request, redirect hops included (each hop is a new request through the chain).
    Literal IP hosts, in any form the resolver would accept, are checked without DNS; other hosts
    are resolved through the reactor's resolver (the same cached answer the connection then
    uses) and the address is checked. A refusal is logged ("refused private address 10.0.0.5 for
    http://…"), counted per source in ``broadsheet/source/<id>/refused_address``, and raised as
    ``RefusedAddress`` to the request's errback.

``GuardedResolver`` (``TWISTED_DNS_RESOLVER``)
    Scrapy's caching resolver with the same check on every answer, cached or not, at connection
    time: the backstop for anything that reaches the downloader without the middleware (DNS
    rebinding between the two lookups when the DNS cache is off, requests injected past it).

Settings (read in ``from_crawler``):

``BROADSHEET_ALLOW_PRIVATE_NETWORKS`` (bool, default false)
    Switches the address checks off (the demo and the tests crawl 127.0.0.1). Set from the
    sources file's top-level ``allow_private_networks``. Without it, the sources file's own
    origins (host and port of each source's ``url``, ``feeds`` and ``sitemaps``) are still
    trusted whatever they resolve to: the operator named them, so a mirror served on
    ``http://127.0.0.1:8080/`` is crawled. Only that host and port: another port on the same
    address, another spelling of it (``localhost`` for ``127.0.0.1``) or a redirect elsewhere
    is checked as usual.

``HTTPPROXY_ENABLED`` (Scrapy's, default true)
    When on, the proxies the environment configures (``http_proxy``, ``https_proxy``) are
    trusted origins as well: the operator chose them (``proxy_urls``).

``BROADSHEET_SSRF_PINNED_HOSTS`` (dict host -> IP, default empty)
    Names answered with the given address without DNS, and trusted at that address even when it
    is private: an intranet mirror an operator vouches for, or a test's stand-in for a public
    host. A pin covers that exact name only; a redirect elsewhere is checked as usual.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit
from urllib.request import getproxies_environment

from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import defer
from twisted.internet import error as tx_error
from twisted.internet.error import DNSLookupError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector
    from twisted.internet.base import ReactorBase
    from twisted.internet.defer import Deferred

from pipelines.runs import stat_key
from pipelines.sources import SourcesError, load_sources

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
ALLOWED_SCHEMES = frozenset({"http", "https"})

# Most specific first: the first match names the refusal. Anything else that Python does not
# consider globally routable is refused as "non-global" (see ``refusal_reason``).
REFUSED_NETWORKS: tuple[tuple[str, str], ...] = (
    ("169.254.169.254/32", "cloud metadata"),
    ("fd00:ec2::254/128", "cloud metadata"),
    ("0.0.0.0/8", "unspecified"),
    ("127.0.0.0/8", "loopback"),
    ("10.0.0.0/8", "private"),
    ("172.16.0.0/12", "private"),
    ("192.168.0.0/16", "private"),
    ("100.64.0.0/10", "carrier-grade NAT"),
    ("169.254.0.0/16", "link-local"),
    ("192.0.0.0/24", "reserved"),
    ("192.0.2.0/24", "reserved"),
    ("198.18.0.0/15", "reserved"),
    ("198.51.100.0/24", "reserved"),
    ("203.0.113.0/24", "reserved"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("fc00::/7", "private"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "link-local"),
    ("ff00::/8", "multicast"),
    ("::/96", "reserved"),  # IPv4-compatible, deprecated
    ("100::/64", "reserved"),
    ("2001:db8::/32", "reserved"),
    ("64:ff9b:1::/48", "private"),  # local-use NAT64
)
_NETWORKS = tuple((ipaddress.ip_network(net), reason) for net, reason in REFUSED_NETWORKS)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_PART = re.compile(r"^(?:0[xX][0-9a-fA-F]*|[0-9]+)$")


class RefusedAddress(Exception):
    """A request refused before connecting, because its host is or resolves to a refused address.

    Deliberately not a ``DNSLookupError`` or ``IgnoreRequest``: it is not retried, and the
    spider's errback counts it as a failed fetch of the source.
    """

    def __init__(self, url: str, address: str, reason: str) -> None:
        self.url, self.address, self.reason = url, address, reason
        super().__init__(describe(url, address, reason))


class RefusedResolution(DNSLookupError):
    """The resolver's refusal: a DNS answer pointing at a refused address.

    A ``DNSLookupError`` so that Twisted's name resolution treats it as "no address" quietly
    and the connection is never attempted.
    """

    def __init__(self, host: str, address: str, reason: str) -> None:
        self.host, self.address, self.reason = host, address, reason
        super().__init__(f"refused {reason} address {address} for host {host}")


def describe(url: str, address: str, reason: str) -> str:
    if reason in ("non-HTTP scheme", "no host"):
        return f"refused {reason} URL {url}"
    return f"refused {reason} address {address} for {url}"


# --- parsing ------------------------------------------------------------------------------------


def _ipv4_number(part: str) -> int | None:
    if not _IPV4_PART.match(part):
        return None
    if part[:2] in ("0x", "0X"):
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part[0] == "0":
        return int(part, 8) if all(c in "01234567" for c in part) else None
    return int(part)


def _parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """An IPv4 literal in every form the C resolver accepts: ``127.0.0.1``, ``2130706433``,
    ``0x7f000001``, ``0177.0.0.1``, ``127.1``, ``0x7f.1``, with an optional trailing dot."""
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    if not 1 <= len(parts) <= 4:
        return None
    numbers = [_ipv4_number(p) for p in parts]
    if any(n is None for n in numbers):
        return None
    values = [n for n in numbers if n is not None]
    *head, last = values
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(values)):
        return None
    total = last
    for i, n in enumerate(head):
        total += n << (8 * (3 - i))
    return ipaddress.IPv4Address(total)


def parse_ip(host: str) -> IPAddress | None:
    """The address a URL host denotes literally, or None for a name that needs DNS.

    Accepts brackets, IPv6 zone ids (``fe80::1%eth0``) and the numeric IPv4 forms of
    ``_parse_ipv4``. Never raises.
    """
    try:
        text = host.strip().lower()
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        if ":" in text:
            return ipaddress.IPv6Address(text.split("%", 1)[0])
        with contextlib.suppress(UnicodeError):
            # What the network stack would send: IDNA folds fullwidth digits and dots.
            text = text.encode("idna").decode("ascii")
        return _parse_ipv4(text) if text.isascii() else None
    except (ValueError, TypeError):
        return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for: mapped, 6to4, Teredo client or NAT64."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal_reason(address: IPAddress) -> str | None:
    """Why the crawler must not connect to ``address`` ("private", "loopback"…), or None."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return refusal_reason(embedded)
    for network, reason in _NETWORKS:
        if address.version == network.version and address in network:
            return reason
    if address.is_multicast:
        return "multicast"
    if not address.is_global or address.is_reserved or address.is_unspecified:
        return "non-global"
    return None


def _shown(address: IPAddress) -> str:
    """``::ffff:127.0.0.1`` rather than ``::ffff:7f00:1`` in logs."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return f"::ffff:{address.ipv4_mapped}"
    return str(address)


# --- policy -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Refusal:
    address: str
    reason: str


def origin(url: str) -> str | None:
    """``host:port`` of an http(s) URL (the scheme's port when none is written), or None."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").rstrip(".")
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    except (ValueError, TypeError, AttributeError):
        return None
    return f"{host}:{port}" if host and port else None


def _named_urls(path: str | None) -> tuple[str, ...]:
    """Every URL the sources file at ``path`` names; none when there is no usable file (the
    spider reports that itself)."""
    if not path:
        return ()
    try:
        config = load_sources(path)
    except SourcesError:
        return ()
    return tuple(u for s in config.sources for u in (s.url, *s.feeds, *s.sitemaps))


def proxy_urls() -> tuple[str, ...]:
    """The HTTP(S) proxies the environment configures (``http_proxy``, ``https_proxy``), which
    Scrapy's HttpProxyMiddleware sends requests through: the operator chose them, so the crawl
    may connect to them wherever they are (a proxy on 127.0.0.1 that replays a site)."""
    found = getproxies_environment()
    urls = (found.get(scheme, "") for scheme in ("http", "https"))
    return tuple(u if "://" in u else f"http://{u}" for u in urls if u)


def _freeze(pins: Mapping[str, str]) -> Mapping[str, str]:
    frozen: dict[str, str] = {}
    for host, address in pins.items():
        parsed = parse_ip(str(address))
        if parsed is None:
            raise ValueError(f"BROADSHEET_SSRF_PINNED_HOSTS: {address!r} for {host!r} is not an IP")
        frozen[str(host).strip().lower().rstrip(".")] = str(parsed)
    return MappingProxyType(frozen)


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """What the crawler may connect to. Immutable; build it with ``from_settings``."""

    allow_private: bool = False
    pinned: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    trusted: frozenset[str] = frozenset()  # "host:port" origins the sources file names

    @classmethod
    def create(
        cls,
        allow_private: bool = False,
        pinned: Mapping[str, str] | None = None,
        trusted: Iterable[str] = (),
    ) -> Self:
        origins = frozenset(o for o in (origin(u) for u in trusted) if o)
        return cls(allow_private, _freeze(pinned or {}), origins)

    @classmethod
    def from_settings(cls, settings: Any) -> Self:
        proxies = proxy_urls() if settings.getbool("HTTPPROXY_ENABLED", True) else ()
        return cls.create(
            settings.getbool("BROADSHEET_ALLOW_PRIVATE_NETWORKS", False),
            settings.getdict("BROADSHEET_SSRF_PINNED_HOSTS", {}),
            (*_named_urls(settings.get("BROADSHEET_SOURCES")), *proxies),
        )

    def trusts(self, url: str) -> bool:
        """Whether ``url`` is on an origin the sources file names."""
        return bool(self.trusted) and origin(url) in self.trusted

    def trusts_name(self, host: str) -> bool:
        """Whether a host name (for the resolver, which sees no port) is a trusted origin's."""
        name = host.strip().lower().rstrip(".")
        return any(o.rsplit(":", 1)[0] == name for o in self.trusted)

    def pinned_address(self, host: str) -> str | None:
        return self.pinned.get(host.strip().lower().rstrip("."))

    def check_address(self, address: str) -> Refusal | None:
        """The refusal for a resolved address (a string from DNS or a literal), or None."""
        if self.allow_private:
            return None
        parsed = parse_ip(address)
        if parsed is None:
            return Refusal(address, "unparseable")
        reason = refusal_reason(parsed)
        return Refusal(_shown(parsed), reason) if reason else None

    def check_url(self, url: str) -> Refusal | None:
        """Everything decidable without DNS: the scheme, a missing host, and literal IP hosts.

        A hostname that needs resolving passes here (None); the resolved address is checked with
        ``check_address``. A pinned host passes. Never raises.
        """
        try:
            parts = urlsplit(url.strip())
            scheme = parts.scheme.lower()
            host = parts.hostname
        except (ValueError, TypeError, AttributeError):
            return Refusal("", "no host")
        if scheme not in ALLOWED_SCHEMES:
            return Refusal("", "non-HTTP scheme")
        if not host:
            return Refusal("", "no host")
        if self.pinned_address(host) is not None or self.trusts(url):
            return None
        literal = parse_ip(host)
        if literal is None:
            return None
        return self.check_address(str(literal))


# --- Scrapy components --------------------------------------------------------------------------


Resolve = Callable[[str], Awaitable[str]]


async def _reactor_resolve(host: str) -> str:
    """The reactor's answer for ``host``: the same (cached) one the connection will use."""
    from twisted.internet import reactor

    resolver = getattr(reactor, "resolver", None)
    if isinstance(resolver, GuardedResolver):
        # The middleware logs this refusal itself, with the URL.
        return await maybe_deferred_to_future(resolver.getHostByName(host, quiet=True))
    return await maybe_deferred_to_future(reactor.resolve(host))  # type: ignore[attr-defined]


class SSRFGuardMiddleware:
    """Downloader middleware: refuses requests to refused addresses before they are downloaded.

    Enable early in the chain (before robots.txt handling) so that every request, robots.txt
    fetches and redirect hops included, passes through it::

        DOWNLOADER_MIDDLEWARES = {"crawler.ssrf.SSRFGuardMiddleware": 45}
    """

    def __init__(
        self, policy: AddressPolicy, stats: StatsCollector | None, resolve: Resolve | None = None
    ) -> None:
        self.policy = policy
        self.stats = stats
        self.resolve = resolve or _reactor_resolve
        self.hinted = False  # the way to allow private networks is logged once per crawl

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        policy = AddressPolicy.from_settings(crawler.settings)
        if policy.allow_private:
            logger.info("SSRF guard off: private networks allowed (allow_private_networks)")
        elif policy.trusted:
            logger.info("SSRF guard: the sources file's own origins are trusted: %s",
                        ", ".join(sorted(policy.trusted)))  # fmt: skip
        return cls(policy, crawler.stats)

    async def process_request(self, request: Request) -> None:
        url = request.url
        refusal = self.policy.check_url(url)
        if refusal is None and not self.policy.allow_private:
            host = urlsplit(url).hostname or ""
            named = self.policy.pinned_address(host) is None and parse_ip(host) is None
            if named and not self.policy.trusts(url):
                refusal = await self._resolved_refusal(host)
        if refusal is not None:
            self._refuse(request, refusal)

    async def _resolved_refusal(self, host: str) -> Refusal | None:
        try:
            address = await self.resolve(host)
        except RefusedResolution as exc:
            return Refusal(exc.address, exc.reason)
        except (DNSLookupError, tx_error.TimeoutError, defer.TimeoutError, TimeoutError, OSError):
            # An ordinary DNS failure: let the download report it the usual way (and retry it).
            return None
        return self.policy.check_address(address)

    def _refuse(self, request: Request, refusal: Refusal) -> None:
        source = request.meta.get("source", "")
        hops: Sequence[str] = (
            *request.meta.get("redirect_urls", ()),
            *request.meta.get("broadsheet_hops", ()),
        )
        via = f" (redirected from {hops[0]})" if hops else ""
        logger.warning("%s%s", describe(request.url, refusal.address, refusal.reason), via)
        if not self.hinted and refusal.reason not in ("non-HTTP scheme", "no host"):
            self.hinted = True
            logger.warning(
                "only the hosts and ports the sources file names are trusted on private networks;"
                " set allow_private_networks = true at its top to crawl others"
            )
        if self.stats is not None:
            self.stats.inc_value("broadsheet/ssrf/refused")
            if source:
                self.stats.inc_value(stat_key(source, "refused_address"))
        raise RefusedAddress(request.url, refusal.address, refusal.reason)


class GuardedResolver(CachingThreadedResolver):
    """``TWISTED_DNS_RESOLVER``: Scrapy's caching threaded resolver that refuses to hand out a
    refused address, so no connection to one can start, whatever asked for it.

        TWISTED_DNS_RESOLVER = "crawler.ssrf.GuardedResolver"
    """

    def __init__(
        self, reactor: ReactorBase, cache_size: int, timeout: float, policy: AddressPolicy
    ) -> None:
        super().__init__(reactor, cache_size, timeout)
        self.policy = policy

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: ReactorBase) -> Self:
        # Scrapy passes the CrawlerProcess here: only its settings are available, no stats.
        settings = crawler.settings
        cache_size = settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED") else 0
        return cls(
            reactor, cache_size, settings.getfloat("DNS_TIMEOUT"),
            AddressPolicy.from_settings(settings),
        )  # fmt: skip

    def getHostByName(
        self, name: str, timeout: Sequence[int] = (), *, quiet: bool = False
    ) -> Deferred[str]:
        pinned = self.policy.pinned_address(name)
        if pinned is not None:
            return defer.succeed(pinned)
        deferred = super().getHostByName(name, timeout)
        if not self.policy.trusts_name(name):
            deferred.addCallback(self._check, name, quiet)
        return deferred

    def _check(self, address: str, name: str, quiet: bool = False) -> str:
        refusal = self.policy.check_address(address)
        if refusal is None:
            return address
        if not quiet:
            # Only reached when a request got past the middleware (or DNS changed its answer).
            logger.warning(
                "refused %s address %s for host %s at connection time", refusal.reason,
                refusal.address, name,
            )  # fmt: skip
        raise RefusedResolution(name, refusal.address, refusal.reason)
