"""Schema for story clusters (``m002_stories``) and article versions (``m004_versions``).

Registered in ``archive.schema.MIGRATIONS`` by name; never rename an applied migration.
"""

from __future__ import annotations

import sqlite_utils


def m002_stories(db: sqlite_utils.Database) -> None:
    # One MinHash per article (pipelines.stories). No foreign key to articles: the index is
    # also used on its own (bench, backfill) and the store stage writes the article first.
    db["article_signatures"].create(
        {
            "article_id": str,
            "lsh_key": int,  # dense integer key of the article in the in-memory LSH
            "source": str,
            "story_id": str,
            "minhash": bytes,  # LeanMinHash.serialize, little-endian, scheme affine32
            "num_words": int,
            "num_shingles": int,  # distinct shingles: the set size for containment estimates
            "salient": bytes,  # sorted little-endian uint32 hashes of numbers and names
            "published_at": str,  # UTC ISO 8601, so min() is the earliest
            "created_at": str,
            "updated_at": str,
        },
        pk="article_id",
        not_null={"lsh_key", "minhash"},
    )
    db["article_signatures"].create_index(["lsh_key"], unique=True)
    db["article_signatures"].create_index(["story_id"])

    db["stories"].create(
        {
            "id": str,  # the id of the story's first member: stable
            "first_seen_at": str,
            "original_article_id": str,  # the named origin, else the earliest published member
            "earliest_published_at": str,
            "member_count": int,
            "outlets": str,  # JSON list of source ids
            "title": str,  # the original's title
            "updated_at": str,
        },
        pk="id",
    )
    db["stories"].create_index(["earliest_published_at"])

    # kind "origin": the article names target as where it was originally published;
    # kind "same-article": the same outlet re-posted target under another URL.
    db["story_links"].create(
        {
            "article_id": str,
            "kind": str,
            "target_article_id": str,
            "score": float,
            "created_at": str,
        },
        pk=("article_id", "kind"),
    )
    db["story_links"].create_index(["target_article_id"])

    db["articles"].add_column("story_id", str)
    db["articles"].create_index(["story_id"])


def m004_versions(db: sqlite_utils.Database) -> None:
    # Every earlier state of an article, full content, so any revision can be recovered;
    # ``articles`` keeps the latest.
    db["article_versions"].create(
        {
            "id": int,
            "article_id": str,
            "version": int,  # 1 = the first stored content; the latest is in articles
            "fetched_at": str,  # when the content that replaced this one was fetched
            "changed_fields": str,  # JSON list
            "diff": str,  # JSON: pipelines.versions.VersionDiff.to_json
            "title": str,
            "body": str,
            "authors": str,
            "published_at": str,
            "updated_at": str,
            "content_hash": str,  # of this (old) body, as articles.content_hash
            "state_hash": str,  # of all five fields of this state (pipelines.versions)
            "next_state_hash": str,  # of the state that replaced it: (state, next) is recorded once
        },
        pk="id",
        not_null={"article_id", "version"},
    )
    db["article_versions"].create_index(["article_id", "version"], unique=True)
    db["article_versions"].create_index(
        ["article_id", "state_hash", "next_state_hash"], unique=True
    )
