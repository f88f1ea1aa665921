"""End to end for kinds no foundation dataset has: multi-label person crops cut from an
indexed uncompressed tar (voc_actions), multi-label rows joined from .mat files in one
tar.gz to images in another (sun_attributes), and palette BMPs split by a per-class
sized rule (cmu_amp_expression)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from conftest import assert_labels_match, build_and_read_back
from PIL import Image

import handlers

EXACT_PIXELS = {"voc_actions", "cmu_amp_expression"}  # stored losslessly as PNG


@pytest.mark.parametrize("name", ["voc_actions", "sun_attributes", "cmu_amp_expression"])
def test_build_reads_back_handler_labels_and_splits(workspace, name):
    spec = handlers.get(name)
    mode = "RGB" if spec.features.channels == 3 else "L"
    for _, record, want in build_and_read_back(workspace, name):
        assert_labels_match(spec, record, want)
        if name in EXACT_PIXELS:
            pixels = np.asarray(want.image.convert(mode) if isinstance(want.image, Image.Image)
                                else _decode(want.image, mode))
            assert np.array_equal(record["image"].reshape(pixels.shape), pixels), want.key


def _decode(encoded: bytes, mode: str) -> Image.Image:
    return Image.open(io.BytesIO(encoded)).convert(mode)
