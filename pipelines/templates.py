"""Site-template learning: text blocks that recur across many of one source's articles.

Single-page extraction sees one page at a time, so a sign-off, a newsletter box or a comment
prompt that a site's template puts inside the article container looks like article text. Across a
source's stored articles it does not: the same short paragraph in a third of them is the site's,
not the story's. This module counts, per source, in how many articles each short paragraph
("block": the body split on blank lines) occurs, and removes the blocks that recur often enough.

- ``observe`` counts each distinct block once per article and is idempotent: the blocks of each
  article are kept in ``article_blocks``, so storing the same article again (unchanged or revised)
  only applies the difference.
- ``evaluate`` turns counts into the source's boilerplate set (see ``Thresholds``) and keeps a
  fingerprint of it; ``boilerplate`` reads the set (cached per model instance).
- ``clean`` removes whole boilerplate blocks from a body, only short ones, never most of it.
- ``reclean`` applies a grown set to the source's earlier stored articles.

Counts are always taken on the *extracted* (uncleaned) body, so a learned block keeps being
counted and stays learned. Stored bodies are cleaned; the uncleaned text is what the extractor
produces from the article's WARC record (``broadsheet reprocess``), and every removed block's text
is in ``source_blocks.sample``. See docs/extraction.md, "Site-template learning".
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import sqlite_utils

from .clock import now_iso
from .dedup import content_hash


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a recurring block counts as the site's template (docs/extraction.md justifies these).

    A block is learned once the source has ``min_articles`` stored articles and the block occurs
    in at least ``max(min_repeats, ratio * articles)`` of them; it stays learned while it occurs
    in ``max(min_repeats, keep_ratio * articles)`` (hysteresis, so a block near the threshold does
    not flap in and out as the source grows).
    """

    min_articles: int = 8
    min_repeats: int = 4
    ratio: float = 0.3
    keep_ratio: float = 0.15
    max_block_words: int = 60  # longer repeated paragraphs are more likely syndicated text
    max_removed_share: float = 0.5  # never remove more than this share of a body's words
    evaluate_every: int = 8  # observations between evaluations, at least ...
    evaluate_share: float = 0.05  # ... and this share of the source's articles
    reclean_batch: int = 200  # articles per transaction when re-cleaning


_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")


def split_blocks(body: str) -> list[str]:
    """The paragraphs of a stored body: text between blank lines, stripped, empty ones dropped."""
    return [block.strip() for block in _BLANK_LINE.split(body) if block.strip()]


def normalise_block(text: str) -> str:
    """Case-folded, whitespace collapsed; punctuation and digits kept ("Page 2" is not "Page 3")."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def block_hash(text: str) -> str:
    return hashlib.sha1(normalise_block(text).encode("utf-8")).hexdigest()[:16]


def fingerprint(hashes: Iterable[str]) -> str:
    """Identifies a boilerplate set; "" for the empty set."""
    ordered = sorted(hashes)
    return hashlib.sha1(",".join(ordered).encode()).hexdigest()[:16] if ordered else ""


def clean_body(
    body: str, hashes: frozenset[str] | set[str], thresholds: Thresholds
) -> tuple[str, list[str]]:
    """``body`` without its short blocks whose hash is in ``hashes``, and the removed blocks.

    The original body comes back unchanged (and nothing removed) when cleaning would leave
    nothing or remove more than ``max_removed_share`` of its words.
    """
    if not hashes or not body:
        return body, []
    kept: list[str] = []
    removed: list[str] = []
    removed_words = total_words = 0
    for block in split_blocks(body):
        words = len(block.split())
        total_words += words
        if words <= thresholds.max_block_words and block_hash(block) in hashes:
            removed.append(block)
            removed_words += words
        else:
            kept.append(block)
    if not removed or not kept or removed_words > thresholds.max_removed_share * total_words:
        return body, []
    return "\n\n".join(kept), removed


def m011_templates(db: sqlite_utils.Database) -> None:
    """Tables of site-template learning; counts backfilled from the bodies already stored."""
    db["source_blocks"].create(
        {
            "source": str,
            "block_hash": str,
            "articles": int,  # stored articles of the source whose body contains the block
            "sample": str,  # the block's text as first seen
            "first_seen_at": str,
            "last_seen_at": str,
            "learned_at": str,  # when it became boilerplate; null when it is not
            "cleaned_at": str,  # when earlier articles were cleaned of it; null until then
        },
        pk=("source", "block_hash"),
    )
    db.execute(
        "create index idx_source_blocks_learned on source_blocks (source)"
        " where learned_at is not null"
    )
    db["article_blocks"].create(
        {"article_id": str, "block_hash": str, "source": str},
        pk=("article_id", "block_hash"),
    )
    db["article_blocks"].create_index(["block_hash"])
    db["source_templates"].create(
        {
            "source": str,
            "articles": int,  # stored articles of the source at the last evaluation
            "pending": int,  # observations since the last evaluation
            "boilerplate_blocks": int,  # size of the learned set
            "fingerprint": str,  # of the learned set
            "cleaned_fingerprint": str,  # of the set earlier articles were last cleaned with
            "evaluated_at": str,
            "recleaned_at": str,
            "recleaned_articles": int,  # articles changed by the last re-cleaning
        },
        pk="source",
    )
    model = TemplateModel(db)
    rows = db.execute("select id, source, body, fetched_at from articles order by rowid")
    sources: set[str] = set()
    for article_id, source, body, fetched_at in rows.fetchall():
        model.observe(source, article_id, body or "", fetched_at or "")
        sources.add(source)
    for source in sorted(sources):
        # Learn now; bodies stored before learning are cleaned at the source's next evaluation.
        model.evaluate(source)


class TemplateModel:
    """Per-source counts of recurring blocks, the boilerplate learned from them, and cleaning."""

    def __init__(self, db: sqlite_utils.Database, thresholds: Thresholds | None = None) -> None:
        self.db = db
        self.thresholds = thresholds or Thresholds()
        self._sets: dict[str, frozenset[str]] = {}  # source -> learned hashes (this instance)

    def boilerplate(self, source: str) -> frozenset[str]:
        """The block hashes learned as ``source``'s template at its last evaluation."""
        cached = self._sets.get(source)
        if cached is None:
            rows = self.db.execute(
                "select block_hash from source_blocks where source = ? and learned_at is not null",
                [source],
            ).fetchall()
            cached = self._sets[source] = frozenset(h for (h,) in rows)
        return cached

    def clean(self, source: str, body: str) -> tuple[str, list[str]]:
        """``body`` without ``source``'s boilerplate blocks, and the blocks removed."""
        return clean_body(body, self.boilerplate(source), self.thresholds)

    def observe(self, source: str, article_id: str, body: str, seen_at: str = "") -> bool:
        """Count the blocks of one stored article (its uncleaned body). Idempotent per article:
        a second call applies only what changed. True when the source's evaluation is due."""
        seen_at = seen_at or now_iso()
        limit = self.thresholds.max_block_words
        blocks = {block_hash(b): b for b in split_blocks(body) if len(b.split()) <= limit}
        old = {
            h
            for (h,) in self.db.execute(
                "select block_hash from article_blocks where article_id = ?", [article_id]
            ).fetchall()
        }
        added = [h for h in blocks if h not in old]
        gone = [h for h in old if h not in blocks]
        if added:
            self.db.conn.executemany(
                "insert into article_blocks (article_id, block_hash, source) values (?, ?, ?)",
                [(article_id, h, source) for h in added],
            )
            self.db.conn.executemany(
                "insert into source_blocks (source, block_hash, articles, sample, first_seen_at,"
                " last_seen_at) values (?, ?, 1, ?, ?, ?) on conflict(source, block_hash) do"
                " update set articles = articles + 1, last_seen_at = excluded.last_seen_at",
                [(source, h, blocks[h], seen_at, seen_at) for h in added],
            )
        if gone:
            self.db.conn.executemany(
                "delete from article_blocks where article_id = ? and block_hash = ?",
                [(article_id, h) for h in gone],
            )
            self.db.conn.executemany(
                "update source_blocks set articles = articles - 1 where source = ? and"
                " block_hash = ?",
                [(source, h) for h in gone],
            )
        row = self.db.execute(
            "insert into source_templates (source, articles, pending) values (?, 0, 1)"
            " on conflict(source) do update set pending = pending + 1"
            " returning pending, articles",
            [source],
        ).fetchone()
        pending, articles = row
        t = self.thresholds
        return pending >= max(t.evaluate_every, t.evaluate_share * (articles or 0))

    def evaluate(self, source: str) -> bool:
        """Recompute ``source``'s boilerplate set from the counts. True when earlier articles
        were cleaned with another set than this one (``reclean`` then has work to do)."""
        t = self.thresholds
        now = now_iso()
        (articles,) = self.db.execute(
            "select count(*) from articles where source = ?", [source]
        ).fetchone()
        enter = max(t.min_repeats, t.ratio * articles)
        keep = max(t.min_repeats, t.keep_ratio * articles)
        learned: set[str] = set()
        with self.db.atomic():
            rows = self.db.execute(
                "select block_hash, articles, learned_at from source_blocks where source = ?"
                " and (articles >= ? or learned_at is not null)",
                [source, min(enter, keep)],
            ).fetchall()
            for h, count, learned_at in rows:
                stays = learned_at is not None and count >= keep
                if articles >= t.min_articles and (count >= enter or stays):
                    learned.add(h)
                    if learned_at is None:
                        self.db.execute(
                            "update source_blocks set learned_at = ? where source = ?"
                            " and block_hash = ?",
                            [now, source, h],
                        )
                elif learned_at is not None:
                    self.db.execute(
                        "update source_blocks set learned_at = null, cleaned_at = null"
                        " where source = ? and block_hash = ?",
                        [source, h],
                    )
            self.db.execute(
                "insert into source_templates (source, articles, pending, boilerplate_blocks,"
                " fingerprint, evaluated_at) values (?, ?, 0, ?, ?, ?) on conflict(source) do"
                " update set articles = excluded.articles, pending = 0,"
                " boilerplate_blocks = excluded.boilerplate_blocks,"
                " fingerprint = excluded.fingerprint, evaluated_at = excluded.evaluated_at",
                [source, articles, len(learned), fingerprint(learned), now],
            )
        self._sets[source] = frozenset(learned)
        return self._needs_reclean(source)

    def _needs_reclean(self, source: str) -> bool:
        row = self.db.execute(
            "select fingerprint, cleaned_fingerprint from source_templates where source = ?",
            [source],
        ).fetchone()
        return row is not None and (row[0] or "") != (row[1] or "")

    def reclean(self, source: str) -> int:
        """Clean ``source``'s earlier stored articles of blocks learned since they were last
        cleaned, in batches; returns how many articles changed. A no-op (one query) when the set
        has not changed since the last call. Bodies, word counts and content hashes are updated
        in place (the FTS triggers follow); no version is recorded: this cleans our own output,
        it is not a revision of the article."""
        if not self._needs_reclean(source):
            return 0
        hashes = self.boilerplate(source)
        fresh = [
            h
            for (h,) in self.db.execute(
                "select block_hash from source_blocks where source = ? and learned_at is not null"
                " and cleaned_at is null",
                [source],
            ).fetchall()
        ]
        ids: list[str] = []
        if fresh:
            marks = ",".join("?" * len(fresh))
            ids = [
                article_id
                for (article_id,) in self.db.execute(
                    f"select distinct article_id from article_blocks where block_hash in ({marks})"
                    " and source = ? order by article_id",
                    [*fresh, source],
                ).fetchall()
            ]
        from .store import immediate  # store imports this module; the writer's transactions

        changed = 0
        now = now_iso()
        for start in range(0, len(ids), self.thresholds.reclean_batch):
            batch = ids[start : start + self.thresholds.reclean_batch]
            marks = ",".join("?" * len(batch))
            with immediate(self.db):
                rows = self.db.execute(
                    f"select id, body from articles where id in ({marks})", batch
                ).fetchall()
                for article_id, body in rows:
                    cleaned, removed = clean_body(body or "", hashes, self.thresholds)
                    if not removed:
                        continue
                    self.db.execute(
                        "update articles set body = ?, word_count = ?, content_hash = ?"
                        " where id = ?",
                        [cleaned, len(cleaned.split()), content_hash(cleaned), article_id],
                    )
                    changed += 1
        with immediate(self.db):
            if fresh:
                self.db.conn.executemany(
                    "update source_blocks set cleaned_at = ? where source = ? and block_hash = ?",
                    [(now, source, h) for h in fresh],
                )
            self.db.execute(
                "update source_templates set cleaned_fingerprint = fingerprint,"
                " recleaned_at = ?, recleaned_articles = ? where source = ?",
                [now, changed, source],
            )
        return changed
