"""Per-class split rules with sizes: "42 train, 9 dev, 9 dev-test, the rest test" per
subject, or floor(0.56 n) / floor(0.12 n) / ... per class.

Within a class, examples are ordered by a stable hash of their key (or by key, for
protocols such as "the last two images of each person"), never by reading order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence

from data.hashing import key_hash
from handlers._splits import SplitSizes

Sizes = Callable[[int], Sequence[tuple[str, int]]]


def fixed(*sizes: tuple[str, int]) -> Sizes:
    """The same split sizes for every class, e.g. fixed(("train", 42), ("dev", 9))."""
    return lambda count: sizes


def floor_fractions(fractions: Mapping[str, float]) -> Sizes:
    """floor(fraction * n) examples per split, in the mapping's order."""
    # The epsilon keeps 0.56 * 25 = 13.999... from losing an example to float rounding.
    return lambda count: [(name, int(count * share + 1e-9)) for name, share in fractions.items()]


def sized_rule(sizes: Sizes, rest: str, order: str = "hash"):
    """A DatasetSpec.split_rule: per class, the first examples fill ``sizes(n)`` in
    turn and the remainder goes to ``rest``. ``order`` is "hash" or "key"."""
    if order not in ("hash", "key"):
        raise ValueError(f"order must be 'hash' or 'key', not {order!r}")

    def rule(keys: Sequence[str], labels: Sequence[object]) -> list[str]:
        by_class: dict[object, list[tuple[object, int]]] = defaultdict(list)
        for position, (key, label) in enumerate(zip(keys, labels, strict=True)):
            rank = key_hash(key, "split") if order == "hash" else key
            by_class[label].append((rank, position))
        splits = [rest] * len(keys)
        for members in by_class.values():
            members.sort()
            start = 0
            for name, count in sizes(len(members)):
                for _, position in members[start : start + count]:
                    splits[position] = name
                start += count
        return splits

    return rule


def counts(rule, keys: Sequence[str], labels: Sequence[object]) -> dict[str, int]:
    """How many examples each split gets under ``rule``: fixture writers' expected sizes."""
    return dict(sorted(SplitSizes(rule(keys, labels)).items()))
