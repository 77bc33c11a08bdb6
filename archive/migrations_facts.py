"""Schema for economic facts, entity mentions and relevance, and the idempotent writer for them.

``m003_facts`` is meant to be appended to ``archive.schema.MIGRATIONS``. The indexes serve the
researcher's typical question, "money figures over time by country and keyword": filter ``facts``
by kind, currency and period, join ``article_entities`` by country and ``articles_fts`` by keyword.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import sqlite_utils

from pipelines.facts import EXTRACTOR_VERSION, Fact
from pipelines.gazetteer import CountryMention, OrgMention
from pipelines.sqlrows import insert_rows

FACT_COLUMNS: dict[str, type] = {
    "id": int,
    "article_id": str,
    "kind": str,  # money, percent, period, count
    "text": str,  # the matched span, exactly as in the body
    "value": float,  # as written (money, percent); the full count (count)
    "value_high": float,  # top of a range ("$2-3 billion", "18-20%")
    "currency": str,  # ISO 4217
    "multiplier": float,
    "amount": float,  # value x multiplier, in units of currency
    "amount_high": float,
    "unit": str,  # percent: %, pp, bp; count: the counted noun
    "period": str,  # FY2024, FY2024-Q3, 2023-H1, 2024-03, 2019/2024, ...
    "start_date": str,  # ISO date, inclusive
    "end_date": str,
    "direction": str,  # increase, decrease or NULL (percent)
    "qualifier": str,  # approx, more_than, less_than, at_least, up_to or NULL
    "sentence": str,
    "sentence_start": int,
    "start": int,  # character offsets into articles.body
    "end": int,
    "extractor_version": str,
}


def m003_facts(db: sqlite_utils.Database) -> None:
    """Create ``facts`` and ``article_entities`` and add relevance columns to ``articles``.

    Written to be safe to run twice, so tests and partial upgrades can call it directly.
    """
    if "facts" not in db.table_names():
        db["facts"].create(
            FACT_COLUMNS,
            pk="id",
            not_null={"article_id", "kind", "text"},
            foreign_keys=[("article_id", "articles", "id")],
        )
    facts = db["facts"]
    for columns in (
        ["article_id"],
        ["kind", "currency", "start_date"],  # money by currency over time
        ["kind", "start_date", "end_date"],
        ["kind", "unit"],  # counts of start-ups, freelancers, ...
        ["period"],
    ):
        facts.create_index(columns, if_not_exists=True)

    if "article_entities" not in db.table_names():
        db["article_entities"].create(
            {"article_id": str, "kind": str, "code_or_name": str, "mention_count": int},
            pk=("article_id", "kind", "code_or_name"),
            foreign_keys=[("article_id", "articles", "id")],
        )
    # "articles mentioning PK": the primary key already covers lookups by article.
    db["article_entities"].create_index(["kind", "code_or_name", "article_id"], if_not_exists=True)

    articles = db["articles"]
    existing = set(articles.columns_dict)
    for name, kind in (
        ("relevance_score", float),
        ("relevance_label", str),
        ("relevance_terms", str),
    ):
        if name not in existing:
            articles.add_column(name, kind)
    articles.create_index(["relevance_label"], if_not_exists=True)


def entity_rows(
    article_id: str, entities: Iterable[CountryMention | OrgMention]
) -> list[dict[str, object]]:
    """One row per distinct entity: countries by ISO code, organisations by canonical name."""
    counts: Counter[tuple[str, str]] = Counter()
    for mention in entities:
        if isinstance(mention, CountryMention):
            counts[("country", mention.code)] += 1
        else:
            counts[("org", mention.name)] += 1
    return [
        {"article_id": article_id, "kind": kind, "code_or_name": key, "mention_count": n}
        for (kind, key), n in sorted(counts.items())
    ]


def fact_row(article_id: str, fact: Fact) -> dict[str, object]:
    row: dict[str, object] = {
        name: getattr(fact, name) for name in FACT_COLUMNS if hasattr(fact, name)
    }
    row["article_id"] = article_id
    row["extractor_version"] = EXTRACTOR_VERSION
    return row


def store_facts(
    db: sqlite_utils.Database,
    article_id: str,
    facts: Sequence[Fact],
    entities: Iterable[CountryMention | OrgMention],
) -> None:
    """Replace everything extracted from one article, in one transaction.

    Re-running on the same article (a re-crawl, a new extractor version) leaves exactly the new
    rows: old facts and entities are deleted first, and a failure rolls back to the old state.
    """
    fact_rows = [fact_row(article_id, fact) for fact in facts]
    entity_list = entity_rows(article_id, entities)
    with db.atomic():
        db.execute("DELETE FROM facts WHERE article_id = ?", [article_id])
        db.execute("DELETE FROM article_entities WHERE article_id = ?", [article_id])
        if fact_rows:
            insert_rows(db, "facts", fact_rows)
        if entity_list:
            insert_rows(db, "article_entities", entity_list)
