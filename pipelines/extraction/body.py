"""Main text: trafilatura on a copy of the shared tree, then a line-level boilerplate filter."""

from __future__ import annotations

import re

from lxml.html import HtmlElement
from trafilatura import bare_extraction

from pipelines.extraction.text import clean_space, fold

MAX_BODY_CHARS = 500_000
_MAX_FILTERED_LINE = 220  # boilerplate prompts are short; long lines are always kept

# Reader prompts and navigation that trafilatura sometimes leaves in: each pattern describes a
# kind of boilerplate line (whole-line match), never the text of one site.
_BOILERPLATE = re.compile(
    r"^(?:"
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
    # newsletter and subscription prompts
    r"|.*\b(?:sign up|subscribe|register)\b.*\b(?:newsletter|inbox|updates|alerts|digest)\b.*"
    r"|.*\bnewsletter\b.*\b(?:sign up|subscribe|inbox|delivered)\b.*"
    r"|get (?:the|our) .*(?:newsletter|delivered to your inbox).*"
    # comment prompts
    r"|.*\b(?:leave|post|add|write|share) (?:a|your) (?:comment|reply|views|thoughts|opinion)\b.*"
    r"|.*\b(?:in|to) the comments?(?: section| bar| box| below)?\b.*[?!.]?"
    r"|(?:\d+ )?comments?|no comments(?: yet)?\.?|comments are closed\.?|join the (?:conversation|discussion).*"
    # ad and promo markers
    r"|advertisement|sponsored(?: content)?|featured content\W*|promoted(?: content)?"
    r"|(?:story|article) continues (?:below|after).*|continue reading(?: below)?\W*"
    # copyright footers
    r"|(?:©|copyright|\(c\))\s*(?:\d{4}|[A-Z]).{0,150}|all rights reserved\.?"
    r")$",
    re.IGNORECASE,
)
_COMMENT_PROMPT = re.compile(r"\bcomments?\b", re.IGNORECASE)


def _run_trafilatura(tree: HtmlElement, url: str, precision: bool) -> str:
    # trafilatura copies an lxml tree it is given (core.bare_extraction), so ours stays intact
    try:
        doc = bare_extraction(
            tree,
            url=url or None,
            fast=True,
            favor_precision=precision,
            include_comments=False,
            include_tables=True,
            with_metadata=False,
        )
    except Exception:  # noqa: BLE001 - one odd page must not stop a crawl
        return ""
    text = getattr(doc, "text", None) if doc is not None else None
    return text or ""


def is_boilerplate_line(line: str) -> bool:
    if len(line) > _MAX_FILTERED_LINE:
        return False
    return bool(_BOILERPLATE.match(line))


def clean_body(text: str, title: str = "", drop: tuple[str, ...] = ()) -> str:
    """Filter boilerplate lines, a repeated headline and exact repeats; paragraphs by blank lines."""
    title_key = fold(title)
    drop_keys = {fold(d) for d in drop if d}
    seen: set[str] = set()
    kept: list[str] = []
    for raw in text.split("\n"):
        line = clean_space(raw)
        if not line:
            continue
        key = fold(line)
        if not key or (not kept and key == title_key):
            continue
        if key in drop_keys or is_boilerplate_line(line):
            continue
        if len(key) > 30 and key in seen:  # captions and pull quotes repeated verbatim
            continue
        seen.add(key)
        kept.append(line)
    # trailing short lines after the last sentence are usually widget leftovers
    while kept and len(kept[-1]) < 25 and not kept[-1].endswith((".", "!", "?", "”", '"')):
        kept.pop()
    return "\n\n".join(kept)[:MAX_BODY_CHARS]


def extract_body_text(tree: HtmlElement, url: str, precision: bool = True) -> str:
    """Raw trafilatura text, one block per line (not yet filtered)."""
    return _run_trafilatura(tree, url, precision)
