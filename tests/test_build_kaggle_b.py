"""End to end and parsing for the Kaggle group B: a multi-label zip with split lists and a
patient-disjoint draw (nih_chest_xray), PNG glyphs with known-bad members and duplicates
(not_mnist), faces named by subject (olivetti_face) and images stored as CSV rows (path_mnist)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import numpy as np
import pytest
from conftest import assert_labels_match, build_and_read_back
from PIL import Image

import data
import handlers
from handlers import _fixtures, nih_chest_xray, not_mnist, olivetti_face, path_mnist

NAMES = ["nih_chest_xray", "not_mnist", "olivetti_face", "path_mnist"]
LOSSLESS = {"nih_chest_xray", "not_mnist", "path_mnist"}  # PNG or arrays: stored exactly


def _pixels(image, channels: int) -> np.ndarray:
    if isinstance(image, np.ndarray):
        return image
    mode = "L" if channels == 1 else "RGB"
    return np.asarray(Image.open(io.BytesIO(image)).convert(mode))


@pytest.mark.parametrize("name", NAMES)
def test_build_reads_back_handler_examples(workspace, name):
    spec = handlers.get(name)
    for _, record, want in build_and_read_back(workspace, name):
        key = want.key
        assert_labels_match(spec, record, want)
        if want.multi_label is not None:  # the handler states findings in ascending order
            assert list(want.multi_label) == sorted(want.multi_label), key
        pixels = _pixels(want.image, spec.features.channels)
        stored = record["image"].reshape(pixels.shape).astype(int)
        if name in LOSSLESS:
            assert np.array_equal(stored, pixels), key
        else:  # JPEG: decoders may round differently
            assert np.abs(stored - pixels).mean() < 1.5, key


def test_not_mnist_build_skips_the_known_bad_members(workspace, tmp_path):
    """The two members broken upstream are skipped by key and reported; the rest builds."""
    spec = handlers.get("not_mnist")
    mirror = tmp_path / "mirror"
    (mirror / spec.source).mkdir(parents=True)
    counts = spec.write_fixture(mirror / spec.source, broken=True)
    archive = mirror / spec.source / spec.artifacts[0].file
    with zipfile.ZipFile(archive) as source:
        assert set(source.namelist()) >= not_mnist.BROKEN
    overrides = workspace.path / "checksums.json"
    overrides.write_text(json.dumps({f"{spec.source}/{archive.name}": {
        "sha256": hashlib.sha256(archive.read_bytes()).hexdigest()}}))
    workspace.settings["fetch"]["mirrors"] = str(mirror)
    workspace.build("not_mnist")
    info = data.info(workspace.dataset_dir("not_mnist"))
    assert info["skipped_members"] == {"count": 2, "keys": sorted(not_mnist.BROKEN)}
    assert {s: v["num_examples"] for s, v in info["splits"].items()} == counts


def test_not_mnist_unknown_unreadable_member_names_itself(tmp_path):
    not_mnist.write_fixture(tmp_path)
    archive = tmp_path / "notmnist.zip"
    with zipfile.ZipFile(archive) as source:
        members = [(n, source.read(n)) for n in sorted(source.namelist())]
    bad = not_mnist.ROOT + "C/YnJva2VuLnR0Zg==.png"
    _fixtures.write_zip(archive, [*members, (bad, b"\x89PNG\r\n\x1a\n truncated")])
    with pytest.raises(ValueError, match=r"notMNIST_small/C/YnJva2VuLnR0Zg==\.png is not a readable image"):
        list(not_mnist.examples(tmp_path))


def test_not_mnist_drops_duplicates_within_a_letter_only(tmp_path):
    not_mnist.write_fixture(tmp_path)
    keys = [e.key for e in not_mnist.examples(tmp_path)]
    with zipfile.ZipFile(tmp_path / "notmnist.zip") as source:
        pngs = {n: source.read(n) for n in source.namelist()}
    groups: dict[bytes, list[str]] = {}
    for name, png in sorted(pngs.items()):
        if name.startswith(not_mnist.ROOT):
            groups.setdefault(png, []).append(name)
    [same] = [names for names in groups.values() if len(names) > 1]
    # the original and a repeat under A (the later name dropped), the same glyph under B (kept)
    under_a = [n for n in same if "/A/" in n]
    under_b = [n for n in same if "/B/" in n]
    assert len(under_a) == 2 and len(under_b) == 1
    assert [n for n in same if n in keys] == [under_a[0], under_b[0]]
    assert not any(k.startswith("notMNIST_large/") for k in keys)


def test_nih_parses_findings_and_patients():
    text = ("Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age\n"
            "00000001_000.png,Mass|Cardiomegaly,0,1,58\n00000002_000.png,No Finding,0,2,81\n\n")
    entries = nih_chest_xray.parse_entries(text)
    assert entries == {"00000001_000.png": ((10, 12), "1"), "00000002_000.png": ((14,), "2")}
    with pytest.raises(ValueError, match="line 2: unknown findings \\['Tumour'\\]"):
        nih_chest_xray.parse_entries(text.replace("Mass|", "Tumour|"))
    with pytest.raises(ValueError, match="lacks a needed column"):
        nih_chest_xray.parse_entries(text.replace("Patient ID", "Patient"))
    assert len(nih_chest_xray.LABELS) == 15


def test_nih_split_lists_must_not_overlap():
    lists = {"train_val_list.txt": "a.png\nb.png\n", "test_list.txt": "c.png\n"}
    assert nih_chest_xray.parse_lists(lists) == {"a.png": None, "b.png": None, "c.png": "test"}
    with pytest.raises(ValueError, match="b.png is in test_list.txt twice or in both"):
        nih_chest_xray.parse_lists(lists | {"test_list.txt": "b.png\n"})


def test_nih_keeps_each_patient_on_one_side(tmp_path):
    nih_chest_xray.write_fixture(tmp_path)
    examples = list(nih_chest_xray.examples(tmp_path))
    by_patient: dict[str, set[str]] = {}
    for example in examples:
        by_patient.setdefault(example.key.rsplit("/", 1)[1][:8], set()).add(example.split)
    assert sum(len(p) for p in by_patient.values()) == len(by_patient)
    assert {e.key.rsplit("/", 1)[1] for e in examples if e.split == "test"} == nih_chest_xray._FIXTURE_TEST
    multi = {e.key.rsplit("/", 1)[1]: e.multi_label for e in examples}
    assert multi["00000006_000.png"] == (0, 1, 4) and multi["00000002_000.png"] == (14,)


def test_nih_image_in_no_list_is_an_error(tmp_path):
    nih_chest_xray.write_fixture(tmp_path)
    archive = tmp_path / "data.zip"
    with zipfile.ZipFile(archive) as source:
        members = {n: source.read(n) for n in source.namelist()}
    members["test_list.txt"] = members["test_list.txt"].replace(b"00000004_000.png\n", b"")
    _fixtures.write_zip(archive, members)
    with pytest.raises(ValueError, match="00000004_000.png is not in Data_Entry_2017.csv and a split list"):
        list(nih_chest_xray.examples(tmp_path))


def test_olivetti_reads_the_kaggle_names_and_has_41_subjects():
    assert olivetti_face.number_and_subject("archive/393_40.jpg") == (393, 40)
    assert olivetti_face.number_and_subject("410_41.jpg") == (410, 41)
    assert len(handlers.get("olivetti_face").features.class_names) == 41
    with pytest.raises(ValueError, match="subject 42, outside 1-41"):
        olivetti_face.number_and_subject("1_42.jpg")
    with pytest.raises(ValueError, match="not named <n>_<subject>.jpg"):
        olivetti_face.number_and_subject("s7/10.jpg")


def test_olivetti_same_image_twice_is_an_error(tmp_path):
    members = {f"{i}_1.jpg": _fixtures.jpeg_bytes(_fixtures.pixels(i, 8, 8, 1)) for i in (1, 2)}
    members["copy/2_1.jpg"] = members["2_1.jpg"]
    _fixtures.write_zip(tmp_path / olivetti_face.ARTIFACTS[0].file, members)
    with pytest.raises(ValueError, match="both image 2"):
        list(olivetti_face.examples(tmp_path))


def test_path_mnist_rows_are_channel_last():
    image = np.arange(28 * 28 * 3, dtype=np.int64).reshape(28, 28, 3) % 251
    header = ",".join(path_mnist.HEADER)
    row = ",".join(map(str, image.reshape(-1))) + ",8"
    [(parsed, label)] = path_mnist.parse_rows([header, row])
    assert label == 7 and parsed.dtype == np.uint8
    assert parsed[0, 1].tolist() == [3, 4, 5] and parsed[1, 0].tolist() == [84, 85, 86]
    with pytest.raises(ValueError, match="label 9 outside 1-8"):
        list(path_mnist.parse_rows([header, row[:-1] + "9"]))
    with pytest.raises(ValueError, match="header"):
        list(path_mnist.parse_rows([header.replace("label", "target"), row]))
    assert sum(handlers.get("path_mnist").num_examples.values()) == 5000
