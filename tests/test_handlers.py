"""Every registered handler against its own fixture, through the real staging code."""

from __future__ import annotations

import io
import os
import sys
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

import handlers
from data import images, staging

NAMES = handlers.names()


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    """Stage each dataset's fixture once: (spec, fixture counts, plan, staging dir)."""
    cache = {}

    def get(name):
        if name not in cache:
            spec = handlers.get(name)
            root = tmp_path_factory.mktemp(name)
            artifacts = root / "artifacts"
            artifacts.mkdir()
            counts = dict(spec.write_fixture(artifacts))
            plan = staging.stage(spec.examples(artifacts), spec.features, root / "staging", spec.split_rule)
            cache[name] = (spec, counts, plan, root / "staging")
        return cache[name]

    return get


@pytest.mark.parametrize("name", NAMES)
def test_counts_match_fixture_writer(name, staged):
    spec, counts, plan, _ = staged(name)
    produced = {split: info["num_examples"] for split, info in plan["splits"].items()}
    assert produced == counts
    if spec.num_examples is not None:
        assert set(spec.num_examples) == set(produced), "fixture must cover every real split"


@pytest.mark.parametrize("name", NAMES)
def test_examples_are_well_formed(name, staged):
    spec, _, plan, directory = staged(name)
    keys_by_split = {}
    labels = Counter()
    with staging.StagedRecords(directory / plan["records"]) as records:
        for split in plan["splits"]:
            rows, values = staging.shard_rows(directory, plan, split, 0, 1)
            keys = []
            for (_, offset, length), value in zip(rows, values, strict=True):
                header, payload = records.read(offset, length)
                keys.append(header["k"])
                if spec.features.task == "regression":
                    assert value >= 0
                    labels[round(value)] += 1
                else:
                    for label in value if isinstance(value, list) else [value]:
                        assert 0 <= label < spec.features.num_classes
                        labels[label] += 1
                stored = staging.image_bytes(header, payload, spec.features.channels, 10**8)
                image = Image.open(io.BytesIO(stored))
                image.load()
                assert image.mode == images.mode_for(spec.features.channels), header["k"]
                assert "icc_profile" not in image.info
            assert len(keys) == len(set(keys))
            keys_by_split[split] = set(keys)
    splits = list(keys_by_split)
    for i, a in enumerate(splits):
        for b in splits[i + 1 :]:
            assert not keys_by_split[a] & keys_by_split[b], f"{a} and {b} share keys"
    assert len(labels) > 1, "a fixture should exercise more than one class (or target value)"


def test_examples_are_deterministic(tmp_path):
    """Two fixture writes and two reads give the same keys in the same order."""
    for name in NAMES:
        spec = handlers.get(name)
        runs = []
        for attempt in ("a", "b"):
            folder = tmp_path / name / attempt
            folder.mkdir(parents=True)
            spec.write_fixture(folder)
            runs.append([(e.key, e.label, e.split) for e in spec.examples(folder)])
        assert runs[0] == runs[1], name


_OPENS: list[str] | None = None


def _count_opens(event, args):
    if _OPENS is not None and event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        _OPENS.append(os.fsdecode(args[0]))


sys.addaudithook(_count_opens)


@pytest.mark.parametrize("name", NAMES)
def test_each_artifact_is_read_once(name, tmp_path):
    """One pass over the source: no compressed stream is opened (and decompressed) twice.

    Zips are exempt: they are random-access, each member is inflated on its own.
    """
    global _OPENS
    spec = handlers.get(name)
    spec.write_fixture(tmp_path)
    _OPENS = []
    try:
        for _ in spec.examples(tmp_path):
            pass
        opened = Counter(Path(path).name for path in _OPENS if Path(path).parent == tmp_path)
        zips = {name for name in opened if (tmp_path / name).read_bytes()[:2] == b"PK"}
    finally:
        _OPENS = None
    assert opened, "the handler read no artifact"
    twice = {name: n for name, n in opened.items() if n > 1 and name not in zips}
    assert not twice, f"compressed artifacts opened more than once: {twice}"


def test_folder_label_names_the_archive_and_member():
    from handlers import _readers

    labels = {"cat": 0, "dog": 1}
    assert _readers.folder_label("root/dog/1.jpg", labels, "pets.zip") == 1
    with pytest.raises(ValueError, match=r"pets\.zip: root/cow/1\.jpg is in folder 'cow'"):
        _readers.folder_label("root/cow/1.jpg", labels, "pets.zip")
