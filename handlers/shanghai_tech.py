"""ShanghaiTech crowd counting: street and crowd photos, each with its number of people.

Homepage https://www.kaggle.com/datasets/tthien/shanghaitech (Zhang, Zhou, Chen, Gao, Ma,
"Single-Image Crowd Counting via Multi-Column Convolutional Neural Network", CVPR 2016).
One Kaggle zip: ``ShanghaiTech/part_<A|B>/<train|test>_data/images/IMG_<n>.jpg`` and,
beside them, ``.../ground-truth/GT_IMG_<n>.mat`` whose ``image_info`` (a 1x1 cell holding a
struct) has ``location``, one (x, y) row per annotated head: the count is its number of
rows. The zip also holds a second copy under ``shanghaitech_h5_empty/``, never read. Parts
A (300 train / 182 test, dense crowds from the web) and B (400 / 316, Shanghai streets)
are merged, as dm_nevis does. Two variants: ``shanghai_tech`` is dm_nevis's task, the
count cut into 10 ordered classes of roughly equal size over all 1,198 images
(``_counting.count_bins``, counts from 5,000 up sharing the top cell); ``shanghai_tech_count``
keeps the count as a float target. Splits: the train images of both parts are drawn into
train/dev/dev-test (0.70/0.15/0.15) by a hash of the member path; the test images are
``test``. The .mat files are read first (zips are random-access), then the images stream.

Evidence: a copy of the original release (MonsterVivy/shanghaitech) has exactly
``IMG_1 .. IMG_<n>`` with a ``GT_IMG_<n>.mat`` each in all four folders, at the provider's
sizes, so ``num_examples`` is a tally over real names; its 1,198 head counts run from 9 to
3,138 and give ten distinct bin edges (41, 61, 91, 124, 162, 210, 270, 377, 601). The
``ShanghaiTech/`` prefix and the ``shanghaitech_h5_empty/`` copy are as Kaggle loaders read them.
"""

import io
import re
from pathlib import Path

import numpy as np

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._counting import BIN_NAMES, count_bins
from handlers._spec import KAGGLE_REPACKED, Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact("shanghaitech.zip", kaggle="tthien/shanghaitech", md5="f547d65447063405ea78ab7fa9ae721b"),
)
ROOT = "ShanghaiTech/"
_IMAGE = re.compile(r"ShanghaiTech/part_(?P<part>[AB])/(?P<pool>train|test)_data/images/IMG_(?P<n>\d+)\.jpg")
_TRUTH = re.compile(r"ShanghaiTech/part_(?P<part>[AB])/(?P<pool>train|test)_data/ground-truth/GT_IMG_(?P<n>\d+)\.mat")
# Provider sizes: (train, test) images per part, numbered IMG_1 ... IMG_<n> in each folder.
PART_SIZES = {"A": (300, 182), "B": (400, 316)}
MAX_COUNT = 5000  # counts at or above are clipped into the top histogram cell, as dm_nevis does


def examples(artifacts_dir: Path):
    path = artifacts_dir / ARTIFACTS[0].file
    counts = {}
    for name, data in _readers.zip_members(path, suffixes=(".mat",), keep=_TRUTH.fullmatch):
        counts[image_of(name)] = head_count(data, name)
    labels = dict(zip(counts, count_bins(list(counts.values()), MAX_COUNT), strict=True))
    seen = set()
    for name, data in _readers.zip_members(path, suffixes=(".jpg",), keep=_IMAGE.fullmatch):
        if name not in counts:
            raise ValueError(f"{path.name}: {name} has no ground-truth .mat beside it")
        seen.add(name)
        yield Example(key=name, image=data, target=float(counts[name]), label=labels[name], split=_split(name))
    if missing := sorted(set(counts) - seen):
        raise ValueError(f"{path.name}: {len(missing)} ground-truth files have no image, e.g. {missing[0]}")


def image_of(truth: str) -> str:
    """The image member a ground-truth member annotates."""
    match = _TRUTH.fullmatch(truth)
    return f"{ROOT}part_{match['part']}/{match['pool']}_data/images/IMG_{match['n']}.jpg"


def head_count(data: bytes, name: str = "GT .mat") -> int:
    """The number of annotated heads: rows of ``location`` in the struct inside ``image_info``."""
    from scipy.io import loadmat

    variables = loadmat(io.BytesIO(data))
    if "image_info" not in variables:
        raise ValueError(f"{name}: no image_info variable (has {sorted(variables)})")
    record = _only(variables["image_info"], name)  # the cell's one element: a 1x1 struct
    if record.dtype.names is None or "location" not in record.dtype.names:
        raise ValueError(f"{name}: image_info holds no struct with a location field")
    location = _only(record["location"], name)
    return int(location.shape[0]) if location.size else 0


def write_fixture(artifacts_dir: Path) -> dict[str, int]:
    """Both parts with train and test images and their .mat files (a cell holding a struct
    with ``location`` and ``number``, as MATLAB writes them), one greyscale JPEG, an image
    with no heads, a ``Thumbs.db`` among the part A training images (as in the release) and a
    ``shanghaitech_h5_empty`` tree that must not be read."""
    from scipy.io import savemat

    members: dict[str, bytes] = {}
    expected = _splits.SplitSizes()
    seed = 0
    for part, sizes in (("A", (8, 3)), ("B", (6, 3))):
        for pool, size in zip(("train", "test"), sizes, strict=True):
            folder = f"{ROOT}part_{part}/{pool}_data/"
            for n in range(1, size + 1):
                seed += 1
                heads = 0 if seed == 4 else (seed * 37) % 90 + (200 if part == "A" else 5)
                image = f"{folder}images/IMG_{n}.jpg"
                members[image] = _fixtures.jpeg_bytes(_fixtures.pixels(seed, 18, 24, 1 if seed == 3 else 3))
                members[f"{folder}ground-truth/GT_IMG_{n}.mat"] = _truth_mat(savemat, heads, seed)
                expected.add(_split(image))
    members["shanghaitech_h5_empty/ShanghaiTech/part_A/train_data/images/IMG_1.jpg"] = members[
        f"{ROOT}part_A/train_data/images/IMG_1.jpg"]
    members["shanghaitech_h5_empty/ShanghaiTech/part_A/train_data/ground-truth/GT_IMG_1.mat"] = b"not a .mat"
    members[f"{ROOT}part_A/train_data/images/Thumbs.db"] = b"\xd0\xcf\x11\xe0 not read"  # as in the release
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[0].file, sorted(members.items()))
    return expected


def _truth_mat(savemat, heads: int, seed: int) -> bytes:
    location = np.random.default_rng(seed).uniform(0, 500, size=(heads, 2))
    cell = np.empty((1, 1), dtype=object)
    cell[0, 0] = {"location": location, "number": np.array([[heads]], dtype=np.float64)}
    buffer = io.BytesIO()
    savemat(buffer, {"image_info": cell})
    return buffer.getvalue()


def _only(array: np.ndarray, name: str):
    if array.size != 1:
        raise ValueError(f"{name}: expected one element in image_info, found shape {array.shape}")
    return array.reshape(-1)[0]


def _split(image: str) -> str:
    return _splits.by_fraction(image, _splits.TR3) if "/train_data/" in image else "test"


def _num_examples() -> dict[str, int]:
    keys = (f"{ROOT}part_{part}/train_data/images/IMG_{n}.jpg"
            for part, (train, _) in PART_SIZES.items() for n in range(1, train + 1))
    return _splits.tally(keys, _splits.TR3) | {"test": sum(test for _, test in PART_SIZES.values())}


_COMMON = dict(
    homepage="https://www.kaggle.com/datasets/tthien/shanghaitech",
    citation=(
        "Zhang, Y., Zhou, D., Chen, S., Gao, S., Ma, Y. Single-Image Crowd Counting via "
        "Multi-Column Convolutional Neural Network. IEEE Conference on Computer Vision and "
        "Pattern Recognition (CVPR), 2016."
    ),
    license="unknown; research use (see the Kaggle page)",
    artifacts=ARTIFACTS,
    examples=examples,
    write_fixture=write_fixture,
    num_examples=_num_examples(),
    source="shanghai_tech",
    unconfirmed=KAGGLE_REPACKED + "; the license",
    evidence=Evidence(
        "real listing",
        source=(
            "MonsterVivy/shanghaitech@ba0c57684796:part_{A,B}/{train,test}_data (a copy of the original "
            "release: IMG_1..IMG_n and GT_IMG_1..n.mat per folder, 300/182/400/316, 1,198 head counts)"
        ),
    ),
)

shanghai_tech = DatasetSpec(
    name="shanghai_tech",
    description=(
        "1,198 crowd photos (ShanghaiTech parts A and B); label: the head count cut into 10 "
        "ordered classes of roughly equal size over all images (class k holds larger counts than k-1)."
    ),
    features=Features(channels=3, class_names=BIN_NAMES),
    dm_nevis_differences=(
        "The training pool is split by a hash of the member path, not by dm_nevis's seeded permutation "
        "of the zip's listing order (which depends on how the zip was packed); classes are named "
        "'count bin k' rather than by count ranges."
    ),
    **_COMMON,
)

shanghai_tech_count = DatasetSpec(
    name="shanghai_tech_count",
    description="1,198 crowd photos (ShanghaiTech parts A and B), each with its count of annotated heads.",
    features=Features(channels=3, regression_target="count"),
    dm_nevis_differences="dm_nevis has only the 10-class task (registered here as shanghai_tech); this variant keeps the count itself.",
    **_COMMON,
)
