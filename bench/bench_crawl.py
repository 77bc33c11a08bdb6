"""Crawl throughput: Broadsheet end to end against bare Scrapy on the same generated site.

Both crawl a generated site of N article pages on 127.0.0.1 (bench/synthetic_site.py, served
by its own process) with politeness off (no delay, no AutoThrottle, 32 concurrent requests) for
this benchmark only; the site's server answers from pages rendered before the runs, so it takes
little of the machine (it stands in for remote servers) and the same for every run. Broadsheet
runs its real spider and pipelines: discovery, extraction in
its worker pool, dedup, stories, facts and SQLite writes. Bare Scrapy fetches the sitemap's URLs
and drops the responses, once before Broadsheet and once after (the ratio is against the mean
of the two). Printed: pages/s of each, the ratio, CPU use in cores, and the
resident memory of each process tree (crawl process plus workers and writer) sampled every
second, at a quarter, half, three quarters and the end of the run: flat means no per-URL growth.

    .venv/bin/python bench/bench_crawl.py --pages 10000
    .venv/bin/python bench/bench_crawl.py --pages 10000 --set BROADSHEET_GC_TUNING=False
    .venv/bin/python bench/bench_crawl.py --pages 10000 --bare-gc-tuning
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
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


TICKS = os.sysconf("SC_CLK_TCK")


def sample_tree(pid: int, cpu: dict[int, tuple[str, float]]) -> int:
    """Resident memory of a process and all its descendants, in bytes (Linux /proc); records
    each process's name and CPU seconds so far in ``cpu``."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        proc = Path("/proc", str(current))
        try:
            status = (proc / "status").read_text(encoding="ascii")
            total += next(
                int(line.split()[1]) * 1024
                for line in status.splitlines()
                if line.startswith("VmRSS:")
            )
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            name = "crawl process" if current == pid else (proc / "comm").read_text().strip()
            cpu[current] = (name, (int(fields[11]) + int(fields[12])) / TICKS)
            for task in (proc / "task").iterdir():
                stack += [int(kid) for kid in (task / "children").read_text().split()]
        except (OSError, ValueError, StopIteration, IndexError):
            continue  # it ended between two reads
    return total


@dataclass
class Run:
    log: str
    wall: float
    cpu: float
    rss: list[tuple[float, int]]  # (seconds since start, bytes) every SAMPLE_SECONDS
    cpu_by_name: dict[str, float]  # CPU seconds per process name at the last sample
    site_cpu: float = 0.0  # CPU seconds the site's server spent during the run

    def rss_at(self, fraction: float) -> int:
        """Memory of the process tree at that fraction of the run (nearest sample before)."""
        moment = self.wall * fraction
        before = [rss for at, rss in self.rss if at <= moment]
        return before[-1] if before else 0

    @property
    def peak_rss(self) -> int:
        return max((rss for _, rss in self.rss), default=0)


SAMPLE_SECONDS = 1.0


def process_cpu(pid: int) -> float:
    fields = Path("/proc", str(pid), "stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def timed(command: list[str], site: int) -> Run:
    """Run a command; its stderr, wall and CPU seconds (with children), memory and CPU samples,
    and the CPU seconds of the site server (process ``site``) meanwhile."""
    site_before = process_cpu(site)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    samples: list[tuple[float, int]] = []
    cpu: dict[int, tuple[str, float]] = {}
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(command, stderr=err, stdout=subprocess.DEVNULL, cwd=ROOT)
        while proc.poll() is None:
            samples.append((time.perf_counter() - start, sample_tree(proc.pid, cpu)))
            time.sleep(SAMPLE_SECONDS)
        wall = time.perf_counter() - start
        err.seek(0)
        log = err.read()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{command[:4]} failed ({proc.returncode}):\n{log[-3000:]}")
    by_name: dict[str, float] = {}
    for name, seconds in cpu.values():
        by_name[name] = by_name.get(name, 0.0) + seconds
    return Run(log, wall, cpu_seconds, samples, by_name, process_cpu(site) - site_before)


def settings(pairs: dict[str, str]) -> list[str]:
    return [arg for key, value in pairs.items() for arg in ("--set", f"{key}={value}")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="extraction processes")
    parser.add_argument(
        "--set", dest="extra", action="append", default=[], metavar="NAME=VALUE",
        help="a setting for Broadsheet's crawl, e.g. BROADSHEET_GC_TUNING=False (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--bare-gc-tuning", action="store_true",
        help="run bare Scrapy with Broadsheet's collector settings too (for comparison)",
    )  # fmt: skip
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
        if args.bare_gc_tuning:
            bare_cmd += ["-a", "gc_tuning=1"]
        bare = timed(bare_cmd, site.pid)

        with tempfile.TemporaryDirectory() as tmp:
            sources = Path(tmp) / "sources.toml"
            sources.write_text(
                f'allow_private_networks = true\n[[source]]\nid = "bench"\nurl = "{url}"\n',
                encoding="utf-8",
            )
            ours = {**FAST, "BROADSHEET_EXTRACT_WORKERS": str(args.workers),
                    "BROADSHEET_MAX_REQUESTS_PER_SOURCE": str(args.pages * 2),
                    **dict(pair.split("=", 1) for pair in args.extra)}  # fmt: skip
            cmd = [sys.executable, "-m", "archive", "crawl", "--sources", str(sources),
                   "--db", str(Path(tmp) / "bench.db"), *settings(ours)]  # fmt: skip
            ours = timed(cmd, site.pid)
            # the baseline again after ours: its rate drifts by 10-20% between runs (the site
            # server shares the machine), and the mean of a run before and one after is fairer
            # to both than either alone
            bare_after = timed(bare_cmd, site.pid)
            our_stats = stats_from_log(ours.log)
            our_pages = our_stats.get("broadsheet/source/bench/new", 0)
            fetched = our_stats.get("broadsheet/source/bench/pages_fetched", 0)
            our_elapsed = our_stats["elapsed_time_seconds"]
    finally:
        site.terminate()
        site.wait(timeout=10)

    our_rate = our_pages / our_elapsed
    print(f"site: {args.pages} article pages on 127.0.0.1, politeness off, 32 concurrent requests")
    rates = []
    for label, run in (("before", bare), ("after", bare_after)):
        stats = stats_from_log(run.log)
        pages, elapsed = stats.get("bench/pages", 0), stats["elapsed_time_seconds"]
        rates.append(pages / elapsed)
        print(f"bare scrapy : {pages} pages in {elapsed:.1f} s = {rates[-1]:.0f} pages/s,"
              f" CPU {run.cpu / run.wall:.2f} cores, {run.cpu * 1000 / max(pages, 1):.1f} ms per"
              f" page (run {label} Broadsheet"
              f"{', with the collector settings' if args.bare_gc_tuning else ''})")  # fmt: skip
    bare_rate = sum(rates) / len(rates)
    print(f"broadsheet  : {our_pages} articles stored ({fetched} pages fetched) in"
          f" {our_elapsed:.1f} s = {our_rate:.0f} articles/s, CPU {ours.cpu / ours.wall:.2f} cores"
          f" ({args.workers} extraction workers)")  # fmt: skip
    print(f"ratio       : {our_rate / bare_rate:.2f}x the bare fetch rate (mean of the two bare"
          f" runs, {bare_rate:.0f} pages/s)")  # fmt: skip
    mib = 1024 * 1024
    for name, run in (("bare scrapy", bare), ("broadsheet", ours)):
        marks = ", ".join(
            f"{int(f * 100)}% {run.rss_at(f) / mib:.0f}" for f in (0.25, 0.5, 0.75, 1.0)
        )
        print(f"memory      : {name}, process tree RSS in MiB at {marks} of the run;"
              f" peak {run.peak_rss / mib:.0f}")  # fmt: skip
    shares = ", ".join(
        f"{name} {seconds * 1000 / max(our_pages, 1):.1f}"
        for name, seconds in sorted(ours.cpu_by_name.items(), key=lambda kv: -kv[1])
        if seconds >= 0.5
    )
    print(f"CPU per page: broadsheet, ms by process (to the last 1 s sample): {shares}")
    served = ", ".join(
        f"{name} {run.site_cpu * 1000 / max(pages, 1):.2f} ms"
        for name, run, pages in (
            ("bare before", bare, args.pages), ("broadsheet", ours, fetched),
            ("bare after", bare_after, args.pages),
        )
    )  # fmt: skip
    print(f"site server : CPU per page served during each run: {served}")
    collector = ", ".join(
        f"{kind} {int(our_stats.get(f'gc/{kind}_collections', 0))} in"
        f" {our_stats.get(f'gc/{kind}_cpu_seconds', 0.0):.2f} s"
        for kind in ("young", "middle", "full")
    )
    print(f"collector   : broadsheet's crawl process, collections and their CPU: {collector}"
          f" (settings: {' '.join(args.extra) or 'defaults'})")  # fmt: skip
    for line in re.findall(r"(\S+ process \d+): collector runs (.*)", ours.log):
        print(f"collector   : {line[0]}: {line[1]}")


if __name__ == "__main__":
    main()
