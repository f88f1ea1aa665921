"""End to end for two archive kinds: a tar.gz whose label lists come after the images
(fgvc_aircraft, one pass, labels and splits as annotations) and a zip of JPEGs with
class-level attribute vectors as multi-labels (awa2)."""

from __future__ import annotations

import io

import pytest
from conftest import joined_examples
from PIL import Image

import data
import handlers


@pytest.mark.parametrize("name", ["fgvc_aircraft_variant", "awa2"])
def test_build_reads_back_labels_and_jpeg_bytes(workspace, name):
    counts = workspace.fixture(name)
    workspace.build(name)
    spec = handlers.get(name)
    expected = joined_examples(spec.examples(workspace.mirror_root / spec.source))
    directory = workspace.dataset_dir(name)
    assert {s: v["num_examples"] for s, v in data.info(directory)["splits"].items()} == counts
    seen = set()
    for split in counts:
        for record in data.load(directory, split, decode=False).as_numpy_iterator():
            key = record["key"].decode()
            want = expected[key]
            assert want.split == split, key
            if spec.features.task == "multi_label":
                assert sorted(record["multi_label"].tolist()) == sorted(want.multi_label), key
            else:
                assert record["label"] == want.label, key
            # Colour JPEGs pass through byte for byte; the greyscale one is re-encoded as RGB.
            if Image.open(io.BytesIO(want.image)).mode == "RGB":
                assert record["image"] == want.image, key
            else:
                assert Image.open(io.BytesIO(record["image"])).mode == "RGB", key
            seen.add(key)
    assert seen == set(expected)
