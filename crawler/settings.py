"""Scrapy settings: how to crawl. What to crawl lives in sources.toml; how to present in
archive/datasette/metadata.yaml. Every BROADSHEET_* setting is read only in a from_crawler."""

BOT_NAME = "broadsheet"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- Politeness -------------------------------------------------------------------------------
# Operators should give a real contact (`broadsheet crawl --contact URL-or-email`) so that site
# owners can reach them; crawler.run.user_agent() builds the User-Agent from it.
BROADSHEET_CONTACT = "https://github.com/broadsheet-archive/broadsheet"
USER_AGENT = f"Broadsheet/0.1 (research news archive; +{BROADSHEET_CONTACT})"
LOGSTATS_INTERVAL = 30.0
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_DELAY = 0.5
# robots.txt "Crawl-delay" is obeyed (crawler.robots.RobotsTxtGate) up to this many seconds: a
# site asking for more is still crawled, at this pace. It also caps the wait after a 429 or 503
# (crawler.backoff.HostBackoff), whatever Retry-After asks for.
BROADSHEET_MAX_CRAWL_DELAY = 30.0
# A source on this machine's loopback interface (127.0.0.1, localhost: a mirror, a replay) is
# crawled without these delays, unless DOWNLOAD_DELAY is given on the command line
# (crawler/loopback.py).
BROADSHEET_LOOPBACK_FULL_SPEED = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024  # news pages are < 2 MB; larger is a trap or a mistake
DOWNLOAD_WARNSIZE = 3 * 1024 * 1024
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Depth from the home page: home (0) -> section (1) -> section page 2 (2) -> article (3) -> 4.
# Feeds and sitemaps reach deeper articles directly, so a small limit loses little.
DEPTH_LIMIT = 4
DEPTH_PRIORITY = 1
# Scrapy's DepthMiddleware, except that the next page of a list that keeps yielding new articles
# is as deep as the page before it (crawler/depth.py), up to BROADSHEET_MAX_LIST_PAGES pages.
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "crawler.depth.ListDepthMiddleware": 900,
}
REDIRECT_MAX_TIMES = 5
METAREFRESH_ENABLED = False

DUPEFILTER_CLASS = "crawler.dupefilter.IdentityDupeFilter"
# 950: closest to the network, so the WARC holds the bytes as received (still gzip-encoded),
# redirects and retried errors included, and HTTP-cache hits (900) are not archived twice.
# 45: the SSRF guard sees every request (redirect hops included) before robots.txt (100) and
# anything else; the resolver refuses private addresses a hostname resolves to.
# 100: robots.txt, in Scrapy's place; crawler.robots.RobotsTxtGate is Scrapy's middleware with
# every request that waits for a host's robots.txt checked (Scrapy's lets some through unchecked).
# 940: the byte budget per source counts bodies as received, next to the WARC capture.
DOWNLOADER_MIDDLEWARES = {
    "crawler.ssrf.SSRFGuardMiddleware": 45,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.loopback.LoopbackPace": 90,
    "crawler.robots.RobotsTxtGate": 100,
    "crawler.budget.SourceByteBudget": 940,
    "crawler.warc.WarcCaptureMiddleware": 950,
}
TWISTED_DNS_RESOLVER = "crawler.ssrf.GuardedResolver"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
# Scrapy starts this many asyncio tasks for the output of every response; ours is one item
# and a few requests, and 100 tasks per page cost the reactor more than the page itself.
CONCURRENT_ITEMS = 4
# The garbage collector's settings and clock in the crawl process (BROADSHEET_GC_TUNING below).
# 510: a host answering 429 or 503 is made to wait longer between requests (crawler/backoff.py).
EXTENSIONS = {"crawler.collector.CollectorSettings": 500, "crawler.backoff.HostBackoff": 510}

# Extraction happens in the spider's worker processes (pipelines/workers.py), which also read
# each page's links; the item pipeline only stores.
ITEM_PIPELINES = {
    "pipelines.stages.StoreStage": 800,
}

# --- Broadsheet -----------------------------------------------------------------------------
BROADSHEET_SOURCES = "sources.toml"
BROADSHEET_SOURCE_IDS: list[str] = []
BROADSHEET_DB = "data/broadsheet.db"
# Extraction runs in this many worker processes (0 = in the crawler process, for debugging).
BROADSHEET_EXTRACT_WORKERS = 2
# Collector thresholds for the large, slowly changing heaps of the crawl and writer processes
# (pipelines/gc_tuning.py; False = CPython's). The collector's runs are reported either way.
BROADSHEET_GC_TUNING = True
# Archive writes per transaction at most (the writer process batches what is queued).
BROADSHEET_WRITE_BATCH = 64
# Crawling loopback, private, link-local or metadata addresses is refused unless the sources
# file says `allow_private_networks = true` (crawler.run copies it here).
BROADSHEET_ALLOW_PRIVATE_NETWORKS = False
# host -> IP pinned for that name only (tests and split-horizon DNS); empty by default.
BROADSHEET_SSRF_PINNED_HOSTS: dict[str, str] = {}
# Every response is archived in WARC 1.1 files here ("" = a warc/ folder beside the archive).
BROADSHEET_WARC_ENABLED = True
BROADSHEET_WARC_DIR = ""
BROADSHEET_WARC_MAX_BYTES = 1024**3
# Story clusters (docs/dedup.md): two articles are one story when the overlap of their numbers
# and names is at least MIN_SALIENT and their shingle Jaccard reaches MIN_JACCARD or the shorter
# is contained in the longer to MIN_CONTAINMENT.
BROADSHEET_STORY_MIN_JACCARD = 0.4
BROADSHEET_STORY_MIN_CONTAINMENT = 0.6
BROADSHEET_STORY_MIN_SALIENT = 0.7
# Upper bound on requests scheduled per source and run: a hostile or endless site stops here.
BROADSHEET_MAX_REQUESTS_PER_SOURCE = 5000
# Bytes (as received) a source's responses may bring in one run; then its other requests are
# refused until the next run (crawler/budget.py). Bounds the WARC files a hostile site can fill.
BROADSHEET_MAX_BYTES_PER_SOURCE = 1024**3
# Fetch known pages again regardless of the re-check policy (pipelines/frontier.py).
BROADSHEET_RECRAWL = False
# ISO date: feed and sitemap entries dated before it are not followed ("" = no bound).
BROADSHEET_SINCE = ""
# Pages of one paginated list (rel="next", /page/N, ?page=N) followed past the first, while each
# yields articles new to the run; beyond this, or once a page yields none, DEPTH_LIMIT applies.
BROADSHEET_MAX_LIST_PAGES = 100
# Links taken from one page at most (a page with 100,000 links costs no more than this).
BROADSHEET_MAX_LINKS_PER_PAGE = 400

# Distributed mode (`broadsheet crawl --redis URL`): the run this worker joins ("" = not
# distributed), and how long an idle worker waits for links other workers may still add.
BROADSHEET_REDIS_RUN = ""
BROADSHEET_REDIS_IDLE_GRACE = 5.0

LOG_LEVEL = "INFO"
