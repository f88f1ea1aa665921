"""End to end for two texture and object sources: vistex (Reference links resolved
across .tar.Z archives nested in a tar.gz; the PPM pixels come back unchanged) and
aloi/aloi_grey built together (three tars each; colour and grey split alike)."""

from __future__ import annotations

import io

import numpy as np
from conftest import assert_labels_match, build_and_read_back
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
    spec = handlers.get("vistex")
    for _, record, want in build_and_read_back(workspace, "vistex", as_numpy=True):
        assert_labels_match(spec, record, want)
        assert np.array_equal(record["image"], np.asarray(Image.open(io.BytesIO(want.image)))), want.key


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
