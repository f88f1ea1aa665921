"""data.torch with real torch: DataLoaders with 2 workers over a built toyset (variable-size
images: one 64x64 among 12x12), worker sharding, per-epoch shuffling, lengths."""

from __future__ import annotations

import collections
import random
import warnings

import numpy as np
import pytest
from conftest import build_once

import data

torch = pytest.importorskip("torch")
from data.torch import ShardedExamples, dataset  # noqa: E402  (needs torch)


@pytest.fixture(scope="module")
def toyset(tmp_path_factory, http_mirror):
    """The built toyset's directory and its keys per split, in data.load's order."""
    # Four files per split, for the sharding tests.
    workspace = build_once(tmp_path_factory, http_mirror, "torch", "toyset", min_shards=4)
    directory = workspace.dataset_dir("toyset")
    keys = {split: [e["key"].decode() for e in data.load(directory, split, as_numpy=True, decode=False)]
            for split in data.info(directory)["splits"]}
    return directory, keys


def _resize(example):
    """The README's recipe: any HxW in, 3x16x16 float out."""
    image = torch.from_numpy(example["image"]).permute(2, 0, 1).float() / 255
    image = torch.nn.functional.interpolate(image[None], size=(16, 16), mode="bilinear",
                                            antialias=True)[0]
    return image, int(example["label"]), example["key"]


def _loader(ds, **kwargs):
    kwargs.setdefault("num_workers", 2)
    return torch.utils.data.DataLoader(ds, multiprocessing_context="fork" if kwargs["num_workers"] else None,
                                       **kwargs)


def test_two_workers_read_every_example_once_with_the_readme_resize(toyset):
    directory, keys = toyset
    train = dataset(directory, "train", shuffle=True, seed=3, buffer_size=8, transform=_resize)
    sizes = {tuple(e["image"].shape) for e in data.load(directory, "train", as_numpy=True)}
    assert len(sizes) > 1  # variable-size images: a plain default collate would fail
    loader = _loader(train, batch_size=8)
    assert len(train) == len(keys["train"]) and len(loader) == -(-len(keys["train"]) // 8)
    seen = []
    for images, labels, batch_keys in loader:
        assert images.shape[1:] == (3, 16, 16) and images.dtype == torch.float32
        assert labels.dtype == torch.int64 and len(labels) == len(batch_keys)
        seen += batch_keys
    assert sorted(seen) == sorted(keys["train"])
    assert seen != keys["train"]  # shuffled


def test_without_a_transform_examples_are_writable_dicts(toyset):
    directory, keys = toyset
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch's "not writable" UserWarning would fail here
        examples = list(dataset(directory, "test"))
        for example in examples:
            assert example["image"].flags.writeable
            torch.from_numpy(example["image"])
    assert [e["key"] for e in examples] == keys["test"]  # no shuffle: stored order
    assert all(e["image"].dtype == np.uint8 and e["image"].shape[2] == 3 for e in examples)
    labels = data.load(directory, "test", as_numpy=True, decode=False)
    assert [int(e["label"]) for e in examples] == [int(e["label"]) for e in labels]
    batch = next(iter(_loader(dataset(directory, "test"), batch_size=4, num_workers=0)))
    assert batch["image"].shape == (4, 12, 12, 3) and batch["label"].dtype == torch.int64
    assert batch["key"] == keys["test"][:4]


def _worker_view(example):
    info = torch.utils.data.get_worker_info()
    return example["key"], info.id, len(info.dataset)  # the worker's own length


@pytest.mark.parametrize("shards", [4, 1])
def test_each_worker_reads_its_own_part_and_knows_its_length(toyset, shards):
    """4 shard files: 2 each; 1 shard file (fewer than workers): every other record."""
    directory, keys = toyset
    examples = data.load(directory, "train", as_numpy=True, decode=False)
    if shards == 1:
        examples = examples.subset(0, 4)
    ds = ShardedExamples(examples, transform=_worker_view)
    assert len(ds) == len(examples)
    per_worker = collections.defaultdict(list)
    lengths = {}
    for key, worker, length in _loader(ds, batch_size=None):
        per_worker[worker].append(key)
        lengths[worker] = length
    assert set(per_worker) == {0, 1}
    assert {w: len(k) for w, k in per_worker.items()} == lengths
    assert sum(lengths.values()) == len(examples)
    everything = [e["key"].decode() for e in examples]
    assert sorted(per_worker[0] + per_worker[1]) == sorted(everything)
    if shards == 1:
        assert per_worker[0] == everything[0::2] and per_worker[1] == everything[1::2]
    else:
        files = {w: set() for w in per_worker}
        by_file = {p: {e["key"].decode() for e in examples.subset(i, len(examples.paths))}
                   for i, p in enumerate(examples.paths)}
        for worker, worker_keys in per_worker.items():
            files[worker] = {p for p, ks in by_file.items() if ks & set(worker_keys)}
        assert not files[0] & files[1] and len(files[0]) == len(files[1]) == 2


def test_set_epoch_reshuffles_and_the_same_epoch_repeats(toyset):
    directory, keys = toyset
    train = dataset(directory, "train", shuffle=True, seed=11, buffer_size=4,
                    transform=lambda e: e["key"])
    loader = _loader(train, batch_size=None, persistent_workers=True)
    orders = []
    for epoch in (0, 1, 0):
        train.set_epoch(epoch)
        orders.append(list(loader))  # persistent workers see the new epoch
    assert orders[0] == orders[2] != orders[1]
    assert all(sorted(order) == sorted(keys["train"]) for order in orders)
    assert list(train) != list(dataset(directory, "train", shuffle=True, seed=12, buffer_size=4,
                                       transform=lambda e: e["key"]))


def test_subset_and_shuffled_check_their_arguments_and_keep_lengths(toyset):
    directory, _ = toyset
    examples = data.load(directory, "train", as_numpy=True, decode=False)
    for index, count in ((3, 2), (0, 0), (-1, 2), (2, 2), (0, -1)):
        with pytest.raises(ValueError):
            examples.subset(index, count)
        with pytest.raises(ValueError):
            examples.strided(index, count)
    with pytest.raises(TypeError):
        examples.subset(0, 1.5)
    with pytest.raises(TypeError):
        random.shuffle(examples.paths)  # a tuple: shuffled(seed) keeps paths and counts in step
    shuffled = examples.shuffled(5)
    assert shuffled.paths != examples.paths and sorted(shuffled.paths) == sorted(examples.paths)
    assert shuffled.paths == examples.shuffled(5).paths
    for view in (examples, shuffled):
        for count in (1, 2, 3, 5):
            parts = [view.subset(i, count) for i in range(count)] + [view.strided(i, count) for i in range(count)]
            for part in parts:
                assert len(part) == sum(1 for _ in part)
            assert sum(len(p) for p in parts) == 2 * len(examples)
