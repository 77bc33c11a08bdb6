"""Country and organisation mentions: longest-alias, word-bounded matching over plain text.

Countries come from ISO 3166 (``pycountry``) plus our own short forms and demonyms in
``data/countries.toml``; organisations come from ``data/organisations.toml``, which users extend by
passing their own files to ``load_gazetteer``. Both match through one trie-shaped regex per case
mode, so a 5 KB article is scanned once rather than once per alias.

Case rule (same for both): a single-word alias matches only as written ("US" is not "us", "Jazz"
is not "jazz"); a multi-word alias matches in any case ("ministry of IT & telecom").
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pycountry

DATA_DIR = Path(__file__).parent / "data"
DEFAULT_ORGANISATIONS = DATA_DIR / "organisations.toml"
COUNTRY_ALIASES = DATA_DIR / "countries.toml"

# "US$" is a currency, not a mention of the country; "P@SHA" and "AT&T" keep their inner symbols.
_LEFT = r"(?<![\w@&])"
_RIGHT = r"(?![\w@&$])"


def trie_pattern(words: Iterable[str]) -> str:
    """A regex alternation of ``words`` shaped as a prefix trie.

    Greedy optional tails make the engine try the longest alias first at each position, and the
    trie keeps matching cost proportional to text length, not to the number of aliases.
    """
    trie: dict[str, dict] = {}
    for word in words:
        if not word:
            continue
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, dict]) -> str:
        alternatives = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alternatives:
            return ""
        body = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


def _is_case_sensitive(alias: str) -> bool:
    return " " not in alias.strip()


@dataclass(frozen=True, slots=True)
class AliasMatcher:
    """Leftmost-longest, word-bounded matching of aliases to keys (``None`` keys are stop phrases)."""

    exact: re.Pattern[str] | None
    folded: re.Pattern[str] | None
    exact_keys: Mapping[str, str | None]
    folded_keys: Mapping[str, str | None]

    @classmethod
    def build(cls, aliases: Mapping[str, str | None]) -> AliasMatcher:
        exact = {a: k for a, k in aliases.items() if _is_case_sensitive(a)}
        folded = {a.casefold(): k for a, k in aliases.items() if not _is_case_sensitive(a)}
        return cls(
            exact=re.compile(_LEFT + "(?:" + trie_pattern(exact) + ")" + _RIGHT) if exact else None,
            folded=(
                re.compile(_LEFT + "(?:" + trie_pattern(folded) + ")" + _RIGHT, re.IGNORECASE)
                if folded
                else None
            ),
            exact_keys=exact,
            folded_keys=folded,
        )

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, key) for each mention, non-overlapping, longest alias preferred."""
        found: list[tuple[int, int, str | None]] = []
        if self.exact is not None:
            found += [
                (m.start(), m.end(), self.exact_keys[m.group()]) for m in self.exact.finditer(text)
            ]
        if self.folded is not None:
            found += [
                (m.start(), m.end(), self.folded_keys.get(m.group().casefold()))
                for m in self.folded.finditer(text)
            ]
        found.sort(key=lambda item: (item[0], item[0] - item[1]))
        result: list[tuple[int, int, str]] = []
        taken_until = -1
        for start, end, key in found:
            if start < taken_until:
                continue
            taken_until = end
            if key is not None:  # a stop phrase ("New Jersey") swallows its span and yields nothing
                result.append((start, end, key))
        return result


# --- countries -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CountryMention:
    code: str  # ISO 3166-1 alpha-2
    name: str  # ISO short name from pycountry
    text: str
    start: int
    end: int


@functools.cache  # built once per process from packaged, read-only data
def country_matcher() -> AliasMatcher:
    aliases: dict[str, str | None] = {}
    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            value = getattr(country, attr, None)
            if value:
                aliases[value] = country.alpha_2
    extra = tomllib.loads(COUNTRY_ALIASES.read_text(encoding="utf-8"))
    for code, names in extra.get("aliases", {}).items():
        for name in names:
            aliases[name] = code
    for code, names in extra.get("demonyms", {}).items():
        for name in names:
            aliases[name] = code
    for name in extra.get("ignore", {}).get("aliases", []):
        aliases.pop(name, None)
    for phrase in extra.get("ignore", {}).get("phrases", []):
        aliases[phrase] = None
    return AliasMatcher.build(aliases)


def countries_in(text: str) -> list[CountryMention]:
    """Every country mention (names, short forms, demonyms) with its ISO alpha-2 code."""
    mentions = []
    for start, end, code in country_matcher().find(text):
        country = pycountry.countries.get(alpha_2=code)
        name = country.name if country is not None else code
        mentions.append(CountryMention(code, name, text[start:end], start, end))
    return mentions


# --- organisations -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Organisation:
    name: str  # canonical name
    aliases: tuple[str, ...]
    type: str  # ministry, regulator, trade_body, company, bank, ...
    country: str  # ISO alpha-2, "" for multinationals without one home


@dataclass(frozen=True, slots=True)
class OrgMention:
    name: str
    type: str
    country: str
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Gazetteer:
    organisations: tuple[Organisation, ...]
    matcher: AliasMatcher = field(repr=False, compare=False)
    sources: tuple[str, ...] = ()

    def get(self, name: str) -> Organisation:
        for org in self.organisations:
            if org.name == name:
                return org
        raise KeyError(name)


def load_gazetteer(paths: Iterable[Path]) -> Gazetteer:
    """Merge gazetteer files in order: a later entry with the same canonical name adds aliases
    and overrides type and country; a later file's alias shadows the same alias elsewhere."""
    merged: dict[str, Organisation] = {}
    sources = []
    for path in paths:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        sources.append(str(path))
        for entry in data.get("organisation", []):
            name = str(entry["name"]).strip()
            aliases = tuple(str(a).strip() for a in entry.get("aliases", []) if str(a).strip())
            previous = merged.get(name)
            if previous is not None:
                aliases = previous.aliases + tuple(a for a in aliases if a not in previous.aliases)
            merged[name] = Organisation(
                name=name,
                aliases=aliases,
                type=str(entry.get("type", previous.type if previous else "organisation")),
                country=str(entry.get("country", previous.country if previous else "")),
            )
    alias_map: dict[str, str | None] = {}
    for org in merged.values():
        for alias in (org.name, *org.aliases):
            alias_map[alias] = org.name
    return Gazetteer(tuple(merged.values()), AliasMatcher.build(alias_map), tuple(sources))


@functools.cache  # the packaged gazetteer is read-only; parse and compile it once per process
def default_gazetteer() -> Gazetteer:
    return load_gazetteer([DEFAULT_ORGANISATIONS])


def organisations_in(text: str, gazetteer: Gazetteer | None = None) -> list[OrgMention]:
    """Every organisation mention, by canonical name; ``gazetteer`` defaults to ours."""
    gaz = gazetteer if gazetteer is not None else default_gazetteer()
    by_name = {org.name: org for org in gaz.organisations}
    mentions = []
    for start, end, name in gaz.matcher.find(text):
        org = by_name[name]
        mentions.append(OrgMention(org.name, org.type, org.country, text[start:end], start, end))
    return mentions
