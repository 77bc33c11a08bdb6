"""Coverage of a site reachable only through a paginated list: real pages, crawled on loopback.

Serves every HTML page under the given folders (the shared benchmarks' real pages, gzipped or
not) at /news/<id> on 127.0.0.1, with a home page that lists them N to a page over /page/2/,
/page/3/ ... (an anchor with rel="next"), no feed and no sitemap. The pages keep their own
links, most of which lead nowhere on this host, as in a partial mirror of a site. Then it runs
`broadsheet crawl` twice on fresh archives, in the same process: once with
BROADSHEET_MAX_LIST_PAGES=0 (the depth limit alone, as before the list rule) and once with the
default, and prints what each fetched and stored, and their ratio.

    .venv/bin/python bench/list_coverage.py ../shared/bench/metadata/dev/html \\
        ../shared/bench/extraction/dev/html --per-page 50
"""

from __future__ import annotations

import argparse
import gzip
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_crawl import FAST, stats_from_log


def load_pages(folders: list[Path]) -> dict[str, Path]:
    """id (the file name's stem, at most 16 characters) -> file, sorted by id."""
    pages: dict[str, Path] = {}
    for folder in folders:
        for path in folder.iterdir():
            if path.suffix in (".html", ".htm", ".gz"):
                pages.setdefault(path.name.split(".")[0][:16], path)
    return dict(sorted(pages.items()))


class ListSite(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, pages: dict[str, Path], per_page: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.pages, self.ids, self.per_page = pages, list(pages), per_page

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


class _Handler(BaseHTTPRequestHandler):
    server: ListSite

    def do_GET(self) -> None:
        body, kind = self._answer()
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")

    def _answer(self) -> tuple[bytes | None, str]:
        site, path = self.server, self.path
        listing = re.fullmatch(r"/(?:page/(\d+)/)?", path)
        if listing:
            number = int(listing[1] or 1)
            chunk = site.ids[(number - 1) * site.per_page : number * site.per_page]
            if not chunk:
                return None, "text/html"
            items = "".join(f'<li><a href="/news/{i}">Story {i}</a></li>' for i in chunk)
            more = number * site.per_page < len(site.ids)
            older = f'<a rel="next" href="/page/{number + 1}/">Older</a>' if more else ""
            html = f"<html><head><title>Archive {number}</title></head><body><h1>Archive</h1>"
            return f"{html}<ul>{items}</ul>{older}</body></html>".encode(), "text/html"
        if path.startswith("/news/") and path[6:] in site.pages:
            file = site.pages[path[6:]]
            data = file.read_bytes()
            data = gzip.decompress(data) if file.suffix == ".gz" else data
            return data, "text/html"
        return None, "text/html"

    def log_message(self, format: str, *args: object) -> None:
        pass


def crawl(site: ListSite, workdir: Path, max_list_pages: str | None) -> dict[str, int]:
    sources = workdir / "sources.toml"
    sources.write_text(
        f'allow_private_networks = true\n[[source]]\nid = "list"\nurl = "{site.base_url}"\n',
        encoding="utf-8",
    )
    settings = {**FAST, **({"BROADSHEET_MAX_LIST_PAGES": max_list_pages} if max_list_pages else {})}
    sets = [arg for k, v in settings.items() for arg in ("--set", f"{k}={v}")]
    db = workdir / "archive.db"
    proc = subprocess.run(
        [sys.executable, "-m", "archive", "crawl", "--sources", str(sources), "--db", str(db),
         *sets],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    stats = stats_from_log(proc.stderr)
    with sqlite3.connect(db) as conn:
        articles = conn.execute("select count(*) from articles").fetchone()[0]
        lists = conn.execute("select count(*) from pages where kind = 'listing'").fetchone()[0]
    return {
        "exit": proc.returncode,
        "fetched": int(stats.get("broadsheet/source/list/pages_fetched", 0)),
        "list pages": lists,
        "articles": articles,
        "over budget": int(stats.get("broadsheet/source/list/over_budget", 0)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--per-page", type=int, default=50)
    args = parser.parse_args()
    pages = load_pages(args.folders)
    site = ListSite(pages, args.per_page)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    print(f"{len(pages)} pages, {args.per_page} to a list page, at {site.base_url}")
    results = {}
    for label, value in (("depth limit alone", "0"), ("with the list rule", None)):
        with tempfile.TemporaryDirectory() as tmp:
            results[label] = crawl(site, Path(tmp), value)
        print(f"{label:20} " + "  ".join(f"{k} {v}" for k, v in results[label].items()))
    before, after = results["depth limit alone"], results["with the list rule"]
    print(f"articles stored: {after['articles']} / {before['articles']} = "
          f"{after['articles'] / max(before['articles'], 1):.2f}x")  # fmt: skip
    site.shutdown()


if __name__ == "__main__":
    main()
