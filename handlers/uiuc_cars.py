"""UIUC Image Database for Car Detection, as a classification task: 100x40 greyscale
side views of cars and patches without cars.

Homepage http://cogcomp.cs.illinois.edu/Data/Car/ (Agarwal, Roth, "Learning a Sparse
Representation for Object Detection", ECCV 2002); the artifact is the copy on the PASCAL
VOC host. One tar.gz of PGM files under ``CarData/``: ``TrainImages/pos-<n>.pgm`` (550
car side views, n = 0-549) and ``neg-<n>.pgm`` (500 patches without cars, n = 0-499),
plus two test sets of larger scenes for detection, ``TestImages/test-<n>.pgm`` (170,
single scale) and ``TestImages_Scale/test-<n>.pgm`` (108), and ``.txt`` ground truth.
Only the training patches are examples, as in the classification setting dm_nevis
cites; the label comes from the file prefix: ``neg`` 0, ``pos`` 1 (dm_nevis's ids). A
PGM elsewhere in ``TrainImages`` fails the build. No official split: every image is
drawn into train/dev/dev-test/test (0.56/0.12/0.12/0.20) by a hash of its member path.

Evidence: the provider's counts (550 / 500 / 170 / 108), dm_nevis's reader (tar root
``CarData/``, ``TestImages_Scale`` skipped by name), and third-party loaders that read
every ``CarData/TrainImages/pos-<n>.pgm`` for n in 0..549 and ``neg-<n>.pgm`` for n in
0..499, so the keys, and hence the split sizes, are known.
"""

import posixpath
from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact("uiuc.tar.gz", "http://host.robots.ox.ac.uk/pascal/VOC/download/uiuc.tar.gz",
             md5="716c6078f57839bb440967fa74116da3"),
)

CLASS_NAMES = ("no_car", "car")  # dm_nevis: neg 0, pos 1
TRAIN = "CarData/TrainImages/"
SIZES = {"pos": 550, "neg": 500}  # provider figures; files numbered from 0


def examples(artifacts_dir: Path):
    for name, data in _readers.tar_members(artifacts_dir / ARTIFACTS[0].file, suffixes=(".pgm",),
                                           keep=lambda n: n.startswith(TRAIN)):
        yield Example(key=name, image=data, label=_label(name), split=_splits.by_fraction(name, _splits.ALL))


def write_fixture(artifacts_dir: Path) -> dict[str, int]:
    """Both kinds of training patch numbered from 0, the two test sets (not read), the
    ground-truth text files and the README."""
    kinds = (("TrainImages", "pos", 12, (40, 100)), ("TrainImages", "neg", 10, (40, 100)),
             ("TestImages", "test", 5, (60, 90)), ("TestImages_Scale", "test", 4, (70, 110)))
    members, keys = [], []
    for k, (folder, prefix, count, (height, width)) in enumerate(kinds):
        for n in range(count):
            name = f"CarData/{folder}/{prefix}-{n}.pgm"
            members.append((name, _fixtures.pgm_bytes(_fixtures.pixels(k * 100 + n, height // 4, width // 4, 1))))
            if folder == "TrainImages":
                keys.append(name)
    members += [("CarData/README.txt", b"UIUC Image Database for Car Detection\n"),
                ("CarData/trueLocations.txt", b"0: (48,26)\n"), ("CarData/trueLocations_Scale.txt", b"0: (48,26,100)\n")]
    _fixtures.write_tar(artifacts_dir / ARTIFACTS[0].file, members)
    return _splits.tally(keys, _splits.ALL)


def _label(name: str) -> int:
    base = posixpath.basename(name)
    if posixpath.dirname(name) + "/" == TRAIN and base.startswith(("pos-", "neg-")):
        return CLASS_NAMES.index("car" if base.startswith("pos-") else "no_car")
    raise ValueError(f"{ARTIFACTS[0].file}: no label rule for {name}")


uiuc_cars = DatasetSpec(
    name="uiuc_cars",
    description="1,050 100x40 greyscale patches: 550 side views of cars and 500 without cars.",
    homepage="http://cogcomp.cs.illinois.edu/Data/Car/",
    citation="Agarwal, S., Roth, D. Learning a Sparse Representation for Object Detection. European Conference on Computer Vision (ECCV), 2002.",
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=1, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    num_examples=_splits.tally((f"{TRAIN}{prefix}-{n}.pgm" for prefix, size in SIZES.items() for n in range(size)),
                               _splits.ALL),
    unconfirmed="that TrainImages holds nothing but pos-0..549 and neg-0..499 (seen only through loaders)",
    evidence=Evidence(
        "documentation",
        source=(
            "provider page (550 pos / 500 neg training patches, 170 + 108 test scenes); "
            "deepmind/dm_nevis@37ccf1e2dd89:dm_nevis/datasets_storage/handlers/uiuc_cars.py (CarData/ root, "
            "neg 0 / pos 1); third-party loaders reading CarData/TrainImages/pos-0..549.pgm and neg-0..499.pgm"
        ),
    ),
    dm_nevis_differences=(
        "dm_nevis also takes the 170 single-scale TestImages scenes and labels them no-car (only 'pos' in "
        "a path means car) though each shows cars; they are left out here, keeping the training-patch "
        "setting of the paper dm_nevis cites."
    ),
)
