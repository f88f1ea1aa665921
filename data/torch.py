"""PyTorch: a built split as a ``torch.utils.data.IterableDataset``, without TensorFlow.

Importing this module imports torch (nothing else in the package does)::

    from data.torch import dataset
    train = dataset("caltech101", "train", shuffle=True, seed=0, transform=resize)
    loader = torch.utils.data.DataLoader(train, batch_size=64, num_workers=2)
    for epoch in range(10):
        train.set_epoch(epoch)
        for images, labels in loader: ...

The records come from the NumPy reader (data/reader.py: strict parse, CRC-checked,
writable arrays). Each DataLoader worker reads its own shard files; with fewer shard
files than workers, every worker reads all of them and keeps every n-th record.
``shuffle=True`` draws a new shard order every epoch from (seed, epoch) and mixes the
records through a shuffle buffer; the same seed, epoch and number of workers give the
same order. Examples are dicts: ``image`` (uint8 HxWxC NumPy array, or the
encoded bytes with ``decode=False``), ``key`` (str, so the default collate keeps it),
``label`` | ``multi_label`` | ``target``; ``transform`` maps each one (e.g. resize
variable-size images to one size before batching).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import torch
from torch.utils.data import IterableDataset, get_worker_info

from data import format as fmt
from data.reader import NumpyExamples
from data.reader import load as _load


def dataset(name_or_path, split: str, data_dir=None, *, shuffle: bool = False, seed: int = 0,
            buffer_size: int = 1024, transform: Callable | None = None,
            decode: bool = True) -> ShardedExamples:
    """A built split (``train_and_dev`` too) as a ShardedExamples; see the module doc."""
    examples = _load(name_or_path, split, data_dir=data_dir, decode=decode, as_numpy=True)
    return ShardedExamples(examples, shuffle=shuffle, seed=seed, buffer_size=buffer_size,
                           transform=transform)


class ShardedExamples(IterableDataset):
    """An IterableDataset over a NumpyExamples: worker sharding, per-epoch shard order
    and a shuffle buffer (``shuffle=True``), an optional ``transform``.

    ``len()`` is the number of examples: of the whole split in the main process (what
    ``len(DataLoader)`` divides by the batch size), of the worker's own part inside a
    DataLoader worker. ``set_epoch(n)`` before each epoch reshuffles; the epoch lives in
    shared memory, so persistent workers see it too.
    """

    def __init__(self, examples: NumpyExamples, *, shuffle: bool = False, seed: int = 0,
                 buffer_size: int = 1024, transform: Callable | None = None):
        if not isinstance(examples, NumpyExamples):
            raise TypeError(f"expected a NumpyExamples (data.load(..., as_numpy=True)), not {type(examples).__name__}")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, not {seed!r}")
        if buffer_size < 1:
            raise ValueError(f"buffer_size must be at least 1, not {buffer_size}")
        self.examples = examples
        self.shuffle = shuffle
        self.seed = int(seed)
        self.buffer_size = int(buffer_size)
        self.transform = transform
        self._epoch = torch.zeros((), dtype=torch.int64).share_memory_()

    @property
    def epoch(self) -> int:
        return int(self._epoch.item())

    def set_epoch(self, epoch: int) -> None:
        """The epoch whose shard order and buffer draws the next iteration uses."""
        if epoch < 0:
            raise ValueError(f"epoch must be non-negative, not {epoch}")
        self._epoch.fill_(int(epoch))

    def _worker(self) -> tuple[int, int]:
        info = get_worker_info()
        return (info.id, info.num_workers) if info is not None else (0, 1)

    def part(self, worker: int = 0, workers: int = 1) -> NumpyExamples:
        """The examples worker ``worker`` of ``workers`` reads this epoch, in file order."""
        examples = self.examples
        if self.shuffle:
            examples = examples.shuffled(_seed(self.seed, self.epoch))
        if workers == 1:
            return examples
        if len(examples.paths) >= workers:
            return examples.subset(worker, workers)
        return examples.strided(worker, workers)  # too few files: every n-th record

    def __len__(self) -> int:
        return len(self.part(*self._worker()))

    def __iter__(self) -> Iterator:
        worker, workers = self._worker()
        items: Iterator[dict] = iter(self.part(worker, workers))
        if self.shuffle and self.buffer_size > 1:
            rng = np.random.default_rng([self.seed, self.epoch, worker, workers])
            items = _buffered(items, self.buffer_size, rng)
        for example in items:
            example[fmt.KEY] = example[fmt.KEY].decode("utf-8")
            yield self.transform(example) if self.transform is not None else example


def _seed(seed: int, epoch: int) -> int:
    """The shard-order seed of an epoch: a hash of both, so that (seed, epoch + 1) and
    (seed + 1, epoch) give unrelated orders."""
    return int(np.random.SeedSequence([seed, epoch]).generate_state(1, np.uint64)[0])


def _buffered(items: Iterator, size: int, rng: np.random.Generator) -> Iterator:
    """The items in a random order: each output is drawn from a buffer of ``size``."""
    buffer = []
    for item in items:
        if len(buffer) < size:
            buffer.append(item)
            continue
        slot = int(rng.integers(size))
        yield buffer[slot]
        buffer[slot] = item
    for slot in rng.permutation(len(buffer)):
        yield buffer[int(slot)]
