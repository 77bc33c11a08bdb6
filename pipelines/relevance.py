"""Auditable topic relevance: a weighted-term lexicon per language, a documented score, a label.

Every ``Relevance`` carries the terms that produced it and a hash of the lexicon file, so a
researcher can state exactly why an article is inside or outside the corpus and reproduce it.
The lexicon format, the formula and the thresholds are in docs/research.md; the scoring
parameters live in the lexicon file itself, so the hash covers them too.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NamedTuple

from pipelines.gazetteer import TrieScanner
from pipelines.wire import constructor_pickle

DATA_DIR = Path(__file__).parent / "data"

Label = Literal["relevant", "borderline", "irrelevant"]
Decision = Literal["store", "store_flagged", "drop"]
Policy = Literal["keep", "flag", "drop"]
POLICIES: tuple[str, ...] = ("keep", "flag", "drop")

NEGATIVE = "negative"  # the category name under which negative terms are reported

# Terms are word-bounded (``TrieScanner``: no \w character right before or after), which also
# works for Urdu and other scripts Python's \w covers.
_BOUND = r"\w"
# Whitespace runs other than a lone space (replacing those by a space is replacing every \s+ run).
_SPACES = re.compile(r"\s(?:(?<! )\s*|\s+)")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Scoring:
    """Parameters of the score; see ``score`` for the formula."""

    title_boost: float = 2.0  # evidence of a term found in the title, in body-occurrence units
    scale: float = 4.0  # evidence at which the score reaches 1 - 1/e (0.63)
    length_words: float = 800.0  # body evidence is divided by sqrt(1 + words / length_words)
    relevant: float = 0.5  # score >= relevant -> "relevant"
    borderline: float = 0.2  # score >= borderline -> "borderline", below -> "irrelevant"


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    category: str
    weight: float
    ambiguous: bool = False  # counts only when an unambiguous positive term also matched
    negative: bool = False


@dataclass(frozen=True, slots=True)
class _Matcher:
    """Compiled scanners for one lexicon: exact-case and any-case, whole-word and stem terms."""

    scanners: tuple[TrieScanner, ...]
    keys: tuple[Mapping[str, Term], ...]
    folded: tuple[bool, ...]
    stems: tuple[bool, ...]


@dataclass(frozen=True, slots=True)
class Lexicon:
    language: str
    version: str  # "<language>-<first 12 hex of the file's sha256>"
    terms: tuple[Term, ...]
    scoring: Scoring
    categories: Mapping[str, str]  # id -> human label
    matcher: _Matcher = field(repr=False, compare=False)


class TermMatch(NamedTuple):
    term: str
    category: str
    count: int  # occurrences in title and body together


@constructor_pickle
@dataclass(frozen=True, slots=True)
class Relevance:
    score: float  # 0..1
    label: Label
    matched: tuple[TermMatch, ...]
    lexicon_version: str
    language: str  # the lexicon's language, which may differ from the article's (fallback)
    evidence: float  # the un-saturated evidence behind ``score``

    def terms_json(self) -> str:
        """The ``articles.relevance_terms`` column: [[term, category, count], ...]."""
        return json.dumps([list(m) for m in self.matched], ensure_ascii=False)


def _compile(terms: tuple[Term, ...]) -> _Matcher:
    # A term written with any capital letter ("IT exports", "Jazz") must match as written;
    # a lower-case term matches in any case. A trailing "*" makes a stem ("startup*").
    groups: dict[tuple[bool, bool], dict[str, Term]] = {}
    for term in terms:
        stem = term.text.endswith("*")
        literal = _SPACES.sub(" ", term.text.rstrip("*").strip())
        folded = literal == literal.lower()
        key = literal.casefold() if folded else literal
        groups.setdefault((folded, stem), {})[key] = term
    scanners, keys, folds, stems = [], [], [], []
    for (folded, stem), mapping in sorted(groups.items()):
        scanners.append(
            TrieScanner.build(mapping, left=_BOUND, right=_BOUND, folded=folded, stem=stem)
        )
        keys.append(mapping)
        folds.append(folded)
        stems.append(stem)
    return _Matcher(tuple(scanners), tuple(keys), tuple(folds), tuple(stems))


def _parse(data: dict, version: str) -> Lexicon:
    language = str(data.get("language", "")).strip()
    if not language:
        raise ValueError("lexicon needs a `language`")
    scoring = Scoring(**{k: float(v) for k, v in data.get("scoring", {}).items()})
    terms: list[Term] = []
    labels: dict[str, str] = {}
    for category, body in data.get("categories", {}).items():
        labels[category] = str(body.get("label", category))
        for text, weight in body.get("terms", {}).items():
            terms.append(Term(text, category, float(weight)))
        for text, weight in body.get("ambiguous", {}).items():
            terms.append(Term(text, category, float(weight), ambiguous=True))
    for text, weight in data.get("negative", {}).get("terms", {}).items():
        terms.append(Term(text, NEGATIVE, float(weight), negative=True))
    if any(t.weight < 0 for t in terms):
        raise ValueError("weights are magnitudes; put negative evidence under [negative]")
    frozen = tuple(terms)
    return Lexicon(language, f"{language}-{version}", frozen, scoring, labels, _compile(frozen))


def load_lexicon(path: Path) -> Lexicon:
    raw = Path(path).read_bytes()
    return _parse(tomllib.loads(raw.decode("utf-8")), hashlib.sha256(raw).hexdigest()[:12])


def load_lexicons(directory: Path = DATA_DIR) -> dict[str, Lexicon]:
    """Every ``lexicon-<language>.toml`` in ``directory``, keyed by language."""
    lexicons = {}
    for path in sorted(Path(directory).glob("lexicon-*.toml")):
        lexicon = load_lexicon(path)
        lexicons[lexicon.language] = lexicon
    return lexicons


def _counts(lexicon: Lexicon, text: str) -> dict[Term, int]:
    counts: dict[Term, int] = {}
    if not text:
        return counts
    text = _SPACES.sub(" ", text)
    matcher = lexicon.matcher
    found: list[tuple[int, int, Term]] = []
    for scanner, mapping, folded in zip(
        matcher.scanners, matcher.keys, matcher.folded, strict=True
    ):
        for start, key_end, end in scanner.spans(text):
            literal = text[start:key_end]
            term = mapping.get(literal.casefold() if folded else literal)
            if term is not None:
                found.append((start, end, term))
    # Terms from different pattern groups can overlap (the stem "برآمد*" inside the phrase
    # "آئی ٹی برآمدات"); the longest leftmost one counts, so no text is evidence twice.
    found.sort(key=lambda item: (item[0], item[0] - item[1]))
    taken_until = -1
    for start, end, term in found:
        if start >= taken_until:
            counts[term] = counts.get(term, 0) + 1
            taken_until = end
    return counts


def _pick(lexicon: Lexicon | Mapping[str, Lexicon], language: str) -> Lexicon:
    if isinstance(lexicon, Lexicon):
        return lexicon
    primary = (language or "").split("-")[0].split("_")[0].lower()
    if primary in lexicon:
        return lexicon[primary]
    if "en" in lexicon:
        return lexicon["en"]  # most South Asian outlets mix English terms into any language
    raise KeyError(f"no lexicon for {language!r} and no English fallback")


def word_count(body: str, tokens: list[str] | None = None) -> int:
    """The \\w+ runs of ``body``. ``tokens``, ``shingles.words(body)`` when the caller has them,
    are the same runs in ASCII text without underscores, and then counting them saves a scan."""
    if tokens is not None and body.isascii() and "_" not in body:
        return len(tokens)
    return len(_WORD.findall(body))


def score(
    title: str,
    body: str,
    language: str,
    lexicon: Lexicon | Mapping[str, Lexicon],
    tokens: list[str] | None = None,
) -> Relevance:
    """How strongly an article is about the tech economy.

    For each term t with weight w matched h times in the title and b times in the body:

        e(t) = w * (title_boost * [h > 0] + log2(1 + b) / sqrt(1 + words / length_words))

    evidence = sum of e over positive terms (ambiguous ones only if some unambiguous positive
    term matched) minus the sum over negative terms; score = 1 - exp(-max(0, evidence) / scale).
    The title counts once however often a term repeats there; repeats in the body count with
    diminishing returns; long bodies need proportionally more mentions.
    """
    lex = _pick(lexicon, language)
    title = title or ""
    body = body or ""
    in_title = _counts(lex, title)
    in_body = _counts(lex, body)
    params = lex.scoring
    words = word_count(body, tokens)
    dilution = math.sqrt(1.0 + words / params.length_words) if params.length_words > 0 else 1.0
    unambiguous = any(not t.ambiguous and not t.negative for t in (*in_title, *in_body))
    evidence = 0.0
    matched: list[TermMatch] = []
    for term in sorted(set(in_title) | set(in_body), key=lambda t: (t.category, t.text)):
        if term.ambiguous and not unambiguous:
            continue
        h, b = in_title.get(term, 0), in_body.get(term, 0)
        contribution = term.weight * (
            params.title_boost * (1 if h else 0) + math.log2(1 + b) / dilution
        )
        evidence += -contribution if term.negative else contribution
        matched.append(TermMatch(term.text, term.category, h + b))
    value = 1.0 - math.exp(-max(0.0, evidence) / params.scale) if params.scale > 0 else 0.0
    value = round(min(1.0, max(0.0, value)), 4)
    label: Label = (
        "relevant"
        if value >= params.relevant
        else "borderline"
        if value >= params.borderline
        else "irrelevant"
    )
    return Relevance(value, label, tuple(matched), lex.version, lex.language, round(evidence, 4))


def decide(policy: str, relevance: Relevance) -> Decision:
    """What to do with an article from a source with ``policy``:

    keep: store everything (an on-topic source; the score is recorded but never acted on);
    flag: store relevant articles, store the rest flagged for review;
    drop: store relevant, flag borderline, drop irrelevant.
    """
    if policy == "keep":
        return "store"
    if policy == "flag":
        return "store" if relevance.label == "relevant" else "store_flagged"
    if policy == "drop":
        return {"relevant": "store", "borderline": "store_flagged"}.get(relevance.label, "drop")  # type: ignore[return-value]
    raise ValueError(f"unknown relevance policy {policy!r}; expected one of {POLICIES}")
