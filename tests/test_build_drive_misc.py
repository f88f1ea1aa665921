"""End to end and parsing for mnist_m (labels per folder), lfwa (people with at
least five photos, last-photos splits), food101n (verification lists) and the EMNIST
subsets (transposed idx records streamed from a zip)."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from conftest import assert_labels_match, build_and_read_back, joined_examples
from PIL import Image

import handlers
from handlers import _fixtures, emnist, food101n, lfwa, mnist_m

PNG_PIXELS = {"mnist_m"}  # lossless: compare decoded pixels
ARRAY_PIXELS = {"emnist_letters", "emnist_balanced"}


@pytest.mark.parametrize("name", ["mnist_m", "lfwa", "food101n", "emnist_letters", "emnist_balanced"])
def test_build_reads_back_handler_keys_splits_and_labels(workspace, name):
    spec = handlers.get(name)
    for _, record, want in build_and_read_back(workspace, name):
        key = want.key
        assert_labels_match(spec, record, want)
        if name in PNG_PIXELS:
            pixels = np.asarray(Image.open(io.BytesIO(want.image)).convert("RGB"))
            assert np.array_equal(record["image"], pixels), key
        elif name in ARRAY_PIXELS:
            assert np.array_equal(record["image"][..., 0], want.image), key


def test_every_fixture_split_is_non_empty(tmp_path):
    for name in ("mnist_m", "lfwa", "food101n"):
        folder = tmp_path / name
        folder.mkdir()
        assert set(handlers.get(name).write_fixture(folder)) == {"train", "dev", "dev-test", "test"}, name


# --- mnist_m -------------------------------------------------------------------------


def _mnist_m(tmp_path):
    mnist_m.write_fixture(tmp_path)
    return joined_examples(mnist_m.examples(tmp_path))


def test_mnist_m_labels_belong_to_their_folder(tmp_path):
    examples = _mnist_m(tmp_path)
    # Same file name in both parts, different digits: each part keeps its own.
    assert examples["mnist_m/mnist_m_train/00000001.png"].label == 3
    assert examples["mnist_m/mnist_m_test/00000001.png"].label == 8
    assert all(e.label is not None for e in examples.values())


def test_mnist_m_keeps_every_image_of_both_parts(tmp_path):
    examples = _mnist_m(tmp_path)
    assert "mnist_m/mnist_m_train/00000000.png" in examples
    assert "mnist_m/mnist_m_test/00000009.png" in examples
    assert len(examples) == 24 + 10


def test_mnist_m_parse_labels_rejects_malformed_lines():
    parsed = list(mnist_m.parse_labels("00000001.png 7\n\n00000002.png 0\n", "mnist_m/mnist_m_test/", "t.txt"))
    assert parsed == [("mnist_m/mnist_m_test/00000001.png", 7), ("mnist_m/mnist_m_test/00000002.png", 0)]
    for line in ("00000001.png", "00000001.png 12", "a/00000001.png 1", "00000001.png x"):
        with pytest.raises(ValueError, match="line 1"):
            list(mnist_m.parse_labels(line, "mnist_m/mnist_m_test/", "t.txt"))


@pytest.mark.parametrize("problem", ["unlisted image", "missing image"])
def test_mnist_m_fails_on_images_and_lists_that_disagree(tmp_path, problem):
    image = _fixtures.png_bytes(_fixtures.pixels(1, 28, 28, 3))
    members = [("mnist_m/mnist_m_train/00000000.png", image)]
    rows = "" if problem == "unlisted image" else "00000000.png 1\n00000001.png 2\n"
    members += [("mnist_m/mnist_m_train_labels.txt", rows.encode()), ("mnist_m/mnist_m_test_labels.txt", b"")]
    _fixtures.write_tar(tmp_path / "mnist_m.tar.gz", members)
    with pytest.raises((ValueError, FileNotFoundError), match="no label list|missing"):
        list(mnist_m.examples(tmp_path))


# --- lfwa ----------------------------------------------------------------------------


def test_lfwa_class_list_is_the_423_people():
    assert len(lfwa.CLASS_NAMES) == 423 and list(lfwa.CLASS_NAMES) == sorted(lfwa.CLASS_NAMES)
    assert {"George_W_Bush", "Zinedine_Zidane", "Abdullah_Gul"} <= set(lfwa.CLASS_NAMES)
    assert "Aaron_Peirsol" not in lfwa.CLASS_NAMES  # 4 photos
    assert sum(lfwa.lfwa.num_examples.values()) == 5985


def test_lfwa_keeps_people_with_five_photos_and_splits_by_photo_number(tmp_path):
    lfwa.write_fixture(tmp_path)
    examples = list(lfwa.examples(tmp_path))
    people = {e.key.split("/")[-2] for e in examples}
    assert people == {"Abdullah_Gul", "Zinedine_Zidane"}
    keys = [e.key for e in examples]
    splits = dict(zip(keys, lfwa.SPLIT_RULE(keys, [e.label for e in examples]), strict=True))
    by_photo = {int(k[-8:-4]): s for k, s in splits.items() if "/Abdullah_Gul/" in k}
    assert by_photo == {1: "train", 2: "train", 3: "train", 4: "dev", 5: "dev-test", 6: "test", 7: "test"}
    assert sorted(s for k, s in splits.items() if "Zidane" in k) == ["dev", "dev-test", "test", "test", "train"]


def test_lfwa_refuses_a_person_list_that_does_not_match_the_zip():
    five = [f"lfw2/Someone_New/Someone_New_{i:04d}.jpg" for i in range(1, 6)]
    with pytest.raises(ValueError, match="not among the 423 known"):
        lfwa.people_with_enough_images(five)
    with pytest.raises(ValueError, match="fewer than 5"):
        lfwa.people_with_enough_images([f"x/Tony_Blair/Tony_Blair_{i:04d}.jpg" for i in range(1, 4)])
    assert lfwa.people_with_enough_images(five[:4]) == set()


# --- food101n ------------------------------------------------------------------------


def test_food101n_uses_only_listed_photos_with_either_flag(tmp_path):
    counts = food101n.write_fixture(tmp_path)
    examples = list(food101n.examples(tmp_path))
    assert len(examples) == sum(counts.values()) == 3 * 8  # the ninth photo per dish is unlisted
    with zipfile.ZipFile(tmp_path / "Food-101N_release.zip") as archive:
        val = archive.read("Food-101N_release/meta/verified_val.tsv").decode().splitlines()[1:]
    tests = {e.key for e in examples if e.split == "test"}
    assert tests == {"Food-101N_release/images/" + row.split("\t")[0] for row in val}
    assert {row.split("\t")[1] for row in val} == {"0", "1"}
    assert {food101n.CLASS_NAMES[e.label] for e in examples} == {"apple_pie", "bibimbap", "waffles"}


def test_food101n_parse_list_skips_the_header_and_checks_rows():
    text = "class_name/key\tverification_label\npizza/ab12.jpg\t1\nsushi/cd34.jpg\t0\n"
    assert list(food101n.parse_list(text, "v.tsv")) == [
        "Food-101N_release/images/pizza/ab12.jpg", "Food-101N_release/images/sushi/cd34.jpg"]
    for row, message in (("pizza/ab12.jpg\t2", "line 2"), ("pizza/ab12.jpg", "line 2"),
                         ("lasagne/ab12.jpg\t1", "unknown dish")):
        with pytest.raises(ValueError, match=message):
            list(food101n.parse_list("header\n" + row + "\n", "v.tsv"))


def test_food101n_fails_on_a_photo_in_both_lists_or_missing(tmp_path):
    header = "class_name/key\tverification_label\n"
    photo = ("Food-101N_release/images/pizza/ab12.jpg", _fixtures.jpeg_bytes(_fixtures.pixels(0, 8, 8, 3)))
    both = {"Food-101N_release/meta/verified_train.tsv": header + "pizza/ab12.jpg\t1\n",
            "Food-101N_release/meta/verified_val.tsv": header + "pizza/ab12.jpg\t1\n"}
    _fixtures.write_zip(tmp_path / "Food-101N_release.zip", [photo, *((k, v.encode()) for k, v in both.items())])
    with pytest.raises(ValueError, match="listed twice"):
        list(food101n.examples(tmp_path))
    missing = {"Food-101N_release/meta/verified_train.tsv": header + "pizza/ab12.jpg\t1\npizza/zz99.jpg\t0\n",
               "Food-101N_release/meta/verified_val.tsv": header}
    _fixtures.write_zip(tmp_path / "Food-101N_release.zip", [photo, *((k, v.encode()) for k, v in missing.items())])
    with pytest.raises(FileNotFoundError, match="1 listed photos are missing"):
        list(food101n.examples(tmp_path))


# --- emnist --------------------------------------------------------------------------


def test_emnist_subsets_and_class_counts():
    sizes = {spec.name: spec.features.num_classes for spec in handlers.all_specs() if spec.source == "emnist"}
    assert sizes == {"emnist_byclass": 62, "emnist_bymerge": 47, "emnist_balanced": 47,
                     "emnist_letters": 26, "emnist_digits": 10, "emnist_mnist": 10}
    assert handlers.get("emnist_balanced").features.class_names[36:] == tuple("abdefghnqrt")


@pytest.mark.parametrize("subset", ["letters", "byclass"])
def test_emnist_images_are_upright_and_letters_start_at_zero(tmp_path, subset):
    spec = handlers.get(f"emnist_{subset}")
    spec.write_fixture(tmp_path)
    examples = list(spec.examples(tmp_path))
    assert [e.key for e in examples[:2]] == ["train/000000", "train/000001"]
    for e in examples:
        split, index = e.key.split("/")
        upright = emnist.fixture_image(subset, split, int(index))
        assert np.array_equal(e.image, upright), e.key
        assert not np.array_equal(e.image, upright.T), e.key
    labels = {e.label for e in examples}
    assert min(labels) >= 0 and max(labels) < spec.features.num_classes
    if subset == "letters":
        assert {0, 25} <= labels  # file labels 1 ("A/a") and 26 ("Z/z") become 0 and 25
        assert spec.features.class_names[0] == "A/a"


def test_emnist_mapping_must_match_the_declared_classes():
    emnist.check_mapping("1 65 97\n2 66 98\n", ("A/a", "B/b"), 1)
    with pytest.raises(ValueError, match="mapping file"):
        emnist.check_mapping("0 48\n1 50\n", ("0", "1"), 0)


def test_emnist_idx_stream_checks_header_and_length():
    body = _fixtures.idx_bytes(np.arange(24, dtype=np.uint8).reshape(2, 3, 4))
    records = list(emnist.iter_idx_records(io.BytesIO(body), "x"))
    assert records[0] == (2, (3, 4)) and records[2][2, 3] == 23
    assert emnist.read_idx_stream(io.BytesIO(_fixtures.idx_bytes(np.array([4, 5], np.uint8))), "y").tolist() == [4, 5]
    with pytest.raises(ValueError, match="ends early"):
        list(emnist.iter_idx_records(io.BytesIO(body[:-1]), "x"))
    with pytest.raises(ValueError, match="more data"):
        emnist.read_idx_stream(io.BytesIO(body + b"\0"), "x")
    with pytest.raises(ValueError, match="not an idx file"):
        emnist.idx_header(io.BytesIO(b"\x1f\x8b\x08\x00" + body[4:]), "x")
