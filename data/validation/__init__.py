"""Validating a built dataset: per-shard scans, merged into the ``validation`` section
of dataset_info.json, and the verdict on it. Where each rule lives:

- ``hashing``: which stored image is valid, its exact hash and its two dHashes (which
  images are too small for one).
- ``scan``: one shard's records checked and reduced to a ``ShardScanFile`` (the scan's
  JSON file); ``ShardScan`` is fed by conversion (one of its observers, see
  data/observers.py) or by ``scan_shard`` reading a shard back.
- ``search``: the near-duplicate search (multi-index hashing, union-find), linear.
- ``merging``: the checks across records: duplicate keys, missing classes, exact
  duplicates, near-duplicate groups.
- ``section``: the section's schema (TypedDicts).
- ``report``: ``passed``, which problems fail a build, and the summary lines.
"""

from data.validation.merging import HELD_OUT_SPLITS, NEAR_DUPLICATE_DISTANCE, NUM_GROUPS, merge
from data.validation.report import passed
from data.validation.scan import NUM_EXAMPLES, RECORD_PROBLEMS, SCAN_VERSION, ShardScan, scan_shard
from data.validation.search import BUCKET_CAP, SearchStats, near_duplicate_groups

__all__ = [
    "BUCKET_CAP", "HELD_OUT_SPLITS", "NEAR_DUPLICATE_DISTANCE", "NUM_EXAMPLES", "NUM_GROUPS", "RECORD_PROBLEMS",
    "SCAN_VERSION", "SearchStats", "ShardScan", "merge", "near_duplicate_groups", "passed", "scan_shard",
]
