"""End to end for detection-derived and counting sources: box crops cut from decoded
JPEGs in a zip, labels from a JSON read out of another zip (coco_single_label), and a
float regression target from a .mat inside the image zip (mall_count)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_labels_match, build_and_read_back

import handlers
from data import images


@pytest.mark.parametrize("name", ["coco_single_label", "mall_count"])
def test_build_reads_back_pixels_and_targets(workspace, name):
    spec = handlers.get(name)
    for _, record, want in build_and_read_back(workspace, name):
        key = want.key
        assert_labels_match(spec, record, want)
        if spec.features.task == "regression":
            assert record["image"].shape[-1] == 3, key
        else:
            # Crops are PIL images: stored losslessly, so the pixels come back exactly.
            pixels = np.asarray(images.normalize(want.image, spec.features.channels))
            assert np.array_equal(record["image"], pixels), key
