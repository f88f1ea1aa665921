"""End to end for kinds no foundation dataset has: multi-label person crops cut from an
indexed uncompressed tar (voc_actions), multi-label rows joined from .mat files in one
tar.gz to images in another (sun_attributes), and palette BMPs split by a per-class
sized rule (cmu_amp_expression)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import data
import handlers

EXACT_PIXELS = {"voc_actions", "cmu_amp_expression"}  # stored losslessly as PNG


@pytest.mark.parametrize("name", ["voc_actions", "sun_attributes", "cmu_amp_expression"])
def test_build_reads_back_handler_labels_and_splits(workspace, name):
    counts = workspace.fixture(name)
    workspace.build(name)
    spec = handlers.get(name)
    expected = {e.key: e for e in spec.examples(workspace.mirror_root / spec.source)}
    rule_splits = {}
    if spec.split_rule is not None:
        keys = list(expected)
        rule_splits = dict(zip(keys, spec.split_rule(keys, [expected[k].label for k in keys]), strict=True))
    directory = workspace.dataset_dir(name)
    assert {s: v["num_examples"] for s, v in data.info(directory)["splits"].items()} == counts
    seen = set()
    for split in counts:
        for record in data.load(directory, split).as_numpy_iterator():
            key = record["key"].decode()
            want = expected[key]
            assert (want.split or rule_splits[key]) == split, key
            if spec.features.task == "multi_label":
                assert sorted(record["multi_label"].tolist()) == sorted(want.multi_label), key
            else:
                assert record["label"] == want.label, key
            if name in EXACT_PIXELS:
                mode = "RGB" if spec.features.channels == 3 else "L"
                pixels = np.asarray(want.image.convert(mode) if isinstance(want.image, Image.Image)
                                    else _decode(want.image, mode))
                assert np.array_equal(record["image"].reshape(pixels.shape), pixels), key
            seen.add(key)
    assert seen == set(expected)


def _decode(encoded: bytes, mode: str) -> Image.Image:
    return Image.open(io.BytesIO(encoded)).convert(mode)
