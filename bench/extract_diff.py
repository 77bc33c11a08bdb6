"""What an extractor change changes: dump fields of every benchmark page, or compare two dumps.

    git stash        # the old version
    .venv/bin/python bench/extract_diff.py --out /tmp/old.json
    git stash pop    # the new one
    .venv/bin/python bench/extract_diff.py --out /tmp/new.json --against /tmp/old.json

Reads both dev splits of /work/shared/bench (306 pages, 305 URLs: one page is in both, and
the dump is keyed by URL) unless --data is given. --fields picks
the extracted fields compared (default: the dates and their methods); each page whose values
differ is printed with the old and the new values, then the number of such pages.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_extract import load_pages
from pipelines.extract import extract_page

DEFAULT_DATA = [Path("/work/shared/bench/metadata/dev"), Path("/work/shared/bench/extraction/dev")]
DEFAULT_FIELDS = "published_at,published_method,updated_at,updated_method,date_flags"


def dump(data: list[Path], fields: list[str]) -> dict[str, list[object]]:
    out: dict[str, list[object]] = {}
    for directory in data:
        for html, url in load_pages(directory):
            extracted = extract_page(html, url)
            out[url] = [getattr(extracted, name) for name in fields]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, action="append")
    parser.add_argument("--fields", default=DEFAULT_FIELDS)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--against", type=Path)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    fields = args.fields.split(",")
    new = dump(args.data or DEFAULT_DATA, fields)
    args.out.write_text(json.dumps(new, ensure_ascii=False, indent=1))
    if args.against is None:
        print(f"{len(new)} pages written to {args.out}")
        return
    old = json.loads(args.against.read_text())
    changed = [url for url in new if url in old and old[url] != new[url]]
    for url in changed:
        print(url)
        print(f"   old {dict(zip(fields, old[url], strict=True))}")
        print(f"   new {dict(zip(fields, new[url], strict=True))}")
    print(f"pages changed: {len(changed)} of {len(new)} ({', '.join(fields)})")


if __name__ == "__main__":
    main()
