"""Test-only datasets whose declared split sizes are wrong, to trip the count check.

Both read toyset's zip (48 train, 12 test). ``countset`` declares counts only, one of
them for a split the zip does not hold. ``countset_keys`` also lists the keys it
expects, as a handler reading an official split file can: eight triangles it does not
expect, and two members the zip does not have. Registered only by the tests that use
them (DATASETS_STORAGE_HANDLERS=...,countset).
"""

from dataclasses import replace

import toyset

# Keys the zip holds but countset_keys does not expect, and keys it expects in vain.
UNEXPECTED = tuple(f"toyset/triangle/{i:04d}.png" for i in (1, 2, 3, 4, 6, 7, 8, 9))
MISSING = ("toyset/circle/0020.png", "toyset/hexagon/0001.png")


def expected_keys(artifacts_dir):
    """{split: keys} as an official list would give them (the artifacts are not read)."""
    listed = {"train": [], "test": []}
    for folder in toyset.CLASS_NAMES:
        for i in range(20):
            name = f"toyset/{folder}/{i:04d}.png"
            listed["test" if i % 5 == 0 else "train"].append(name)
    listed["train"] = [key for key in listed["train"] if key not in UNEXPECTED] + list(MISSING)
    return listed


def _spec(name: str, num_examples: dict, extra: dict):
    """toyset itself, under another name, with these declared counts."""
    return replace(toyset.toyset, name=name, description="Test-only: toyset with wrong declared counts.",
                   num_examples=num_examples, source="toyset", extra=extra)


countset = _spec("countset", {"train": 48, "test": 10, "dev": 5}, {})
countset_keys = _spec("countset_keys", {"train": 48 - len(UNEXPECTED) + len(MISSING), "test": 12},
                      {"expected_keys": expected_keys})
