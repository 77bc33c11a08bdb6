"""Crawl throughput: Broadsheet end to end against bare Scrapy on the same generated site.

Both crawl a generated site of N article pages on 127.0.0.1 (bench/synthetic_site.py, served
by its own process) with politeness off (no delay, no AutoThrottle, 32 concurrent requests) for
this benchmark only. Broadsheet runs its real spider and pipelines: discovery, extraction in
its worker pool, dedup, stories, facts and SQLite writes. Bare Scrapy fetches the sitemap's URLs
and drops the responses. Printed: pages/s of each, the ratio, and CPU use in cores.

    .venv/bin/python bench/bench_crawl.py --pages 10000
"""

from __future__ import annotations

import argparse
import ast
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FAST = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "32",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "32",
    "LOG_LEVEL": "INFO",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stats_from_log(log: str) -> dict:
    """The stats dict Scrapy dumps at the end of a crawl."""
    match = re.search(r"Dumping Scrapy stats:\n(\{.*?\})\n", log, re.DOTALL)
    if not match:
        raise RuntimeError("no stats in the crawl log:\n" + log[-2000:])
    text = re.sub(r"datetime\.datetime\([^)]*\)", "None", match.group(1))
    return ast.literal_eval(text)


def timed(command: list[str]) -> tuple[str, float, float]:
    """Run a command; return its stderr, wall seconds and CPU seconds (with its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{command[:4]} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc.stderr, wall, cpu


def settings(pairs: dict[str, str]) -> list[str]:
    return [arg for key, value in pairs.items() for arg in ("--set", f"{key}={value}")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="extraction processes")
    args = parser.parse_args()
    port = free_port()
    site = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "synthetic_site.py"), "--pages", str(args.pages),
         "--port", str(port)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        site.stdout.readline()  # "serving ..."
        bare_cmd = [sys.executable, "-m", "scrapy", "runspider", str(ROOT / "bench" / "bare_spider.py"),
                    "-a", f"url={url}"]  # fmt: skip
        bare_cmd += [arg for k, v in FAST.items() for arg in ("-s", f"{k}={v}")]
        log, bare_wall, bare_cpu = timed(bare_cmd)
        bare_stats = stats_from_log(log)
        bare_pages = bare_stats.get("bench/pages", 0)
        bare_elapsed = bare_stats["elapsed_time_seconds"]

        with tempfile.TemporaryDirectory() as tmp:
            sources = Path(tmp) / "sources.toml"
            sources.write_text(
                f'allow_private_networks = true\n[[source]]\nid = "bench"\nurl = "{url}"\n',
                encoding="utf-8",
            )
            ours = {**FAST, "BROADSHEET_EXTRACT_WORKERS": str(args.workers),
                    "BROADSHEET_MAX_REQUESTS_PER_SOURCE": str(args.pages * 2)}  # fmt: skip
            cmd = [sys.executable, "-m", "archive", "crawl", "--sources", str(sources),
                   "--db", str(Path(tmp) / "bench.db"), *settings(ours)]  # fmt: skip
            log, our_wall, our_cpu = timed(cmd)
            our_stats = stats_from_log(log)
            our_pages = our_stats.get("broadsheet/source/bench/new", 0)
            fetched = our_stats.get("broadsheet/source/bench/pages_fetched", 0)
            our_elapsed = our_stats["elapsed_time_seconds"]
    finally:
        site.terminate()
        site.wait(timeout=10)

    bare_rate = bare_pages / bare_elapsed
    our_rate = our_pages / our_elapsed
    print(f"site: {args.pages} article pages on 127.0.0.1, politeness off, 32 concurrent requests")
    print(f"bare scrapy : {bare_pages} pages in {bare_elapsed:.1f} s = {bare_rate:.0f} pages/s,"
          f" CPU {bare_cpu / bare_wall:.2f} cores")  # fmt: skip
    print(f"broadsheet  : {our_pages} articles stored ({fetched} pages fetched) in"
          f" {our_elapsed:.1f} s = {our_rate:.0f} articles/s, CPU {our_cpu / our_wall:.2f} cores"
          f" ({args.workers} extraction workers)")  # fmt: skip
    print(f"ratio       : {our_rate / bare_rate:.2f}x the bare fetch rate")


if __name__ == "__main__":
    main()
