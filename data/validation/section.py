"""The schema of the ``validation`` section of dataset_info.json, written by
``merging.merge`` and read by ``report.passed`` (and by anyone reading the metadata).

Keys are split names; ``"<first>/<second>"`` names a pair of splits, in sorted order.
Example keys are the smallest ones, up to NUM_EXAMPLES per list.
"""

from __future__ import annotations

from typing import TypedDict


class ProblemEntry(TypedDict):
    """Records failing one check: their count, and parallel lists of example keys and why."""
    count: int
    examples: list[str]
    reasons: list[str]


class KeyOccurrences(TypedDict):
    key: str
    occurrences: dict[str, int]  # by split


class DuplicateKeys(TypedDict):
    count: int  # keys that occur more than once
    within_split: int
    across_splits: int
    examples: list[KeyOccurrences]


class MissingClasses(TypedDict):
    count: int
    names: list[str]


class ExactDuplicatesWithin(TypedDict):
    count: int  # images that repeat an earlier image of their split
    by_split: dict[str, int]
    examples: list[dict[str, list[str]]]  # keys by split, one dict per group


class ExactDuplicatesAcross(TypedDict):
    count: int  # groups of identical images in several splits
    by_split_pair: dict[str, int]
    examples: list[dict[str, list[str]]]


class SplitMethod(TypedDict):
    """How a split's images were checked: "dhash", "exact", "dhash+exact" or "none"."""
    method: str
    dhash_records: int
    exact_only_small: int  # smaller than the dHash grid
    exact_only_low_detail: int  # at most d dHash bits set or clear
    smallest_image: list[int] | None  # [width, height]


class SearchSummary(TypedDict):
    bucket_cap: int
    comparisons: int
    capped_buckets: int
    capped_records: int


class NearDuplicateGroup(TypedDict):
    size: int
    by_split: dict[str, int]
    keys: dict[str, list[str]]


class NearDuplicates(TypedDict):
    signature: str
    distance: int
    method: dict[str, SplitMethod]
    exact_only_reason: str | None
    held_out_splits: list[str]
    count: int  # groups spanning train and a held-out split
    held_out_records: int
    held_out_records_by_split: dict[str, int]
    groups: int
    groups_within_split: int
    records_in_groups: int
    by_split_pair: dict[str, int]
    search: SearchSummary
    examples: list[NearDuplicateGroup]  # the NUM_GROUPS first: leaking, then larger


class ValidationSection(TypedDict):
    num_records: dict[str, int]
    undecodable: ProblemEntry
    wrong_channels: ProblemEntry
    label_out_of_range: ProblemEntry
    duplicate_keys: DuplicateKeys
    classes_missing_from_train: MissingClasses | None  # None: regression, or no train split
    exact_duplicates_within_split: ExactDuplicatesWithin
    exact_duplicates_across_splits: ExactDuplicatesAcross
    near_duplicates: NearDuplicates
