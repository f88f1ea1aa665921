"""Where things live under the data dir (see data/format.py for the layout)."""

from __future__ import annotations

import os
from pathlib import Path

from data import settings


def artifacts_dir(data_dir: Path, source: str) -> Path:
    return Path(data_dir) / "artifacts" / source


def staging_dir(data_dir: Path, dataset: str) -> Path:
    return Path(data_dir) / "staging" / dataset


def dataset_dir(data_dir: Path, dataset: str, version: str) -> Path:
    return Path(data_dir) / "datasets" / dataset / version


def find_dataset_dir(name_or_path: str | os.PathLike, data_dir: Path | None = None) -> Path:
    """A path to a built dataset, or a dataset name looked up under the data dir.

    A name resolves to its only version, or the newest one when several are built.
    """
    path = Path(name_or_path)
    if path.is_dir():
        return path
    if len(path.parts) > 1:
        raise FileNotFoundError(f"no built dataset at {path}")
    root = Path(data_dir or settings.data_dir()) / "datasets" / str(name_or_path)
    versions = sorted(
        (p for p in root.glob("*") if p.is_dir()),
        key=lambda p: tuple(int(x) if x.isdigit() else x for x in p.name.split(".")),
    )
    if not versions:
        raise FileNotFoundError(
            f"no built dataset {str(name_or_path)!r} under {root.parent}; build it with "
            f"`luigi --module tasks BuildDataset --dataset {name_or_path} --local-scheduler`"
        )
    return versions[-1]
