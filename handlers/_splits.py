"""Derived splits, decided by stable hashes of example keys (never by reading order),
and split sizes: ``SplitSizes`` is how every handler counts them (fixture writers as they
lay examples out), ``tally`` what a fraction rule draws from known keys.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

from data.hashing import key_hash, unit_interval

# CATALOG.md split recipes: ALL draws every example; TR3 carves the official train pool.
ALL = {"train": 0.56, "dev": 0.12, "dev-test": 0.12, "test": 0.20}
TR3 = {"train": 0.70, "dev": 0.15, "dev-test": 0.15}
TR2 = {"train": 0.80, "dev": 0.20}


def by_fraction(key: str, fractions: Mapping[str, float]) -> str:
    """The split of ``key`` when splits take these fractions (in expectation)."""
    return _chooser(fractions)(key)


def _chooser(fractions: Mapping[str, float]):
    """``by_fraction`` for many keys: the bounds are summed once, not per key (registry
    start-up tallies tens of thousands of keys, in every command)."""
    total = sum(fractions.values())
    names = sorted(fractions)
    bounds, cumulative = [], 0.0
    for name in names:
        cumulative += fractions[name]
        bounds.append(cumulative)

    def choose(key: str) -> str:
        point = unit_interval(key, "split") * total
        for name, bound in zip(names, bounds, strict=True):
            if point < bound:
                return name
        return names[-1]

    return choose


class SplitSizes(Counter):
    """Examples per split, in the order splits first appear: built from a sequence of
    splits, or counted one example at a time (``sizes.add(split)``) as a fixture writer
    lays examples out. A dict, so it compares and serialises as the sizes staging finds."""

    def add(self, split: str, count: int = 1) -> None:
        self[split] += count


def tally(keys, fractions: Mapping[str, float]) -> dict[str, int]:
    """How many of ``keys`` each split gets: expected sizes for datasets with known keys."""
    return dict(sorted(SplitSizes(map(_chooser(fractions), keys)).items()))


def per_class_rule(count: int, chosen: str, rest: str):
    """A split rule: per class, the ``count`` keys with the smallest hash go to ``chosen``.

    Reproduces protocols like "30 training images per class, the rest for testing"
    without depending on the order in which the archive lists files.
    """

    def rule(keys: Sequence[str], labels: Sequence[object]) -> list[str]:
        by_class: dict[object, list[tuple[int, int]]] = defaultdict(list)
        for position, (key, label) in enumerate(zip(keys, labels, strict=True)):
            by_class[label].append((key_hash(key, "split"), position))
        splits = [rest] * len(keys)
        for members in by_class.values():
            for _, position in sorted(members)[:count]:
                splits[position] = chosen
        return splits

    return rule
