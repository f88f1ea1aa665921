"""End to end for two archive kinds: a tar.gz whose label lists come after the images
(fgvc_aircraft, one pass, labels and splits as annotations) and a zip of JPEGs with
class-level attribute vectors as multi-labels (awa2)."""

from __future__ import annotations

import io

import pytest
from conftest import assert_labels_match, build_and_read_back
from PIL import Image

import handlers


@pytest.mark.parametrize("name", ["fgvc_aircraft_variant", "awa2"])
def test_build_reads_back_labels_and_jpeg_bytes(workspace, name):
    spec = handlers.get(name)
    for _, record, want in build_and_read_back(workspace, name, decode=False):
        key = want.key
        assert_labels_match(spec, record, want)
        # Colour JPEGs pass through byte for byte; the greyscale one is re-encoded as RGB.
        if Image.open(io.BytesIO(want.image)).mode == "RGB":
            assert record["image"] == want.image, key
        else:
            assert Image.open(io.BytesIO(record["image"])).mode == "RGB", key
