"""End to end and parsing checks for six Kaggle-hosted datasets: biwi (head-pose bins
from rotation matrices), covid_19_xray (pixel de-duplication), ddsm (CSV joins),
extended_yaleb (splits by pose), iaprtc12 (multi-label from region lists) and
mit_scenes (official lists)."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from conftest import assert_labels_match, build_and_read_back, joined_examples
from PIL import Image

import handlers
from handlers import _fixtures

LOSSLESS = {"biwi", "covid_19_xray", "extended_yaleb"}  # PNG/PGM sources: pixels compared exactly
NAMES = ["biwi", "covid_19_xray", "ddsm", "extended_yaleb", "iaprtc12", "mit_scenes"]


@pytest.mark.parametrize("name", [n for n in NAMES if n in handlers.names()])
def test_build_reads_back_handler_examples(workspace, name):
    spec = handlers.get(name)
    mode = "RGB" if spec.features.channels == 3 else "L"
    for _, record, want in build_and_read_back(workspace, name):
        key = want.key
        assert_labels_match(spec, record, want)
        pixels = np.asarray(Image.open(io.BytesIO(want.image)).convert(mode))
        if name in LOSSLESS:
            assert np.array_equal(record["image"].reshape(pixels.shape), pixels), key
        else:
            assert record["image"].shape[:2] == pixels.shape[:2], key


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



# --- ddsm ------------------------------------------------------------------------------

def test_ddsm_joins_full_mammograms_and_first_row_pathology_wins(tmp_path):
    from handlers import ddsm

    spec, examples = _examples("ddsm", tmp_path)
    path = tmp_path / ddsm.ARTIFACTS[0].file
    with zipfile.ZipFile(path) as archive:
        info = list(ddsm._rows(archive.read(ddsm.DICOM_INFO), ddsm.DICOM_INFO))
        cases = {name: ddsm._rows(archive.read(name), name) for names in ddsm.CASES.values() for name in names}
    full = {f"jpeg/{row['image_path'].split('/')[-2]}/{row['image_path'].split('/')[-1]}": row["PatientID"]
            for row in info if row["SeriesDescription"] == "full mammogram images"}
    assert set(examples) == set(full)  # crops, ROI masks and the unnamed JPEG drop out
    first = {}
    for name, rows in cases.items():
        for row in rows:
            first.setdefault(row["image file path"].split("/")[0], (row["pathology"], "test_set" in name))
    two = [patient for patient in first if sum(r["image file path"].startswith(patient + "/")
                                               for rows in cases.values() for r in rows) > 1]
    assert two, "the fixture should have a patient with two abnormalities"
    for key, example in examples.items():
        pathology, is_test = first[full[key]]
        assert spec.features.class_names[example.label] == pathology, key
        assert (example.split == "test") == is_test, key


def test_ddsm_unknown_pathology_fails(tmp_path):
    from handlers import ddsm

    ddsm.write_fixture(tmp_path)
    path = tmp_path / ddsm.ARTIFACTS[0].file
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    name = ddsm.CASES["test"][0]
    members[name] = members[name].replace(b"MALIGNANT", b"UNPROVEN", 1)
    _fixtures.write_zip(path, members)
    with pytest.raises(ValueError, match="UNPROVEN"):
        list(ddsm.examples(tmp_path))


# --- biwi ------------------------------------------------------------------------------

def test_biwi_angles_recover_the_rotation_a_pose_file_states():
    from handlers import biwi

    for yaw, pitch, roll in ((0, 0, 0), (35.5, -20.25, 10), (-70, 45, -30), (170, -5, 100)):
        matrix = biwi.parse_rotation(biwi.pose_text(yaw, pitch, roll))
        assert np.allclose(biwi.rotation_angles(matrix), (yaw, pitch, roll), atol=1e-3)
    # the example pose of the database's readme: yaw 4.94, pitch 38.01, roll -18.88 degrees
    text = "0.784991 -0.0678137 0.615784\n-0.117134 0.959814 0.255021\n-0.608332 -0.272319 0.745503\n\n88.7 -4.1 878.9\n"
    assert np.allclose(biwi.rotation_angles(biwi.parse_rotation(text)), (4.9374, 38.0089, -18.8847), atol=1e-3)
    with pytest.raises(ValueError, match="3x3"):
        biwi.parse_rotation("1 0 0\n0 1\n0 0 1\n")


def test_biwi_bins_are_equal_frequency_with_the_maximum_in_the_last():
    from handlers import biwi

    values = np.arange(10, dtype=float)[:, None].repeat(3, axis=1)
    edges = biwi.quantile_edges(values)
    assert edges[:, 0].tolist() == [0, 2, 4, 6, 8, 9]
    labels = [biwi.pose_labels(row, edges) for row in values]
    assert [label[0] for label in labels] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert labels[9] == (4, 9, 14) and labels[0] == (0, 5, 10)
    assert len(biwi.LABEL_VOCABULARY) == 15


def test_biwi_splits_by_sequence_and_skips_frames_without_pose(tmp_path):
    spec, examples = _examples("biwi", tmp_path)
    assert all(key.endswith("_rgb.png") for key in examples)
    assert not any(key.endswith("frame_00009_rgb.png") for key in examples)
    for key, example in examples.items():
        sequence = key.split("/")[1]
        assert example.split == {"01": "test", "02": "dev", "03": "dev-test"}.get(sequence, "train"), key
        assert [label // 5 for label in example.multi_label] == [0, 1, 2], key


# --- iaprtc12 --------------------------------------------------------------------------

def test_iaprtc12_keeps_every_region_concept(tmp_path):
    from handlers import iaprtc12

    _, examples = _examples("iaprtc12", tmp_path)
    # image 1111 has regions with concepts 4, 103, 4 and 275 (1-based)
    assert examples["benchmark/saiapr_tc-12/00/images/1111.jpg"].multi_label == (3, 102, 274)
    assert not any(key.startswith(iaprtc12.ANNOTATIONS) for key in examples)
    assert not any(key.endswith(f"/{1000 + 37 * 29}.jpg") for key in examples)  # in no list
    rows = list(iaprtc12.parse_region_labels("25 1 29\n25 2 60\n\n26 1 276\n"))
    assert rows == [(25, 28), (25, 59), (26, 275)]
    with pytest.raises(ValueError, match="concept 277"):
        list(iaprtc12.parse_region_labels("25 1 277\n"))


def test_iaprtc12_splits_follow_the_official_lists(tmp_path):
    _, examples = _examples("iaprtc12", tmp_path)
    for key, example in examples.items():
        i = (int(key.rsplit("/", 1)[1][:-4]) - 1000) // 37
        want = {0: {"test"}, 1: {"dev-test"}}.get(i % 5, {"train", "dev"})
        assert example.split in want, key


def test_iaprtc12_wlist_must_number_276_concepts():
    from handlers import iaprtc12

    iaprtc12.check_wlist("".join(f"{i}\tw{i}\n" for i in range(1, 277)))
    with pytest.raises(ValueError, match="not 1..276"):
        iaprtc12.check_wlist("".join(f"{i}\tw{i}\n" for i in range(1, 276)))
