"""End to end and parsing checks for six Kaggle-hosted datasets: biwi (head-pose bins
from rotation matrices), covid_19_xray (pixel de-duplication), ddsm (CSV joins),
extended_yaleb (splits by pose), iaprtc12 (multi-label from region lists) and
mit_scenes (official lists)."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from conftest import joined_examples
from PIL import Image

import data
import handlers
from handlers import _fixtures

LOSSLESS = {"biwi", "covid_19_xray", "extended_yaleb"}  # PNG/PGM sources: pixels compared exactly
NAMES = ["biwi", "covid_19_xray", "ddsm", "extended_yaleb", "iaprtc12", "mit_scenes"]


@pytest.mark.parametrize("name", [n for n in NAMES if n in handlers.names()])
def test_build_reads_back_handler_examples(workspace, name):
    counts = workspace.fixture(name)
    workspace.build(name)
    spec = handlers.get(name)
    expected = joined_examples(spec.examples(workspace.mirror_root / spec.source))
    directory = workspace.dataset_dir(name)
    assert {s: v["num_examples"] for s, v in data.info(directory)["splits"].items()} == counts
    seen = set()
    for split in counts:
        for record in data.load(directory, split).as_numpy_iterator():
            key = record["key"].decode()
            want = expected[key]
            assert want.split == split, key
            if spec.features.task == "multi_label":
                assert sorted(record["multi_label"].tolist()) == sorted(want.multi_label), key
            else:
                assert record["label"] == want.label, key
            mode = "RGB" if spec.features.channels == 3 else "L"
            pixels = np.asarray(Image.open(io.BytesIO(want.image)).convert(mode))
            if name in LOSSLESS:
                assert np.array_equal(record["image"].reshape(pixels.shape), pixels), key
            else:
                assert record["image"].shape[:2] == pixels.shape[:2], key
            seen.add(key)
    assert seen == set(expected)


def _examples(name, tmp_path):
    spec = handlers.get(name)
    spec.write_fixture(tmp_path)
    return spec, joined_examples(spec.examples(tmp_path))


# --- mit_scenes ------------------------------------------------------------------------

def test_mit_scenes_labels_follow_the_lists_and_unlisted_photos_are_skipped(tmp_path):
    from handlers import mit_scenes

    spec, examples = _examples("mit_scenes", tmp_path)
    assert len(spec.features.class_names) == 67
    assert list(spec.features.class_names) == sorted(spec.features.class_names)
    assert not any(key.endswith(("_0010.jpg", "_0011.jpg")) for key in examples)
    for key, example in examples.items():
        category = key.split("/")[2]
        assert spec.features.class_names[example.label] == category
        assert (example.split == "test") == key.endswith(("_0007.jpg", "_0008.jpg", "_0009.jpg")), key
    assert mit_scenes.read_lists(tmp_path / mit_scenes.ARTIFACTS[0].file)


def test_mit_scenes_missing_or_doubly_listed_photo_fails(tmp_path):
    from handlers import mit_scenes

    image = _fixtures.jpeg_bytes(_fixtures.pixels(0, 8, 8, 3))
    path = tmp_path / mit_scenes.ARTIFACTS[0].file
    _fixtures.write_zip(path, {"TrainImages.txt": b"bar/a.jpg\nbar/b.jpg\n", "TestImages.txt": b"\n",
                               "indoorCVPR_09/Images/bar/a.jpg": image})
    with pytest.raises(FileNotFoundError, match="bar/b.jpg"):
        list(mit_scenes.examples(tmp_path))
    _fixtures.write_zip(path, {"TrainImages.txt": b"bar/a.jpg\n", "TestImages.txt": b"bar/a.jpg\n",
                               "indoorCVPR_09/Images/bar/a.jpg": image})
    with pytest.raises(ValueError, match="listed twice"):
        list(mit_scenes.examples(tmp_path))


# --- covid_19_xray ---------------------------------------------------------------------

def test_covid_labels_come_from_the_class_folder_in_both_layouts():
    from handlers.covid_19_xray import member_label

    root = "COVID-19_Radiography_Dataset/"
    assert member_label(root + "Viral Pneumonia/Viral Pneumonia-3.png", "z") == 3
    assert member_label(root + "Lung_Opacity/images/Lung_Opacity-3.png", "z") == 1
    assert member_label(root + "COVID/masks/COVID-3.png", "z") is None
    with pytest.raises(ValueError, match="'PNEUMONIA'"):
        member_label(root + "PNEUMONIA/x.png", "z")


def test_covid_drops_same_pixels_with_same_label_only(tmp_path):
    _, examples = _examples("covid_19_xray", tmp_path)
    keys = set(examples)
    root = "COVID-19_Radiography_Dataset/"
    assert root + "COVID/images/COVID-1.png" in keys
    assert root + "COVID/images/COVID-8.png" not in keys  # same pixels as COVID-1, same class
    assert root + "Lung_Opacity/images/Lung_Opacity-8.png" in keys  # same pixels, other class
    assert not any("/masks/" in key for key in keys)


# --- extended_yaleb --------------------------------------------------------------------

def test_extended_yaleb_names_and_pose_splits():
    from handlers.extended_yaleb import CLASS_NAMES, POSE_SPLITS, parse_name

    assert len(CLASS_NAMES) == 28 and "yaleB14" not in CLASS_NAMES and CLASS_NAMES[-1] == "yaleB39"
    assert parse_name("yaleB12_P06A-110E+65.pgm") == ("yaleB12", "P06")
    assert POSE_SPLITS["P06"] == "test" and POSE_SPLITS["P05"] == "dev" and POSE_SPLITS["P01"] == "dev-test"
    for bad in ("yaleB14_P00A+000E+00.pgm", "yaleB12_P09A+000E+00.pgm", "yaleB12_P00.pgm"):
        with pytest.raises(ValueError):
            parse_name(bad)


def test_extended_yaleb_skips_ambient_shots(tmp_path):
    spec, examples = _examples("extended_yaleb", tmp_path)
    assert examples and not any("Ambient" in key for key in examples)
    with zipfile.ZipFile(tmp_path / spec.artifacts[0].file) as archive:
        assert any("Ambient" in name for name in archive.namelist())
    assert {e.split for e in examples.values()} == {"train", "dev", "dev-test", "test"}

