"""URL normalisation and article identity.

Two levels:
- ``canonicalize`` gives a fetchable URL with tracking noise removed (used for requests and
  for the ``article_urls`` table);
- ``identity_key`` goes further and folds every variant of one article onto one string:
  http/https, ``www.``/``m.``/``amp.`` hosts, trailing slashes, AMP and print variants, a
  first page named by its page parameter (``?page=1``), session ids and cache busters, and
  the comment and share views of an article (``/comment-page-2/``, ``?replytocom=``,
  ``?share=twitter``, ``/embed/``).
  ``article_id`` hashes it into the primary key of ``articles``.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Query parameters that never change what a page shows: analytics, ads and share tracking.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid",
        "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id",
        "oly_enc_id", "vero_id", "wickedid", "rb_clickid", "s_cid", "cmpid", "ncid", "ocid",
        "ref", "ref_src", "ref_url", "referrer",
        "spm", "scid", "ito", "itm_source", "itm_medium", "itm_campaign", "itm_content",
        "ns_mchannel", "ns_source", "ns_campaign", "ns_linkname", "ns_fee", "smid", "smtyp",
        "sr_share", "at_medium", "at_campaign", "at_custom1", "at_custom2",
        "xtor", "wt.mc_id", "wt_mc_id", "wt.mc_ev", "cmp", "icid", "emc", "spref", "taid",
        "guccounter", "guce_referrer", "guce_referrer_sig", "soc_src", "soc_trk",
        "__twitter_impression", "s_kwcid", "ef_id",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "pk_", "hsa_", "mtm_", "at_")
# Parameters that say where a reader came from when their value names a channel
# ("?from=rss", "?src=twitter", "?partner=rss"); with another value they may select content.
CHANNEL_PARAMS = frozenset(
    {"src", "source", "from", "via", "partner"}
)  # never "feed": WordPress' "?feed=rss2" is the feed
CHANNELS = frozenset(
    {"rss", "rss2", "atom", "feed", "feeds", "feedburner", "twitter", "tw", "x", "facebook",
     "fb", "linkedin", "whatsapp", "telegram", "social", "share", "newsletter", "email", "mail",
     "googlenews", "google_news", "flipboard", "msn", "yahoo", "push", "app"}
)  # fmt: skip
# Session identifiers a server writes into links when the client keeps no cookie (as a crawler
# does not): a fresh one per visit, so without folding them every page of a site would be new
# to every run and fetched again. "sid" counts only with a token for a value (``_TOKEN``): it
# is a story or section id on some sites.
SESSION_PARAMS = frozenset(
    {"jsessionid", "phpsessid", "sessionid", "session_id", "sessid", "aspsessionid", "cfid",
     "cftoken", "zenid", "oscsid", "sid"}
)  # fmt: skip
# Cache busters: a timestamp or random number that only defeats caches ("?_=1712345678").
CACHE_BUSTERS = frozenset({"_", "cb", "cachebuster", "cache_buster", "nocache", "rnd"})
_TOKEN = re.compile(r"^(?=.*\d)(?=.*[a-z])[0-9a-z_-]{16,}$", re.IGNORECASE)
_BUSTER_VALUE = re.compile(r"^[0-9a-f.]{1,40}$", re.IGNORECASE)
# ";jsessionid=…" path parameters (Java servlets) and ASP.NET's cookieless "/(S(…))/" segment
_PATH_SESSION = re.compile(
    r";(?:jsessionid|phpsessid|sessionid|sid)=[^/;?#]*|/\((?:[a-z]\([^()/]*\))+\)(?=/)",
    re.IGNORECASE,
)

# Parameters that select a presentation of the same article, not a different article.
VARIANT_PARAMS = frozenset(
    {"print", "printable", "output", "outputtype", "view", "amp", "mobile", "format", "m", "mode",
     "showall", "singlepage", "single_page", "onepage", "nopaging", "tmpl"}
)  # fmt: skip
# "all"/"full": the whole article on one page ("?view=all", "?page=all", Joomla's
# "?showall=1"); "component": Joomla's print and pop-up view ("?tmpl=component").
VARIANT_VALUES = frozenset(
    {"", "1", "true", "yes", "print", "amp", "mobile", "printable", "all", "full", "component"}
)
_WHOLE_ARTICLE = frozenset({("page", "all"), ("pages", "all")})
# A page parameter at its first value names the page without it: "?page=1" is the list (or the
# article) itself, as numbered pagers link it.
FIRST_PAGE = frozenset(
    {("page", "1"), ("paged", "1"), ("pg", "1"), ("start", "0"), ("offset", "0")}
)

_HOST_PREFIXES = ("www.", "m.", "amp.", "mobile.")
# An "amp" path segment anywhere (/amp/2024/x, /news/x/amp, /site/amp/story/x) or a ".amp" suffix.
_AMP_PATH = re.compile(r"(?:/amp(?=/|$)|\.amp(?=\.html?$|$))", re.IGNORECASE)
# A presentation of the article at the path before it: print, a page of its reader comments
# (WordPress "/comment-page-2/"), its oEmbed card ("/embed/"), its trackback endpoint.
_VARIANT_PATH = re.compile(
    r"(?<=[^/])/(?:print|comment-page-\d{1,5}|embed|trackback)/?$", re.IGNORECASE
)
# Query parameters of a comment or share button that show the same article: a reply form under
# a comment (one URL per comment), a share link (a redirect to the network).
_COMMENT_PARAMS = frozenset({"replytocom", "nb"})
_SHARE_VALUES = frozenset(
    {"facebook", "twitter", "x", "linkedin", "reddit", "email", "pinterest", "pocket",
     "telegram", "whatsapp", "jetpack-whatsapp", "tumblr", "print", "mastodon", "threads",
     "bluesky", "nextdoor", "skype"}
)  # fmt: skip
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(name: str, value: str = "") -> bool:
    lowered = name.lower()
    if lowered in CHANNEL_PARAMS:
        return value.lower() in CHANNELS
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def _same_page(name: str, value: str) -> bool:
    """A query parameter (``name`` lower-cased) that shows the page itself: a print or AMP
    view, the first page by number, a session id or cache buster, a comment or share view."""
    if name in VARIANT_PARAMS and value.lower() in VARIANT_VALUES:
        return True
    if (name, value) in FIRST_PAGE or (name, value.lower()) in _WHOLE_ARTICLE:
        return True
    if name in _COMMENT_PARAMS:
        return True
    if name == "share":
        return value.lower() in _SHARE_VALUES
    if name in SESSION_PARAMS:
        return name != "sid" or bool(_TOKEN.match(value))
    return name in CACHE_BUSTERS and bool(_BUSTER_VALUE.match(value))


def _split(url: str):
    try:
        return urlsplit(url.strip())
    except ValueError:
        return None


# Pure functions memoised: the writer and the workers meet the same URLs many times per page
# (navigation links, every URL of an article), and w3lib's canonical form is not cheap.
@lru_cache(maxsize=32_768)
def canonicalize(url: str) -> str:
    """A fetchable URL without fragment or tracking parameters, with a stable query order.

    Never raises: a URL that cannot be parsed is returned stripped, unchanged otherwise.
    """
    parts = _split(url)
    if parts is None or not parts.scheme or not parts.netloc:
        return url.strip()
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k, v)
    ]
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, _DEFAULT_PORTS.get(parts.scheme.lower())) else f"{host}:{port}"
    if ":" in host and not host.startswith("["):
        netloc = f"[{host}]" + ("" if netloc == host else netloc[len(host) :])
    rebuilt = urlunsplit(
        (parts.scheme.lower(), netloc, parts.path or "/", urlencode(query, doseq=True), "")
    )
    try:
        return canonicalize_url(rebuilt, keep_fragments=False)
    except (ValueError, UnicodeError):
        return rebuilt


@lru_cache(maxsize=32_768)
def identity_key(url: str) -> str:
    """The string all variants of one article share (scheme-less, host-folded, variant-free).

    Session ids and cache busters are folded here, not by ``canonicalize``: a server that keeps
    sessions in URLs may redirect a request that has none, so a link is fetched as found and
    known by its identity (a later run meets it again with a fresh session id)."""
    canonical = canonicalize(url)
    parts = _split(canonical)
    if parts is None or not parts.netloc:
        return canonical
    host = parts.netloc.lower()
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix) :]
            break
    path = _AMP_PATH.sub("", parts.path)
    path = _VARIANT_PATH.sub("", path)
    if ";" in path or "(" in path:
        path = _PATH_SESSION.sub("", path)
    path = path.rstrip("/") or "/"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _same_page(k.lower(), v)
    ]
    query_string = urlencode(sorted(query))
    return f"{host}{path}" + (f"?{query_string}" if query_string else "")


def article_id(url: str) -> str:
    """Primary key of an article: 16 hex digits of SHA-1 over its identity key."""
    return hashlib.sha1(identity_key(url).encode("utf-8")).hexdigest()[:16]


def host_of(url: str) -> str:
    parts = _split(url)
    return (parts.hostname or "").lower() if parts else ""


def registrable_host(url: str) -> str:
    """Host with www./m./amp. folded, so a site's mobile and desktop hosts compare equal."""
    host = host_of(url)
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") >= 2:
            return host[len(prefix) :]
    return host


# Second-level labels under which country domains register names ("bbc.co.uk", "abc.net.au").
_SECOND_LEVELS = frozenset({"co", "com", "net", "org", "ac", "gov", "edu", "or", "ne", "go", "gob"})


def site_domain(url: str) -> str:
    """The domain a URL's host belongs to (``host_domain``)."""
    return host_domain(host_of(url))


def host_domain(host: str) -> str:
    """The domain a host belongs to, without a public-suffix list: its last two labels, or three
    under a country's second level ("news.bbc.co.uk" -> "bbc.co.uk"). An IP address is its own."""
    labels = host.split(".")
    if len(labels) < 3 or host.replace(".", "").isdigit() or ":" in host:
        return host
    keep = 3 if len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVELS else 2
    return ".".join(labels[-keep:])


def is_site_root(url: str) -> bool:
    parts = _split(url)
    return parts is not None and (parts.path or "/").strip("/") == "" and not parts.query
