"""UIUC Image Database for Car Detection: greyscale side views of cars and of other scenes.

Homepage http://cogcomp.cs.illinois.edu/Data/Car/ (Agarwal, Roth, "Learning a Sparse
Representation for Object Detection", ECCV 2002); the artifact is the copy on the PASCAL
VOC host. One tar.gz of PGM files under ``CarData/``: ``TrainImages/pos-<n>.pgm`` (550
100x40 car side views) and ``neg-<n>.pgm`` (500 100x40 patches without cars), and two
test sets of larger scenes, ``TestImages/test-<n>.pgm`` (170 scenes, single scale) and
``TestImages_Scale/test-<n>.pgm`` (108 scenes, cars at several scales). Every test scene
contains at least one car (their boxes are in the ``.txt`` ground-truth files, which are
not read), so test scenes are labelled ``car`` here; dm_nevis labels them "no car"
because only ``pos`` in a name means car. Labels come from the folder and the file
prefix; a PGM anywhere else fails the build. No official split: every image is drawn
into train/dev/dev-test/test (0.56/0.12/0.12/0.20) by a hash of its member path.
"""

import posixpath
from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec

ARTIFACTS = (
    Artifact("uiuc.tar.gz", "http://host.robots.ox.ac.uk/pascal/VOC/download/uiuc.tar.gz",
             md5="716c6078f57839bb440967fa74116da3"),
)

CLASS_NAMES = ("car", "no_car")


def examples(artifacts_dir: Path):
    for name, data in _readers.tar_members(artifacts_dir / ARTIFACTS[0].file, suffixes=(".pgm",)):
        yield Example(key=name, image=data, label=_label(name), split=_splits.by_fraction(name, _splits.ALL))


def write_fixture(artifacts_dir: Path) -> dict[str, int]:
    """The four kinds of PGM, the ground-truth text files and the README."""
    kinds = (("TrainImages", "pos", 12, (40, 100)), ("TrainImages", "neg", 10, (40, 100)),
             ("TestImages", "test", 5, (60, 90)), ("TestImages_Scale", "test", 4, (70, 110)))
    members, counts = [], {}
    for k, (folder, prefix, count, (height, width)) in enumerate(kinds):
        for n in range(count):
            name = f"CarData/{folder}/{prefix}-{n}.pgm"
            members.append((name, _fixtures.pgm_bytes(_fixtures.pixels(k * 100 + n, height // 4, width // 4, 1))))
            split = _splits.by_fraction(name, _splits.ALL)
            counts[split] = counts.get(split, 0) + 1
    members += [("CarData/README.txt", b"UIUC Image Database for Car Detection\n"),
                ("CarData/trueLocations.txt", b"0: (48,26)\n"), ("CarData/trueLocations_Scale.txt", b"0: (48,26,100)\n")]
    _fixtures.write_tar(artifacts_dir / ARTIFACTS[0].file, members)
    return counts


def _label(name: str) -> int:
    folder, base = posixpath.basename(posixpath.dirname(name)), posixpath.basename(name)
    if folder in ("TestImages", "TestImages_Scale") and base.startswith("test-"):
        return CLASS_NAMES.index("car")
    if folder == "TrainImages" and base.startswith(("pos-", "neg-")):
        return CLASS_NAMES.index("car" if base.startswith("pos-") else "no_car")
    raise ValueError(f"{ARTIFACTS[0].file}: no label rule for {name}")



uiuc_cars = DatasetSpec(
    name="uiuc_cars",
    description="1,050 100x40 greyscale training patches (550 cars, 500 non-cars) and 278 test scenes containing cars.",
    homepage="http://cogcomp.cs.illinois.edu/Data/Car/",
    citation="Agarwal, S., Roth, D. Learning a Sparse Representation for Object Detection. European Conference on Computer Vision (ECCV), 2002.",
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=1, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # File numbering (0- or 1-based) is not confirmed, so the hash-split sizes are not computed.
    num_examples=None,
    unconfirmed="the tar's internal layout (CarData/ root, TestImages_Scale folder name) and the 550/500/170/108 counts, taken from the provider's description",
)
