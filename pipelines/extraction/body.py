"""Main text: trafilatura on a copy of the shared tree, then a line-level boilerplate filter."""

from __future__ import annotations

import re

from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.settings import Extractor

from pipelines.extraction.text import clean_space, fold

MAX_BODY_CHARS = 500_000
_MAX_FILTERED_LINE = 220  # boilerplate prompts are short; long lines are always kept

# Reader prompts and navigation that trafilatura sometimes leaves in. Each pattern describes a
# kind of boilerplate line, never the text of one site. Anchored patterns must cover the whole
# line; prompt patterns may sit anywhere in a short line.
_BOILERPLATE = re.compile(
    r"(?:"
    # share / social widgets
    r"(?:share|tweet|email|print|pin|save)(?: (?:this|the) (?:article|story|post|page))?"
    r"(?: (?:on|via|to) \w+)?[.!:]?"
    r"|share (?:this|the|on|via)\b.*"
    r"|follow (?:us|me|\w+) on\b.*"
    r"|(?:click|tap) here\b.*"
    # cross-links
    r"|(?:also see|see also|also read|read (?:more|also|next|this)|related(?: \w+)?|more from\b.*"
    r"|recommended(?: \w+)?|you (?:may|might) also (?:like|be interested in)|more on this"
    r"|most (?:read|popular)|trending(?: now)?|don'?t miss|watch|listen|further reading)"
    r"\s*(?:[:>»|–—-].*)?"
    r"|get (?:the|our) .*(?:newsletter|delivered to your inbox).*"
    # comment counters and closed threads
    r"|(?:\d+ )?comments?|no comments(?: yet)?\.?|comments are closed\.?"
    r"|join the (?:conversation|discussion).*"
    # ad and promo markers
    r"|advertisement|sponsored(?: content)?|featured content\W*|promoted(?: content)?"
    r"|(?:story|article) continues (?:below|after).*|continue reading(?: below)?\W*"
    # datelines that repeat the publication date as a line of their own
    r"|(?:published|posted|updated|last updated)(?: on)?:? .{0,40}\b(?:19|20)\d\d\b.{0,20}"
    # copyright footers
    r"|(?:©|copyright|\(c\))\s*(?:\d{4}|[A-Z]).{0,150}|all rights reserved\.?"
    r")",
    re.IGNORECASE,
)
_PROMPT = re.compile(
    r"\b(?:sign up|subscribe|register)\b.*\b(?:newsletter|inbox|updates|alerts|digest)\b"
    r"|\bnewsletter\b.*\b(?:sign up|subscribe|inbox|delivered)\b"
    r"|\b(?:leave|post|add|write|share) (?:a|your) (?:comment|reply|views|thoughts|opinion)\b"
    r"|\b(?:in|to) the comments?\b"
    r"|\b(?:subscribe|log ?in|sign in) to (?:continue|keep) reading\b|\balready a subscriber\b",
    re.IGNORECASE,
)
# Built once: trafilatura reads but never mutates its options (a recall retry copies them), and
# building them per call re-reads the config. No URL: it only resolves links/images, both off.
_PRECISION = Extractor(
    output_format="python", fast=True, precision=True, comments=False, tables=True
)
_BALANCED = Extractor(output_format="python", fast=True, comments=False, tables=True)
# favor_precision drops more boilerplate, but on a few templates it keeps only a stub; a short
# result is re-run in balanced mode and replaced when that finds much more text
_SHORT_BODY_CHARS = 1000
_RETRY_GAIN = 2.0


def _run_trafilatura(tree: HtmlElement, options: Extractor) -> str:
    # trafilatura copies an lxml tree it is given (core.bare_extraction), so ours stays intact
    try:
        doc = bare_extraction(tree, options=options)
    except Exception:  # noqa: BLE001 - one odd page must not stop a crawl
        return ""
    text = getattr(doc, "text", None) if doc is not None else None
    return text or ""


def is_boilerplate_line(line: str) -> bool:
    if len(line) > _MAX_FILTERED_LINE:
        return False
    return bool(_BOILERPLATE.fullmatch(line) or _PROMPT.search(line))


def clean_body(text: str, title: str = "", drop: tuple[str, ...] = ()) -> str:
    """Filter boilerplate lines and a repeated headline; paragraphs separated by blank lines.

    Repeated paragraphs are kept: pages do repeat text (recipes, Q&A), and the reference bodies
    keep those repeats too.
    """
    title_key = fold(title)
    drop_lines = {clean_space(d) for d in drop if d}
    kept: list[str] = []
    for raw in text.split("\n"):
        line = clean_space(raw)
        if not line or line in drop_lines or is_boilerplate_line(line):
            continue
        if not kept and title_key and fold(line) == title_key:
            continue
        kept.append(line)
    return "\n\n".join(kept)[:MAX_BODY_CHARS]


def extract_body_text(tree: HtmlElement) -> str:
    """Raw trafilatura text, one block per line (not yet filtered)."""
    text = _run_trafilatura(tree, _PRECISION)
    if len(text) < _SHORT_BODY_CHARS:
        fuller = _run_trafilatura(tree, _BALANCED)
        if len(fuller) > _RETRY_GAIN * len(text):
            return fuller
    return text
