"""End to end and parsing for caltech256, office31, office_caltech_10 (which borrows the
other two's archives: fetched once, into the owners' folders) and pacs (HDF5 arrays
stored BGR, train/val/test files pooled and de-duplicated)."""

from __future__ import annotations

import functools
import http.server
import threading

import numpy as np
import pytest
from conftest import assert_labels_match, read_back

import handlers
from handlers import caltech256, office31, office_caltech_10, pacs


def _assert_build_matches_handler(workspace, name, counts) -> dict[str, tuple]:
    """key -> (record, example) of the built dataset, each read back against the handler."""
    spec = handlers.get(name)
    matched = {}
    for _, record, want in read_back(workspace, name, counts):
        assert_labels_match(spec, record, want)
        assert record["image"].shape[-1] == 3, want.key
        matched[want.key] = (record, want)
    return matched


@pytest.mark.parametrize("name", ["caltech256", "office31"])
def test_build_reads_back_handler_keys_splits_and_labels(workspace, name):
    counts = workspace.fixture(name)
    assert set(counts) == {"train", "dev", "dev-test", "test"}
    workspace.build(name)
    matched = _assert_build_matches_handler(workspace, name, counts)
    assert len({want.label for _, want in matched.values()}) == 3


def test_caltech256_labels_come_from_the_folder_number(tmp_path):
    caltech256.write_fixture(tmp_path)
    examples = {e.key: e for e in caltech256.examples(tmp_path)}
    assert examples["256_ObjectCategories/003.backpack/003_0001.jpg"].label == 2
    assert examples["256_ObjectCategories/257.clutter/257_0008.jpg"].label == 256
    assert caltech256.CLASS_NAMES[2] == "backpack" and caltech256.CLASS_NAMES[249] == "zebra"
    assert len(caltech256.CLASS_NAMES) == 257 == len(set(caltech256.CLASS_NAMES))
    # Stray members (not <NNN>.<name>/<NNN>_<NNNN>.jpg) are skipped.
    assert not any(key.endswith(("notes.txt", "Thumbs.db")) for key in examples)
    assert len(examples) == 3 * 8


def test_caltech256_refuses_a_folder_whose_name_does_not_match_its_number():
    assert caltech256.member_label("256_ObjectCategories/250.zebra/250_0001.jpg") == 249
    with pytest.raises(ValueError, match="not one of the 257 known class folders"):
        caltech256.member_label("256_ObjectCategories/250.toad/250_0001.jpg")


def test_office31_reads_dslr_and_splits_by_domain(tmp_path):
    office31.write_fixture(tmp_path)
    examples = list(office31.examples(tmp_path))
    domains = {e.key.split("/")[0] for e in examples}
    assert domains == {"amazon", "dslr", "webcam"}
    for example in examples:
        train_pool = example.key.startswith(("amazon/", "dslr/"))
        assert (example.split in ("train", "dev")) == train_pool, example.key
    labels = {e.key.split("/")[2]: e.label for e in examples}
    assert labels == {"back_pack": 0, "calculator": 5, "ruler": 25}


def test_office31_domain_may_sit_below_a_wrapping_folder():
    assert office31.member_domain("domain_adaptation_images/dslr/images/mug/frame_0001.jpg") == "dslr"
    assert office31.member_domain("webcam/images/mug/frame_0001.jpg") == "webcam"
    with pytest.raises(ValueError, match="domain"):
        office31.member_domain("dlsr/images/mug/frame_0001.jpg")


def test_office_caltech_10_fixture_copies_the_owners_byte_for_byte(tmp_path):
    own, owners = tmp_path / "own", tmp_path / "owners"
    own.mkdir(), owners.mkdir()
    office_caltech_10.write_fixture(own)
    caltech256.write_fixture(owners)
    office31.write_fixture(owners)
    for artifact in office_caltech_10.office_caltech_10.artifacts:
        assert (own / artifact.file).read_bytes() == (owners / artifact.file).read_bytes()
    assert {a.source for a in office_caltech_10.office_caltech_10.borrowed} == {"caltech256", "office31"}


def test_office_caltech_10_maps_both_sources_onto_ten_classes(tmp_path):
    office_caltech_10.write_fixture(tmp_path)
    examples = {e.key: e for e in office_caltech_10.examples(tmp_path)}
    # Office: back_pack (0) and calculator (2) from all domains; ruler is not shared.
    assert examples["dslr/images/calculator/frame_0001.jpg"].label == 2
    assert examples["webcam/images/back_pack/frame_0004.jpg"].label == 0
    assert not any("/ruler/" in key or "257.clutter" in key for key in examples)
    # Caltech: 003.backpack -> back_pack, 027.calculator -> calculator.
    assert examples["256_ObjectCategories/003.backpack/003_0001.jpg"].label == 0
    assert examples["256_ObjectCategories/027.calculator/027_0005.jpg"].label == 2
    for key, example in examples.items():
        from_caltech = key.startswith("256_ObjectCategories/")
        assert (example.split in ("dev-test", "test")) == from_caltech, key
    assert len(examples) == 2 * 3 * 4 + 2 * 8
    # Every Caltech folder in the table exists in caltech256's class list.
    for _, caltech in office_caltech_10.CLASSES:
        assert caltech in caltech256.CLASS_NAMES


def test_office_caltech_10_alone_fetches_into_the_owners_folders(workspace):
    counts = workspace.fixture("office_caltech_10")
    workspace.build("office_caltech_10")
    _assert_build_matches_handler(workspace, "office_caltech_10", counts)
    artifacts = workspace.data_dir / "artifacts"
    tar = artifacts / "caltech256" / caltech256.ARTIFACTS[0].file
    assert tar.is_file() and not tar.is_symlink()
    assert (artifacts / "office31" / office31.ARTIFACTS[0].file).is_file()
    own = artifacts / "office_caltech_10"
    for file in (caltech256.ARTIFACTS[0].file, office31.ARTIFACTS[0].file):
        assert (own / file).is_symlink()
    # Stored once: the only regular copy of the tar is in caltech256's folder.
    copies = [p for p in artifacts.rglob(caltech256.ARTIFACTS[0].file) if not p.is_symlink()]
    assert copies == [tar]


class _RecordingHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.paths.append(self.path)
        super().do_GET()


def test_office_caltech_10_after_caltech256_reuses_the_fetched_tar(workspace):
    workspace.fixture("caltech256")
    counts = workspace.fixture("office_caltech_10")
    workspace.build("caltech256")
    tar = workspace.data_dir / "artifacts" / "caltech256" / caltech256.ARTIFACTS[0].file
    before = tar.stat()
    # The second build fetches through a mirror that records every request.
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0),
        functools.partial(_RecordingHandler, directory=str(workspace.mirror_root)),
    )
    server.paths = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        workspace.settings["fetch"]["mirrors"] = f"http://127.0.0.1:{server.server_address[1]}"
        workspace.build("office_caltech_10")
    finally:
        server.shutdown()
    assert any(office31.ARTIFACTS[0].file in path for path in server.paths), server.paths
    assert not any(caltech256.ARTIFACTS[0].file in path for path in server.paths), server.paths
    after = tar.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    _assert_build_matches_handler(workspace, "office_caltech_10", counts)


# --- pacs ----------------------------------------------------------------------------


def test_pacs_build_reads_back_rgb_pixels_keys_splits_and_labels(workspace):
    counts = workspace.fixture("pacs")
    assert set(counts) == {"train", "dev", "dev-test", "test"}
    workspace.build("pacs")
    for key, (record, want) in _assert_build_matches_handler(workspace, "pacs", counts).items():
        assert np.array_equal(record["image"], want.image), key


def _pacs_file(path, images_bgr, labels, dtype="uint8"):
    import h5py

    with h5py.File(path, "w") as content:
        content.create_dataset("images", data=np.asarray(images_bgr), dtype=dtype)
        content.create_dataset("labels", data=np.asarray(labels), dtype=dtype)


def test_pacs_reverses_bgr_and_shifts_labels(tmp_path):
    bgr = np.zeros((2, 3, 4, 3), dtype=np.uint8)
    bgr[..., 0] = 200  # blue, stored first
    bgr[1, ..., 2] = 50
    _pacs_file(tmp_path / "photo_val.hdf5", bgr, [7, 1], dtype="uint16")
    rows = list(pacs.read_rows(tmp_path / "photo_val.hdf5"))
    assert [(row, label) for row, _, label in rows] == [(0, 6), (1, 0)]
    assert rows[0][1].dtype == np.uint8 and rows[0][1].shape == (3, 4, 3)
    assert (rows[0][1][..., 2] == 200).all() and (rows[0][1][..., 0] == 0).all()
    assert (rows[1][1][..., 0] == 50).all()


@pytest.mark.parametrize(("labels", "message"), [([0], "label 0"), ([8], "label 8")])
def test_pacs_refuses_labels_outside_1_to_7(tmp_path, labels, message):
    _pacs_file(tmp_path / "sketch_val.hdf5", np.zeros((1, 2, 2, 3)), labels)
    with pytest.raises(ValueError, match=message):
        list(pacs.read_rows(tmp_path / "sketch_val.hdf5"))


def test_pacs_refuses_pixels_outside_0_to_255(tmp_path):
    _pacs_file(tmp_path / "cartoon_val.hdf5", np.full((1, 2, 2, 3), 300), [1], dtype="uint16")
    with pytest.raises(ValueError, match="outside whole 0-255"):
        list(pacs.read_rows(tmp_path / "cartoon_val.hdf5"))


def test_pacs_pools_by_domain_and_drops_repeated_rows(tmp_path):
    counts = pacs.write_fixture(tmp_path)
    examples = list(pacs.examples(tmp_path))
    # Each test file repeats its domain's train and val rows: only the test rows stay.
    assert {e.key.split("/")[0] for e in examples} == {f"{d}_test.hdf5" for d in pacs.DOMAINS}
    assert len(examples) == 4 * 8 == sum(counts.values())
    for example in examples:
        held_out = example.key.startswith("sketch_")
        assert (example.split in ("dev-test", "test")) == held_out, example.key


def test_pacs_dedup_key_is_pixels_and_label_within_each_pool(tmp_path):
    pacs.write_fixture(tmp_path)
    same = np.full((2, 3, 3, 3), 77, dtype=np.uint8)
    _pacs_file(tmp_path / "art_painting_val.hdf5", same, [1, 2])  # two labels: both kept
    _pacs_file(tmp_path / "photo_val.hdf5", same, [1, 1])  # repeats art_painting_val/0
    _pacs_file(tmp_path / "sketch_val.hdf5", same, [1, 1])  # other pool: first kept
    keys = {e.key for e in pacs.examples(tmp_path)}
    assert {"art_painting_val.hdf5/00000", "art_painting_val.hdf5/00001"} <= keys
    assert not any(key.startswith("photo_val.hdf5/") for key in keys)
    assert "sketch_val.hdf5/00000" in keys and "sketch_val.hdf5/00001" not in keys


def test_pacs_fixture_bytes_are_reproducible(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    pacs.write_fixture(first)
    pacs.write_fixture(second)
    for file in pacs.FILES:
        assert (first / file).read_bytes() == (second / file).read_bytes(), file


def test_pacs_declares_twelve_named_drive_files():
    artifacts = pacs.pacs.artifacts
    assert len({a.gdrive_id for a in artifacts}) == 12 == len({a.file for a in artifacts})
    assert all(a.content_disposition and a.md5 for a in artifacts)
    assert {a.file.rsplit("_", 1)[0] for a in artifacts} == set(pacs.DOMAINS)
