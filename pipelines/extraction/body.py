"""Main text: trafilatura on a copy of the shared tree, then a line-level boilerplate filter."""

from __future__ import annotations

import re
from collections.abc import Callable
from copy import deepcopy

from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.settings import Extractor
from trafilatura.xml import xmltotxt

try:
    # bare_extraction minus its defensive tree copy; internal to trafilatura (pinned in
    # pyproject), so a missing or changed name falls back to bare_extraction on a copy
    from trafilatura.core import trafilatura_sequence as _sequence
except ImportError:  # pragma: no cover - depends on the installed trafilatura
    _sequence = None
try:
    # the steps of that sequence for the precision run (below); internal names as well
    from trafilatura.core import _forum_thread_page
    from trafilatura.htmlprocessing import convert_tags, prune_unwanted_nodes, tree_cleaning
    from trafilatura.main_extractor import extract_content
    from trafilatura.xpaths import (
        RAW_TREE_PRUNE_XPATH,
        REMOVE_COMMENTS_AND_LISTS_XPATH,
        REMOVE_COMMENTS_XPATH,
    )
except ImportError:  # pragma: no cover - depends on the installed trafilatura
    extract_content = None

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
    r"|share (?:this|the|on|via)\b.*|.{0,40}\bshare (?:it|this) with\b.*"
    r"|follow (?:us|me|\w+) on\b.*"
    r"|follow (?:[\w@.'’&-]+ ){1,8}on (?:facebook|twitter|x|instagram|linkedin|tiktok|youtube"
    r"|threads|mastodon|bluesky)\b.*"
    r"|(?:click|tap) (?:here|for|to)\b.*"
    # cross-links
    r"|[\[(]?(?:also see|see also|see more|also read|also on\b.*|read (?:more|also|next|this)"
    r"|related(?: \w+)?|more from\b.*"
    r"|recommended(?: \w+)?|you (?:may|might) also (?:like|be interested in)|more on this"
    r"|most (?:read|popular)|trending(?: now)?|don'?t miss|watch|listen|further reading)"
    r"\s*(?:[:>»|–—-].*|\.{3}|…)?[\])]?"
    r"|get (?:the|our) .*(?:newsletter|delivered to your inbox).*"
    # comment counters and closed threads
    r"|(?:\d+ )?comments?|no comments(?: yet)?\.?|comments are closed\.?"
    r"|join the (?:conversation|discussion).*"
    # placeholders of widgets that load later: "Loading weather data ...", "Please wait…"
    r"|(?:loading|please wait)(?: [\w-]+){0,2}\s*(?:\.\.\.|…)"
    # ad and promo markers
    r"|advertisement|sponsored(?: content)?|featured content\W*|promoted(?: content)?"
    r"|(?:story|article) continues (?:below|after).*|continue reading(?: below)?\W*"
    # datelines that repeat the publication date as a line of their own
    r"|(?:published|posted|updated|last updated)(?: on)?:? .{0,40}\b(?:19|20)\d\d\b.{0,20}"
    r"|(?:published|posted|updated|last updated)(?: on| at)?:? \d{1,2}[:.]\d\d\s*(?:[ap]\.?m\.?)?"
    r".{0,30}"
    # teaser links labelled with a bracketed tag: "Headline [VIDEO]", "Headline [INSIGHT]|"
    r"|.{10,200}\[(?-i:[A-Z][A-Z ]{2,19})\]\W{0,2}"
    # unrendered CMS shortcodes: "[button link=...]Send us your review[/button]"
    r"|\[(\w+)\b[^\]]*\].{0,150}\[/\1\]"
    # a newsletter's name on a line of its own
    r"|[\w'’&+ -]{1,40} newsletter"
    # news-agency credit lines, which name who reported and edited, not the story:
    # "(Reporting by A; Editing by B)", "Reporting by A; additional reporting by B",
    # "A contributed reporting from Hong Kong."
    r"|\((?:additional )?reporting by [^()]{3,300}\)\.?"
    r"|(?:additional )?reporting by [^.;]{3,100}; (?:additional reporting|editing|writing) by .{3,300}"
    r"|[\w .'’-]{3,80} contributed (?:additional )?(?:reporting|research)(?: from [\w ,.'’-]{2,60})?\."
    # reading-time labels: "5 min read", "Reading time: 3 minutes", "Tempo de leitura: 1 minuto"
    r"|(?:reading time|read time|tempo de leitura|tiempo de lectura|temps de lecture|lesezeit"
    r"|leestijd|czas czytania|tempo di lettura)\s*:?\s*(?:about |ca\.? |~)?\d+\s*"
    r"(?:min\w*|minutos?|minuten|minutes?)\.?"
    r"|(?:about |~)?\d+\s*min(?:ute)?s?\.? read"
    # a post's category line: "Filed under: Politics |"
    r"|(?:filed|posted) (?:under|in)\s*:\s*.{0,100}"
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
    r"|\b(?:subscribe|log ?in|sign in) to (?:continue|keep) reading\b|\balready a subscriber\b"
    r"|\btell us what you think\b|\bclick here (?:for|to)\b"
    # subscription offers and reader tip lines
    r"|\b\d+ issues for\b|\bfor as little as\b"
    r"|\bhave a (?:news |story )?tip\b|\b(?:may|can) be reached at\b",
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


def _precision_in_place(tree: HtmlElement, options: Extractor) -> tuple[object, str]:
    """What ``trafilatura_sequence`` does in fast precision mode without comments, on ``tree``
    itself. The sequence cleans a copy of the tree and keeps a second copy as a backup, which
    only its comment capture and its comparison with other extractors (both off here) read;
    in precision mode it reads nothing of the tree after cleaning either. The two copies were
    3.5% of extraction time on the benchmark's pages; the output is the same (tests)."""
    forum = _forum_thread_page(tree)
    tree = prune_unwanted_nodes(tree, RAW_TREE_PRUNE_XPATH)
    tree = prune_unwanted_nodes(tree, REMOVE_COMMENTS_AND_LISTS_XPATH)
    cleaned = convert_tags(tree_cleaning(tree, options), options, None)
    if not forum:
        cleaned = prune_unwanted_nodes(cleaned, REMOVE_COMMENTS_XPATH)
    return extract_content(cleaned, options)


def _run_trafilatura(tree: HtmlElement, options: Extractor) -> str:
    """trafilatura's body text. It prunes ``tree`` in place: the caller's tree is spent."""
    try:
        if _sequence is None:  # pragma: no cover - see the import above
            doc = bare_extraction(tree, options=options)
            return (getattr(doc, "text", None) if doc is not None else None) or ""
        if options is _PRECISION and extract_content is not None:
            postbody, text = _precision_in_place(tree, options)
        else:
            # what bare_extraction does with comments, metadata, dedup and language checks off
            postbody, text, _, _ = _sequence(tree, options, None)
        if len(text) < options.min_output_size:
            return ""
        return xmltotxt(postbody, options.formatting) or ""
    except Exception:  # noqa: BLE001 - one odd page must not stop a crawl
        return ""


# one of these occurs in every line _PROMPT matches: a cheap test before its unanchored search
_PROMPT_WORDS = ("sign", "subscri", "regist", "newsletter", "comment", "log", "reply", "views",
                 "thought", "opinion", "think", "click", "issues", "little", "tip",
                 "reached")  # fmt: skip


def is_boilerplate_line(line: str) -> bool:
    if len(line) > _MAX_FILTERED_LINE:
        return False
    if _BOILERPLATE.fullmatch(line):
        return True
    low = line.lower()
    return any(word in low for word in _PROMPT_WORDS) and bool(_PROMPT.search(line))


def clean_body(text: str, title: str = "") -> str:
    """Filter boilerplate lines and a repeated headline; paragraphs separated by blank lines.

    Repeated paragraphs are kept: pages do repeat text (recipes, Q&A), and the reference bodies
    keep those repeats too.
    """
    title_key = fold(title)
    kept: list[str] = []
    for raw in text.split("\n"):
        line = clean_space(raw)
        if not line or is_boilerplate_line(line):
            continue
        if not kept and title_key and fold(line) == title_key:
            continue
        kept.append(line)
    return "\n\n".join(kept)[:MAX_BODY_CHARS]


# a story's text container: its class names it as such (and not as a comment)
_BODY_CLASS = re.compile(r"body|content|text|article|story|entry", re.IGNORECASE)
_MAX_PARTS = 10


def join_split_body(parents: list[HtmlElement], root: HtmlElement) -> int:
    """Join a story that the template splits into several same-class containers (ad slots and
    rails between them) into the first one, so that the body extractor, which keeps one
    container, keeps all of it.

    ``parents`` are the elements that hold two or more paragraphs of their own, in document
    order (``PageSignals.paragraph_parents``); ``root`` is the document they belong to (ones
    no longer in it, dropped with an aside or a footer, are skipped). Parts are those with the
    same tag and class, a class that names a text container (and no comment), none inside
    another. Returns the number of containers joined (0 when none). Run on the tree given to
    the extractor."""
    groups: dict[tuple[str, str], list[HtmlElement]] = {}
    for el in parents:
        cls = el.get("class") or ""
        if not _attached(el, root):
            continue
        if cls and _BODY_CLASS.search(cls) and "comment" not in cls.lower():
            groups.setdefault((el.tag, cls), []).append(el)
    joined = 0
    for parts in groups.values():
        if not 2 <= len(parts) <= _MAX_PARTS:
            continue
        members = set(parts)
        if any(a in members for part in parts for a in part.iterancestors()):
            continue
        first = parts[0]
        for part in parts[1:]:
            for child in list(part):
                first.append(child)
            if part.text and part.text.strip():
                first.append(_text_block(part.text))
            if part.getparent() is not None:
                part.drop_tree()
            joined += 1
    return joined


def _attached(el: HtmlElement, root: HtmlElement) -> bool:
    """Whether ``el`` is still under ``root`` (a removed subtree keeps its own ancestors)."""
    ancestors = list(el.iterancestors())
    return (ancestors[-1] if ancestors else el) is root


def _text_block(text: str) -> HtmlElement:
    block = HtmlElement("p")
    block.text = text
    return block


def extract_body_text(
    tree: HtmlElement, fresh: Callable[[], HtmlElement | None] | None = None
) -> str:
    """Raw trafilatura text, one block per line (not yet filtered).

    With ``fresh`` (a function that parses the same page again), ``tree`` itself goes to
    trafilatura, which prunes it in place: the caller must be done with it. ``fresh`` is only
    called for the rare balanced retry. Without ``fresh``, ``tree`` is copied and left intact.
    """
    if fresh is None:
        original = tree
        tree = deepcopy(original)

        def fresh() -> HtmlElement:
            return deepcopy(original)

    text = _run_trafilatura(tree, _PRECISION)
    if len(text) < _SHORT_BODY_CHARS:
        again = fresh()
        fuller = _run_trafilatura(again, _BALANCED) if again is not None else ""
        if len(fuller) > _RETRY_GAIN * len(text):
            return fuller
    return text
