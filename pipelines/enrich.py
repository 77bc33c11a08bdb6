"""Derived data for each stored article: economic facts, entity mentions, topic relevance and the
near-duplicate signature.

``derive`` is pure CPU work on the extracted text, so it runs in the extraction workers, in
parallel; the writer only stores the result (and computes it itself when given none, as
``reprocess`` and the distributed writer do). Facts and entities are replaced whole on every
change of the article, never appended.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sqlite_utils

from archive.migrations_facts import store_facts

from .dedup import words_hash
from .facts import CALENDAR_FY, INDIA_FY, PAKISTAN_FY, Fact, FiscalYear, extract_facts
from .gazetteer import CountryMention, OrgMention, countries_in, organisations_in
from .models import Extracted, Source
from .relevance import Decision, Lexicon, Relevance, decide, load_lexicons, score
from .shingles import words
from .stories import Signature, StoryConfig, minhash_template, signature_of
from .wire import constructor_pickle

# Fiscal-year convention and the currency a bare "Rs" means, by the source's country.
FISCAL_YEARS: dict[str, FiscalYear] = {"PK": PAKISTAN_FY, "IN": INDIA_FY, "BD": PAKISTAN_FY}
RUPEES = {"IN": "INR", "LK": "LKR", "NP": "NPR"}


@constructor_pickle
@dataclass(frozen=True, slots=True)
class Derived:
    facts: list[Fact]
    entities: list[CountryMention | OrgMention]
    relevance: Relevance
    decision: Decision  # what the source's relevance policy says: store, store_flagged, drop
    signature: Signature | None  # None for a text too short to compare
    body_hash: str = ""  # content_hash of the body these were derived from ("" = not known)


@lru_cache(maxsize=1)
def _lexicons() -> dict[str, Lexicon]:
    return load_lexicons()  # read once per process: the files do not change during a run


@lru_cache(maxsize=4)
def _template(config: StoryConfig):
    return minhash_template(config)


def derive(
    extracted: Extracted, source: Source, story_config: StoryConfig | None = None
) -> Derived:
    country = source.country.upper()
    facts = extract_facts(
        extracted.body,
        fiscal=FISCAL_YEARS.get(country, PAKISTAN_FY if not country else CALENDAR_FY),
        default_rupee=RUPEES.get(country, "PKR"),
    )
    text = f"{extracted.title}\n\n{extracted.body}"
    entities = [*countries_in(text), *organisations_in(text)]
    language = extracted.language or source.language or "en"
    # One split of the body into words for its length, signature and content hash, here in the
    # workers (the writer would otherwise split it again for the hash).
    tokens = words(extracted.body)
    relevance = score(extracted.title, extracted.body, language, _lexicons(), tokens)
    config = story_config or StoryConfig()
    signature = signature_of(extracted.body, config, _template(config), tokens)
    decision = decide(source.relevance, relevance)
    return Derived(facts, entities, relevance, decision, signature, words_hash(tokens))


def relevance_columns(derived: Derived) -> dict[str, object]:
    """The article row's relevance fields: written with the row itself when the writer inserts
    or updates it (a second UPDATE would rewrite the whole row, body included)."""
    relevance = derived.relevance
    return {
        "relevance_score": relevance.score,
        "relevance_label": relevance.label,
        "relevance_terms": relevance.terms_json(),
        "relevance_flagged": int(derived.decision == "store_flagged"),
    }


def store_derived(db: sqlite_utils.Database, article_id: str, derived: Derived) -> None:
    """The derived rows of a stored article: facts and entities. Its relevance fields go into
    the article row itself (``relevance_columns``)."""
    store_facts(db, article_id, derived.facts, derived.entities)
