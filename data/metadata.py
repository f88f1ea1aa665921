"""dataset_info.json: what a built dataset is, written last, JSON only. What it takes
from a dataset's declaration is ``DatasetFacts``, which ``handlers._spec.DatasetSpec``
satisfies.

Beside it, written just before it from the same facts: ``croissant.json`` (Croissant
JSON-LD, data/croissant.py) and the ``tfds/`` folder TensorFlow Datasets opens
(data/tfds_compat.py). dataset_info.json stays the last file written, so its presence
still means the whole build, those files included, is complete.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from data import format as fmt
from data import stats
from data.atomic import write_json_atomic
from data.croissant import write_croissant
from data.tfds_compat import write_tfds_files
from data.types import Features


class ArtifactFacts(Protocol):
    def to_json(self) -> dict:
        """The artifact as dataset_info.json lists it (file, url, checksums, size)."""


@runtime_checkable
class DatasetFacts(Protocol):
    """What dataset_info.json takes from a dataset's declaration.

    ``handlers._spec.DatasetSpec`` satisfies it; it is declared here because ``data``
    never imports ``handlers`` (handlers import ``data`` types, not the reverse).
    """

    @property
    def name(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def homepage(self) -> str: ...
    @property
    def citation(self) -> str: ...
    @property
    def license(self) -> str: ...
    @property
    def features(self) -> Features: ...
    @property
    def artifacts(self) -> Sequence[ArtifactFacts]: ...


class IncompleteDatasetError(FileNotFoundError):
    pass


class UnknownSplitError(KeyError):
    """A split name the dataset neither stores nor derives (the message lists both)."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


# Splits read as the union of stored ones, in this order, never stored themselves:
# dm_nevis offers ``train_and_dev`` for every dataset (a final model trained on both).
DERIVED_SPLITS = {"train_and_dev": ("train", "dev")}


def derived_splits(splits: dict) -> dict:
    """{name: {"splits": [stored parts], "num_examples": n}} for every derived split whose
    parts are all stored (and whose name is not a stored split itself)."""
    return {
        name: {"splits": list(parts), "num_examples": sum(splits[p]["num_examples"] for p in parts)}
        for name, parts in DERIVED_SPLITS.items()
        if name not in splits and all(part in splits for part in parts)
    }


def split_parts(info: dict, split: str) -> list[str]:
    """The stored splits that make up ``split``: itself, or a derived split's parts.

    Builds from before ``derived_splits`` was written get them from the same rule.
    """
    if split in info["splits"]:
        return [split]
    derived = info.get("derived_splits", derived_splits(info["splits"]))
    if split in derived:
        return list(derived[split]["splits"])
    offered = sorted(info["splits"]) + [
        f"{name} (= {' + '.join(entry['splits'])})" for name, entry in sorted(derived.items())
    ]
    raise UnknownSplitError(f"{info['name']} has no split {split!r}; it has {', '.join(offered)}")


def build_info(spec: DatasetFacts, shard_entries: dict[str, list[dict]]) -> dict:
    """Assemble dataset_info.json from the spec and the per-shard entries of each split.

    Each split gets ``statistics`` (data/stats.py: pixel mean and standard deviation
    per channel, image height and width min/median/max) when every shard's sidecar has
    ``image_stats``; sidecars from before statistics existed leave it out.
    ``derived_splits`` names the splits read as a union of stored ones (train_and_dev
    when train and dev are both stored), with their counts; no shard is written for them.
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
    info = {
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
    derived = derived_splits(splits)
    if derived:
        info["derived_splits"] = derived
    return info


def write_info(directory: Path, info: dict) -> None:
    """Write croissant.json and tfds/, then dataset_info.json last (= complete)."""
    write_croissant(directory, info)
    write_tfds_files(directory, info)
    write_json_atomic(directory / fmt.INFO_FILE, info)


def read_info(directory) -> dict:
    """dataset_info.json of the build at ``directory`` (a path, or a data.location.Folder
    on local disk or in object storage); refuses an unfinished build."""
    from data.location import Folder

    folder = directory if isinstance(directory, Folder) else Folder(directory)
    if not folder.exists(fmt.INFO_FILE, recheck=True):
        # datasets/<name>/<version>: name the dataset in the command when the layout tells it
        if folder.remote:
            name = folder.location.rstrip("/").split("/")[-2]
        else:
            parent = folder.path.resolve().parent
            name = parent.name if parent.parent.name == "datasets" else "<name>"
        raise IncompleteDatasetError(
            f"{folder} has no {fmt.INFO_FILE}: the build is unfinished or never ran. "
            f"Run `luigi --module tasks BuildDataset --dataset {name} --local-scheduler` "
            "to finish it."
        )
    path = folder.url(fmt.INFO_FILE)
    info = json.loads(folder.read_bytes(fmt.INFO_FILE))
    if info.get("format_version") not in fmt.READABLE_FORMAT_VERSIONS:
        raise ValueError(
            f"{path}: format version {info.get('format_version')} is not one this code "
            f"reads ({fmt.READABLE_FORMAT_VERSIONS}); update datasets-storage"
        )
    return info


def features_of(info: dict) -> Features:
    return Features.from_json(info["features"])
