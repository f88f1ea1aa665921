"""End to end and parsing for caltech256, office31, office_caltech_10 (which borrows the
other two's archives: fetched once, into the owners' folders) and pacs (HDF5 arrays
stored BGR, train/val/test files pooled and de-duplicated)."""

from __future__ import annotations

import functools
import http.server
import threading

import pytest
from conftest import joined_examples

import data
import handlers
from handlers import caltech256, office31, office_caltech_10


def _read_back(workspace, name) -> dict[str, dict]:
    """key -> {split, label, image} of the built dataset, after checking split sizes."""
    directory = workspace.dataset_dir(name)
    records = {}
    for split in data.info(directory)["splits"]:
        for record in data.load(directory, split).as_numpy_iterator():
            key = record["key"].decode()
            assert key not in records, key
            records[key] = {"split": split, "label": int(record["label"]), "image": record["image"]}
    return records


def _assert_build_matches_handler(workspace, name, counts):
    spec = handlers.get(name)
    expected = joined_examples(spec.examples(workspace.mirror_root / spec.source))
    info = data.info(workspace.dataset_dir(name))
    assert {s: v["num_examples"] for s, v in info["splits"].items()} == counts
    records = _read_back(workspace, name)
    assert set(records) == set(expected)
    for key, record in records.items():
        assert record["split"] == expected[key].split, key
        assert record["label"] == expected[key].label, key
        assert record["image"].shape[-1] == 3, key
    return expected, records


@pytest.mark.parametrize("name", ["caltech256", "office31"])
def test_build_reads_back_handler_keys_splits_and_labels(workspace, name):
    counts = workspace.fixture(name)
    assert set(counts) == {"train", "dev", "dev-test", "test"}
    workspace.build(name)
    expected, _ = _assert_build_matches_handler(workspace, name, counts)
    assert len({e.label for e in expected.values()}) == 3


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
