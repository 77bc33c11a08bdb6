"""How often ``classify_page`` calls real article pages ARTICLE, and what it costs.

Every page of the shared extraction and metadata dev sets is a news article, so the rate of
ARTICLE is the classifier's recall on real pages. Run from the repo root:

    .venv/bin/python bench/bench_classify.py [--show-misses] [--demo]

The pages are read from shared/bench and are never copied into the repository.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import statistics
import time
from collections import Counter
from pathlib import Path

import lxml.html

from pipelines.classify import classify_page
from pipelines.models import Extracted, PageKind

SHARED = Path("/work/shared/bench")
SETS = {
    "extraction": SHARED / "extraction" / "dev",
    "metadata": SHARED / "metadata" / "dev",
}


def trafilatura_extracted(html: str, url: str) -> Extracted:
    import trafilatura

    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    if doc is None:
        return Extracted(kind=PageKind.EMPTY)
    data = doc if isinstance(doc, dict) else doc.as_dict()
    text = data.get("text") or ""
    return Extracted(
        kind=PageKind.ARTICLE,
        title=data.get("title") or "",
        authors=[a.strip() for a in (data.get("author") or "").split(";") if a.strip()],
        published_at=data.get("date") or "",
        published_method="meta" if data.get("date") else "",
        body="\n\n".join(line for line in text.splitlines() if line.strip()),
        canonical_url=data.get("url") or "",
        description=data.get("description") or "",
    )


def build_extracted(html: str, url: str, extractor: str) -> Extracted:
    """The fields the extractor finds: the project's extractor when usable, else trafilatura."""
    if extractor == "project":
        try:
            from pipelines.extract import extract_page
        except ImportError:
            pass
        else:
            extracted = extract_page(html, url)
            if not extracted.kind_reason.startswith(("extraction error", "unparseable")):
                return extracted
    return trafilatura_extracted(html, url)


def _pages(root: Path) -> list[tuple[str, str, str]]:
    truth = json.loads((root / "ground-truth.json").read_text())
    out = []
    for page_id, entry in sorted(truth.items()):
        path = root / "html" / f"{page_id}.html.gz"
        if path.exists():
            out.append((page_id, entry["url"], gzip.decompress(path.read_bytes()).decode()))
    return out


def _run(
    pages: list[tuple[str, str, str]], show: bool, extractor: str, expect: str = "article"
) -> None:
    kinds: Counter[str] = Counter()
    times: list[float] = []
    warm: list[float] = []
    for page_id, url, html in pages:
        extracted = build_extracted(html, url, extractor)
        tree = lxml.html.fromstring(html)
        start = time.perf_counter()
        kind, reason = classify_page(tree, url, extracted)
        times.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()  # again with warm caches: the classifier's own cost
        classify_page(tree, url, extracted)
        warm.append((time.perf_counter() - start) * 1000)
        kinds[kind.value] += 1
        if show and kind.value != expect:
            print(f"  MISS {kind.value:8} {page_id[:10]} {url[:90]}\n      {reason}")
    total = sum(kinds.values())
    print(
        f"  {kinds[expect]}/{total} = {kinds[expect] / max(total, 1):.1%} {expect.upper()}"
        f"  kinds={dict(kinds)}\n  classify ms: median {statistics.median(times):.3f}"
        f" p95 {sorted(times)[int(0.95 * (len(times) - 1))]:.3f} (right after extraction);"
        f" warm median {statistics.median(warm):.3f} p95 {sorted(warm)[int(0.95 * (len(warm) - 1))]:.3f}"
    )


def _demo_pages(shared_host: bool) -> list[tuple[str, str, str, str]]:
    """(expected kind, label, url, html) for every page kind of the bundled demo outlets."""
    from demo_sites.catalog import non_article_paths, outlets
    from demo_sites.site import Site

    out = []
    for outlet in outlets():
        base = f"http://127.0.0.1:8001/{outlet.id}" if shared_host else "http://127.0.0.1:8001"
        site = Site(outlet, base)
        wanted = [("article", "article", a.path) for a in site.articles]
        wanted += [("article", "amp", a.amp_path) for a in site.articles if a.amp_path]
        for group, paths in non_article_paths(outlet).items():
            if group in {"home", "section", "tag", "author"}:
                wanted += [("listing", group, path) for path in paths]
            elif group in {"about", "contact"}:
                wanted += [("other", group, path) for path in paths]
        for expect, label, path in wanted:
            response = site.handle(path)
            if response.status == 200 and "html" in response.content_type:
                body = response.body
                html = body.decode() if isinstance(body, bytes) else body
                out.append((expect, f"{outlet.id}:{label}", site.abs(path), html))
    return out


def _run_demo(extractor: str, show: bool) -> None:
    for shared_host in (False, True):
        pages = _demo_pages(shared_host)
        right: Counter[str] = Counter()
        total: Counter[str] = Counter()
        for expect, label, url, html in pages:
            extracted = build_extracted(html, url, extractor)
            kind, reason = classify_page(lxml.html.fromstring(html), url, extracted)
            group = label.split(":")[1]
            total[group] += 1
            # LISTING vs OTHER confusions are harmless; storing or dropping articles is not.
            ok = (kind.value == "article") == (expect == "article")
            right[group] += ok
            if show and not ok:
                print(f"  MISS {label:18} {kind.value:8} {url}\n      {reason}")
        mode = "shared host (/<outlet>/ prefix)" if shared_host else "one host per outlet"
        summary = ", ".join(f"{g} {right[g]}/{total[g]}" for g in sorted(total))
        print(f"demo sites, {mode}: {summary}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument(
        "--extractor",
        choices=("project", "trafilatura"),
        default="project",
        help="where Extracted comes from (project falls back to trafilatura while missing)",
    )
    parser.add_argument("--demo", action="store_true", help="also score the demo_sites pages")
    args = parser.parse_args()
    logging.getLogger("pipelines").setLevel(logging.CRITICAL)
    everything: list[tuple[str, str, str]] = []
    for name, root in SETS.items():
        pages = _pages(root)
        everything += pages
        print(f"{name} dev ({len(pages)} pages):")
        _run(pages, args.show_misses, args.extractor)
    print(f"all ({len(everything)} pages):")
    _run(everything, show=False, extractor=args.extractor)
    if args.demo:
        _run_demo(args.extractor, args.show_misses)


if __name__ == "__main__":
    main()
