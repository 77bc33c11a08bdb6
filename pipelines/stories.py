"""Near-duplicate story clusters: which syndicated copies, rewrites and partial copies of one
story belong together.

Method (docs/dedup.md has the figures): each body becomes a 128-permutation MinHash over its
word shingles (``pipelines.shingles``), persisted in ``article_signatures`` as a LeanMinHash.
A MinHashLSH index, rebuilt from those stored signatures on start, proposes candidates; every
candidate is then *verified* with the estimated Jaccard, the estimated containment of the
shorter text in the longer (partial copies), and a guard on salient tokens (numbers and names),
which keeps templated briefs that differ only in names and figures apart.

Storage of the LSH: datasketch's default dict-of-sets costs ~6 KB per article, too much for a
million articles in 2 GB, so its band tables are replaced by ``_BandTable``: sorted numpy arrays
of 64-bit band keys (12 bytes per article per band) plus a dict of recent inserts.

Not thread-safe: one ``StoryIndex`` per archive writer process, like ``ArchiveWriter``.
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum

import numpy as np
import sqlite_utils
from datasketch import LeanMinHash, MinHash, MinHashLSH
from datasketch.storage import OrderedStorage, UnorderedStorage

from .models import ArticleRecord
from .shingles import overlap, salient_hashes, shingle_hashes, words
from .sqlrows import upsert_row
from .urls import canonicalize, registrable_host
from .wire import constructor_pickle

SCHEME = "affine32"  # datasketch >= 2.0: 32-bit bijective permutations, 4 bytes per value
_BYTEORDER = "<"  # signatures are stored little-endian whatever the machine
_HEADER = 13  # LeanMinHash affine layout: int64 seed, int32 -num_perm, uint8 scheme code
_MASK64 = (1 << 64) - 1
# Fixed odd multipliers that fold a band of ``rows`` 32-bit values into one 64-bit key.
_BAND_MULS = (
    0x9E3779B97F4A7C15,
    0xC2B2AE3D27D4EB4F,
    0x165667B19E3779F9,
    0xD6E8FEB86659FD93,
    0xFF51AFD7ED558CCD,
    0xC4CEB9FE1A85EC53,
    0x27D4EB2F165667C5,
    0x94D049BB133111EB,
)


@dataclass(frozen=True, slots=True)
class StoryConfig:
    """Every knob of story clustering. Defaults are the tuned values in docs/dedup.md.

    A pair is the same story when ``salient >= min_salient`` and either
    ``jaccard >= min_jaccard`` or ``containment >= min_containment``.
    """

    shingle_size: int = 3  # words per shingle
    num_perm: int = 128  # MinHash permutations; changing it invalidates stored signatures
    seed: int = 1  # MinHash permutation seed; likewise fixed for the life of an archive
    bands: int = 42  # LSH bands b: with r = 3, P(candidate) is 0.5 at J = 0.25, 0.98 at 0.45
    rows: int = 3  # LSH rows per band r (b * r <= num_perm)
    min_jaccard: float = 0.4  # estimated Jaccard of the shingle sets
    min_containment: float = 0.6  # estimated share of the shorter text inside the longer
    min_salient: float = 0.7  # overlap coefficient of the numbers and names
    min_words: int = 25  # shorter bodies get a story of their own and match nothing
    same_article_jaccard: float = 0.9  # same outlet, other URL, at least this: same article
    max_candidates: int = 500  # verify at most this many LSH candidates per article
    compact_every: int = 5_000  # band-table inserts kept in a dict before merging into arrays

    def __post_init__(self) -> None:
        if self.bands * self.rows > self.num_perm:
            raise ValueError("bands * rows must not exceed num_perm")
        if not 1 <= self.rows <= len(_BAND_MULS):
            raise ValueError(f"rows must be between 1 and {len(_BAND_MULS)}")


# ---------------------------------------------------------------------------- signatures


def _identity(value: int) -> int:
    """MinHash ``hashfunc`` for inputs that are already 32-bit hashes (shingle_hashes)."""
    return value


@constructor_pickle
@dataclass(frozen=True, slots=True)
class Signature:
    """What is kept per article to compare it with others without its text."""

    minhash: LeanMinHash
    num_words: int
    num_shingles: int
    salient: np.ndarray = field(repr=False)  # sorted uint32 hashes of numbers and names

    @property
    def values(self) -> np.ndarray:
        return self.minhash.hashvalues

    def minhash_blob(self) -> bytes:
        buf = bytearray(self.minhash.bytesize(_BYTEORDER))
        self.minhash.serialize(buf, _BYTEORDER)
        return bytes(buf)

    def salient_blob(self) -> bytes:
        return self.salient.astype("<u4").tobytes()


def minhash_template(config: StoryConfig) -> MinHash:
    """An empty MinHash with the config's permutations, to ``copy()`` per article."""
    return MinHash(num_perm=config.num_perm, seed=config.seed, hashfunc=_identity, scheme=SCHEME)


def _features(
    text: str, config: StoryConfig, tokens: list[str] | None = None
) -> tuple[list[str], np.ndarray]:
    tokens = words(text) if tokens is None else tokens
    return tokens, shingle_hashes(tokens, config.shingle_size)


# MurmurHash3's 32-bit finaliser, which datasketch's affine32 scheme applies to every input hash.
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35))


def _minhash_values(template: MinHash, shingles: np.ndarray) -> np.ndarray:
    """``template.copy().update_batch(shingles)``'s hash values, without the per-value Python
    calls of ``update_batch``: the same uint32 arithmetic on the whole array at once."""
    if template.scheme != SCHEME:  # not the arithmetic below: let datasketch do it
        minhash = template.copy()
        minhash.update_batch(shingles.tolist())
        return minhash.hashvalues
    if shingles.size == 0:
        return template.hashvalues.copy()
    shift1, mul1, shift2, mul2 = _FMIX32
    hv = shingles.astype(np.uint32)
    hv ^= hv >> shift1
    hv *= mul1
    hv ^= hv >> shift2
    hv *= mul2
    hv ^= hv >> shift1
    a, b = template.permutations
    permuted = np.multiply.outer(hv, a)  # a * h + b mod 2^32, one row per shingle
    permuted += b
    return np.minimum(template.hashvalues, permuted.min(axis=0))


def signature_of(
    text: str,
    config: StoryConfig,
    template: MinHash | None = None,
    tokens: list[str] | None = None,
) -> Signature:
    """The signature of one body. Deterministic: same text and config, same bytes anywhere.

    ``template`` (from ``minhash_template``) saves regenerating the permutations per call;
    ``tokens``, ``shingles.words(text)`` when the caller has them, saves splitting it again.
    """
    tokens, shingles = _features(text, config, tokens)
    template = template or minhash_template(config)
    minhash = LeanMinHash(
        seed=template.seed, hashvalues=_minhash_values(template, shingles), scheme=template.scheme
    )
    return Signature(minhash, len(tokens), int(shingles.size), salient_hashes(text))


def signatures_of(texts: Iterable[str], config: StoryConfig) -> Iterator[Signature]:
    """Signatures of many bodies, sharing one set of permutations (``MinHash.generator``)."""
    prepared = [(text, *_features(text, config)) for text in texts]
    batches = (shingles.tolist() for _, _, shingles in prepared)
    minhashes = MinHash.generator(
        batches, num_perm=config.num_perm, seed=config.seed, hashfunc=_identity, scheme=SCHEME
    )
    for (text, tokens, shingles), minhash in zip(prepared, minhashes, strict=True):
        yield Signature(LeanMinHash(minhash), len(tokens), int(shingles.size), salient_hashes(text))


def load_minhash(blob: bytes) -> LeanMinHash:
    return LeanMinHash.deserialize(blob, _BYTEORDER)


def _blob_values(blob: bytes, num_perm: int) -> np.ndarray:
    return np.frombuffer(blob, dtype="<u4", count=num_perm, offset=_HEADER).astype(np.uint32)


def signature_from_row(row: dict, config: StoryConfig) -> Signature:
    return Signature(
        load_minhash(row["minhash"]),
        row["num_words"],
        row["num_shingles"],
        np.frombuffer(row["salient"] or b"", dtype="<u4").astype(np.uint32),
    )


@dataclass(frozen=True, slots=True)
class Similarity:
    jaccard: float  # estimated from the MinHashes
    containment: float  # estimated share of the shorter shingle set inside the longer
    salient: float  # overlap coefficient of numbers and names (exact)

    @property
    def score(self) -> float:
        return max(self.jaccard, self.containment)


def estimate_containment(jaccard: float, size_a: int, size_b: int) -> float:
    """|A ∩ B| / min(|A|, |B|) from Jaccard and the set sizes: |A ∩ B| = J(|A|+|B|)/(1+J)."""
    smaller = min(size_a, size_b)
    if smaller <= 0:
        return 0.0
    return min(1.0, jaccard * (size_a + size_b) / ((1.0 + jaccard) * smaller))


def similarity(a: Signature, b: Signature) -> Similarity:
    jaccard = float(np.count_nonzero(a.values == b.values)) / len(a.values)
    return Similarity(
        jaccard,
        estimate_containment(jaccard, a.num_shingles, b.num_shingles),
        overlap(a.salient, b.salient),
    )


def is_same_story(sim: Similarity, config: StoryConfig) -> bool:
    if sim.salient < config.min_salient:
        return False  # a copy keeps the figures and names; a templated brief changes them
    return sim.jaccard >= config.min_jaccard or sim.containment >= config.min_containment


# ---------------------------------------------------------------------------- LSH storage


def band_keys(values: np.ndarray, rows: int) -> np.ndarray:
    """64-bit keys of every band of a (n, bands * rows) uint32 matrix, shape (n, bands).

    Must agree with ``_band_key`` (the per-query path inside MinHashLSH): same fold, vectorised.
    """
    n, width = values.shape
    bands = width // rows
    acc = np.zeros((n, bands), dtype=np.uint64)
    cube = values[:, : bands * rows].reshape(n, bands, rows).astype(np.uint64)
    with np.errstate(over="ignore"):
        for j in range(rows):
            acc = acc + cube[:, :, j] * np.uint64(_BAND_MULS[j])
    return acc


_BAND_STRUCTS = tuple(struct.Struct(f">{n}I") for n in range(len(_BAND_MULS) + 1))


def _band_key(band: bytes) -> int:
    """MinHashLSH ``hashfunc``: the byteswapped bytes of one band to its 64-bit key."""
    key = 0
    for value, mul in zip(_BAND_STRUCTS[len(band) // 4].unpack(band), _BAND_MULS, strict=False):
        key += value * mul
    return key & _MASK64


class _BandTable(UnorderedStorage):
    """One LSH band: 64-bit band key → LSH keys (ints), sorted arrays plus recent inserts."""

    def __init__(self, compact_every: int) -> None:
        self._keys = np.zeros(0, dtype=np.uint64)
        self._vals = np.zeros(0, dtype=np.uint32)
        self._recent: dict[int, list[int]] = {}
        self._recent_count = 0
        self._compact_every = compact_every

    def bulk_load(self, keys: np.ndarray, vals: np.ndarray) -> None:
        """Add entries, kept sorted by key; equal keys stay in the order they came in.

        Only the new entries are sorted; they are merged into the sorted arrays in one copy,
        where sorting everything again cost O(N log N) per compaction (about 20 ms per band at
        a million articles, docs/dedup.md)."""
        order = np.argsort(keys, kind="stable")
        keys, vals = keys[order], vals.astype(np.uint32)[order]
        if self._keys.size == 0:
            self._keys, self._vals = keys, vals
            return
        at = np.searchsorted(self._keys, keys, side="right")  # after equal keys already here
        self._keys = np.insert(self._keys, at, keys)
        self._vals = np.insert(self._vals, at, vals)

    def _compact(self) -> None:
        pairs = [(k, v) for k, vs in self._recent.items() for v in vs]
        self._recent, self._recent_count = {}, 0
        self.bulk_load(
            np.fromiter((k for k, _ in pairs), np.uint64, len(pairs)),
            np.fromiter((v for _, v in pairs), np.uint32, len(pairs)),
        )

    def get(self, key: int) -> list[int]:
        found = list(self._recent.get(key, ()))
        i = int(np.searchsorted(self._keys, np.uint64(key)))
        while i < self._keys.size and int(self._keys[i]) == key:
            found.append(int(self._vals[i]))
            i += 1
        return found

    def insert(self, key: int, *vals: int, **kwargs: object) -> None:
        self._recent.setdefault(key, []).extend(vals)
        self._recent_count += len(vals)
        if self._recent_count >= self._compact_every:
            self._compact()

    def keys(self) -> Iterator[int]:
        yield from (int(k) for k in np.unique(self._keys))
        yield from self._recent

    def has_key(self, key: int) -> bool:
        return bool(self.get(key))

    def size(self) -> int:
        return int(np.unique(self._keys).size) + len(self._recent)

    def itemcounts(self, **kwargs: object) -> dict:
        raise NotImplementedError("not needed by StoryIndex")

    def remove(self, *keys: object, **kwargs: object) -> None:
        # Never needed: a changed article's stale bands only add candidates that verification
        # (against the current stored signature) rejects or accepts correctly.
        raise NotImplementedError("band tables are append-only")

    def remove_val(self, key: object, val: object, **kwargs: object) -> None:
        raise NotImplementedError("band tables are append-only")

    @property
    def nbytes(self) -> int:
        return int(self._keys.nbytes + self._vals.nbytes)


class _KeyCount(OrderedStorage):
    """MinHashLSH's key table reduced to a count: membership lives in SQLite."""

    def __init__(self) -> None:
        self.count = 0

    def insert(self, key: object, *vals: object, **kwargs: object) -> None:
        self.count += 1

    def size(self) -> int:
        return self.count

    def keys(self) -> Iterator[object]:
        raise NotImplementedError("keys live in article_signatures")

    def get(self, key: object) -> list:
        raise NotImplementedError("keys live in article_signatures")

    def has_key(self, key: object) -> bool:
        raise NotImplementedError("keys live in article_signatures")

    def itemcounts(self, **kwargs: object) -> dict:
        raise NotImplementedError("keys live in article_signatures")

    def remove(self, *keys: object, **kwargs: object) -> None:
        raise NotImplementedError("band tables are append-only")

    def remove_val(self, key: object, val: object, **kwargs: object) -> None:
        raise NotImplementedError("band tables are append-only")


def _new_lsh(config: StoryConfig) -> MinHashLSH:
    lsh = MinHashLSH(
        num_perm=config.num_perm, params=(config.bands, config.rows), hashfunc=_band_key
    )
    lsh.hashtables = [_BandTable(config.compact_every) for _ in range(config.bands)]
    lsh.keys = _KeyCount()
    return lsh


# ---------------------------------------------------------------------------- decisions


class StoryAction(StrEnum):
    NEW_STORY = "new-story"  # first member of a new story (id = this article's id)
    JOINED = "joined"  # a member of an existing story (another outlet's copy, or a rewrite)
    SAME_ARTICLE = "same-article"  # same outlet, another URL, near-identical body: a duplicate
    VERSION = "version"  # this article id is already indexed: signature replaced, story kept


@dataclass(frozen=True, slots=True)
class StoryArticle:
    """What story assignment needs from an article (``from_record`` for the store stage)."""

    id: str
    source: str
    body: str
    title: str = ""
    published_at: str = ""
    fetched_at: str = ""
    original_source: str = ""

    @classmethod
    def from_record(cls, record: ArticleRecord) -> StoryArticle:
        e = record.extracted
        return cls(
            id=record.id,
            source=record.source,
            body=e.body,
            title=e.title,
            published_at=e.published_at,
            fetched_at=record.fetched_at,
            original_source=e.original_source,
        )


@dataclass(frozen=True, slots=True)
class StoryDecision:
    action: StoryAction
    article: StoryArticle = field(repr=False)
    story_id: str
    matched_article_id: str | None = None  # the member it matched best (or the duplicate's twin)
    similarity: Similarity | None = None
    origin_article_id: str | None = None  # the archived article it names as its origin
    reason: str = ""
    signature: Signature | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class _Candidate:
    lsh_key: int
    article_id: str
    source: str
    story_id: str
    signature: Signature
    similarity: Similarity


_SIGNATURE_COLUMNS = (
    "lsh_key, article_id, source, story_id, minhash, num_words, num_shingles, salient"
)
_NAME_NOISE = re.compile(r"[^\w]+")


def _name_key(name: str) -> str:
    folded = _NAME_NOISE.sub(" ", name.casefold()).strip()
    return folded.removeprefix("the ").replace(" ", "")


def _utc(timestamp: str) -> str | None:
    """ISO 8601 in UTC, so stored dates compare as strings; None when absent or unparseable."""
    if not timestamp:
        return None
    try:
        parsed = datetime.fromisoformat(timestamp)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).isoformat()


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class StoryIndex:
    """Assigns articles to stories. ``load`` once per process, then ``assign`` each article.

    Integration order in the store stage: ``decide`` before writing the article (a
    ``SAME_ARTICLE`` decision means "store as duplicate of ``matched_article_id``"), write the
    article row, then ``commit`` (which sets ``articles.story_id``). ``assign`` does both steps.
    """

    def __init__(self, db: sqlite_utils.Database, config: StoryConfig | None = None) -> None:
        self.db = db
        self.config = config or StoryConfig()
        self._lsh = _new_lsh(self.config)
        self._template = minhash_template(self.config)
        self._next_key = 0

    # ------------------------------------------------------------------ loading

    @classmethod
    def load(
        cls, db: sqlite_utils.Database, config: StoryConfig | None = None, chunk: int = 100_000
    ) -> StoryIndex:
        """Rebuild the LSH from stored signatures (no signature is recomputed)."""
        index = cls(db, config)
        cfg = index.config
        per_band_keys: list[list[np.ndarray]] = [[] for _ in range(cfg.bands)]
        per_band_vals: list[np.ndarray] = []
        cursor = db.execute("select lsh_key, minhash from article_signatures order by lsh_key")
        while rows := cursor.fetchmany(chunk):
            keys = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            values = index._values_matrix([r[1] for r in rows])
            for band, column in enumerate(band_keys(values, cfg.rows).T):
                per_band_keys[band].append(np.ascontiguousarray(column))
            per_band_vals.append(keys.astype(np.uint32))
            index._next_key = int(keys[-1]) + 1
            index._lsh.keys.count += len(rows)
        if per_band_vals:
            vals = np.concatenate(per_band_vals)
            for band, table in enumerate(index._lsh.hashtables):
                table.bulk_load(np.concatenate(per_band_keys[band]), vals)
                per_band_keys[band] = []
        return index

    def _values_matrix(self, blobs: list[bytes]) -> np.ndarray:
        n, num_perm = len(blobs), self.config.num_perm
        size = _HEADER + 4 * num_perm
        if any(len(b) != size for b in blobs):
            raise ValueError("article_signatures holds signatures of another num_perm or scheme")
        raw = np.frombuffer(b"".join(blobs), dtype=np.uint8).reshape(n, size)
        return raw[:, _HEADER:].copy().view("<u4").astype(np.uint32, copy=False)

    @property
    def size(self) -> int:
        return self._lsh.keys.size()

    @property
    def lsh_bytes(self) -> int:
        return sum(t.nbytes for t in self._lsh.hashtables)

    # ------------------------------------------------------------------ deciding

    def _stored(self, article_id: str) -> dict | None:
        cursor = self.db.execute(
            "select lsh_key, story_id, minhash, created_at from article_signatures"
            " where article_id = ?",
            [article_id],
        )
        row = cursor.fetchone()
        columns = ("lsh_key", "story_id", "minhash", "created_at")
        return dict(zip(columns, row, strict=True)) if row else None

    def band_keys_of(self, sig: Signature) -> list[int]:
        """The key of each LSH band of ``sig``: what ``MinHashLSH.query`` and ``insert`` compute
        band by band through ``_band_key`` (a Python call per band, 42 for each), in one
        vectorised step."""
        return band_keys(sig.values[np.newaxis, :], self.config.rows)[0].tolist()

    def _query(self, bands: list[int]) -> set[int]:
        """``MinHashLSH.query`` on precomputed band keys."""
        found: set[int] = set()
        for key, table in zip(bands, self._lsh.hashtables, strict=True):
            found.update(table.get(key))
        return found

    def _insert(self, lsh_key: int, bands: list[int]) -> None:
        """``MinHashLSH.insert`` on precomputed band keys (no duplicate check: keys are new)."""
        self._lsh.keys.insert(lsh_key)
        for key, table in zip(bands, self._lsh.hashtables, strict=True):
            table.insert(key, lsh_key)

    def _candidates(self, sig: Signature) -> list[_Candidate]:
        keys = sorted(self._query(self.band_keys_of(sig)))[: self.config.max_candidates]
        found = []
        for part in _chunks(keys, 400):
            marks = ",".join("?" * len(part))
            rows = self.db.execute(
                f"select {_SIGNATURE_COLUMNS} from article_signatures where lsh_key in ({marks})",
                list(part),
            ).fetchall()
            for key, aid, source, story, blob, num_words, num_shingles, salient in rows:
                if num_words < self.config.min_words:
                    continue
                other = Signature(
                    load_minhash(blob),
                    num_words,
                    num_shingles,
                    np.frombuffer(salient or b"", dtype="<u4").astype(np.uint32),
                )
                found.append(_Candidate(key, aid, source, story, other, similarity(sig, other)))
        return found

    def _origin_sources(self, original_source: str) -> tuple[set[str], str | None]:
        """Sources an ``original_source`` value names, and the article when it is a known URL."""
        value = original_source.strip()
        if not value:
            return set(), None
        if value.startswith(("http://", "https://")):
            row = self.db.execute(
                "select article_id from article_urls where url = ?", [canonicalize(value)]
            ).fetchone()
            host = registrable_host(value)
            sources = {
                sid for sid, url in self.db.execute("select id, url from sources").fetchall()
                if registrable_host(url) == host
            }  # fmt: skip
            return sources, (row[0] if row else None)
        key = _name_key(value)
        sources = {
            sid
            for sid, name in self.db.execute("select id, name from sources").fetchall()
            if key and key in (_name_key(sid), _name_key(name or ""))
        }
        # The name an outlet gives itself on its pages (og:site_name) often differs from the
        # name in sources.toml, or sources.toml gives none.
        bare = re.sub(r"^the\s+", "", value, flags=re.IGNORECASE)
        variants = sorted({value, bare, f"The {bare}"})
        marks = ",".join("?" * len(variants))
        sources |= {
            sid
            for (sid,) in self.db.execute(
                f"select distinct source from articles where site_name in ({marks})", variants
            ).fetchall()
        }
        return sources, None

    def decide(
        self, article: StoryArticle | ArticleRecord, signature: Signature | None = None
    ) -> StoryDecision:
        """Which story the article belongs to. Reads the archive, writes nothing.

        ``signature`` may come precomputed (extraction workers compute it in parallel); it must
        have been made with this index's config.
        """
        if isinstance(article, ArticleRecord):
            article = StoryArticle.from_record(article)
        cfg = self.config
        sig = (
            signature if signature is not None else signature_of(article.body, cfg, self._template)
        )
        stored = self._stored(article.id)
        if stored is not None:
            return StoryDecision(
                StoryAction.VERSION, article, stored["story_id"], article.id,
                reason="article already indexed", signature=sig,
            )  # fmt: skip
        if sig.num_words < cfg.min_words:
            return StoryDecision(
                StoryAction.NEW_STORY, article, article.id,
                reason=f"body under {cfg.min_words} words: not compared", signature=sig,
            )  # fmt: skip
        candidates = self._candidates(sig)
        matches = sorted(
            (c for c in candidates if is_same_story(c.similarity, cfg)),
            key=lambda c: (-c.similarity.score, c.lsh_key),
        )
        same_outlet = [
            c for c in matches
            if c.source == article.source and c.similarity.jaccard >= cfg.same_article_jaccard
        ]  # fmt: skip
        if same_outlet:
            best = same_outlet[0]
            return StoryDecision(
                StoryAction.SAME_ARTICLE, article, best.story_id, best.article_id,
                best.similarity, reason="same outlet, near-identical body under another URL",
                signature=sig,
            )  # fmt: skip
        origin_sources, origin_id = self._origin_sources(article.original_source)
        origin = None
        if origin_id is not None:
            origin = self._stored(origin_id)
            origin_match = next((c for c in candidates if c.article_id == origin_id), None)
        else:
            # A named origin needs textual support too, but less of it: the attribution is
            # evidence in itself.
            relaxed = StoryConfig(
                min_jaccard=cfg.min_jaccard * 0.6,
                min_containment=cfg.min_containment * 0.75,
                min_salient=cfg.min_salient * 0.8,
            )
            origin_match = next(
                (
                    c
                    for c in sorted(candidates, key=lambda c: -c.similarity.score)
                    if c.source in origin_sources and is_same_story(c.similarity, relaxed)
                ),
                None,
            )
            if origin_match is not None:
                origin_id = origin_match.article_id
                origin = {"story_id": origin_match.story_id}
        if origin is not None and origin_id is not None:
            return StoryDecision(
                StoryAction.JOINED, article, origin["story_id"], origin_id,
                origin_match.similarity if origin_match else None, origin_id,
                reason=f"names its origin {article.original_source!r}", signature=sig,
            )  # fmt: skip
        if matches:
            best = matches[0]
            return StoryDecision(
                StoryAction.JOINED, article, best.story_id, best.article_id, best.similarity,
                reason=f"{len(matches)} verified of {len(candidates)} candidates", signature=sig,
            )  # fmt: skip
        return StoryDecision(
            StoryAction.NEW_STORY, article, article.id,
            reason=f"no verified match among {len(candidates)} candidates", signature=sig,
        )  # fmt: skip

    # ------------------------------------------------------------------ writing

    def commit(self, decision: StoryDecision, row_story: str | None = None) -> None:
        """Write a decision: signature, story, links, ``articles.story_id``. Idempotent.

        ``row_story``: the ``story_id`` the article's row was just written with; not set again
        when it is the right one (an UPDATE rewrites the whole row, body included)."""
        article, sig = decision.article, decision.signature
        if sig is None:
            raise ValueError("decision carries no signature")
        now = article.fetched_at or datetime.now(UTC).isoformat()
        with self.db.atomic():
            if decision.action is StoryAction.SAME_ARTICLE:
                self._link(article.id, decision.matched_article_id, "same-article", decision, now)
                return
            stored = self._stored(article.id)
            key = stored["lsh_key"] if stored else self._next_key
            row = {
                "article_id": article.id,
                "lsh_key": key,
                "source": article.source,
                "story_id": stored["story_id"] if stored else decision.story_id,
                "minhash": sig.minhash_blob(),
                "num_words": sig.num_words,
                "num_shingles": sig.num_shingles,
                "salient": sig.salient_blob(),
                "published_at": _utc(article.published_at),
                "created_at": stored["created_at"] if stored else now,
                "updated_at": now,
            }
            if stored is not None and stored["minhash"] == row["minhash"]:
                if stored["story_id"] != row_story:
                    self._set_article_story(article.id, stored["story_id"])
                return  # same body again: nothing to add to the index
            self.db.execute(
                f"insert or replace into article_signatures ({', '.join(row)})"
                f" values ({', '.join('?' * len(row))})",
                list(row.values()),
            )
            story_id = row["story_id"]
            if decision.origin_article_id:
                self._link(article.id, decision.origin_article_id, "origin", decision, now)
            if story_id != row_story:
                self._set_article_story(article.id, story_id)
            if decision.action is StoryAction.NEW_STORY and stored is None:
                self._insert_story(article, row)  # no other member yet: nothing to recompute
            else:
                self._link_waiting_copies(story_id, article, now)
                self._refresh_story(story_id, article, now)
        if stored is None:
            self._next_key += 1
        self._insert(key, self.band_keys_of(sig))

    def assign(
        self,
        article: StoryArticle | ArticleRecord,
        signature: Signature | None = None,
        row_story: str | None = None,
    ) -> StoryDecision:
        """``decide`` then ``commit``: for an article whose row is already in ``articles``."""
        decision = self.decide(article, signature)
        self.commit(decision, row_story)
        return decision

    def _set_article_story(self, article_id: str, story_id: str) -> None:
        self.db.execute("update articles set story_id = ? where id = ?", [story_id, article_id])

    def _link(
        self, article_id: str, target: str | None, kind: str, decision: StoryDecision, now: str
    ) -> None:
        sim = decision.similarity
        self.db.execute(
            "insert into story_links (article_id, kind, target_article_id, score, created_at)"
            " values (?, ?, ?, ?, ?) on conflict(article_id, kind) do update set"
            " target_article_id = excluded.target_article_id, score = excluded.score",
            [article_id, kind, target, round(sim.score, 4) if sim else None, now],
        )

    def _link_waiting_copies(self, story_id: str, article: StoryArticle, now: str) -> None:
        """Members that named this article's outlet as their origin before it arrived."""
        rows = self.db.execute(
            "select a.id, a.original_source from articles a where a.story_id = ? and a.id != ?"
            " and a.original_source != '' and not exists (select 1 from story_links l"
            " where l.article_id = a.id and l.kind = 'origin')",
            [story_id, article.id],
        ).fetchall()
        for member_id, original_source in rows:
            sources, _ = self._origin_sources(original_source)
            if article.source in sources:
                self.db.execute(
                    "insert or ignore into story_links"
                    " (article_id, kind, target_article_id, score, created_at)"
                    " values (?, 'origin', ?, null, ?)",
                    [member_id, article.id, now],
                )

    def _insert_story(self, article: StoryArticle, row: dict) -> None:
        self.db.execute(
            "insert or replace into stories (id, first_seen_at, original_article_id,"
            " earliest_published_at, member_count, outlets, title, updated_at)"
            " values (?, ?, ?, ?, 1, ?, ?, ?)",
            [
                row["story_id"],
                row["created_at"],
                article.id,
                row["published_at"],
                json.dumps([article.source]),
                article.title,
                row["updated_at"],
            ],
        )

    def _refresh_story(self, story_id: str, article: StoryArticle, now: str) -> None:
        """Recompute a story's row from its members (small: one story's signatures)."""
        members = self.db.execute(
            "select article_id, source, published_at, created_at, lsh_key"
            " from article_signatures where story_id = ?",
            [story_id],
        ).fetchall()
        if not members:
            return
        ids = {m[0] for m in members}
        named = [
            r[0]
            for r in self.db.execute(
                "select target_article_id, count(*) n from story_links where kind = 'origin'"
                f" and article_id in ({','.join('?' * len(ids))}) group by target_article_id"
                " order by n desc, target_article_id",
                sorted(ids),
            ).fetchall()
            if r[0] in ids
        ]
        # An origin named by a member wins; else the earliest published; else the first seen.
        dated = sorted((m[2], m[4], m[0]) for m in members if m[2])
        first_seen = min(members, key=lambda m: (m[3] or "", m[4]))
        original = named[0] if named else (dated[0][2] if dated else first_seen[0])
        title = article.title if original == article.id else None
        if title is None:
            got = self.db.execute("select title from articles where id = ?", [original]).fetchone()
            title = got[0] if got else None
        existing = self.db.execute(
            "select first_seen_at, title from stories where id = ?", [story_id]
        ).fetchone()
        if title is None:
            title = existing[1] if existing else article.title
        upsert_row(
            self.db,
            "stories",
            {
                "id": story_id,
                "first_seen_at": existing[0] if existing else (first_seen[3] or now),
                "original_article_id": original,
                "earliest_published_at": dated[0][0] if dated else None,
                "member_count": len(members),
                "outlets": json.dumps(sorted({m[1] for m in members})),
                "title": title,
                "updated_at": now,
            },
            "id",
        )

    # ------------------------------------------------------------------ backfill

    def backfill(self, batch: int = 1000) -> int:
        """Assign every archived article that has no signature yet (once, after the migration),
        in ``first_seen_at`` order so the earliest copy founds its story. Returns the count."""
        done = 0
        while True:
            rows = self.db.execute(
                "select id, source, body, title, published_at, first_seen_at, original_source"
                " from articles a where not exists (select 1 from article_signatures s"
                " where s.article_id = a.id) order by first_seen_at, id limit ?",
                [batch],
            ).fetchall()
            if not rows:
                return done
            for aid, source, body, title, published, seen, origin in rows:
                article = StoryArticle(
                    aid, source, body or "", title or "", published or "", seen or "", origin or ""
                )
                decision = self.decide(article)
                if decision.action is StoryAction.SAME_ARTICLE:
                    # Already stored as its own row: record the link, and sign it as a member
                    # (else it would stay unsigned and be picked up again forever).
                    self.commit(decision)
                    decision = replace(decision, action=StoryAction.JOINED)
                self.commit(decision)
                done += 1
