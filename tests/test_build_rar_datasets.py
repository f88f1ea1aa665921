"""RAR sources end to end (tid2008, animal_web), and the parsing rules of tid and animal_web."""

from __future__ import annotations

import io

import numpy as np
import pytest
from conftest import assert_labels_match, build_and_read_back, joined_examples
from PIL import Image

import handlers
from handlers import _fixtures, _rar, animal_web, tid


@pytest.mark.parametrize("name", ["tid2008", "animal_web"])
def test_build_reads_back_handler_pixels_and_labels(workspace, name):
    spec = handlers.get(name)
    seen = set()
    for _, record, want in build_and_read_back(workspace, name, decode=False):
        key = want.key
        assert_labels_match(spec, record, want)
        source = Image.open(io.BytesIO(want.image))
        stored = Image.open(io.BytesIO(record["image"]))
        assert stored.mode == "RGB", key
        if source.format == "JPEG" and source.mode == "RGB":  # colour JPEGs pass through untouched
            assert record["image"] == want.image, key
        else:  # BMPs and the greyscale JPEG are stored as RGB PNGs, pixels kept
            assert stored.format == "PNG", key
            assert np.array_equal(np.asarray(stored), np.asarray(source.convert("RGB"))), key
        seen.add(key)
    if name == "animal_web":
        assert "animal_dataset_v1_clean_check/arcticfox_100.jpg" not in seen  # the duplicate
        assert "animal_dataset_v1_clean_check/uc_100.jpg" in seen  # same pixels, other label


# --- tid -------------------------------------------------------------------------


def test_quality_labels_cut_ranked_values_into_equal_groups_ties_going_down():
    values = [0.9, 0.1, 0.5, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6, 1.0]
    assert tid.quality_labels(values) == [4, 0, 2, 1, 3, 0, 3, 1, 2, 4]
    # 0.3 fills the end of group 0 and the start of group 1: every 0.3 goes to group 0.
    tied = [0.1, 0.3, 0.3, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    assert tid.quality_labels(tied) == [0, 0, 0, 0, 2, 2, 3, 3, 4, 4]
    with pytest.raises(ValueError, match="11 values cannot be cut into 5 equal groups"):
        tid.quality_labels([0.5] * 11)


def test_metric_file_order_is_reference_then_kind_then_level():
    names = tid.image_names(17, 4)
    assert len(names) == 1700 and len(set(names)) == 1700
    assert names[:5] == ["i01_01_1.bmp", "i01_01_2.bmp", "i01_01_3.bmp", "i01_01_4.bmp", "i01_02_1.bmp"]
    assert names[-1] == "i25_17_4.bmp" and names[68] == "i02_01_1.bmp"
    assert tid.image_names(24, 5)[-1] == "i25_24_5.bmp"
    assert tid.parse_metric("0.5\r\n\r\n0.25\r\n", 2, "MSSIM.TXT") == [0.5, 0.25]
    with pytest.raises(ValueError, match="MSSIM.TXT has 2 values, one per distorted image means 3"):
        tid.parse_metric("0.5\n0.25\n", 3, "MSSIM.TXT")
    with pytest.raises(ValueError, match=r"MSSIM.TXT line 2: 'n/a' is not a number"):
        tid.parse_metric("0.5\nn/a\n", 2, "MSSIM.TXT")


def test_tid_labels_follow_the_metric_file_whatever_the_case_of_the_name(tmp_path):
    """An image before the metric file is labelled by annotation, one after it at once."""
    values = [0.5 + (i % 97) / 1000 for i in range(1700)]
    values[0], values[1699] = 0.0, 0.99  # i01_01_1 is in the lowest group, i25_17_4 the highest
    bmp = _fixtures.png_bytes(_fixtures.pixels(1, 4, 4, 3))
    _rar.write_rar(tmp_path / "tid2008.rar", [
        ("tid2008/distorted_images/I01_01_1.BMP", bmp),
        ("tid2008/metrics_values/mssim.txt", "".join(f"{v}\n" for v in values).encode()),
        ("tid2008/distorted_images/i25_17_4.bmp", bmp),
    ])
    got = joined_examples(handlers.get("tid2008").examples(tmp_path))
    assert {key: e.label for key, e in got.items()} == {
        "tid2008/distorted_images/I01_01_1.BMP": 0, "tid2008/distorted_images/i25_17_4.bmp": 4}


@pytest.mark.parametrize("members, error", [
    ([("distorted_images/i01_18_1.bmp", b"x")], r"i01_18_1\.bmp is not one of TID2008's 25x17x4"),
    ([("a/i01_01_1.bmp", b"x"), ("b/I01_01_1.BMP", b"x")], r"b/I01_01_1\.BMP and a/i01_01_1\.bmp are the same"),
    ([("distorted_images/i01_01_1.bmp", b"x")], r"tid2008\.rar has no MSSIM\.TXT"),
])
def test_tid_refuses_layouts_it_cannot_label(tmp_path, members, error):
    _rar.write_rar(tmp_path / "tid2008.rar", members)
    with pytest.raises((ValueError, FileNotFoundError), match=error):
        list(handlers.get("tid2008").examples(tmp_path))


def test_tid_counts_are_the_papers():
    assert tid.tid2008.num_examples is None  # TID2008's member names are not confirmed
    assert sum(tid.tid2013.num_examples.values()) == 3000


# --- animal_web -------------------------------------------------------------------


def test_species_is_the_file_name_before_the_first_underscore():
    assert len(animal_web.CLASS_NAMES) == 352
    assert list(animal_web.CLASS_NAMES) == sorted(animal_web.CLASS_NAMES)
    label = animal_web.species_label("x/y/medraneanmonkseal_12_b.jpg", "a.rar")
    assert animal_web.CLASS_NAMES[label] == "medraneanmonkseal"
    with pytest.raises(ValueError, match=r"a\.rar: x/tiger_1\.jpg starts with 'tiger', which is not one of "
                       r"the 352 known species"):
        animal_web.species_label("x/tiger_1.jpg", "a.rar")
