"""PNGs encoded by helper processes while planning reads (data/encoded_pngs.py)."""

from __future__ import annotations

import io
import logging

import numpy as np
from PIL import Image

from data import encoded_pngs, images, shards, staging
from data.types import Example, Features

COLOUR = Features(channels=3, class_names=("a", "b"))


def _examples(count: int = 1300):
    """Raw colour images of two sizes, interleaved with encoded JPEG and PNG ones."""
    rng = np.random.default_rng(3)
    for i in range(count):
        if i % 97 == 5:
            buffer = io.BytesIO()
            Image.fromarray(rng.integers(0, 255, (9, 7, 3), dtype=np.uint8)).save(
                buffer, format="JPEG" if i % 2 else "PNG")
            image = buffer.getvalue()
        else:
            size = (8, 6) if (i // 300) % 2 else (5, 11)
            image = rng.integers(0, 255, (*size, 3), dtype=np.uint8)
        yield Example(f"k{i:05d}", image, label=i % 2, split="train" if i % 5 else "test")


def _stage(directory, processes: int, examples=None) -> dict:
    with encoded_pngs.Encoder(directory, COLOUR.channels, processes, hash_jpegs=True) as encoder:
        plan = staging.stage(examples or _examples(), COLOUR, directory, None, on_record=encoder.add_record)
    staging.write_plan(directory, plan)
    return plan


def _every_record(directory, plan):
    with staging.StagedRecords(directory / plan["records"]) as records:
        for split in plan["splits"]:
            rows, _ = staging.shard_rows(directory, plan, split, 0, 1)
            for _, offset, length in rows.tolist():
                yield offset, *records.read(offset, length)


def test_helpers_encode_every_raw_record_as_conversion_would(tmp_path, monkeypatch):
    monkeypatch.setattr(encoded_pngs._Helper, "hurry", lambda self: None)  # every run waited for
    plan = _stage(tmp_path, processes=2)
    assert (tmp_path / encoded_pngs.pngs_file(0)).exists() and (tmp_path / encoded_pngs.pngs_file(1)).exists()
    raw = encoded = 0
    with encoded_pngs.EncodedPngs(tmp_path) as pngs:
        for offset, header, payload in _every_record(tmp_path, plan):
            found = pngs.get([offset])
            if header["t"] == staging.RAW:
                raw += 1
                assert found == [images.png_from_array(staging.raw_pixels(header, payload, 3))]
            else:
                encoded += 1
                assert found is None  # only raw records are encoded ahead
    assert raw > 1200 and encoded > 10
    assert not list(tmp_path.glob(".*partial*"))


def test_shards_are_the_same_bytes_with_or_without_helpers(tmp_path):
    outputs = {}
    for processes in (0, 1, 3):
        directory = tmp_path / f"p{processes}"
        plan = _stage(directory, processes)
        assert (directory / encoded_pngs.INDEX_FILE).exists() == (processes > 0)
        for split in plan["splits"]:
            shard = directory / "out" / f"{split}.tfrecord"
            shards.convert_shard(directory, split, 0, 1, COLOUR, shard, directory / "out" / f"{split}.json",
                                 max_pixels=10**6, scan_path=directory / "out" / f"{split}.scan.json")
        outputs[processes] = {p.name: p.read_bytes() for p in sorted((directory / "out").iterdir())}
    assert outputs[0] == outputs[1] == outputs[3]
    assert len(outputs[0]) == 6


def test_helpers_hash_passed_through_jpegs_as_the_scan_would(tmp_path, monkeypatch):
    """JPEG runs go to a helper with a free slot, else are left to conversion; what a
    helper computes is ``jpeg_hashes`` of the record's bytes (the shards and scans being
    the same with or without: test_shards_are_the_same_bytes_with_or_without_helpers)."""
    from data.validation.hashing import jpeg_hashes

    monkeypatch.setattr(encoded_pngs, "_RUN_JPEGS", 2)
    monkeypatch.setattr(encoded_pngs._Helper, "hurry", lambda self: None)  # every run waited for
    plan = _stage(tmp_path, processes=1)
    planned = encoded_pngs.JpegHashes(tmp_path)
    jpegs, hashed = 0, []
    for offset, _, payload in _every_record(tmp_path, plan):
        if payload.startswith(b"\xff\xd8"):
            jpegs += 1
            hashed.append(planned.get(offset))
            assert hashed[-1] == jpeg_hashes(payload, "RGB")
        else:
            assert planned.get(offset) is None
    assert jpegs >= 5 and all(hashed)

    # A helper that never has room hashes nothing: conversion does it all, the same.
    monkeypatch.setattr(encoded_pngs._Helper, "has_room", lambda self: False)
    _stage(tmp_path / "busy", processes=1)
    assert not (tmp_path / "busy" / encoded_pngs.HASHES_FILE).exists()


def test_a_truncated_jpeg_gets_no_planned_hash_and_fails_conversion_as_without_helpers(tmp_path, monkeypatch):
    """Bad input in a helper: no row for it, the other JPEGs still hashed; conversion
    then fails the shard on it with the same message as without helpers, naming the
    example, and leaves no shard under its final name."""
    import pytest

    monkeypatch.setattr(encoded_pngs, "_RUN_JPEGS", 2)
    monkeypatch.setattr(encoded_pngs._Helper, "hurry", lambda self: None)
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(9).integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(buffer, "JPEG")
    whole = buffer.getvalue()

    def examples():
        for i in range(6):  # distinct bytes after the image's end, and one cut in half
            yield Example(f"j{i}", whole[: len(whole) // 2] if i == 3 else whole + bytes([i]), label=0, split="train")

    errors = {}
    for processes in (0, 1):
        directory = tmp_path / f"p{processes}"
        with encoded_pngs.Encoder(directory, 3, processes, hash_jpegs=True) as encoder:
            plan = staging.stage(examples(), COLOUR, directory, None, on_record=encoder.add_record)
        staging.write_plan(directory, plan)
        if processes:
            planned = encoded_pngs.JpegHashes(directory)
            rows = {len(payload) < len(whole): planned.get(offset) is not None
                    for offset, _, payload in _every_record(directory, plan)}
            assert rows == {True: False, False: True}
        with pytest.raises(shards.ConversionError) as error:
            shards.convert_shard(directory, "train", 0, 1, COLOUR, directory / "s", directory / "s.json",
                                 max_pixels=10**6, scan_path=directory / "scan.json")
        errors[processes] = str(error.value)
        assert not (directory / "s").exists() and not (directory / "s.json").exists()
    assert errors[0] == errors[1] and "'j3'" in errors[1] and "truncated" in errors[1]


def test_runs_that_find_every_helper_busy_are_encoded_by_the_reader(tmp_path, monkeypatch):
    monkeypatch.setattr(encoded_pngs._Helper, "has_room", lambda self: self.sent % 3 == 0)
    plan = _stage(tmp_path, processes=1)
    numbers = np.load(tmp_path / encoded_pngs.INDEX_FILE)[1]
    assert set(numbers.tolist()) == {0, 1}  # the helper's file and the reader's
    with encoded_pngs.EncodedPngs(tmp_path) as pngs:
        for offset, header, payload in _every_record(tmp_path, plan):
            if header["t"] == staging.RAW:
                assert pngs.get([offset]) == [images.png_from_array(staging.raw_pixels(header, payload, 3))]


def test_runs_a_helper_has_not_started_when_the_reader_is_done_are_left_to_conversion(tmp_path, monkeypatch):
    """A slow helper's backlog is dropped, not waited for: the index lacks those records,
    conversion encodes them, and the shards are the same bytes as without helpers."""
    import time

    write = encoded_pngs._Writer.write

    def slow(self, offsets, stack):
        time.sleep(0.2)
        write(self, offsets, stack)

    def paused(examples):
        """The examples, with a pause after the first runs are sent: the helper surely
        starts one before the reader is done, however slow its start."""
        for number, example in enumerate(examples):
            if number == 200:
                time.sleep(0.3)
            yield example

    monkeypatch.setattr(encoded_pngs, "_RUN_RECORDS", 50)
    monkeypatch.setattr(encoded_pngs._Writer, "write", slow)  # the helper's (forked) and the reader's
    plan = _stage(tmp_path / "slow", processes=1, examples=paused(_examples()))
    index = np.load(tmp_path / "slow" / encoded_pngs.INDEX_FILE)
    helper_runs = len(index[1][index[1] == 0]) // 50
    raw = sum(header["t"] == staging.RAW for _, header, _ in _every_record(tmp_path / "slow", plan))
    # Some runs done by the helper, the rest of its backlog (it gets a run every 0.2 s,
    # the reader sends about 24) left out of the index, not waited for.
    assert 1 <= helper_runs < encoded_pngs._SLOTS and index.shape[1] < raw

    monkeypatch.setattr(encoded_pngs._Writer, "write", write)
    _stage(tmp_path / "none", processes=0)
    for name in ("slow", "none"):
        for split in plan["splits"]:
            shards.convert_shard(tmp_path / name, split, 0, 1, COLOUR, tmp_path / name / f"{split}.shard",
                                 tmp_path / name / f"{split}.json", max_pixels=10**6)
    for split in plan["splits"]:
        assert (tmp_path / "slow" / f"{split}.shard").read_bytes() == (tmp_path / "none" / f"{split}.shard").read_bytes()


def test_a_damaged_png_file_is_encoded_again_not_stored(tmp_path):
    plan = _stage(tmp_path, processes=1)
    expected = {}
    for split in plan["splits"]:
        shards.convert_shard(tmp_path, split, 0, 1, COLOUR, tmp_path / f"{split}.a", tmp_path / f"{split}.a.json",
                             max_pixels=10**6)
        expected[split] = (tmp_path / f"{split}.a").read_bytes()
    path = tmp_path / encoded_pngs.pngs_file(0)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # cut in half
    for split in plan["splits"]:
        shards.convert_shard(tmp_path, split, 0, 1, COLOUR, tmp_path / f"{split}.b", tmp_path / f"{split}.b.json",
                             max_pixels=10**6)
        assert (tmp_path / f"{split}.b").read_bytes() == expected[split]


def test_a_helper_that_dies_costs_a_warning_and_leaves_nothing(tmp_path, caplog):
    features = COLOUR
    with caplog.at_level(logging.WARNING), encoded_pngs.Encoder(tmp_path, 3, 1) as encoder:
        def killing():
            for i, example in enumerate(_examples()):
                if i == 600:
                    encoder._helpers[0].process.kill()
                    encoder._helpers[0].process.join()
                yield example

        plan = staging.stage(killing(), features, tmp_path, None, on_record=encoder.add_record)
    assert "conversion encodes the PNGs itself" in caplog.text
    assert not (tmp_path / encoded_pngs.INDEX_FILE).exists()
    assert not list(tmp_path.glob("*pngs-*")) and not list(tmp_path.glob(".*partial*"))
    assert sum(split["num_examples"] for split in plan["splits"].values()) == 1300


def test_a_failed_planning_leaves_no_pngs(tmp_path):
    def failing():
        yield from _examples(700)
        raise RuntimeError("archive ends early")

    try:
        with encoded_pngs.Encoder(tmp_path, 3, 2) as encoder:
            staging.stage(failing(), COLOUR, tmp_path, None, on_record=encoder.add_record)
    except RuntimeError:
        pass
    else:
        raise AssertionError("the error was swallowed")
    assert not list(tmp_path.glob("*pngs*")) and not list(tmp_path.glob(".*partial*"))


def test_planning_with_two_workers_encodes_and_a_complete_build_drops_the_pngs(workspace):
    import subprocess

    workspace.fixture("cifar10")
    workspace.write_config()
    command = workspace.luigi_command("cifar10", workers=2)
    command[command.index("BuildDataset")] = "PlanExamples"  # planning alone, as the graph runs it
    subprocess.run(command, cwd=workspace.path, env=workspace.env(), check=True, capture_output=True, timeout=300)
    (directory,) = (workspace.data_dir / "staging" / "cifar10").iterdir()
    plan = staging.read_plan(directory)
    # The fixture's 36 records are staged before the helper starts its one run, which is
    # then left to conversion: the index may hold none of them, never a wrong one.
    index = np.load(directory / encoded_pngs.INDEX_FILE)
    assert index.shape[0] == 4 and index.shape[1] <= sum(split["num_examples"] for split in plan["splits"].values())
    with encoded_pngs.EncodedPngs(directory) as pngs:
        for offset, header, payload in _every_record(directory, plan):
            assert pngs.get([offset]) in (None, [images.png_from_array(staging.raw_pixels(header, payload, 3))])
    workspace.build("cifar10", workers=2)
    assert not list(directory.glob("pngs*"))  # served the conversion, then dropped
    shard = sorted(workspace.dataset_dir("cifar10").glob("cifar10-train.tfrecord-*"))[0]
    content = shard.read_bytes()
    shard.unlink()
    workspace.build("cifar10", workers=2)  # converted again without them: the same bytes
    assert shard.read_bytes() == content
