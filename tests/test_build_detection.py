"""End to end for detection-derived and counting sources: box crops cut from decoded
JPEGs in a zip, labels from a JSON read out of another zip (coco_single_label), and a
float regression target from a .mat inside the image zip (mall)."""

from __future__ import annotations

import numpy as np
import pytest

import data
import handlers
from data import images


@pytest.mark.parametrize("name", ["coco_single_label", "mall"])
def test_build_reads_back_pixels_and_targets(workspace, name):
    counts = workspace.fixture(name)
    workspace.build(name)
    spec = handlers.get(name)
    expected = {e.key: e for e in spec.examples(workspace.mirror_root / spec.source)}
    directory = workspace.dataset_dir(name)
    assert {s: v["num_examples"] for s, v in data.info(directory)["splits"].items()} == counts
    seen = set()
    for split in counts:
        for record in data.load(directory, split).as_numpy_iterator():
            key = record["key"].decode()
            want = expected[key]
            assert want.split == split, key
            if spec.features.task == "regression":
                assert record["target"] == pytest.approx(want.target), key
                assert record["image"].shape[-1] == 3, key
            else:
                assert record["label"] == want.label, key
                # Crops are PIL images: stored losslessly, so the pixels come back exactly.
                pixels = np.asarray(images.normalize(want.image, spec.features.channels))
                assert np.array_equal(record["image"], pixels), key
            seen.add(key)
    assert seen == set(expected)
