"""dataset_info.json: what a built dataset is, written last, JSON only.

Beside it, written just before it from the same facts: ``croissant.json`` (Croissant
JSON-LD, data/croissant.py) and the ``tfds/`` folder TensorFlow Datasets opens
(data/tfds_compat.py). dataset_info.json stays the last file written, so its presence
still means the whole build, those files included, is complete.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from data import format as fmt
from data import stats
from data.atomic import write_json_atomic
from data.croissant import write_croissant
from data.tfds_compat import write_tfds_files
from data.types import Features


class IncompleteDatasetError(FileNotFoundError):
    pass


def build_info(spec, shard_entries: dict[str, list[dict]]) -> dict:
    """Assemble dataset_info.json from the spec and the per-shard entries of each split.

    Each split gets ``statistics`` (data/stats.py: pixel mean and standard deviation
    per channel, image height and width min/median/max) when every shard's sidecar has
    ``image_stats``; sidecars from before statistics existed leave it out.
    """
    splits = {}
    for split, entries in sorted(shard_entries.items()):
        histogram: Counter = Counter()
        for entry in entries:
            histogram.update({int(k): v for k, v in entry.get("label_counts", {}).items()})
        splits[split] = {
            "num_examples": sum(entry["num_examples"] for entry in entries),
            "label_counts": {str(k): histogram[k] for k in sorted(histogram)},
            "shards": [
                {key: entry[key] for key in ("file", "num_examples", "num_bytes", "sha256")}
                for entry in entries
            ],
        }
        if entries and all("image_stats" in entry for entry in entries):
            splits[split]["statistics"] = stats.merge([entry["image_stats"] for entry in entries])
    return {
        "name": spec.name,
        "version": spec.version,
        "format_version": fmt.FORMAT_VERSION,
        "description": spec.description,
        "homepage": spec.homepage,
        "citation": spec.citation,
        "license": spec.license,
        "features": spec.features.to_json(),
        "splits": splits,
        "artifacts": [artifact.to_json() for artifact in spec.artifacts],
    }


def write_info(directory: Path, info: dict) -> None:
    """Write croissant.json and tfds/, then dataset_info.json last (= complete)."""
    write_croissant(directory, info)
    write_tfds_files(directory, info)
    write_json_atomic(directory / fmt.INFO_FILE, info)


def read_info(directory: Path) -> dict:
    path = Path(directory) / fmt.INFO_FILE
    if not path.exists():
        # datasets/<name>/<version>: name the dataset in the command when the layout tells it
        parent = Path(directory).resolve().parent
        name = parent.name if parent.parent.name == "datasets" else "<name>"
        raise IncompleteDatasetError(
            f"{directory} has no {fmt.INFO_FILE}: the build is unfinished or never ran. "
            f"Run `luigi --module tasks BuildDataset --dataset {name} --local-scheduler` "
            "to finish it."
        )
    info = json.loads(path.read_text())
    if info.get("format_version") not in fmt.READABLE_FORMAT_VERSIONS:
        raise ValueError(
            f"{path}: format version {info.get('format_version')} is not one this code "
            f"reads ({fmt.READABLE_FORMAT_VERSIONS}); update datasets-storage"
        )
    return info


def features_of(info: dict) -> Features:
    return Features.from_json(info["features"])
