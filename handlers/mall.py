"""Mall: 2,000 frames of a shopping-mall webcam, each with the number of people in it.

Homepage https://personal.ie.cuhk.edu.hk/~ccloy/downloads_mall_dataset.html (Chen, Loy,
Gong, Xiang, "Feature Mining for Localised Crowd Counting", BMVC 2012). One zip:
``mall_dataset/frames/seq_<6 digits>.jpg`` (frames 000001-002000, 640x480 RGB) and
``mall_dataset/mall_gt.mat`` whose ``count`` (2000 x 1) holds the people count of frame
k in row k (its ``frame`` cell of head positions and the other .mat files are not
used). The target is the count itself, a float (dm_nevis bins it into 10 classes; this
handler does not). Splits follow the paper: frames 1-800 are the training pool, carved
into train/dev/dev-test (0.70/0.15/0.15) by a hash of the frame's member path (not
dm_nevis's seeded permutation); frames 801-2000 are ``test``. ``mall_gt.mat`` is read
first (zips are random-access), then the frames stream.
"""

import io
import posixpath
import zipfile
from pathlib import Path

import numpy as np

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec

ARTIFACTS = (
    Artifact("mall_dataset.zip", "https://personal.ie.cuhk.edu.hk/~ccloy/files/datasets/mall_dataset.zip",
             md5="48a772b5e55e8e9a66a3c8f98598fc3b"),
)
GROUND_TRUTH = "mall_dataset/mall_gt.mat"
FRAMES = "mall_dataset/frames/"
TRAIN_POOL = 800  # frames 1-800 train, as in the paper
NUM_FRAMES = 2000


def examples(artifacts_dir: Path):
    from scipy.io import loadmat

    path = artifacts_dir / ARTIFACTS[0].file
    with zipfile.ZipFile(path) as archive:
        counts = loadmat(io.BytesIO(archive.read(GROUND_TRUTH)))["count"].ravel()
    for name, data in _readers.zip_members(path, suffixes=(".jpg",), keep=lambda n: n.startswith(FRAMES)):
        number = _frame_number(name)
        if not 1 <= number <= len(counts):
            raise ValueError(f"{name}: mall_gt.mat has counts for frames 1-{len(counts)} only")
        yield Example(key=name, image=data, target=float(counts[number - 1]), split=_split(name))


def write_fixture(artifacts_dir: Path) -> dict[str, int]:
    """Frames from the training pool and the test range, the ground truth .mat (with a
    ``frame`` cell as in the real file) and an unused perspective map."""
    from scipy.io import savemat

    numbers = [*range(1, 25), *range(801, 805)]
    counts = np.zeros((max(numbers), 1), dtype=np.float64)
    members, expected = {}, {}
    for number in numbers:
        counts[number - 1, 0] = 13 + number % 29
        name = f"{FRAMES}{_frame_name(number)}"
        members[name] = _fixtures.jpeg_bytes(_fixtures.pixels(number, 24, 32, 3))
        expected[_split(name)] = expected.get(_split(name), 0) + 1
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


def _split(name: str) -> str:
    return _splits.by_fraction(name, _splits.TR3) if _frame_number(name) <= TRAIN_POOL else "test"


def _mat_bytes(savemat, variables) -> bytes:
    buffer = io.BytesIO()
    savemat(buffer, variables)
    return buffer.getvalue()


def _num_examples() -> dict[str, int]:
    counts = _splits.tally((f"{FRAMES}{_frame_name(n)}" for n in range(1, TRAIN_POOL + 1)), _splits.TR3)
    return counts | {"test": NUM_FRAMES - TRAIN_POOL}


mall = DatasetSpec(
    name="mall",
    description="2,000 640x480 frames of a mall surveillance camera, each with its crowd count.",
    homepage="https://personal.ie.cuhk.edu.hk/~ccloy/downloads_mall_dataset.html",
    citation="Chen, K., Loy, C. C., Gong, S., Xiang, T. Feature Mining for Localised Crowd Counting. British Machine Vision Conference (BMVC), 2012.",
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=3, regression_target="count"),
    examples=examples,
    write_fixture=write_fixture,
    num_examples=_num_examples(),
)
