"""The hostile site's cases: what each serves and what the crawler must do about it.

Every case has an id (the pytest id), the path it is served at, how the crawler reaches it (a link
on the home page, a sitemap listed in robots.txt, or a feed the home page advertises), a
description, and the expected outcome. ``log`` is a regular expression the crawl's log must match
(``{url}`` stands for the case's escaped URL); ``stat`` is a regular expression over the names of
the Scrapy stats the crawl dumps at the end, one of which must be above zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Expect(StrEnum):
    STORED = "stored"  # a real article: stored, with clean text
    NOT_STORED = "not stored"  # fetched and recorded in `pages`, no article row
    FAILS = "fetch fails"  # the download fails: logged, counted, the crawl goes on
    BOUNDED = "bounded"  # a trap: requests stop at the crawler's limits
    INERT = "inert"  # an XML document: nothing expanded, nothing external fetched
    UNCHANGED = "unchanged"  # a stored article: never lost or altered


class Via(StrEnum):
    HOME = "home"  # linked from the home page
    SITEMAP = "sitemap"  # listed in a sitemap, or a sitemap listed in robots.txt
    FEED = "feed"  # a feed advertised by the home page, or an item in one


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    path: str
    via: Via
    expect: Expect
    description: str
    expected: str
    log: str = ""
    stat: str = ""


N = "/news/2024/05/"
FETCH_FAILED = r"fetch failed: {url} \("

CASES: tuple[Case, ...] = (
    # --- the good articles ---------------------------------------------------------------------
    Case("good-article-1", N + "port-traffic-rises-after-new-customs-rules", Via.HOME,
         Expect.STORED, "a normal article linked from the home page",
         "stored with its title, date and every paragraph"),
    Case("good-article-2", N + "textile-exporters-report-record-orders", Via.HOME,
         Expect.STORED, "a normal article linked from the home page",
         "stored with its title, date and every paragraph"),
    Case("good-article-sitemap", N + "central-bank-holds-policy-rate-steady", Via.SITEMAP,
         Expect.STORED, "a normal article listed only in the good sitemap",
         "stored: discovery through robots.txt and the sitemap survives the hostile sitemaps"),
    Case("good-article-feed", N + "solar-tariffs-cut-for-small-factories", Via.FEED,
         Expect.STORED, "a normal article listed only in the good RSS feed",
         "stored: feed discovery survives the hostile feeds"),
    Case("previously-stored", "/news/2024/04/wheat-procurement-target-set-for-season",
         Via.SITEMAP, Expect.UNCHANGED,
         "an article stored by an earlier, calm crawl; now it serves an empty 200 and the "
         "sitemap gives it a fresh lastmod so the crawler re-checks it",
         "re-fetched, recorded as empty; its stored row is neither lost nor altered"),
    # --- broken markup and encodings ---------------------------------------------------------
    Case("malformed-html", N + "malformed-markup-council-budget-story", Via.HOME, Expect.STORED,
         "unclosed and mis-nested tags, stray </div>s, attributes without quotes",
         "parsed forgivingly and stored"),
    Case("truncated-html", N + "truncated-markup-transport-fares-story", Via.HOME,
         Expect.STORED, "a complete HTTP response whose HTML stops in the middle of a tag",
         "the text before the cut is stored"),
    Case("cp1252-declared-utf8", N + "cp1252-bytes-cafe-owners-story", Via.HOME, Expect.STORED,
         "windows-1252 bytes (smart quotes, é) under Content-Type charset=utf-8",
         "stored; no crash (undecodable bytes become replacement characters at worst)"),
    Case("utf16-no-bom", N + "utf16-without-bom-rail-link-story", Via.HOME, Expect.STORED,
         "UTF-16LE without a byte-order mark, charset=utf-16 in the header",
         "decoded and stored as readable text, never with NUL characters"),
    Case("meta-charset-contradicts-header", N + "meta-charset-lies-fisheries-story", Via.HOME,
         Expect.STORED, "UTF-8 body and header, but <meta charset=windows-1251>",
         "the HTTP header wins (as in browsers): stored without mojibake"),
    Case("binary-as-html", N + "binary-served-as-html-page", Via.HOME, Expect.NOT_STORED,
         "64 KB of random bytes (PNG header) served as text/html",
         "fetched, classified as not an article, nothing stored"),
    Case("octet-stream-article", N + "article-served-as-octet-stream", Via.HOME,
         Expect.NOT_STORED, "an article page served as application/octet-stream",
         "skipped as non-HTML, with a log line", log=r"skipped non-HTML {url}",
         stat=r"broadsheet/source/hostile/not_html"),
    Case("empty-body", N + "empty-body-with-status-200", Via.HOME, Expect.NOT_STORED,
         "200 OK, text/html, Content-Length: 0", "recorded as empty, nothing stored"),
    Case("js-only", N + "javascript-only-app-shell-page", Via.HOME, Expect.NOT_STORED,
         "an app shell: <div id=root> and a script, no text without JavaScript",
         "recorded as empty, nothing stored"),
    Case("script-injection", N + "script-tags-in-title-and-body", Via.HOME, Expect.STORED,
         "a real article whose title and body contain <script>, onerror= and onload=",
         "stored; script elements and event-handler attributes are gone, text about them is "
         "kept as inert text"),
    Case("date-year-9999", N + "date-in-year-9999-story", Via.HOME, Expect.STORED,
         "datePublished and article:published_time in year 9999",
         "stored; the impossible date is not kept as the publication date"),
    Case("date-year-0001", N + "date-in-year-0001-story", Via.HOME, Expect.STORED,
         "datePublished and article:published_time in year 0001",
         "stored; the impossible date is not kept as the publication date"),
    Case("deep-nesting", N + "deeply-nested-markup-story", Via.HOME, Expect.NOT_STORED,
         "an article wrapped in 20,000 nested <div>s",
         "no crash of the crawler or the extraction workers; libxml2 stops at its 256-level "
         "depth limit, so the page is recorded as empty and nothing is stored"),
    Case("link-farm", N + "page-with-100000-links", Via.HOME, Expect.BOUNDED,
         "a 3.7 MB page with 100,000 distinct links",
         "only BROADSHEET_MAX_LINKS_PER_PAGE links followed; truncation counted",
         log=r"larger than download warn size \(\d+\) in request <GET {url}>",
         stat=r"broadsheet/source/hostile/links_truncated"),
    # --- sizes, transport and status ------------------------------------------------------------
    Case("huge-page-declared", N + "fifty-megabyte-page-declared", Via.HOME, Expect.FAILS,
         "a 50 MB page with Content-Length (streamed by the server)",
         "cancelled before the body is read (DOWNLOAD_MAXSIZE 10 MB); logged; counted",
         log=r"Expected to receive 52428800 bytes which is larger than download max size "
         r"\(\d+\) in request <GET {url}>", stat=r"DownloadCancelledError"),
    Case("huge-page-chunked", N + "fifty-megabyte-page-chunked", Via.HOME, Expect.FAILS,
         "a 50 MB page, chunked, no Content-Length",
         "cancelled once 10 MB have arrived; logged; counted",
         log=r"Received \d+ bytes which is larger than download max size \(\d+\) in "
         r"request <GET {url}>", stat=r"DownloadCancelledError"),
    Case("gzip-bomb", N + "gzip-bomb-page", Via.HOME, Expect.FAILS,
         "0.5 MB of gzip that inflates to 512 MB (Content-Encoding: gzip)",
         "decompression stops at DOWNLOAD_MAXSIZE; logged and counted as a failed fetch; memory bounded",
         log=r"Ignored response <200 {url}> because its body .* exceeded DOWNLOAD_MAXSIZE"),
    Case("slow-drip", N + "slow-drip-page", Via.HOME, Expect.FAILS,
         "headers at once, then one byte every 2 s (slower than DOWNLOAD_TIMEOUT)",
         "times out, retried, then logged as failed and counted",
         log=r"Getting {url} took longer than \d+(\.\d+)? seconds", stat=r"DownloadTimeoutError"),
    Case("connection-reset", N + "connection-reset-page", Via.HOME, Expect.FAILS,
         "300 of 5,000 promised bytes, then a TCP reset",
         "logged as failed and counted", log=FETCH_FAILED + "ResponseDataLossError",
         stat=r"ResponseDataLossError"),
    Case("oversized-headers", N + "oversized-response-headers-page", Via.HOME, Expect.FAILS,
         "a 100 KB response header line", "logged as failed and counted", log=FETCH_FAILED,
         stat=r"DownloadFailedError"),
    Case("status-429", N + "rate-limited-page-429", Via.HOME, Expect.FAILS,
         "429 Too Many Requests with Retry-After: 3600",
         "retried RETRY_TIMES, then logged and counted as blocked; the crawl does not wait an "
         "hour", log=FETCH_FAILED + r"HTTP 429", stat=r"retry/reason_count/429"),
    Case("status-503", N + "unavailable-page-503", Via.HOME, Expect.FAILS,
         "503 Service Unavailable with Retry-After: 120",
         "retried RETRY_TIMES, then logged and counted", log=FETCH_FAILED + r"HTTP 503",
         stat=r"retry/reason_count/503"),
    Case("redirect-loop", N + "redirect-loop-a", Via.HOME, Expect.BOUNDED,
         "A redirects to B, B redirects to A",
         "stops at the first repeated hop (at most REDIRECT_MAX_TIMES); a log line names the loop"),
    Case("redirect-self", N + "redirect-to-itself", Via.HOME, Expect.BOUNDED,
         "a page that redirects to itself",
         "stops at the first repeated hop (at most REDIRECT_MAX_TIMES); a log line names the loop"),
    # --- traps ----------------------------------------------------------------------------------
    Case("calendar-trap", "/calendar/2024/01", Via.HOME, Expect.BOUNDED,
         "a calendar whose every month links to the next one, forever",
         "at most DEPTH_LIMIT requests", stat=r"broadsheet/source/.*/depth_limited"),
    Case("pagination-trap", "/latest?page=1", Via.HOME, Expect.BOUNDED,
         "?page=N links to ?page=N+1, forever", "at most DEPTH_LIMIT requests",
         stat=r"broadsheet/source/.*/depth_limited"),
    Case("endless-list", "/endless?page=1", Via.HOME, Expect.BOUNDED,
         "a list whose every page shows a story never seen before and links to the next page, "
         "forever", "at most BROADSHEET_MAX_LIST_PAGES pages beyond DEPTH_LIMIT",
         stat=r"broadsheet/source/.*/list_pages_capped"),
    # --- XML ------------------------------------------------------------------------------------
    Case("sitemap-billion-laughs", "/sitemaps/laughs.xml", Via.SITEMAP, Expect.INERT,
         "a sitemap with nine levels of nested entities (billion laughs)",
         "parsed without expanding anything; memory bounded"),
    Case("sitemap-xxe", "/sitemaps/xxe.xml", Via.SITEMAP, Expect.INERT,
         "a sitemap with external entities: file:///etc/passwd, a loopback URL, an external DTD",
         "no file content in the archive; the entity URLs are never requested"),
    Case("feed-billion-laughs", "/feeds/laughs.rss", Via.FEED, Expect.INERT,
         "an RSS feed with nine levels of nested entities", "parsed without expanding anything"),
    Case("feed-xxe", "/feeds/xxe.rss", Via.FEED, Expect.INERT,
         "an RSS feed with external entities: file:///etc/passwd, a loopback URL, an external DTD",
         "no file content in the archive; the entity URLs are never requested"),
    Case("sitemap-self-index", "/sitemaps/index.xml", Via.SITEMAP, Expect.BOUNDED,
         "a sitemap index that lists itself (and the good sitemap)",
         "fetched once per run; the good sitemap behind it still read"),
)  # fmt: skip

REDIRECT_LOOP_B = N + "redirect-loop-b"
FARM_PREFIX = "/farm/item-"
ENDLESS_STORIES = "/endless-stories/"
GOOD_SITEMAP = "/sitemaps/news.xml"
GOOD_FEED = "/feeds/news.rss"
XXE_PATHS = ("/xxe/external.dtd", "/xxe/callback")


def case(case_id: str) -> Case:
    for c in CASES:
        if c.id == case_id:
            return c
    raise KeyError(case_id)
