"""Text features for near-duplicate detection: word shingles and salient tokens.

Pure functions, no I/O. Every hash here is a fixed function of the text (CRC-32 and fixed
multipliers), never Python's per-process ``hash()``, so signatures are identical across runs,
processes and machines and may be persisted.
"""

from __future__ import annotations

import re
import zlib

import numpy as np

from .dedup import normalise_for_hash

# Odd 64-bit multipliers (from the golden ratio and MurmurHash3's finaliser): fixed, never seeded.
_MUL = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xFF51AFD7ED558CCD)
_MIX2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)
_S32 = np.uint64(32)

# Numbers keep their decimal point but lose thousands separators: "1,500" and "1500" agree.
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# A capitalised word, with what precedes it when that makes it a sentence opener (start of a
# line, or after sentence punctuation, quotes or brackets): openers say nothing about names.
_CAPITALISED = re.compile(
    r"(?P<opener>(?:^|[.!?:;\"“”'‘’(\[—–-])\s*)?"
    r"(?P<word>[A-ZÀ-ÖØ-ÞĀ-ſΑ-ΩА-Я][\w'’&-]*)",
    re.MULTILINE,
)
_POSSESSIVE = re.compile(r"['’]s?$")
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
    """Case-folded words without punctuation (the same normalisation as ``content_hash``)."""
    return normalise_for_hash(text).split()


def fmix64(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser: spreads every input bit over the whole output."""
    h = values ^ (values >> _S33)
    h = h * _MIX1
    h = h ^ (h >> _S33)
    h = h * _MIX2
    return h ^ (h >> _S33)


def word_hashes(tokens: list[str]) -> np.ndarray:
    return np.fromiter(
        (zlib.crc32(t.encode("utf-8")) for t in tokens), dtype=np.uint64, count=len(tokens)
    )


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
    acc = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(min(size, len(tokens))):
            acc = (acc ^ hashed[offset : offset + count]) * _MUL
        acc = fmix64(acc)
    return np.unique((acc >> _S32).astype(np.uint32))


def salient_tokens(text: str) -> set[str]:
    """Numbers and names: the tokens a copy keeps and a templated brief changes.

    Names are capitalised words that do not open a sentence (a crude but language-light proxy
    for named entities); numbers are digit runs with thousands separators dropped.
    """
    found = {m.group().replace(",", "") for m in _NUMBER.finditer(text)}
    for m in _CAPITALISED.finditer(text):
        if m.group("opener") is not None:
            continue
        folded = _POSSESSIVE.sub("", m.group("word").casefold())
        if folded and folded not in _CAPITAL_STOPWORDS:
            found.add(folded)
    return found


def salient_hashes(text: str) -> np.ndarray:
    """Sorted distinct CRC-32s of ``salient_tokens``: compact enough to store per article."""
    tokens = salient_tokens(text)
    return np.unique(
        np.fromiter((zlib.crc32(t.encode("utf-8")) for t in tokens), np.uint32, len(tokens))
    )


def overlap(a: np.ndarray, b: np.ndarray) -> float:
    """|A ∩ B| / min(|A|, |B|) of two sorted distinct arrays; 1.0 when either is empty.

    The overlap coefficient, not Jaccard: a partial copy's tokens are a subset of the original's.
    """
    if a.size == 0 or b.size == 0:
        return 1.0
    common = np.intersect1d(a, b, assume_unique=True).size
    return common / min(a.size, b.size)
