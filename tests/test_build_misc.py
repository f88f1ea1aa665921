"""End to end for formats no foundation dataset has: raw GNT records in zips (casia_hwdb)
and headerless raw bytes plus side files in a tar.gz (magellan_venus_volcanoes)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_labels_match, build_and_read_back

import handlers


@pytest.mark.parametrize("name", ["casia_hwdb", "magellan_venus_volcanoes"])
def test_build_reads_back_handler_pixels_and_labels(workspace, name):
    spec = handlers.get(name)
    for _, record, want in build_and_read_back(workspace, name):
        assert_labels_match(spec, record, want)
        assert np.array_equal(record["image"][..., 0], np.asarray(want.image)), want.key
