"""Broadsheet against the recipe users write instead (Scrapy + trafilatura), on whole sites.

The recipe (bench/recipe_spider.py) follows every same-host link from the home page and keeps
every page trafilatura finds text on, upserted by URL. Both crawl the same sites on 127.0.0.1,
each into its own fresh store:

1. The bundled demo outlets (demo_sites), whose ground truth is known: three crawls each, the
   second of the unchanged sites, the third after the sites' second edition corrects some
   articles. Printed: article rows, rows that are no article (home, section, tag, author and
   static pages), articles stored more than once (``?print=1``, ``?page=2``, AMP and slash
   variants), articles missed, the body's word F1 against the true paragraphs, headline and
   publication day right; requests of the second crawl (all, and full downloads of article
   pages); after the corrections, how many corrected articles still have their first wording
   in the store.
2. The hostile site of the test suite (tests/hostile): calendar, pagination and endless-list
   traps, a link farm, huge and slow pages. Each crawl runs until it stops by itself or for
   ``--hostile-seconds``; printed: whether it stopped by itself, requests, rows, and the bytes
   its store holds (database and WARC files), and for a crawl that was stopped, how fast its
   store was growing.

Both crawl with the same settings: no politeness delay on loopback, 16 requests per host.

    .venv/bin/python bench/bench_recipe.py
    .venv/bin/python bench/bench_recipe.py --hostile-seconds 300
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.cli import LOCAL_CRAWL_SETTINGS
from bench.reference_texts import word_f1
from demo_sites.catalog import Article, outlets, write_sources_toml
from demo_sites.server import DemoServer
from tests.hostile.server import HostileServer

SAME = ("DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", "CONCURRENT_REQUESTS_PER_DOMAIN=16")


def _sets(pairs: Iterable[str]) -> list[str]:
    return [arg for pair in pairs for arg in ("--set", pair)]


def recipe_command(starts: list[str], db: Path, extra: Iterable[str] = ()) -> list[str]:
    return [
        sys.executable, "-m", "scrapy", "runspider", str(ROOT / "bench" / "recipe_spider.py"),
        "-a", "start=" + ",".join(starts), "-a", f"db={db}", "-s", "LOG_LEVEL=INFO",
        *[arg for pair in (*SAME, *extra) for arg in ("-s", pair)],
    ]  # fmt: skip


def broadsheet_command(sources: Path, db: Path, extra: Iterable[str] = ()) -> list[str]:
    return [
        sys.executable, "-m", "archive", "crawl", "--sources", str(sources), "--db", str(db),
        *LOCAL_CRAWL_SETTINGS, *_sets(extra),
    ]  # fmt: skip


def run(command: list[str], workdir: Path, timeout: float, cwd: Path) -> tuple[float, bool]:
    """Run a crawl in ``cwd``, logging to ``workdir``; its wall seconds, and whether it ended
    by itself before ``timeout``."""
    start = time.perf_counter()
    with (workdir / "crawl.log").open("a", encoding="utf-8") as log:
        proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=log)
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.terminate()  # Scrapy's graceful stop: pipelines close, the store stays whole
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            return time.perf_counter() - start, False
    if code not in (0, 1):  # 1: Broadsheet's "a source failed", which the hostile site causes
        raise RuntimeError(f"{command[:5]} exited {code}; see {workdir / 'crawl.log'}")
    return time.perf_counter() - start, True


def store_bytes(workdir: Path) -> int:
    """Bytes of everything a crawl keeps: database files and WARC archives (not its logs)."""
    keep = ("archive.db", "recipe.db")
    return sum(
        p.stat().st_size
        for p in workdir.rglob("*")
        if p.is_file() and (p.name.startswith(keep) or ".warc" in p.name)
    )


# -- the demo outlets: what a row is ---------------------------------------------------------


def _path_key(path: str) -> str:
    return path.rstrip("/") or "/"


@dataclass
class Truth:
    """Every demo article, found by the path of any URL that serves it."""

    by_path: dict[tuple[str, str], tuple[str, Article]] = field(default_factory=dict)

    @classmethod
    def of(cls, server: DemoServer, editions: Iterable[int] = (1, 2)) -> Truth:
        truth = cls()
        for outlet in outlets():
            base = urlsplit(server.base_urls[outlet.id])
            for edition in editions:
                for article in outlet.articles(edition):
                    for path in (article.path, article.amp_path):
                        if path:
                            key = (base.netloc, _path_key(base.path + path))
                            truth.by_path[key] = (f"{outlet.id}{article.path}", article)
        return truth

    def article(self, url: str) -> tuple[str, Article] | None:
        """The article a URL serves, whatever its query (``?print=1``, ``?page=2``), or None."""
        parts = urlsplit(url)
        return self.by_path.get((parts.netloc, _path_key(parts.path)))


@dataclass
class Rows:
    """A store's article rows on the demo outlets, judged against the truth."""

    articles: int = 0  # distinct demo articles stored
    non_articles: list[str] = field(default_factory=list)
    extra_copies: dict[str, int] = field(default_factory=dict)  # article -> rows beyond one
    missed: int = 0
    body_f1: float = 0.0
    titles_right: int = 0
    days_right: int = 0


def judge(truth: Truth, rows: list[tuple[str, str, str, str]], expected: set[str]) -> Rows:
    """``rows``: (url, title, date, body) of each stored row. ``expected``: the keys of the
    articles a crawl should store. Each article is scored on its best row."""
    out = Rows()
    best: dict[str, tuple[float, bool, bool]] = {}
    copies: Counter[str] = Counter()
    for url, title, date, body in rows:
        found = truth.article(url)
        if found is None:
            out.non_articles.append(url)
            continue
        key, article = found
        copies[key] += 1
        score = (word_f1(body or "", article.body), title == article.title,
                 (date or "")[:10] == article.published_at[:10])  # fmt: skip
        best[key] = max(best.get(key, score), score)
    out.articles = len(best)
    out.extra_copies = {k: n - 1 for k, n in copies.items() if n > 1}
    out.missed = len(expected - set(best))
    scored = [best[k] for k in expected if k in best]
    out.body_f1 = sum(s[0] for s in scored) / max(len(scored), 1)
    out.titles_right = sum(s[1] for s in scored)
    out.days_right = sum(s[2] for s in scored)
    return out


def recipe_rows(db: Path) -> list[tuple[str, str, str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("select url, title, date, text from articles").fetchall()


def broadsheet_rows(db: Path) -> list[tuple[str, str, str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("select url, title, published_at, body from articles").fetchall()


def broadsheet_texts(db: Path) -> list[str]:
    """Every wording the archive keeps: current bodies and the earlier versions."""
    with sqlite3.connect(db) as conn:
        sql = "select body from articles union all select body from article_versions"
        return [r[0] or "" for r in conn.execute(sql)]


def corrected(edition1: dict[str, Article], edition2: dict[str, Article]) -> dict[str, str]:
    """Article key -> a paragraph of its first wording that the second edition changed."""
    out = {}
    for key, first in edition1.items():
        second = edition2.get(key)
        if second is not None and second.paragraphs != first.paragraphs:
            gone = [p for p in first.paragraphs if p not in second.paragraphs]
            if gone:
                out[key] = gone[0]
    return out


def _edition(edition: int) -> dict[str, Article]:
    return {f"{o.id}{a.path}": a for o in outlets() for a in o.articles(edition)}


@dataclass
class DemoResult:
    name: str
    rows: Rows
    seconds: list[float]
    requests: list[int]  # per crawl
    article_downloads: list[int]  # per crawl: article URLs answered 200 (a full download)
    first_wording_kept: int = 0
    corrected: int = 0
    bytes: int = 0


def demo_run(
    name: str,
    server: DemoServer,
    workdir: Path,
    crawl: Callable[[], list[str]],
    cwd: Path,
    rows_of: Callable[[], list[tuple[str, str, str, str]]],
    texts_of: Callable[[], list[str]],
) -> DemoResult:
    truth = Truth.of(server)
    first, second = _edition(1), _edition(2)
    expected = set(first)
    result = DemoResult(name, Rows(), [], [], [])
    server.set_edition(1)
    for edition in (1, 1, 2):
        if edition == 2:
            time.sleep(1.1)  # Last-Modified has one-second resolution
            server.set_edition(2)
        server.clear_requests()
        seconds, _ = run(crawl(), workdir, timeout=900, cwd=cwd)
        log = server.requests
        result.seconds.append(seconds)
        result.requests.append(len(log))
        result.article_downloads.append(
            sum(
                1
                for m, p, s in log
                if m == "GET" and s == 200 and truth.article(server.root_url + p)
            )
        )
        if len(result.seconds) == 1:
            result.rows = judge(Truth.of(server, editions=(1,)), rows_of(), expected)
    server.set_edition(1)
    changes = corrected(first, second)
    texts = texts_of()
    result.corrected = len(changes)
    result.first_wording_kept = sum(any(p in t for t in texts) for p in changes.values())
    result.bytes = store_bytes(workdir)
    return result


def demo_results(workroot: Path) -> list[DemoResult]:
    with DemoServer(port=0, shared_host=True) as server:
        starts = [server.base_urls[o.id] + "/" for o in outlets()]
        results = []
        work = workroot / "demo-recipe"
        work.mkdir()
        db = work / "recipe.db"
        results.append(
            demo_run(
                # the recipe runs outside this project (no scrapy.cfg): Scrapy's own defaults
                "recipe", server, work, lambda: recipe_command(starts, db), work,
                lambda: recipe_rows(db), lambda: [r[3] or "" for r in recipe_rows(db)],
            )
        )  # fmt: skip
        work = workroot / "demo-broadsheet"
        work.mkdir()
        sources, archive = write_sources_toml(server, work / "sources.toml"), work / "archive.db"
        results.append(
            demo_run(
                "broadsheet", server, work, lambda: broadsheet_command(sources, archive), ROOT,
                lambda: broadsheet_rows(archive), lambda: broadsheet_texts(archive),
            )
        )  # fmt: skip
    return results


# -- the hostile site ------------------------------------------------------------------------


@dataclass
class HostileResult:
    name: str
    seconds: float
    stopped_by_itself: bool
    requests: int
    rows: int
    bytes: int


HOSTILE_SETTINGS = ("DOWNLOAD_TIMEOUT=10", "RETRY_TIMES=1")


def hostile_results(workroot: Path, seconds: float) -> list[HostileResult]:
    results = []
    with HostileServer() as server:
        server.set_mode("hostile")
        for name in ("recipe", "broadsheet"):
            work = workroot / f"hostile-{name}"
            work.mkdir()
            if name == "recipe":
                db = work / "recipe.db"
                command = recipe_command([server.base_url + "/"], db, HOSTILE_SETTINGS)
                cwd = work  # outside this project (no scrapy.cfg): Scrapy's own defaults
            else:
                db = work / "archive.db"
                sources = server.write_sources(work / "sources.toml")
                # robots.txt asks for a long Crawl-delay, which Scrapy alone ignores
                command = broadsheet_command(
                    sources, db, (*HOSTILE_SETTINGS, "BROADSHEET_MAX_CRAWL_DELAY=1")
                )
                cwd = ROOT
            server.clear_requests()
            wall, by_itself = run(command, work, timeout=seconds, cwd=cwd)
            with sqlite3.connect(db) as conn:
                rows = conn.execute("select count(*) from articles").fetchone()[0]
            results.append(
                HostileResult(name, wall, by_itself, len(server.requests()), rows,
                              store_bytes(work))
            )  # fmt: skip
    return results


# -- report ----------------------------------------------------------------------------------


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def report_demo(results: list[DemoResult], expected: int) -> None:
    print(f"demo outlets: {expected} articles")
    head = ("", *(r.name for r in results))
    lines = [
        ("article rows (distinct articles)", *(str(r.rows.articles) for r in results)),
        ("articles missed", *(str(r.rows.missed) for r in results)),
        ("rows that are no article", *(str(len(r.rows.non_articles)) for r in results)),
        ("articles stored more than once", *(str(len(r.rows.extra_copies)) for r in results)),
        ("  extra rows for them", *(str(sum(r.rows.extra_copies.values())) for r in results)),
        ("body word F1 (mean, best row)", *(f"{r.rows.body_f1:.3f}" for r in results)),
        ("headline right", *(str(r.rows.titles_right) for r in results)),
        ("publication day right", *(str(r.rows.days_right) for r in results)),
        ("crawl 1: requests", *(str(r.requests[0]) for r in results)),
        ("crawl 2 (unchanged): requests", *(str(r.requests[1]) for r in results)),
        ("  article pages downloaded", *(str(r.article_downloads[1]) for r in results)),
        ("crawl 3 (corrections): requests", *(str(r.requests[2]) for r in results)),
        ("corrected articles, first wording kept",
         *(f"{r.first_wording_kept}/{r.corrected}" for r in results)),
        ("store after 3 crawls", *(_mb(r.bytes) for r in results)),
        ("seconds per crawl", *("/".join(f"{s:.0f}" for s in r.seconds) for r in results)),
    ]  # fmt: skip
    _table([head, *lines])
    for r in results:
        kinds = Counter(_kind(u) for u in r.rows.non_articles)
        if kinds:
            print(f"  {r.name} non-article rows by kind: {dict(kinds.most_common())}")


def _kind(url: str) -> str:
    path = urlsplit(url).path.strip("/").split("/")
    return path[1] if len(path) > 1 else "home"


def report_hostile(results: list[HostileResult], limit: float) -> None:
    print(f"\nhostile site (stopped after {limit:.0f} s if still running)")
    head = ("", *(r.name for r in results))
    lines = [
        ("stopped by itself", *("yes" if r.stopped_by_itself else "no" for r in results)),
        ("seconds", *(f"{r.seconds:.0f}" for r in results)),
        ("requests", *(str(r.requests) for r in results)),
        ("article rows", *(str(r.rows) for r in results)),
        ("store", *(_mb(r.bytes) for r in results)),
        (
            "store growth per minute when stopped",
            *("-" if r.stopped_by_itself else _mb(int(r.bytes * 60 / r.seconds)) for r in results),
        ),
    ]
    _table([head, *lines])


def _table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [
            row[0].ljust(widths[0]),
            *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)),
        ]
        print("  ".join(cells))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hostile-seconds", type=float, default=180)
    parser.add_argument("--skip-hostile", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-recipe-") as tmp:
        demo = demo_results(Path(tmp))
        expected = sum(len(o.articles(1)) for o in outlets())
        report_demo(demo, expected)
        if not args.skip_hostile:
            report_hostile(hostile_results(Path(tmp), args.hostile_seconds), args.hostile_seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
