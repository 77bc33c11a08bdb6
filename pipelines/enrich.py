"""Derived data for each stored article: economic facts, entity mentions and topic relevance.

Computed in the writer from the stored text (so ``reprocess`` recomputes them after an
upgrade), replaced whole on every change of the article, never appended.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from archive.migrations_facts import store_facts

from .facts import CALENDAR_FY, INDIA_FY, PAKISTAN_FY, FiscalYear, extract_facts
from .gazetteer import countries_in, organisations_in
from .models import Extracted, Source
from .relevance import Decision, Lexicon, Relevance, decide, load_lexicons, score

# Fiscal-year convention and the currency a bare "Rs" means, by the source's country.
FISCAL_YEARS: dict[str, FiscalYear] = {"PK": PAKISTAN_FY, "IN": INDIA_FY, "BD": PAKISTAN_FY}
RUPEES = {"IN": "INR", "LK": "LKR", "NP": "NPR"}


@dataclass(frozen=True, slots=True)
class Assessment:
    relevance: Relevance
    decision: Decision


class Enricher:
    def __init__(self, lexicons: dict[str, Lexicon] | None = None) -> None:
        self.lexicons = lexicons if lexicons is not None else load_lexicons()

    def assess(self, extracted: Extracted, source: Source) -> Assessment:
        """Relevance of an article and what the source's policy says to do with it."""
        language = extracted.language or source.language or "en"
        relevance = score(extracted.title, extracted.body, language, self.lexicons)
        return Assessment(relevance, decide(source.relevance, relevance))

    def store(
        self, db: sqlite_utils.Database, article_id: str, extracted: Extracted, source: Source,
        assessment: Assessment,
    ) -> None:  # fmt: skip
        country = source.country.upper()
        facts = extract_facts(
            extracted.body,
            fiscal=FISCAL_YEARS.get(country, PAKISTAN_FY if not country else CALENDAR_FY),
            default_rupee=RUPEES.get(country, "PKR"),
        )
        text = f"{extracted.title}\n\n{extracted.body}"
        entities = [*countries_in(text), *organisations_in(text)]
        store_facts(db, article_id, facts, entities)
        relevance = assessment.relevance
        with db.atomic():
            db["articles"].update(
                article_id,
                {
                    "relevance_score": relevance.score,
                    "relevance_label": relevance.label,
                    "relevance_terms": relevance.terms_json(),
                    "relevance_flagged": int(assessment.decision == "store_flagged"),
                },
            )
