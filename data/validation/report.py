"""The verdict on a ``validation`` section (section.py): whether the build may complete,
and the lines of the build summary.
"""

from __future__ import annotations

from data.validation.scan import RECORD_PROBLEMS
from data.validation.section import DuplicateKeys, ValidationSection


def passed(section: ValidationSection, leakage_fails: bool) -> tuple[bool, list[str]]:
    """Whether the build may complete, and the lines for the build summary.

    Invalid records, duplicate keys and keys in several splits always fail; leakage
    (exact duplicates across splits, groups of near-duplicates spanning train and a
    held-out split) fails only when ``leakage_fails``; duplicates within a split and classes missing
    from train are warnings.
    """
    errors: list[str] = []
    warnings_: list[str] = []
    for problem in RECORD_PROBLEMS:
        entry = section[problem]
        if entry["count"]:
            pairs = zip(entry["examples"], entry["reasons"], strict=True)
            examples = "; ".join(f"{k!r}: {r}" for k, r in pairs)
            errors.append(f"{entry['count']} records {problem.replace('_', ' ')}, e.g. {examples}")
    keys = section["duplicate_keys"]
    if keys["within_split"]:
        errors.append(f"{keys['within_split']} keys repeated within a split, e.g. {_keys_of(keys)}")
    if keys["across_splits"]:
        errors.append(
            f"{keys['across_splits']} keys in several splits (splits overlap), e.g. {_keys_of(keys)}"
        )
    missing = section.get("classes_missing_from_train")
    if missing and missing["count"]:
        names = ", ".join(missing["names"][:10]) + (", ..." if missing["count"] > 10 else "")
        warnings_.append(f"{missing['count']} classes never occur in train: {names}")
    within = section["exact_duplicates_within_split"]
    if within["count"]:
        by_split = ", ".join(f"{s}: {n}" for s, n in within["by_split"].items())
        warnings_.append(
            f"{within['count']} images repeat an earlier image of their split ({by_split}), "
            f"e.g. {_group_text(within['examples'][0])}"
        )
    leakage: list[str] = []
    across = section["exact_duplicates_across_splits"]
    if across["count"]:
        by_pair = ", ".join(f"{p}: {n}" for p, n in across["by_split_pair"].items())
        leakage.append(
            f"{across['count']} images occur in several splits ({by_pair}), "
            f"e.g. {_group_text(across['examples'][0])}"
        )
    near = section["near_duplicates"]
    if near["count"]:
        by_split = ", ".join(f"{s}: {n}" for s, n in near["held_out_records_by_split"].items() if n)
        leakage.append(
            f"{near['count']} near-duplicate groups span train and held-out splits "
            f"({near['held_out_records']} held-out images have a near-duplicate in train: {by_split}; "
            f"dHash distance <= {near['distance']}), e.g. {_group_text(near['examples'][0]['keys'])}"
        )
    (errors if leakage_fails else warnings_).extend(leakage)
    total = sum(section["num_records"].values())
    lines = [f"{total} records in {len(section['num_records'])} splits"]
    lines += [f"ERROR: {line}" for line in errors]
    lines += [f"WARNING: {line}" for line in warnings_]
    if not errors and not warnings_:
        lines[0] += ", no problems found"
    return not errors, lines


def _keys_of(entry: DuplicateKeys) -> str:
    return ", ".join(f"{e['key']!r} {e['occurrences']}" for e in entry["examples"][:3])


def _group_text(example: dict[str, list[str]]) -> str:
    return " = ".join(f"{split} {keys}" for split, keys in example.items())
