"""Counting datasets as classification: a count cut into ordered classes of equal mass.

dm_nevis turns crowd and traffic counts into classes the same way for every counting
source (ShanghaiTech, TRANCOS), so the rule lives here once and each handler only says
where its counts clip.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

import numpy as np

NUM_BINS = 10
BIN_NAMES = tuple(f"count bin {k}" for k in range(NUM_BINS))


def bin_edges(counts: Sequence[int], clip: int, num_bins: int = NUM_BINS) -> list[int]:
    """Upper edges of ``num_bins`` ordered count classes of roughly equal size.

    Counts at or above ``clip`` are taken as ``clip - 1``. For k = 1 .. num_bins-1 the k-th
    edge is the largest count whose cumulative frequency is below k/num_bins of all
    counts (-1 when none is: that class stays empty).
    """
    clipped = np.minimum(np.asarray(counts, dtype=np.int64), clip - 1)
    if clipped.size == 0 or clipped.min() < 0:
        raise ValueError("counts must be a non-empty list of non-negative integers")
    cumulative = np.cumsum(np.bincount(clipped, minlength=clip))
    edges = []
    for k in range(1, num_bins):
        below = np.flatnonzero(cumulative * num_bins < k * clipped.size)
        edges.append(int(below[-1]) if below.size else -1)
    return edges


def count_bins(counts: Sequence[int], clip: int, num_bins: int = NUM_BINS) -> list[int]:
    """The class of each count: the first bin whose upper edge is >= it, else the last.

    dm_nevis scans the counts upward and moves one class per step, so where two edges
    coincide its labels shift by one; this rule leaves such a class empty instead.
    """
    edges = bin_edges(counts, clip, num_bins)
    return [bisect_left(edges, min(int(count), clip - 1)) for count in counts]
