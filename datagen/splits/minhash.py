"""MinHash signatures and LSH banding over word shingles, in numpy (deterministic).

Near-duplicate dialogues are found without comparing every pair. Each text becomes the set of
its word ``n``-grams (shingles), each shingle a 64-bit hash, and each text a signature built by
one-permutation hashing (Li, Owen & Zhang 2012): the top bits of a shingle's hash pick one of
``num_perm`` bins, the remaining bits are its value, and the signature keeps the minimum value
per bin. Two texts agree on a non-empty bin with probability equal to their Jaccard
similarity, at the cost of one hash per shingle (64 independent hash functions would cost 64).
Signatures cut into ``bands`` turn similar texts into shared bucket keys (candidate pairs),
kept when the estimated Jaccard reaches the threshold.

Word hashes come from polars' string hash with a fixed seed, so the same input gives the same
pairs on every run with the same polars version.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "MinHashConfig",
    "candidate_pairs",
    "estimated_jaccard",
    "minhash_signatures",
    "near_duplicate_pairs",
]

_EMPTY = np.uint64(np.iinfo(np.uint64).max)
_PUNCT = ".,!?;:\"'()[]{}<>*_~`-\u2014\u2013\u2018\u2019\u201c\u201d\u2026"
# odd multipliers that mix the word hashes of one shingle (position-dependent)
_MULT = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93)


@dataclass(frozen=True)
class MinHashConfig:
    """Signature size (a power of two), LSH bands, shingle width, duplicate threshold."""

    num_perm: int = 64
    bands: int = 16
    shingle: int = 3
    threshold: float = 0.8
    seed: int = 7

    def __post_init__(self) -> None:
        if self.num_perm & (self.num_perm - 1) or self.num_perm < 2:
            raise ValueError("num_perm must be a power of two")
        if self.num_perm % self.bands:
            raise ValueError("num_perm must be a multiple of bands")
        if not 1 <= self.shingle <= len(_MULT):
            raise ValueError(f"shingle must be between 1 and {len(_MULT)}")
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError("threshold must be in (0, 1]")


def _word_hashes(arr: pa.Array | pa.ChunkedArray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(doc index, word hash) for every word, in document order."""
    lists = pc.utf8_split_whitespace(pc.utf8_lower(arr))
    words = pc.utf8_trim(pc.list_flatten(lists), _PUNCT)
    doc = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)
    keep = pc.greater(pc.utf8_length(words), 0).to_numpy(zero_copy_only=False)
    hashes = pl.Series(words).hash(seed=seed).to_numpy()
    return doc[keep].astype(np.int64), hashes[keep].astype(np.uint64)


def _shingle_hashes(doc: np.ndarray, h: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Hash every run of ``width`` words inside one doc (a shorter doc gives one shingle)."""
    n = len(h)
    acc = h * np.uint64(_MULT[0])
    for k in range(1, width):
        nxt = np.zeros(n, dtype=np.uint64)
        same = np.zeros(n, dtype=bool)
        same[: n - k] = doc[k:] == doc[: n - k]
        nxt[: n - k] = h[k:]
        acc += np.where(same, nxt * np.uint64(_MULT[k]), np.uint64(0))
    full = np.zeros(n, dtype=bool)
    if n >= width:
        full[: n - width + 1] = doc[width - 1 :] == doc[: n - width + 1]
    starts = np.r_[True, doc[1:] != doc[:-1]] if n else np.zeros(0, dtype=bool)
    valid = full | starts
    acc ^= acc >> np.uint64(31)
    acc *= np.uint64(0xBF58476D1CE4E5B9)
    acc ^= acc >> np.uint64(29)
    return doc[valid], acc[valid]


def minhash_signatures(
    texts: list[str] | pa.Array | pa.ChunkedArray, config: MinHashConfig | None = None,
    *, batch: int = 10_000,
) -> np.ndarray:
    """``uint64[len(texts), num_perm]`` signatures; empty bins hold the max uint64.

    Texts are hashed ``batch`` at a time so the word and shingle arrays stay small.
    """
    cfg = config or MinHashConfig()
    arr = texts if isinstance(texts, pa.Array | pa.ChunkedArray) else pa.array(texts, pa.string())
    n = len(arr)
    sig = np.full((n, cfg.num_perm), _EMPTY, dtype=np.uint64)
    bits = cfg.num_perm.bit_length() - 1
    for start in range(0, n, batch):
        part = arr.slice(start, batch)
        if isinstance(part, pa.ChunkedArray):
            part = part.combine_chunks()
        with np.errstate(over="ignore"):
            doc, wh = _word_hashes(part, cfg.seed)
            doc, sh = _shingle_hashes(doc, wh, cfg.shingle)
        bins = (sh >> np.uint64(64 - bits)).astype(np.int64)
        vals = sh & np.uint64((1 << (64 - bits)) - 1)
        block = sig[start : start + len(part)].reshape(-1)
        np.minimum.at(block, doc * cfg.num_perm + bins, vals)
        sig[start : start + len(part)] = block.reshape(-1, cfg.num_perm)
    return sig


def estimated_jaccard(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise Jaccard estimate: equal non-empty bins over bins non-empty in either row."""
    both_empty = (a == _EMPTY) & (b == _EMPTY)
    equal = (a == b) & ~both_empty
    informative = (~both_empty).sum(axis=-1)
    return np.where(informative > 0, equal.sum(axis=-1) / np.maximum(informative, 1), 0.0)


def _band_keys(block: np.ndarray) -> np.ndarray:
    """One 64-bit key per row of a band (a wrapping polynomial fold of its bins)."""
    key = np.zeros(block.shape[0], dtype=np.uint64)
    with np.errstate(over="ignore"):
        for col in block.T:
            key = key * np.uint64(0x100000001B3) ^ col
    return key


def _bucket_pairs(rows: np.ndarray, keys: np.ndarray) -> list[np.ndarray]:
    """Pairs of ``rows`` that share a key (buckets of two vectorized, larger ones looped)."""
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    same = sk[1:] == sk[:-1]
    if not same.any():
        return []
    starts = np.flatnonzero(np.r_[True, ~same])
    sizes = np.diff(np.r_[starts, len(keys)])
    two = starts[sizes == 2]
    out = [np.sort(np.stack([rows[order[two]], rows[order[two + 1]]], axis=1), axis=1)]
    for s, size in zip(starts[sizes > 2], sizes[sizes > 2], strict=True):
        members = np.sort(rows[order[s : s + size]])
        ii, jj = np.triu_indices(len(members), k=1)
        out.append(np.stack([members[ii], members[jj]], axis=1))
    return out


def candidate_pairs(sig: np.ndarray, config: MinHashConfig | None = None) -> np.ndarray:
    """``int64[k, 2]`` pairs ``i < j`` sharing at least one LSH band bucket (sorted, unique).

    A band whose bins are all empty (a very short text) is no evidence and is skipped.
    """
    cfg = config or MinHashConfig()
    rows = cfg.num_perm // cfg.bands
    out: list[np.ndarray] = []
    for band in range(cfg.bands):
        block = sig[:, band * rows : (band + 1) * rows]
        valid = np.flatnonzero(~np.all(block == _EMPTY, axis=1))
        if len(valid) > 1:
            out += _bucket_pairs(valid, _band_keys(block[valid]))
    if not out:
        return np.zeros((0, 2), dtype=np.int64)
    return np.unique(np.concatenate(out).astype(np.int64), axis=0)


def near_duplicate_pairs(
    sig: np.ndarray, config: MinHashConfig | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs whose estimated Jaccard reaches the threshold, and those estimates."""
    cfg = config or MinHashConfig()
    pairs = candidate_pairs(sig, cfg)
    if len(pairs) == 0:
        return pairs, np.zeros(0)
    sim = estimated_jaccard(sig[pairs[:, 0]], sig[pairs[:, 1]])
    keep = sim >= cfg.threshold
    return pairs[keep], sim[keep]
