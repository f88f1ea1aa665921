"""End to end for formats no foundation dataset has: raw GNT records in zips (casia_hwdb)
and headerless raw bytes plus side files in a tar.gz (magellan_venus_volcanoes)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import joined_examples

import data
import handlers


@pytest.mark.parametrize("name", ["casia_hwdb", "magellan_venus_volcanoes"])
def test_build_reads_back_handler_pixels_and_labels(workspace, name):
    counts = workspace.fixture(name)
    workspace.build(name)
    spec = handlers.get(name)
    expected = joined_examples(spec.examples(workspace.mirror_root / spec.source))
    directory = workspace.dataset_dir(name)
    assert {s: v["num_examples"] for s, v in data.info(directory)["splits"].items()} == counts
    seen = set()
    for split in counts:
        for record in data.load(directory, split).as_numpy_iterator():
            key = record["key"].decode()
            want = expected[key]
            assert want.split == split and record["label"] == want.label, key
            assert np.array_equal(record["image"][..., 0], np.asarray(want.image)), key
            seen.add(key)
    assert seen == set(expected)
