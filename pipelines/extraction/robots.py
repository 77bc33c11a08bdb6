"""Crawler and reuse directives a page declares: robots meta tags, AI-training and TDM opt-outs,
and the ``X-Robots-Tag`` response header when the fetcher passes it on.

Every directive comes back as one lowercase token ("noindex", "noarchive", "noai",
"max-snippet:50"), each once, in the order found. "none" stands for "noindex, nofollow" and is
written as those two. A TDM reservation (``<meta name="tdm-reservation" content="1">``, the W3C
TDM Reservation Protocol) is the token "tdm-reservation".
"""

from __future__ import annotations

from pipelines.extraction.page import PageInfo

# meta names whose content is a robots directive list: every crawler, then Google's own
ROBOTS_META = ("robots", "googlebot", "googlebot-news")
TDM_META = "tdm-reservation"
TDM_TOKEN = "tdm-reservation"
MAX_DIRECTIVES = 30
# directives that carry a value after a colon; any other "word:" names the crawler the
# directives after it apply to ("googlebot: noindex") and is dropped
_VALUED = frozenset({"max-snippet", "max-image-preview", "max-video-preview", "unavailable_after"})
# the directive words kept (Google's, Bing's and the AI-training opt-outs); anything else in a
# robots value (typos, a date's pieces, crawler names) is no directive
KNOWN = frozenset({
    "all", "index", "follow", "noindex", "nofollow", "none", "noarchive", "nocache",
    "nosnippet", "noimageindex", "notranslate", "noodp", "noydir", "indexifembedded",
    "nositelinkssearchbox", "noai", "noimageai",
})  # fmt: skip


def parse_directives(raw: str) -> list[str]:
    """Lowercase directive tokens of one robots value (a meta tag's content or a header line)."""
    tokens: list[str] = []
    for part in " ".join((raw or "").split()).lower().split(","):
        while ":" in part:
            key, _, value = part.partition(":")
            key, value = key.strip(), value.strip()
            if key.rsplit(" ", 1)[-1] in _VALUED:
                # a crawler name may come first: "googlebot: max-snippet: 20"
                key = key.rsplit(" ", 1)[-1]
                tokens.append(f"{key}:{value.replace(' ', '_')}" if value else key)
                part = ""
            else:
                part = value
        for word in part.split():
            if word in KNOWN:
                tokens.extend(("noindex", "nofollow") if word == "none" else (word,))
    return tokens


def _tdm_reserved(value: str) -> bool:
    return value.strip() == "1"


def find_robots_directives(info: PageInfo, hints: dict[str, str] | None = None) -> list[str]:
    """Directives from the robots/googlebot meta tags, a TDM reservation meta tag and the
    ``x_robots_tag`` hint (the response header), deduplicated in that order."""
    found: list[str] = []
    for value in info.all(*ROBOTS_META):
        found.extend(parse_directives(value))
    if any(_tdm_reserved(v) for v in info.all(TDM_META)):
        found.append(TDM_TOKEN)
    header = (hints or {}).get("x_robots_tag") or ""
    # several header lines may arrive joined by newlines; each may name its own crawler
    for line in header.splitlines():
        found.extend(parse_directives(line))
    return list(dict.fromkeys(found))[:MAX_DIRECTIVES]
