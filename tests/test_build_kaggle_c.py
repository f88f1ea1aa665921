"""Kaggle group C, TRANCOS and Mall: two chest X-ray sets, and three counting sets stored
as 10 equal-mass count classes (dm_nevis's tasks) and as a float target (``_count``).

End to end through the real Luigi graph and TensorFlow, plus the parsing that could go
wrong: head counts in ShanghaiTech's .mat files, TRANCOS's per-image .txt files and
lists, the count binning, and the pneumonia zip's duplicate trees.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from conftest import assert_labels_match, build_and_read_back, joined_examples
from PIL import Image

import handlers
from data.types import Annotation
from handlers import (
    _counting,
    _fixtures,
    pneumonia_chest_xray,
    shanghai_tech,
    trancos,
    tubercolosis,
)


@pytest.mark.parametrize("name", ["pneumonia_chest_xray", "tubercolosis", "shanghai_tech",
                                  "shanghai_tech_count", "trancos", "trancos_count", "mall"])
def test_build_reads_back_handler_examples(workspace, name):
    assert set(workspace.fixture(name)) >= {"train", "dev", "test"}
    spec = handlers.get(name)
    mode = "L" if spec.features.channels == 1 else "RGB"
    for _, record, want in build_and_read_back(workspace, name):
        key = want.key
        assert_labels_match(spec, record, want)
        source = np.asarray(Image.open(io.BytesIO(want.image)).convert(mode), dtype=np.int16)
        image = record["image"][..., 0] if mode == "L" else record["image"]
        assert image.shape == source.shape, key
        difference = np.abs(image - source)
        if want.image[:4] == b"\x89PNG":
            assert difference.max() == 0, key
        else:  # TF and PIL decode JPEG colour a few levels apart (upsampling, IDCT)
            assert difference.mean() < 2 and difference.max() <= 12, key


def test_bins_share_the_artifact_and_order_the_counts(tmp_path):
    spec = handlers.get("trancos")
    assert spec.source == handlers.get("trancos_count").source == "trancos"
    assert handlers.get("shanghai_tech").source == handlers.get("shanghai_tech_count").source == "shanghai_tech"
    assert handlers.get("mall").source == handlers.get("mall_count").source == "mall"
    spec.write_fixture(tmp_path)
    examples = joined_examples(spec.examples(tmp_path)).values()
    pairs = sorted((e.target, e.label) for e in examples)
    labels = [label for _, label in pairs]
    assert labels == sorted(labels) and len(set(labels)) == 10


# --- count binning ---------------------------------------------------------------------


def test_bin_edges_on_uniform_counts():
    # 100 counts 0..99 once each: cumulative frequency of v is v+1, below 10k at v = 10k-2.
    assert _counting.bin_edges(range(100), clip=100) == [8, 18, 28, 38, 48, 58, 68, 78, 88]
    labels = _counting.count_bins(list(range(100)), clip=100)
    assert labels[8] == 0 and labels[9] == 1 and labels[88] == 8 and labels[89] == 9 and labels[99] == 9


def test_count_bins_clip_large_counts_into_the_top_class():
    counts = [*range(20), 49, 10_000]
    labels = _counting.count_bins(counts, clip=50)
    assert labels[-1] == labels[-2] == 9
    # the clipped count weighs in the histogram like 49 would
    assert _counting.bin_edges(counts, clip=50) == _counting.bin_edges([*range(20), 49, 49], clip=50)


def test_count_bins_leave_a_class_empty_where_edges_coincide():
    # Half the counts are 0: no count has a cumulative share below 10 %, ..., 50 %.
    counts = [0] * 50 + list(range(1, 51))
    edges = _counting.bin_edges(counts, clip=100)
    assert edges[:6] == [-1, -1, -1, -1, -1, 9]
    labels = _counting.count_bins(counts, clip=100)
    assert set(labels[:50]) == {5} and labels[50 + 9 - 1] == 5 and labels[50 + 10 - 1] == 6
    assert labels == sorted(labels) and max(labels) == 9


def test_bin_edges_refuse_negative_or_no_counts():
    with pytest.raises(ValueError):
        _counting.bin_edges([], clip=10)
    with pytest.raises(ValueError):
        _counting.bin_edges([3, -1], clip=10)


# --- ShanghaiTech ------------------------------------------------------------------------


def _mat(variables) -> bytes:
    from scipy.io import savemat

    buffer = io.BytesIO()
    savemat(buffer, variables)
    return buffer.getvalue()


def _image_info(location) -> dict:
    cell = np.empty((1, 1), dtype=object)
    cell[0, 0] = {"location": location, "number": np.array([[len(location)]], dtype=np.float64)}
    return {"image_info": cell}


def test_head_count_reads_the_location_rows():
    assert shanghai_tech.head_count(_mat(_image_info(np.ones((37, 2))))) == 37
    assert shanghai_tech.head_count(_mat(_image_info(np.zeros((0, 2))))) == 0


def test_head_count_refuses_a_mat_without_image_info():
    with pytest.raises(ValueError, match="no image_info"):
        shanghai_tech.head_count(_mat({"count": np.ones((3, 1))}), "GT_IMG_1.mat")


def test_shanghai_tech_pairs_images_with_their_ground_truth(tmp_path):
    assert shanghai_tech.image_of("ShanghaiTech/part_B/test_data/ground-truth/GT_IMG_12.mat") == (
        "ShanghaiTech/part_B/test_data/images/IMG_12.jpg")
    shanghai_tech.write_fixture(tmp_path)
    keys = [e.key for e in shanghai_tech.examples(tmp_path)]
    assert not any(key.startswith("shanghaitech_h5_empty") for key in keys)
    assert all(("/test_data/" in e.key) == (e.split == "test") for e in shanghai_tech.examples(tmp_path))
    zero = [e for e in shanghai_tech.examples(tmp_path) if e.target == 0]
    assert len(zero) == 1 and zero[0].label == 0


def test_shanghai_tech_num_examples_follow_the_provider_sizes():
    counts = handlers.get("shanghai_tech").num_examples
    assert counts["test"] == 182 + 316
    assert counts["train"] + counts["dev"] + counts["dev-test"] == 300 + 400
    assert handlers.get("shanghai_tech_count").num_examples == counts


def test_mall_splits_follow_dm_nevis_permutation_of_the_training_pool():
    from handlers import mall

    assert handlers.get("mall").num_examples == {"train": 560, "dev": 120, "dev-test": 120, "test": 1200}
    assert handlers.get("mall_count").num_examples == handlers.get("mall").num_examples
    pool = [mall.split_of(number) for number in range(1, 801)]
    assert {split: pool.count(split) for split in set(pool)} == {"train": 560, "dev": 120, "dev-test": 120}
    # numpy default_rng(1).permutation(800) + 1 starts 234, 465, ...: those frames are train.
    assert mall.split_of(234) == mall.split_of(465) == "train" and mall.split_of(801) == "test"


def test_shanghai_tech_image_without_ground_truth_fails(tmp_path):
    path = tmp_path / "shanghaitech.zip"
    _fixtures.write_zip(path, {
        "ShanghaiTech/part_A/train_data/images/IMG_1.jpg": _fixtures.jpeg_bytes(_fixtures.pixels(1, 8, 8, 3)),
        "ShanghaiTech/part_A/train_data/images/IMG_2.jpg": _fixtures.jpeg_bytes(_fixtures.pixels(2, 8, 8, 3)),
        "ShanghaiTech/part_A/train_data/ground-truth/GT_IMG_1.mat": _mat(_image_info(np.ones((3, 2)))),
    })
    with pytest.raises(ValueError, match="IMG_2.jpg has no ground-truth"):
        list(shanghai_tech.examples(tmp_path))


# --- TRANCOS -----------------------------------------------------------------------------


def test_vehicle_count_ignores_blank_lines():
    assert trancos.vehicle_count(b"12 30\n40\t51\n\n  \n") == 2
    assert trancos.vehicle_count(b"") == 0


def test_listed_images_accept_crlf_and_missing_suffix():
    assert trancos.listed_images("image-1-000001.jpg\r\nimage-2-000007\r\n\r\n") == [
        "TRANCOS_v3/images/image-1-000001.jpg", "TRANCOS_v3/images/image-2-000007.jpg"]


def _trancos_tar(tmp_path, lists: dict[str, str]):
    members = []
    for stem in ("image-1-000001", "image-1-000002"):
        members.append((f"TRANCOS_v3/images/{stem}.jpg", _fixtures.jpeg_bytes(_fixtures.pixels(1, 8, 8, 3))))
        members.append((f"TRANCOS_v3/images/{stem}.txt", b"1 2\n3 4\n"))
    members += [(f"TRANCOS_v3/image_sets/{name}", text.encode()) for name, text in lists.items()]
    _fixtures.write_tar(tmp_path / "TRANCOS_v3.tar.gz", members)


def test_trancos_annotations_carry_count_class_and_split(tmp_path):
    _trancos_tar(tmp_path, {"validation.txt": "image-1-000001.jpg\n", "test.txt": "image-1-000002.jpg\n"})
    items = list(trancos.examples(tmp_path))
    notes = {item.key: item for item in items if isinstance(item, Annotation)}
    assert [item.key for item in items[:2]] == sorted(notes)
    assert notes["TRANCOS_v3/images/image-1-000001.jpg"].split == "dev-test"
    assert notes["TRANCOS_v3/images/image-1-000002.jpg"].split == "test"
    assert {note.target for note in notes.values()} == {2.0}


def test_trancos_unlisted_image_fails(tmp_path):
    _trancos_tar(tmp_path, {"training.txt": "image-1-000001.jpg\n"})
    with pytest.raises(ValueError, match="lack a place in the image_sets lists, e.g. .*000002"):
        list(trancos.examples(tmp_path))


def test_trancos_image_listed_twice_fails(tmp_path):
    _trancos_tar(tmp_path, {"training.txt": "image-1-000001.jpg\nimage-1-000002.jpg\n",
                            "test.txt": "image-1-000002.jpg\n"})
    with pytest.raises(ValueError, match="000002.jpg is listed twice"):
        list(trancos.examples(tmp_path))


# --- chest X-rays --------------------------------------------------------------------------


def test_pneumonia_reads_only_the_nested_tree(tmp_path):
    counts = pneumonia_chest_xray.write_fixture(tmp_path)
    examples = list(pneumonia_chest_xray.examples(tmp_path))
    assert len(examples) == sum(counts.values())
    assert all(e.key.startswith("chest_xray/chest_xray/") for e in examples)
    by_part = {}
    for e in examples:
        by_part.setdefault(e.key.split("/")[2], set()).add(e.split)
    assert by_part["val"] == {"dev-test"} and by_part["test"] == {"test"}
    assert by_part["train"] == {"train", "dev"}
    assert {e.label for e in examples if "/PNEUMONIA/" in e.key} == {1}


def test_pneumonia_unknown_part_fails():
    with pytest.raises(ValueError, match="part one of"):
        pneumonia_chest_xray.member_part("chest_xray/chest_xray/extra/NORMAL/a.jpeg", "z.zip")


def test_tubercolosis_png_outside_the_class_folders_fails(tmp_path):
    _fixtures.write_zip(tmp_path / "tuberculosis-tb-chest-xray-dataset.zip", {
        "TB_Chest_Radiography_Database/Normal/Normal-1.png": _fixtures.png_bytes(_fixtures.pixels(1, 8, 8, 1)),
        "TB_Chest_Radiography_Database/Other/Other-1.png": _fixtures.png_bytes(_fixtures.pixels(2, 8, 8, 1)),
    })
    with pytest.raises(ValueError, match="'Other'"):
        list(tubercolosis.examples(tmp_path))

