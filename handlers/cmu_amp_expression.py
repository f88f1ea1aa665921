"""CMU AMP face expression database: 64x64 greyscale faces of 13 people, 75 images each
with varying expressions.

Project page http://chenlab.ece.cornell.edu/projects/FaceAuthentication/Default.html (Liu,
Chen, Kumar, 2003; Tsuhan Chen's lab also hosts the artifact). A flat zip of BMPs named
``<subject letter><2-digit index>.bmp`` (``A00.bmp`` ... ``M74.bmp``); the label is the
letter, subjects A-M. ``readme.txt`` is ignored. Splits
follow dm_nevis's per-subject sizes (42 train, 9 dev, 9 dev-test, 15 test), but the
images of each subject are ordered by a hash of their name instead of a seeded
permutation.

Evidence: dm_nevis's reader of the same zip (same md5) selects members by their exact
names ``A00.bmp`` ... ``M74.bmp`` at the zip root and ignores ``readme.txt``; it would
find nothing if they sat in a folder. No member list of the zip was read; the split
sizes follow from 13 x 75.
"""

import posixpath
from pathlib import Path

from data.types import Example, Features
from handlers import _class_splits, _fixtures, _readers
from handlers._spec import Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact(
        "faceExpressionDatabase.zip",
        "http://chenlab.ece.cornell.edu/_download/FaceAuthentication/faceExpressionDatabase.zip",
        md5="f6c2fdf87c095c17e2527c36a0528966",
    ),
)

CLASS_NAMES = tuple("ABCDEFGHIJKLM")
_LABELS = {name: index for index, name in enumerate(CLASS_NAMES)}
IMAGES_PER_SUBJECT = 75
SPLIT_RULE = _class_splits.sized_rule(
    _class_splits.fixed(("train", 42), ("dev", 9), ("dev-test", 9)), rest="test"
)


def examples(artifacts_dir: Path):
    for name, data in _readers.zip_members(artifacts_dir / ARTIFACTS[0].file, suffixes=(".bmp",)):
        subject = posixpath.basename(name)[0].upper()
        if subject not in _LABELS:
            raise ValueError(f"{ARTIFACTS[0].file}: {name} does not start with a subject letter A-M")
        yield Example(key=name, image=data, label=_LABELS[subject])


def write_fixture(artifacts_dir: Path) -> dict[str, int]:
    """Two full subjects (75 palette BMPs each, as the real 8-bit greys) and readme.txt."""
    members, keys, labels = {}, [], []
    for subject in ("A", "M"):
        for i in range(IMAGES_PER_SUBJECT):
            name = f"{subject}{i:02d}.bmp"
            members[name] = _fixtures.bmp_bytes(_fixtures.pixels(ord(subject) * 100 + i, 8, 8, 1))
            keys.append(name)
            labels.append(_LABELS[subject])
    members["readme.txt"] = b"CMU AMP face expression database\n"
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[0].file, members)
    return _class_splits.counts(SPLIT_RULE, keys, labels)


cmu_amp_expression = DatasetSpec(
    name="cmu_amp_expression",
    description="975 greyscale 64x64 face images of 13 people (75 each) with varying facial expressions; the label is the person.",
    homepage="http://chenlab.ece.cornell.edu/projects/FaceAuthentication/Default.html",
    citation="Liu, X., Chen, T., Kumar, B. V. K. V. Face Authentication for Multiple Subjects Using Eigenflow. Pattern Recognition 36(2), 2003.",
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=1, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    split_rule=SPLIT_RULE,
    # 13 subjects x (42, 9, 9, 15): the sizes do not depend on which images fall where.
    num_examples={"train": 546, "dev": 117, "dev-test": 117, "test": 195},
    unconfirmed="that the zip holds exactly the 975 BMPs (no member list read)",
    evidence=Evidence(
        "documentation",
        source=(
            "deepmind/dm_nevis@37ccf1e2dd894a13a8a4f6ceb150d2e7599301d0:dm_nevis/datasets_storage/handlers/"
            "cmu_amp_expression.py (names A00.bmp..M74.bmp at the zip root, readme.txt ignored, 64x64 "
            "grey, 13 x 75; project page chenlab.ece.cornell.edu/projects/FaceAuthentication; paper "
            "doi 10.1016/S0031-3203(02)00033-X)"
        ),
    ),
    dm_nevis_differences=(
        "Same per-subject split sizes (42/9/9/15), but dm_nevis picks the images with numpy "
        "default_rng(1) permutations while here a hash of the file name orders them, so the split "
        "does not depend on a random-number stream."
    ),
)
