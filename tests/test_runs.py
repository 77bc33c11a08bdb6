"""Run verdicts (pipelines/runs.py): which counts fail a source."""

from __future__ import annotations

from pipelines.runs import RUN_COUNTS, judge_run


def _counts(**given: int) -> dict[str, int]:
    return {**dict.fromkeys(RUN_COUNTS, 0), **given}


def test_dead_links_do_not_fail_a_source() -> None:
    # a partial mirror or an old site: most links lead nowhere, the articles are there
    counts = _counts(pages_fetched=200, new=190, not_article=10, not_found=3700)
    assert judge_run(counts) == ("ok", "")


def test_errors_still_fail_it() -> None:
    status, reason = judge_run(_counts(pages_fetched=20, new=20, errors=21))
    assert status == "failed" and "more errors (21)" in reason


def test_no_page_fetched_fails_it_whatever_was_not_found() -> None:
    status, reason = judge_run(_counts(not_found=5))
    assert status == "failed" and reason.startswith("no page fetched")


def test_a_run_cut_short_by_a_budget_is_ok_and_says_so() -> None:
    counts = _counts(pages_fetched=5000, new=4800, over_budget=147)
    assert judge_run(counts) == ("ok", "request budget reached: 147 links left for later")
    status, note = judge_run({**counts, "over_byte_budget": 12})
    assert status == "ok" and note.endswith("byte budget reached: 12 requests not made")
