"""Country and organisation mentions: longest-alias, word-bounded matching over plain text.

Countries come from ISO 3166 (``pycountry``) plus our own short forms and demonyms in
``data/countries.toml``; organisations come from ``data/organisations.toml``, which users extend by
passing their own files to ``load_gazetteer``. Both match through one trie-shaped regex per case
mode, so a 5 KB article is scanned once rather than once per alias.

Case rule (same for both): a single-word alias matches only as written ("US" is not "us", "Jazz"
is not "jazz"); a multi-word alias matches in any case ("ministry of IT & telecom").

``TrieScanner`` (shared with ``relevance``) finds exactly what ``finditer`` of the plain
word-bounded pattern finds, several times faster: see its docstring for how and why it is exact.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pycountry

from .wire import constructor_pickle

try:  # the case tables the regex compiler itself uses for IGNORECASE (see TrieScanner)
    import _sre
    from re._casefix import _EXTRA_CASES
except ImportError:  # pragma: no cover - another Python: any-case scans take the reference path
    _sre = None
    _EXTRA_CASES = {}

DATA_DIR = Path(__file__).parent / "data"
DEFAULT_ORGANISATIONS = DATA_DIR / "organisations.toml"
COUNTRY_ALIASES = DATA_DIR / "countries.toml"

# "US$" is a currency, not a mention of the country; "P@SHA" and "AT&T" keep their inner symbols.
# Character classes: no alias starts after one of _LEFT or ends before one of _RIGHT.
_LEFT = r"\w@&"
_RIGHT = r"\w@&$"


def trie_pattern(words: Iterable[str], guard: str = "") -> str:
    """A regex alternation of ``words`` shaped as a prefix trie.

    Greedy optional tails make the engine try the longest alias first at each position, and the
    trie keeps matching cost proportional to text length, not to the number of aliases.
    ``guard`` (a zero-width assertion) is placed right after the first character of every word.
    """
    trie: dict[str, dict] = {}
    for word in words:
        if not word:
            continue
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, dict], after: str) -> str:
        alternatives = [
            re.escape(ch) + after + build(child, "") for ch, child in sorted(node.items()) if ch
        ]
        if not alternatives:
            return ""
        body = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie, guard)


# --- fast word-bounded scanning ------------------------------------------------------------------


@functools.cache
def _lower_case_changes() -> frozenset[str]:
    """Every character that ``str.lower()`` changes, found by lower-casing the code space in
    blocks (a few tens of ms, once per process)."""
    changed: set[str] = set()
    codes = np.arange(0x110000, dtype="<u4")
    for start in range(0, 0x110000, 256):
        block_codes = codes[start : start + 256]
        block = block_codes.tobytes().decode("utf-32-le", "surrogatepass")
        lowered = block.lower()
        if lowered == block:
            continue
        if len(lowered) == len(block):
            lowered_codes = np.frombuffer(lowered.encode("utf-32-le", "surrogatepass"), "<u4")
            changed.update(map(chr, block_codes[lowered_codes != block_codes].tolist()))
        else:
            changed.update(ch for ch in block if ch.lower() != ch)
    return frozenset(changed)


def _lowers_exactly(
    ch: str, alphabet: frozenset[str], classes: tuple[re.Pattern[str], ...]
) -> bool:
    """Whether ``ch.lower()`` matches each character of ``alphabet`` case-sensitively just when
    ``ch`` matches it with IGNORECASE, and is in each of ``classes`` just when ``ch`` is.

    IGNORECASE compares the regex engine's one-character lower case of both sides, plus the extra
    equivalences of ``re._casefix`` ("ſ" is "s"), and matches a character without case only as
    itself. A character that ``str.lower()`` leaves alone lower-cases alike in the engine (a
    one-character lower case is the first character of the full one), so it can fail here only
    through an extra equivalence.
    """
    low = ch.lower()
    return (
        len(low) == 1
        and _sre is not None
        and _sre.unicode_tolower(ord(ch)) == ord(low)
        and (low == ch or _sre.unicode_iscased(ord(low)))
        and not any(chr(k) in alphabet for k in _EXTRA_CASES.get(ord(low), ()))
        and all(bool(c.match(ch)) == bool(c.match(low)) for c in classes)
    )


@dataclass(frozen=True, slots=True)
class TrieScanner:
    """The matches of ``reference`` = ``(?<![left])(?P<t>trie of keys)tail`` (``tail`` is
    ``(?![right])``, or ``\\w*`` for stems), exactly as ``reference.finditer`` yields them, found
    several times faster.

    Python's regex engine skips quickly only to positions where a pattern's first character can
    match, and only when the pattern starts with a character (not a look-behind) and is
    case-sensitive; in an IGNORECASE alternation it also tries every branch in full. So:

    - Case-sensitive keys: the look-behind moves after the first character, as ``(?<![left].)``
      (the same test: the character before the key is not in ``left``), and the engine skips to
      the keys' first letters.
    - Any-case keys: the scan runs case-sensitively on ``text.lower()`` and from a separator:
      ``[^left](?P<t>trie)tail``. A match that needs no separator of its own (at offset 0, or
      right after a match ending outside ``left``, as "U.S." does) is tried with the anchored
      ``head``. Lower-casing is exactly IGNORECASE, offsets included, only when every character
      of the text lower-cases to one character, the one the regex engine folds it to, with no
      extra case equivalence the keys use ("ſ" is "s" to IGNORECASE), and stays in or out of
      each character class (``_lowers_exactly``). The few characters for which that fails are
      found when the scanner is built, from the tables the regex compiler uses; a text holding
      one of them takes ``reference`` itself.
    """

    reference: re.Pattern[str]
    fast: re.Pattern[str] | None  # None: always the reference
    head: re.Pattern[str] | None  # any-case: the reference on lower-cased text, case-sensitive
    alphabet: frozenset[str]  # the characters of the keys
    classes: tuple[re.Pattern[str], ...]  # [left], [right], \w: every class the patterns test
    open_ends: bool  # some key ends with a character outside ``left``
    odd_case: re.Pattern[str] | None  # any-case: the characters not to match by lower case

    @classmethod
    def build(
        cls,
        keys: Iterable[str],
        *,
        left: str,
        right: str,
        folded: bool,
        stem: bool = False,
    ) -> TrieScanner:
        """``left``/``right``: character-class bodies, ``left`` starting with ``\\w``; ``folded``
        keys are lower case and match in any case; ``stem`` keys match any word ending."""
        if not left.startswith(r"\w"):
            raise ValueError(r"left must include \w: stems end with word characters")
        keys = [k for k in keys if k]
        trie = trie_pattern(keys)
        tail = r"\w*" if stem else f"(?![{right}])"
        reference = re.compile(f"(?<![{left}])(?P<t>{trie}){tail}", re.IGNORECASE if folded else 0)
        alphabet = frozenset("".join(keys))
        classes = tuple(re.compile(f"[{body}]") for body in (left, right, r"\w"))
        open_ends = not all(classes[0].fullmatch(k[-1]) for k in keys)
        plain = cls(reference, None, None, alphabet, classes, open_ends, None)
        if not keys:
            return plain
        if not folded:
            if any(k[0] == "\n" for k in keys):  # "." in the moved look-behind is not "\n"
                return plain
            fast = re.compile(f"(?P<t>{trie_pattern(keys, f'(?<![{left}].)')}){tail}")
            return cls(reference, fast, None, alphabet, classes, open_ends, None)
        if _sre is None or not all(
            c.lower() == c and _sre.unicode_tolower(ord(c)) == ord(c) for c in alphabet
        ):
            return plain
        fast = re.compile(f"[^{left}](?P<t>{trie}){tail}")
        head = re.compile(f"(?<![{left}])(?P<t>{trie}){tail}")
        if not all(_lowers_exactly(chr(i), alphabet, classes) for i in range(128)):
            return plain  # ASCII text would never take the fast path
        extra = {chr(c) for key, same in _EXTRA_CASES.items() for c in (key, *same)}
        odd = sorted(
            ch
            for ch in _lower_case_changes() | extra
            if not ch.isascii() and not _lowers_exactly(ch, alphabet, classes)
        )
        odd_case = re.compile(f"[{''.join(odd)}]") if odd else None
        return cls(reference, fast, head, alphabet, classes, open_ends, odd_case)

    def lowers_exactly(self, text: str) -> bool:
        """Whether the any-case fast scan may run on ``text.lower()`` (see the class)."""
        return self.head is not None and (
            text.isascii() or self.odd_case is None or self.odd_case.search(text) is None
        )

    def spans(self, text: str) -> list[tuple[int, int, int]]:
        """(start, end of the key, end of the match) of every match, in text order."""
        if self.fast is None:
            return [(m.start(), m.end("t"), m.end()) for m in self.reference.finditer(text)]
        if self.head is None:
            return [(m.start(), m.end("t"), m.end()) for m in self.fast.finditer(text)]
        lowered = text.lower()
        if len(lowered) != len(text) or not self.lowers_exactly(text):
            return [(m.start(), m.end("t"), m.end()) for m in self.reference.finditer(text)]
        head, fast, left = self.head, self.fast, self.classes[0]
        found: list[tuple[int, int, int]] = []
        pos = 0
        while True:  # ``pos`` is 0 or the end of a match ending outside ``left``
            m = head.match(lowered, pos)
            if m is not None:
                found.append((m.start(), m.end("t"), m.end()))
                pos = m.end()
                if not left.match(lowered, pos - 1):
                    continue
            if not self.open_ends:
                found += [(m.start("t"), m.end("t"), m.end()) for m in fast.finditer(lowered, pos)]
                return found
            for m in fast.finditer(lowered, pos):
                found.append((m.start("t"), m.end("t"), m.end()))
                if not left.match(lowered, m.end() - 1):
                    pos = m.end()
                    break
            else:
                return found


def _is_case_sensitive(alias: str) -> bool:
    return " " not in alias.strip()


@dataclass(frozen=True, slots=True)
class AliasMatcher:
    """Leftmost-longest, word-bounded matching of aliases to keys (``None`` keys are stop phrases)."""

    exact: TrieScanner | None
    folded: TrieScanner | None
    exact_keys: Mapping[str, str | None]
    folded_keys: Mapping[str, str | None]

    @classmethod
    def build(cls, aliases: Mapping[str, str | None]) -> AliasMatcher:
        exact = {a: k for a, k in aliases.items() if _is_case_sensitive(a)}
        folded = {a.casefold(): k for a, k in aliases.items() if not _is_case_sensitive(a)}
        return cls(
            exact=TrieScanner.build(exact, left=_LEFT, right=_RIGHT, folded=False)
            if exact
            else None,
            folded=TrieScanner.build(folded, left=_LEFT, right=_RIGHT, folded=True)
            if folded
            else None,
            exact_keys=exact,
            folded_keys=folded,
        )

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, key) for each mention, non-overlapping, longest alias preferred."""
        found: list[tuple[int, int, str | None]] = []
        if self.exact is not None:
            keys = self.exact_keys
            found += [(s, e, keys[text[s:e]]) for s, _, e in self.exact.spans(text)]
        if self.folded is not None:
            keys = self.folded_keys
            found += [(s, e, keys.get(text[s:e].casefold())) for s, _, e in self.folded.spans(text)]
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


@constructor_pickle
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


@constructor_pickle
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
