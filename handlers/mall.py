"""Mall: 2,000 frames of a shopping-mall webcam, each with the number of people in it.

Homepage https://personal.ie.cuhk.edu.hk/~ccloy/downloads_mall_dataset.html (Chen, Loy,
Gong, Xiang, "Feature Mining for Localised Crowd Counting", BMVC 2012). One zip:
``mall_dataset/frames/seq_<6 digits>.jpg`` (frames 000001-002000, 640x480 RGB) and
``mall_dataset/mall_gt.mat`` whose ``count`` (2000 x 1) holds the people count of frame
k in row k (its ``frame`` cell of head positions and the other .mat files are not
used). Two variants share the zip: ``mall`` is dm_nevis's task, the count cut into 10
ordered classes of roughly equal size over all 2,000 frames (counts from 100 up share
the top histogram cell; ``_counting.count_bins``); ``mall_count`` keeps the count as a
float target. Splits follow the paper and dm_nevis: frames 1-800 are the training pool,
permuted by numpy's ``default_rng(1)`` (a function of the frame numbers alone, so it is
reproduced exactly) into 560 train, 120 dev and 120 dev-test; frames 801-2000 are
``test``. ``mall_gt.mat`` is read first (zips are random-access), then the frames stream.

Evidence: the layout is the provider's description, and loaders that read
``mall_dataset/frames/seq_000001.jpg`` beside ``mall_dataset/mall_gt.mat``; no listing or
copy of the zip was found.
"""

import io
import posixpath
from functools import lru_cache
from pathlib import Path

import numpy as np

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._counting import BIN_NAMES, count_bins
from handlers._spec import Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact("mall_dataset.zip", "https://personal.ie.cuhk.edu.hk/~ccloy/files/datasets/mall_dataset.zip",
             md5="48a772b5e55e8e9a66a3c8f98598fc3b"),
)
GROUND_TRUTH = "mall_dataset/mall_gt.mat"
FRAMES = "mall_dataset/frames/"
TRAIN_POOL = 800  # frames 1-800 train, as in the paper
NUM_FRAMES = 2000
MAX_COUNT = 100  # counts at or above share the top histogram cell when binning, as in dm_nevis
# dm_nevis's cut of the permuted training pool: 70 % train, 15 % dev, 15 % dev-test.
POOL_SPLITS = (("train", 560), ("dev", 120), ("dev-test", 120))


def examples(artifacts_dir: Path):
    from scipy.io import loadmat

    path = artifacts_dir / ARTIFACTS[0].file
    with _readers.open_zip(path) as archive:
        counts = loadmat(io.BytesIO(archive.read(GROUND_TRUTH)))["count"].ravel()
    labels = count_bins([int(count) for count in counts], MAX_COUNT)
    for name, data in _readers.zip_members(path, suffixes=(".jpg",), keep=lambda n: n.startswith(FRAMES)):
        number = _frame_number(name)
        if not 1 <= number <= len(counts):
            raise ValueError(f"{name}: mall_gt.mat has counts for frames 1-{len(counts)} only")
        yield Example(key=name, image=data, target=float(counts[number - 1]), label=labels[number - 1],
                      split=split_of(number))


@lru_cache(maxsize=1)
def _pool_splits() -> dict[int, str]:
    """Frame number -> split for the training pool, as dm_nevis draws it."""
    order = np.random.default_rng(seed=1).permutation(TRAIN_POOL) + 1
    splits, start = {}, 0
    for split, size in POOL_SPLITS:
        splits.update((int(number), split) for number in order[start:start + size])
        start += size
    return splits


def split_of(number: int) -> str:
    return _pool_splits()[number] if number <= TRAIN_POOL else "test"


def write_fixture(artifacts_dir: Path) -> dict[str, int]:
    """Frames from the training pool and the test range, the ground truth .mat (with a
    ``frame`` cell as in the real file) and an unused perspective map."""
    from scipy.io import savemat

    numbers = [*range(1, 25), *range(801, 805)]
    # A count for every frame up to the last one present, as the real file has for all 2,000.
    counts = np.array([[13 + (k * 7) % 29] for k in range(1, max(numbers) + 1)], dtype=np.float64)
    members, expected = {}, _splits.SplitSizes()
    for number in numbers:
        name = f"{FRAMES}{_frame_name(number)}"
        members[name] = _fixtures.jpeg_bytes(_fixtures.pixels(number, 24, 32, 3))
        expected.add(split_of(number))
    frame_cell = np.empty((1, len(counts)), dtype=object)
    for i in range(len(counts)):
        frame_cell[0, i] = {"loc": np.ones((int(counts[i, 0]), 2))}
    members[GROUND_TRUTH] = _mat_bytes(savemat, {"count": counts, "frame": frame_cell})
    members["mall_dataset/perspective_roi.mat"] = _mat_bytes(savemat, {"pMapN": np.ones((4, 4))})
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[0].file, sorted(members.items()))
    return expected


def _frame_name(number: int) -> str:
    return f"seq_{number:06d}.jpg"


def _frame_number(name: str) -> int:
    return int(posixpath.basename(name).removeprefix("seq_").removesuffix(".jpg"))


def _mat_bytes(savemat, variables) -> bytes:
    buffer = io.BytesIO()
    savemat(buffer, variables)
    return buffer.getvalue()


_COMMON = dict(
    homepage="https://personal.ie.cuhk.edu.hk/~ccloy/downloads_mall_dataset.html",
    citation="Chen, K., Loy, C. C., Gong, S., Xiang, T. Feature Mining for Localised Crowd Counting. British Machine Vision Conference (BMVC), 2012.",
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    examples=examples,
    write_fixture=write_fixture,
    num_examples={**dict(POOL_SPLITS), "test": NUM_FRAMES - TRAIN_POOL},
    source="mall",
    unconfirmed="the zip's member names (seq_000001.jpg ... seq_002000.jpg under mall_dataset/frames/), seen only in third-party loaders",
    evidence=Evidence(
        "documentation",
        source=(
            "provider page and BMVC 2012 paper (2,000 frames, count per frame in mall_gt.mat; frames "
            "1-800 for training); deepmind/dm_nevis@37ccf1e2dd89:dm_nevis/datasets_storage/handlers/mall.py "
            "(member paths, bin rule, split draw)"
        ),
    ),
)

mall = DatasetSpec(
    name="mall",
    description=(
        "2,000 640x480 frames of a mall surveillance camera; label: the crowd count cut into 10 "
        "ordered classes of roughly equal size over all frames (class k holds larger counts than k-1)."
    ),
    features=Features(channels=3, class_names=BIN_NAMES),
    dm_nevis_differences=(
        "Classes are named 'count bin k' rather than by the count ranges dm_nevis derives from the data; "
        "should two bin edges coincide, dm_nevis's scan would shift later labels by one where this rule "
        "leaves a class empty."
    ),
    **_COMMON,
)

mall_count = DatasetSpec(
    name="mall_count",
    description="2,000 640x480 frames of a mall surveillance camera, each with its crowd count.",
    features=Features(channels=3, regression_target="count"),
    dm_nevis_differences="dm_nevis has only the 10-class task (registered here as mall); this variant keeps the count itself.",
    **_COMMON,
)
