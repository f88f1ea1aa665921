"""The near-duplicate search: connected components of "Hamming distance <= d" over
64-bit hashes, in time linear in their number.

Candidates come from multi-index hashing: the 64 bits are cut into d + 1 bands, and by
the pigeonhole principle two hashes within distance d agree exactly on at least one
band. For each band the hashes are sorted by (band, hash rotated so that the next band
leads), and each is compared with the next hashes of its bucket (same band value) only,
at most ``BUCKET_CAP`` of them; close pairs are joined by union-find. A bucket of at
most ``BUCKET_CAP + 1`` hashes is thus searched completely; in a larger one (many
similar images) each hash still meets its ``BUCKET_CAP`` nearest neighbours in hash
order, so the work is at most (d + 1) * ``BUCKET_CAP`` comparisons per hash, and
``SearchStats`` counts the hashes in capped buckets.
"""

from __future__ import annotations

import numpy as np

# Each hash is compared with at most this many others of its bucket, per band.
BUCKET_CAP = 64


def _bands(distance: int) -> list[tuple[int, int]]:
    """(shift, mask) of ``distance + 1`` bands covering the 64 bits."""
    count = distance + 1
    edges = [64 * i // count for i in range(count + 1)]
    return [(lo, (1 << (hi - lo)) - 1) for lo, hi in zip(edges, edges[1:], strict=False)]


def _find(parent: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """The roots of ``nodes`` in the union-find forest ``parent``, compressing their paths."""
    roots = parent[nodes]
    while True:
        up = parent[roots]
        if np.array_equal(up, roots):
            break
        roots = up
    parent[nodes] = roots
    return roots


def _union(parent: np.ndarray, first: np.ndarray, second: np.ndarray) -> bool:
    """Join the trees of every pair (first[k], second[k]); a root always points to a
    smaller index, so the forest never has a cycle. Whether any trees were joined."""
    joined = False
    while len(first):
        a, b = _find(parent, first), _find(parent, second)
        apart = a != b
        first, second, a, b = first[apart], second[apart], a[apart], b[apart]
        joined |= bool(len(first))
        # Each larger root is hooked below the smallest root it must join this round;
        # pairs it leaves apart are joined in the next rounds.
        np.minimum.at(parent, np.maximum(a, b), np.minimum(a, b))
        if len(first) * 8 > len(parent):
            _flatten(parent)  # many hooks make long chains: point every node at its root
    return joined


def _flatten(parent: np.ndarray) -> None:
    """Point every node at its root, by pointer jumping (log2(depth) passes)."""
    while True:
        grand = parent[parent]
        if np.array_equal(grand, parent):
            return
        parent[:] = grand


class SearchStats:
    """What a search did: the pairs whose hashes it compared (its work, bounded by
    (d + 1) * cap per image), and the buckets too large to be searched completely."""

    def __init__(self):
        self.comparisons = 0
        self.capped_buckets = 0
        self.capped_records = 0

    def to_json(self) -> dict:
        return {"comparisons": self.comparisons, "capped_buckets": self.capped_buckets,
                "capped_records": self.capped_records}


def near_duplicate_groups(hashes: np.ndarray, distance: int, cap: int = BUCKET_CAP,
                          stats: SearchStats | None = None, confirm: np.ndarray | None = None,
                          confirm_distance: int = 64) -> np.ndarray:
    """Connected components of the graph "Hamming distance <= ``distance``" over
    ``hashes``: for each hash, the smallest index of its component.

    Multi-index hashing: in each of ``distance + 1`` bands, the hashes are sorted by
    (band value, hash rotated to start with the next band) and each is compared with at most ``cap`` following hashes of its
    bucket (equal band value). Complete (every pair within
    ``distance`` is joined) when no bucket holds more than ``cap + 1`` hashes; otherwise
    a hash meets its ``cap`` neighbours in hash order, and ``stats`` counts the capped
    buckets. Work: at most ``(distance + 1) * cap * len(hashes)`` comparisons. With
    ``confirm`` (a second hash per item), a pair is an edge only if those are also within
    ``confirm_distance``.
    """
    hashes = np.asarray(hashes, dtype=np.uint64)
    stats = stats if stats is not None else SearchStats()
    count = len(hashes)
    parent = np.arange(count, dtype=np.int64)
    if count < 2:
        return parent
    capped = np.zeros(count, dtype=bool)
    bands = _bands(distance)
    for number, (shift, mask) in enumerate(bands):
        band = (hashes >> np.uint64(shift)) & np.uint64(mask)
        # Within a bucket, the hashes rotated so that the next band leads: a pair that
        # agrees on both bands is adjacent even in a bucket too large to search fully.
        next_shift, next_mask = bands[(number + 1) % len(bands)]
        turn = (next_shift + next_mask.bit_length()) % 64
        rotated = (hashes >> np.uint64(turn)) | (hashes << np.uint64((64 - turn) % 64)) if turn else hashes
        order = np.lexsort((rotated, band))
        ordered = band[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        sizes = np.diff(np.r_[starts, count])
        large = sizes > cap + 1
        stats.capped_buckets += int(large.sum())
        capped[order[np.repeat(large, sizes)]] = True
        # In sorted order, each hash against the one ``offset`` places on, as whole
        # shifted slices (sequential memory, where gathering the pairs would be random
        # access); only pairs within one bucket count, and only close ones are joined.
        ordered_hashes = hashes[order]
        ordered_confirm = confirm[order] if confirm is not None else None
        roots = None  # the roots in sorted order, while no union has changed them
        for offset in range(1, min(cap, count - 1) + 1):
            same = ordered[:-offset] == ordered[offset:]
            pairs = int(np.count_nonzero(same))
            if not pairs:
                break  # no bucket holds more than ``offset`` hashes
            stats.comparisons += pairs
            close = same & (np.bitwise_count(ordered_hashes[:-offset] ^ ordered_hashes[offset:]) <= distance)
            if ordered_confirm is not None:
                close &= np.bitwise_count(ordered_confirm[:-offset] ^ ordered_confirm[offset:]) <= confirm_distance
            positions = np.flatnonzero(close)
            if len(positions) * 8 > count:
                # Many close pairs (many similar images): most are joined already, which
                # the roots in sorted order tell in one sequential pass.
                if roots is None:
                    roots = _find(parent, order)
                positions = positions[roots[positions] != roots[positions + offset]]
            if len(positions) and _union(parent, order[positions], order[positions + offset]):
                roots = None
    stats.capped_records += int(capped.sum())
    return _find(parent, np.arange(count, dtype=np.int64))

