"""Revisions of one article: what changed between two fetches, whether it is a real new version,
and the ``article_versions`` rows that keep every earlier state recoverable.

Change classes (``classify_change``):

- ``unchanged``: every compared field is byte-identical.
- ``touch``: only cosmetic change. Each changed field, after removing volatile tokens (view and
  comment counters, "updated 5 minutes ago", "3 min read") and normalising case, whitespace and
  punctuation, differs by at most ``TOUCH_MAX_CHARS`` characters and by no digit; or only
  ``updated_at`` moved (CMSs bump it on every cache rebuild).
- ``version``: anything else, in particular any changed number, author or publication date.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import asdict, dataclass
from typing import Literal

import sqlite_utils

from .dedup import content_hash, normalise_for_hash
from .sqlrows import insert_row

FIELDS = ("title", "body", "published_at", "updated_at", "authors")
TOUCH_MAX_CHARS = 10  # characters of normalised text a "touch" may change, per field
ChangeClass = Literal["unchanged", "touch", "version"]

_VOLATILE = re.compile(
    r"\b\d[\d,.]*\s*(?:k\s*)?(?:comments?|views?|shares?|reads?|likes?|reactions?)\b"
    r"|\b(?:updated|posted|published|edited)\s+(?:\d+|an?|one)\s+"
    r"(?:seconds?|mins?|minutes?|hours?|hrs?|days?)\s+ago\b"
    r"|\b(?:just now|moments ago)\b"
    r"|\b\d+\s*(?:-\s*)?(?:min(?:ute)?s?)\s+read\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9])")


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str
    old: str
    new: str
    diff: tuple[str, ...] = ()  # unified diff, sentence per line (body only)


@dataclass(frozen=True, slots=True)
class VersionDiff:
    changed_fields: tuple[str, ...]
    changes: tuple[FieldChange, ...]

    def to_json(self) -> str:
        out = []
        for change in self.changes:
            item = asdict(change)
            if change.field == "body":  # the full texts live in the rows; keep the diff only
                item.pop("old")
                item.pop("new")
            else:
                item.pop("diff")
            out.append(item)
        return json.dumps(out, ensure_ascii=False)


def _text(value: object) -> str:
    """A field as text; authors lists (or their JSON) become '; '-joined names."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    if isinstance(value, str) and value.startswith("["):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        if isinstance(parsed, list):
            return "; ".join(str(v) for v in parsed)
    return str(value)


def sentences(body: str) -> list[str]:
    """Body split into sentences, with a blank line marking each paragraph break."""
    units: list[str] = []
    for paragraph in (p.strip() for p in re.split(r"\n\s*\n", body)):
        if not paragraph:
            continue
        if units:
            units.append("")
        units.extend(s.strip() for s in _SENTENCE.split(" ".join(paragraph.split())) if s.strip())
    return units


def diff_versions(old: dict, new: dict) -> VersionDiff:
    """Field-level diff of two states of an article (rows of ``articles`` or plain dicts)."""
    changes = []
    for name in FIELDS:
        before, after = _text(old.get(name)), _text(new.get(name))
        if before == after:
            continue
        diff: tuple[str, ...] = ()
        if name == "body":
            diff = tuple(
                difflib.unified_diff(
                    sentences(before), sentences(after), "old", "new", n=1, lineterm=""
                )
            )
        changes.append(FieldChange(name, before, after, diff))
    return VersionDiff(tuple(c.field for c in changes), tuple(changes))


def _stable(text: str) -> str:
    return normalise_for_hash(_VOLATILE.sub(" ", text))


def _changed_chars(before: str, after: str) -> tuple[int, bool]:
    """Characters changed between two normalised texts (word-aligned), and whether any
    changed word holds a digit."""
    a, b = before.split(), after.split()
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    chars, digits = 0, False
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        removed, added = " ".join(a[i1:i2]), " ".join(b[j1:j2])
        if tag == "replace":
            inner = difflib.SequenceMatcher(None, removed, added, autojunk=False)
            same = sum(block.size for block in inner.get_matching_blocks())
            chars += max(len(removed), len(added)) - same
        else:
            chars += len(removed) + len(added)
        digits = digits or any(ch.isdigit() for ch in removed + added)
    return chars, digits


def _field_class(name: str, before: str, after: str) -> ChangeClass:
    if before == after:
        return "unchanged"
    if name == "updated_at":
        return "touch"
    if name in ("published_at", "authors"):
        return "version"
    stable_before, stable_after = _stable(before), _stable(after)
    if stable_before == stable_after:
        return "touch"
    chars, digits = _changed_chars(stable_before, stable_after)
    return "touch" if chars <= TOUCH_MAX_CHARS and not digits else "version"


def classify_change(old: dict, new: dict) -> ChangeClass:
    """``unchanged``, ``touch`` or ``version`` (module docstring has the exact rules)."""
    worst: ChangeClass = "unchanged"
    for name in FIELDS:
        found = _field_class(name, _text(old.get(name)), _text(new.get(name)))
        if found == "version":
            return "version"
        if found == "touch":
            worst = "touch"
    return worst


def state_hash(row: dict) -> str:
    """Fingerprint of all versioned fields of a state (idempotency key of a version row)."""
    payload = json.dumps([_text(row.get(name)) for name in FIELDS], ensure_ascii=False)
    return hashlib.sha1(payload.encode("utf-8")).hexdigest()[:16]


def record_version(
    db: sqlite_utils.Database, article_id: str, old_row: dict, new_row: dict, fetched_at: str
) -> ChangeClass:
    """Keep ``old_row`` as a version of ``article_id`` when ``new_row`` is a real revision.

    Call before overwriting the article with ``new_row``. Writes nothing for ``unchanged`` and
    ``touch``. Idempotent: a (old, new) transition already recorded is not recorded again.
    """
    kind = classify_change(old_row, new_row)
    if kind != "version":
        return kind
    old_state, new_state = state_hash(old_row), state_hash(new_row)
    with db.atomic():
        exists = db.execute(
            "select 1 from article_versions where article_id = ? and state_hash = ?"
            " and next_state_hash = ?",
            [article_id, old_state, new_state],
        ).fetchone()
        if exists:
            return kind
        latest = db.execute(
            "select coalesce(max(version), 0) from article_versions where article_id = ?",
            [article_id],
        ).fetchone()[0]
        diff = diff_versions(old_row, new_row)
        authors = old_row.get("authors")
        insert_row(
            db,
            "article_versions",
            {
                "article_id": article_id,
                "version": latest + 1,
                "fetched_at": fetched_at,
                "changed_fields": json.dumps(list(diff.changed_fields)),
                "diff": diff.to_json(),
                "title": _text(old_row.get("title")),
                "body": _text(old_row.get("body")),
                "authors": authors if isinstance(authors, str) else json.dumps(authors or []),
                "published_at": old_row.get("published_at"),
                "updated_at": old_row.get("updated_at"),
                "content_hash": old_row.get("content_hash")
                or content_hash(_text(old_row.get("body"))),
                "state_hash": old_state,
                "next_state_hash": new_state,
            },
        )
    return kind
