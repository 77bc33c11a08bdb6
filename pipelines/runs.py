"""Verdicts on crawl runs: what counts as a failed source."""

from __future__ import annotations


def stat_key(source_id: str, name: str) -> str:
    """The Scrapy stats key of one per-source counter."""
    return f"broadsheet/source/{source_id}/{name}"


# Per-source counters of a run (Scrapy stats ``broadsheet/source/<id>/<name>``).
RUN_COUNTS = (
    "pages_fetched", "new", "updated", "touched", "unchanged", "duplicate", "dropped",
    "not_article", "errors", "blocked", "known_skipped", "not_modified", "not_found",
    "over_budget", "over_byte_budget",
)  # fmt: skip
# The ones a fetching process knows; the others are known only where articles are stored.
FETCH_COUNTS = (
    "pages_fetched", "errors", "blocked", "known_skipped", "not_modified", "not_found",
    "over_budget", "over_byte_budget",
)  # fmt: skip
NO_ARTICLE = "collected no article"
# Stats key set by whatever stops a crawl because it cannot go on (a dead writer or workers).
STOPPED = "broadsheet/stopped"


def judge_run(counts: dict[str, int]) -> tuple[str, str]:
    """Whether one source's run is healthy; a failed run makes ``broadsheet crawl`` exit non-zero."""
    fetched, errors, blocked = counts["pages_fetched"], counts["errors"], counts["blocked"]
    seen = sum(
        counts.get(k, 0) for k in ("new", "updated", "touched", "unchanged", "duplicate", "dropped")
    )
    if fetched == 0:
        return "failed", f"no page fetched ({errors} errors)"
    if blocked and blocked * 2 >= fetched + errors:
        return "failed", f"blocked: {blocked} responses were 403 or 429"
    # Known pages skipped and 304s are pages seen in good health, as much as fetched ones.
    healthy = fetched + counts.get("known_skipped", 0) + counts.get("not_modified", 0)
    if errors > healthy:
        return "failed", f"more errors ({errors}) than pages fetched or known ({healthy})"
    if seen == 0 and not counts.get("known_skipped") and not counts.get("not_modified"):
        # Nothing new is normal for an incremental run that found only known or unchanged pages;
        # finding no article at all, known or new, means the source broke or blocked us quietly.
        return "failed", f"{NO_ARTICLE} from {fetched} pages"
    return "ok", _budget_note(counts)


def _budget_note(counts: dict[str, int]) -> str:
    """A healthy run that stopped short of the site: what it left for the next run."""
    notes = []
    if counts.get("over_budget"):
        notes.append(f"request budget reached: {counts['over_budget']} links left for later")
    if counts.get("over_byte_budget"):
        notes.append(f"byte budget reached: {counts['over_byte_budget']} requests not made")
    return "; ".join(notes)
