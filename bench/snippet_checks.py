"""Body text on pages outside the benchmark: trafilatura's own real-world snippet checks.

trafilatura's test suite keeps real pages (``tests/cache/``, shipped in the sdist of
trafilatura 0.9.3: ``pip download --no-deps --no-binary :all: trafilatura==0.9.3``) and, in
``tests/realworld_tests.py`` (GitHub only), asserts which phrases the text of each page must
contain and must not contain. This script reads those assertions without running them (``ast``)
and scores Broadsheet's body and trafilatura-fast's on the same pages:

    .venv/bin/python bench/snippet_checks.py --cache trafilatura-0.9.3/tests/cache \\
        --tests realworld_tests.py

Only assertions on the plain-text extraction count: after ``result = load_mock_page(URL)``
with no option other than the parametrised output flag, taken as plain text (``if xmloutput
is False`` blocks are read, the other branch is not). Reader comments fail for both, since
both run without comments. Printed: per page where the two differ, the checks Broadsheet
fails and trafilatura passes, and the totals. Then the metadata assertions of ``test_pages``
(title, author, date: exact, the date by its day), for Broadsheet's fields (authors and
agencies joined by "; ", as trafilatura writes them) and trafilatura's ``extract_metadata``.
"""

from __future__ import annotations

import argparse
import ast
import sys
import warnings
from pathlib import Path

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_extract import traf_fast
from pipelines.extract import extract_page

Check = tuple[str, bool]  # (phrase, must be present)


def _phrases(test: ast.expr) -> list[Check]:
    """``'a' in result and 'b' not in result``: [("a", True), ("b", False)]."""
    parts = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]
    found: list[Check] = []
    for part in parts:
        if isinstance(part, ast.BoolOp):
            found.extend(_phrases(part))
        elif (
            isinstance(part, ast.Compare)
            and isinstance(part.left, ast.Constant)
            and isinstance(part.left.value, str)
            and isinstance(part.ops[0], ast.In | ast.NotIn)
            and isinstance(part.comparators[0], ast.Name)
            and part.comparators[0].id == "result"
        ):
            found.append((part.left.value, isinstance(part.ops[0], ast.In)))
    return found


def _plain_text_call(value: ast.expr, params: set[str]) -> str | None:
    """The URL of ``load_mock_page(URL[, flag])`` when it extracts plain text, else None."""
    if not (isinstance(value, ast.Call) and getattr(value.func, "id", "") == "load_mock_page"):
        return None
    url = value.args[0] if value.args else None
    extra = [*value.args[1:], *(k.value for k in value.keywords)]
    plain = all(
        (isinstance(a, ast.Name) and a.id in params)
        or (isinstance(a, ast.Constant) and a.value in (False, None))
        for a in extra
    )
    ok = isinstance(url, ast.Constant) and isinstance(url.value, str)
    return url.value if plain and ok else None  # type: ignore[union-attr]


def _flag_branch(test: ast.expr, params: set[str]) -> bool | None:
    """``xmloutput is False`` with the flag taken as False; None when it is another test."""
    if (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id in params
        and isinstance(test.comparators[0], ast.Constant)
        and isinstance(test.ops[0], ast.Is | ast.Eq | ast.IsNot | ast.NotEq)
    ):
        equal = test.comparators[0].value is False
        return equal if isinstance(test.ops[0], ast.Is | ast.Eq) else not equal
    return None


def read_checks(source: str) -> tuple[dict[str, str], dict[str, list[Check]]]:
    """(URL -> cache file name, URL -> checks) from a realworld_tests.py text."""
    module = ast.parse(source)
    pages: dict[str, str] = {}
    checks: dict[str, list[Check]] = {}
    for node in module.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "MOCK_PAGES":
            pages = ast.literal_eval(node.value)
    for fn in module.body:
        if not (isinstance(fn, ast.FunctionDef) and fn.name.startswith("test")):
            continue
        params = {a.arg for a in fn.args.args}
        current: list[str | None] = [None]

        def walk(statements: list[ast.stmt], params: set[str] = params, current=current) -> None:
            for st in statements:
                if isinstance(st, ast.Assign) and getattr(st.targets[0], "id", "") == "result":
                    current[0] = _plain_text_call(st.value, params)
                elif isinstance(st, ast.Assert) and current[0]:
                    checks.setdefault(current[0], []).extend(_phrases(st.test))
                elif isinstance(st, ast.If):
                    branch = _flag_branch(st.test, params)
                    if branch is not None:
                        walk(st.body if branch else st.orelse)

        walk(fn.body)
    return pages, checks


_META_FIELDS = ("title", "author", "date")


def read_metadata_checks(source: str) -> list[tuple[str, str, str]]:
    """(URL, field, expected) from ``test_pages``: ``metadata = extract_metadata(
    load_mock_page_meta(URL or url))`` then ``assert metadata.title == '...'`` (title, author,
    date)."""
    module = ast.parse(source)
    found: list[tuple[str, str, str]] = []
    for fn in module.body:
        if not (isinstance(fn, ast.FunctionDef) and fn.name == "test_pages"):
            continue
        url_var, current = "", ""
        for st in fn.body:
            if isinstance(st, ast.Assign) and isinstance(st.targets[0], ast.Name):
                name, value = st.targets[0].id, st.value
                if name == "url" and isinstance(value, ast.Constant):
                    url_var = value.value
                elif name == "metadata" and isinstance(value, ast.Call) and value.args:
                    inner = value.args[0]
                    arg = inner.args[0] if isinstance(inner, ast.Call) and inner.args else None
                    current = arg.value if isinstance(arg, ast.Constant) else url_var
            elif isinstance(st, ast.Assert) and isinstance(st.test, ast.Compare):
                left, right = st.test.left, st.test.comparators[0]
                if (
                    isinstance(left, ast.Attribute)
                    and left.attr in _META_FIELDS
                    and isinstance(st.test.ops[0], ast.Eq)
                    and isinstance(right, ast.Constant)
                    and isinstance(right.value, str)
                ):
                    found.append((current, left.attr, right.value))
    return found


def _our_metadata(html: bytes, url: str) -> dict[str, str]:
    e = extract_page(html, url)
    return {"title": e.title, "author": "; ".join(e.authors + e.agencies), "date": e.published_at}


def _trafilatura_metadata(html: bytes, url: str) -> dict[str, str]:
    doc = trafilatura.extract_metadata(html, default_url=url)
    return {k: (getattr(doc, k, None) or "") if doc else "" for k in _META_FIELDS}


def score_metadata(cache: Path, source: str, pages: dict[str, str]) -> None:
    """Exact matches of title, author and day against ``test_pages``' assertions; each page is
    read once by each extractor, whatever the number of its assertions."""
    readers = (("broadsheet", _our_metadata), ("trafilatura", _trafilatura_metadata))
    score = {"broadsheet": 0, "trafilatura": 0}
    scored = 0
    read: dict[str, dict[str, dict[str, str]]] = {}  # url -> extractor -> fields
    for url, name, expected in read_metadata_checks(source):
        path = cache / pages.get(url, "")
        if not path.is_file():
            continue
        if url not in read:
            html = path.read_bytes()
            read[url] = {label: extract(html, url) for label, extract in readers}
        scored += 1
        for label, found in read[url].items():
            got = found[name]
            same = got[:10] == expected[:10] if name == "date" else got == expected
            score[label] += same
            if label == "broadsheet" and not same:
                print(f"broadsheet {name}: {got!r}, asserted {expected!r}  {url}")
    for label, ok in score.items():
        print(f"{label:18} {ok}/{scored} metadata assertions hold")


def _present(phrase: str, text: str) -> bool:
    return phrase in text or " ".join(phrase.split()) in " ".join(text.split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--tests", type=Path, required=True)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    source = args.tests.read_text(encoding="utf-8")
    pages, checks = read_checks(source)
    totals = {"broadsheet": [0, 0], "trafilatura-fast": [0, 0]}
    worse = better = pages_read = missing_both = in_comments = 0
    for url, page_checks in checks.items():
        path = args.cache / pages.get(url, "")
        if not page_checks or not path.is_file():
            continue
        html = path.read_bytes()
        pages_read += 1
        ours = extract_page(html, url)
        texts = {
            "broadsheet": ours.body,
            "trafilatura-fast": traf_fast(html, url),  # type: ignore[arg-type]
        }
        passed = {}
        for name, text in texts.items():
            passed[name] = [_present(p, text) is must for p, must in page_checks]
            totals[name][0] += sum(passed[name])
            totals[name][1] += len(page_checks)
        for (phrase, must), ours_ok, theirs in zip(
            page_checks, passed["broadsheet"], passed["trafilatura-fast"], strict=True
        ):
            if theirs and not ours_ok:
                worse += 1
                print(f"broadsheet fails ({'with' if must else 'without'}): {phrase!r}  {url}")
            better += ours_ok and not theirs
            if must and not ours_ok and not theirs:
                # both miss it: usually a reader comment, which Broadsheet keeps apart
                missing_both += 1
                in_comments += _present(phrase, "\n".join(ours.comments))
    for name, (ok, total) in totals.items():
        print(f"{name:18} {ok}/{total} checks pass on {pages_read} pages")
    print(f"checks broadsheet fails and trafilatura-fast passes: {worse}; the reverse: {better}")
    print(
        f"phrases both bodies lack: {missing_both}, of them in Broadsheet's comments: {in_comments}"
    )
    score_metadata(args.cache, source, pages)


if __name__ == "__main__":
    main()
