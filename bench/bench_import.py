"""Memory of `broadsheet import-warc` as the WARC grows: it must stay flat (streaming).

Writes two foreign-style WARC files (gzip per record, one response record per article page of
the generated benchmark site, plus request and metadata records an importer must skip) of N
and 4N records, imports each into a fresh archive in a subprocess, and prints the time and the
peak RSS of each import and their ratio (the 1x file is the baseline measured in the same run).

    .venv/bin/python bench/bench_import.py --records 5000
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synthetic_site import article_html

HOST = "http://news.bench.example"


def write_warc(path: Path, records: int) -> None:
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for n in range(records):
            url = f"{HOST}/news/{n}/story-{n}"
            body = article_html(n).encode("utf-8")
            headers = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            writer.write_record(
                writer.create_warc_record(
                    url, "response", payload=BytesIO(body), http_headers=headers
                )
            )
            writer.write_record(
                writer.create_warc_record(url, "metadata", payload=BytesIO(b"fetchTimeMs: 12\n"))
            )


def run_import(warc: Path, workdir: Path) -> tuple[float, float]:
    sources = workdir / "sources.toml"
    sources.write_text(f'[[source]]\nid = "bench"\nurl = "{HOST}/"\n', encoding="utf-8")
    db = workdir / f"{warc.stem}.db"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "archive", "import-warc", "--sources", str(sources), "--db",
         str(db), str(warc)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the largest of any child so far: run the small file first.
    return wall, max(peak, before) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        results = []
        for factor in (1, 4):
            warc = workdir / f"cc-news-{factor}x.warc.gz"
            write_warc(warc, args.records * factor)
            size = warc.stat().st_size / 1e6
            wall, peak = run_import(warc, workdir)
            results.append((factor, size, wall, peak))
            print(f"{args.records * factor:>7,} records, {size:7.1f} MB: {wall:6.1f} s, "
                  f"{args.records * factor / wall:5.0f} records/s, peak RSS {peak:6.0f} MB")  # fmt: skip
        growth = results[1][3] / results[0][3]
        print(f"peak memory ratio 4x file / 1x file: {growth:.2f} (1.00 = flat)")


if __name__ == "__main__":
    main()
