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
fails and trafilatura passes, and the totals.
"""

from __future__ import annotations

import argparse
import ast
import sys
import warnings
from pathlib import Path

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


def _present(phrase: str, text: str) -> bool:
    return phrase in text or " ".join(phrase.split()) in " ".join(text.split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--tests", type=Path, required=True)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    pages, checks = read_checks(args.tests.read_text(encoding="utf-8"))
    totals = {"broadsheet": [0, 0], "trafilatura-fast": [0, 0]}
    worse = better = pages_read = 0
    for url, page_checks in checks.items():
        path = args.cache / pages.get(url, "")
        if not page_checks or not path.is_file():
            continue
        html = path.read_bytes()
        pages_read += 1
        texts = {
            "broadsheet": extract_page(html, url).body,
            "trafilatura-fast": traf_fast(html, url),  # type: ignore[arg-type]
        }
        passed = {}
        for name, text in texts.items():
            passed[name] = [_present(p, text) is must for p, must in page_checks]
            totals[name][0] += sum(passed[name])
            totals[name][1] += len(page_checks)
        for (phrase, must), ours, theirs in zip(
            page_checks, passed["broadsheet"], passed["trafilatura-fast"], strict=True
        ):
            if theirs and not ours:
                worse += 1
                print(f"broadsheet fails ({'with' if must else 'without'}): {phrase!r}  {url}")
            better += ours and not theirs
    for name, (ok, total) in totals.items():
        print(f"{name:18} {ok}/{total} checks pass on {pages_read} pages")
    print(f"checks broadsheet fails and trafilatura-fast passes: {worse}; the reverse: {better}")


if __name__ == "__main__":
    main()
