"""End to end for two texture and object sources: vistex (Reference links resolved
across .tar.Z archives nested in a tar.gz; the PPM pixels come back unchanged) and
aloi/aloi_grey built together (three tars each; colour and grey split alike)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

import data
import handlers


def _built(name, workspace, decode=False):
    directory = workspace.dataset_dir(name)
    table = {}
    for split in data.info(directory)["splits"]:
        for record in data.load(directory, split, decode=decode, as_numpy=True):
            table[record["key"].decode()] = (int(record["label"]), split, record["image"])
    return table


def test_vistex_links_resolve_to_the_flat_images(workspace):
    counts = workspace.fixture("vistex")
    workspace.build("vistex")
    spec = handlers.get("vistex")
    expected = {e.key: e for e in spec.examples(workspace.mirror_root / spec.source)}
    built = _built("vistex", workspace, decode=True)
    assert {s: v["num_examples"] for s, v in data.info(workspace.dataset_dir("vistex"))["splits"].items()} == counts
    assert set(built) == set(expected)
    for key, (label, split, image) in built.items():
        assert (label, split) == (expected[key].label, expected[key].split)
        assert np.array_equal(image, np.asarray(Image.open(io.BytesIO(expected[key].image)))), key


def test_aloi_colour_and_grey_split_alike(workspace):
    for name in ("aloi", "aloi_grey"):
        workspace.fixture(name)
    workspace.build("aloi", "aloi_grey")
    colour, grey = _built("aloi", workspace), _built("aloi_grey", workspace)
    assert set(colour) == set(grey)
    assert {key: value[:2] for key, value in colour.items()} == {key: value[:2] for key, value in grey.items()}
    assert {split for _, split, _ in colour.values()} == {"train", "dev", "dev-test", "test"}
    assert all("_l" in key.rsplit("/", 1)[1] for key, (_, split, _) in colour.items() if split == "test")
    assert data.info(workspace.dataset_dir("aloi_grey"))["features"]["channels"] == 1
