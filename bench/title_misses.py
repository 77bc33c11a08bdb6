"""Which headline the metadata references take where Broadsheet's title misses.

    .venv/bin/python bench/title_misses.py [--data /work/shared/bench/metadata/dev]

For every dev page with a reference title that ``extract_page`` does not match exactly, prints
the page's declared titles (og:title, the JSON-LD headline, <title>), its printed headline (the
one ``find_title`` reads: the first <h1> outside a breadcrumb trail, or a kicker heading's
headline part) and which of them equal the reference and Broadsheet's title. The last lines
count the misses where Broadsheet's title is the printed headline and the reference another
declared title: there the reference follows a publisher's choice of field, not the page.

Titles are compared and scored with the evaluator's own functions, imported from its file.
The pages are read from shared/bench and never copied into the repository.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import lxml.html

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines.extract import extract_page
from pipelines.extraction.page import collect_page_info, ld_text
from pipelines.extraction.title import visible_headings

DEFAULT_DATA = Path("/work/shared/bench/metadata/dev")


def _evaluator(data: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("evaluate", data.parent / "evaluate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def candidates(html: str) -> dict[str, str]:
    """The page's declared titles and its printed headline, as the page gives them."""
    tree = lxml.html.document_fromstring(html)
    info = collect_page_info(tree)
    found: list[str] = []
    printed = next(visible_headings(info, [], found), "")
    return {
        "og:title": info.first("og:title") or "",
        "json-ld": ld_text((info.article or {}).get("headline")),
        "<title>": info.title_tag,
        "printed": printed,
    }


def _same(ev: ModuleType, first: str, second: str) -> bool:
    """One title: equal as the evaluator compares them, or in the same words (quotes aside)."""
    if not first or not second:
        return False
    return ev.norm_text(first) == ev.norm_text(second) or (
        ev.title_tokens(first) == ev.title_tokens(second)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    ev = _evaluator(args.data)
    truth = json.loads((args.data / "ground-truth.json").read_text())
    scored = misses = printed_misses = 0
    lost = 0.0
    for page_id, ref in sorted(truth.items()):
        if not ref.get("title"):
            continue
        scored += 1
        path = args.data / "html" / f"{page_id}.html.gz"
        html = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
        ours = extract_page(html, ref.get("url", "")).title
        if ev.norm_text(ours) == ev.norm_text(ref["title"]):
            continue
        misses += 1
        f1 = ev.token_f1(ev.title_tokens(ref["title"]), ev.title_tokens(ours))
        lost += 1 - f1
        cands = candidates(html)
        print(f"{f1:.3f} {ref.get('url', page_id)}")
        print(f"      reference: {ref['title']}")
        print(f"      broadsheet: {ours}")
        for name, text in cands.items():
            marks = [
                who
                for who, title in (("reference", ref["title"]), ("broadsheet", ours))
                if _same(ev, text, title)
            ]
            print(f"      {name:9} {text[:100]!r}  {'= ' + ', '.join(marks) if marks else ''}")
        ref_declared = any(
            _same(ev, cands[k], ref["title"]) for k in ("og:title", "json-ld", "<title>")
        )
        if _same(ev, cands["printed"], ours) and ref_declared:
            printed_misses += 1
    print(f"{scored} pages with a reference title; {misses} not matched exactly")
    print(f"token-F1 lost on them: {lost:.2f} pages' worth (mean {1 - lost / scored:.3f})")
    print(
        f"{printed_misses} of the {misses}: Broadsheet's title is the printed headline and "
        "the reference another declared title"
    )


if __name__ == "__main__":
    main()
