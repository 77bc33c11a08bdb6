"""Text features for near-duplicate detection: word shingles and salient tokens.

Pure functions, no I/O. Every hash here is a fixed function of the text (CRC-32 and fixed
multipliers), never Python's per-process ``hash()``, so signatures are identical across runs,
processes and machines and may be persisted.
"""

from __future__ import annotations

import re
import unicodedata
import zlib

import numpy as np

# Odd 64-bit multipliers (from the golden ratio and MurmurHash3's finaliser): fixed, never seeded.
_MUL = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xFF51AFD7ED558CCD)
_MIX2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)
_S32 = np.uint64(32)

# A word: a run of letters and digits (what separates words is a run of [\W_]).
_TOKEN = re.compile(r"[^\W_]+")
# Numbers keep their decimal point but lose thousands separators: "1,500" and "1500" agree.
# (\d+ written \d\d* so that the regex engine skips ahead to digits.)
_NUMBER = re.compile(r"\d\d*(?:[.,]\d+)*")
# A capitalised word. It is a sentence opener, which says nothing about names, when it starts a
# line or follows sentence punctuation, a quote or a bracket (whitespace between allowed): this
# is what `(?:^|[OPENERS])\s*` before it, scanning the text from left to right, would match.
_CAPITALISED = re.compile(r"[A-ZÀ-ÖØ-ÞĀ-ſΑ-ΩА-Я][\w'’&-]*")
_OPENERS = frozenset(".!?:;\"“”'‘’([—–-")
# Capitalised function words that open headings, bullets and quotes anywhere in a line.
_CAPITAL_STOPWORDS = frozenset(
    {
        "a", "an", "the", "and", "or", "but", "if", "in", "on", "at", "of", "for", "to", "from",
        "by", "with", "as", "is", "are", "was", "were", "be", "this", "that", "these", "those",
        "it", "its", "he", "she", "they", "we", "i", "you", "his", "her", "their", "our", "mr",
        "ms", "mrs", "dr",
    }
)  # fmt: skip


def words(text: str) -> list[str]:
    """Case-folded words without punctuation, after NFKC normalisation (ASCII text already is
    NFKC-normal): what ``dedup.content_hash`` hashes, and the shingles' words."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return _TOKEN.findall(text.casefold())


def fmix64(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser: spreads every input bit over the whole output."""
    h = values ^ (values >> _S33)
    h = h * _MIX1
    h = h ^ (h >> _S33)
    h = h * _MIX2
    return h ^ (h >> _S33)


def word_hashes(tokens: list[str]) -> np.ndarray:
    """CRC-32 of each token's UTF-8 bytes."""
    return np.fromiter(map(zlib.crc32, map(str.encode, tokens)), dtype=np.uint64, count=len(tokens))


def shingle_hashes(tokens: list[str], size: int) -> np.ndarray:
    """Distinct 32-bit hashes of the ``size``-word shingles of ``tokens``, sorted.

    A text shorter than ``size`` words is one shingle, so short texts still get a signature.
    Hashing words once and combining them with vector arithmetic is ~10x faster than hashing
    each shingle string.
    """
    if not tokens:
        return np.zeros(0, dtype=np.uint32)
    hashed = word_hashes(tokens)
    count = max(len(tokens) - size + 1, 1)
    with np.errstate(over="ignore"):
        acc = hashed[:count] * _MUL  # (0 ^ first word) * _MUL
        for offset in range(1, min(size, len(tokens))):
            acc ^= hashed[offset : offset + count]
            acc *= _MUL
        acc = fmix64(acc)
    return np.unique((acc >> _S32).astype(np.uint32))


def salient_tokens(text: str) -> set[str]:
    """Numbers and names: the tokens a copy keeps and a templated brief changes.

    Names are capitalised words that do not open a sentence (a crude but language-light proxy
    for named entities); numbers are digit runs with thousands separators dropped.
    """
    found = {number.replace(",", "") for number in _NUMBER.findall(text)}
    names: set[str] = set()
    after = 0  # where the previous capitalised word ended
    for m in _CAPITALISED.finditer(text):
        start = m.start()
        folded = m.group().casefold()
        if folded.endswith(("'", "’")):  # possessive: "Reuters'", "Dawn's"
            folded = folded[:-1]
        elif folded.endswith(("'s", "’s")):
            folded = folded[:-2]
        if (
            folded
            and folded not in names
            and folded not in _CAPITAL_STOPWORDS
            and not _opens_sentence(text, after, start)
        ):
            names.add(folded)
        after = m.end()
    return found | names


def _opens_sentence(text: str, after: int, start: int) -> bool:
    """Whether the word at ``start`` opens a line or a sentence: only whitespace between it and
    the start of a line, or an opener character, at or after ``after`` (text before ``after``
    belongs to the previous word)."""
    pos = start
    while pos > after:
        before = text[pos - 1]
        if before == "\n":
            return True
        if not before.isspace():
            return before in _OPENERS
        pos -= 1
    return pos == 0 or text[pos - 1] == "\n"


def salient_hashes(text: str) -> np.ndarray:
    """Sorted distinct CRC-32s of ``salient_tokens``: compact enough to store per article."""
    tokens = salient_tokens(text)
    return np.unique(np.fromiter(map(zlib.crc32, map(str.encode, tokens)), np.uint32, len(tokens)))


def overlap(a: np.ndarray, b: np.ndarray) -> float:
    """|A ∩ B| / min(|A|, |B|) of two sorted distinct arrays; 1.0 when either is empty.

    The overlap coefficient, not Jaccard: a partial copy's tokens are a subset of the original's.
    """
    if a.size == 0 or b.size == 0:
        return 1.0
    common = np.intersect1d(a, b, assume_unique=True).size
    return common / min(a.size, b.size)
