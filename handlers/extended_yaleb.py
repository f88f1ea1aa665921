"""Extended Yale Face Database B: greyscale faces of 28 people under 9 poses and 64
lighting directions; the label is the person.

Homepage http://vision.ucsd.edu/~leekc/ExtYaleDatabase/ExtYaleB.html (Lee, Ho, Kriegman,
"Acquiring linear subspaces for face recognition under variable lighting", PAMI 2005);
the artifact is the Kaggle repack dm_nevis used. One folder per subject holds binary PGMs
named ``yaleB<NN>_P<pp>A<+-aaa>E<+-ee>.pgm`` (subject, pose 00-08, light azimuth and
elevation); the ``*_Ambient.pgm`` shots (no light source) and the ``*.info`` file lists
are not examples, and any other PGM name fails the build. The label is the subject part
of the file name: 28 subjects, yaleB11 to yaleB39 without yaleB14. Splits, fixed by pose
so that held-out faces are seen from angles never trained on (P00 is frontal): train
P00, P02, P03, P04, P07; dev P05; dev-test P01; test P06, P08.

Evidence: dm_nevis's reader of the same zip (same md5) takes the class list from the
parent folder of every zip entry and asserts there are exactly 28, so every entry sits
in a subject folder; it reads the pose at characters 8-11 of the file name and ignores
``info`` and ``Ambient.pgm`` names. No member list was read, so no counts are declared.
"""

import posixpath
import re
from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import KAGGLE_REPACKED, Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact("extended-yale-dataset-b.zip", kaggle="souvadrahati/extended-yale-dataset-b",
             md5="ef37284be91fe0c81dcd96baa948a2db"),
)

CLASS_NAMES = tuple(f"yaleB{number}" for number in range(11, 40) if number != 14)
_LABELS = {name: index for index, name in enumerate(CLASS_NAMES)}
POSE_SPLITS = {"P00": "train", "P02": "train", "P03": "train", "P04": "train", "P07": "train",
               "P05": "dev", "P01": "dev-test", "P06": "test", "P08": "test"}
_NAME = re.compile(r"(yaleB\d\d)_(P0\d)A[+-]\d{3}E[+-]\d\d\.pgm")


def examples(artifacts_dir: Path):
    path = artifacts_dir / ARTIFACTS[0].file
    for name, data in _readers.zip_members(path, suffixes=(".pgm",), keep=_is_face):
        subject, pose = parse_name(posixpath.basename(name), path.name)
        yield Example(key=name, image=data, label=_LABELS[subject], split=POSE_SPLITS[pose])


def parse_name(file: str, archive: str = "archive") -> tuple[str, str]:
    """(subject, pose) of an image file name such as ``yaleB11_P03A-020E+10.pgm``."""
    match = _NAME.fullmatch(file)
    if not match or match[1] not in _LABELS or match[2] not in POSE_SPLITS:
        raise ValueError(f"{archive}: {file!r} is not yaleB<subject>_P<pose 00-08>A<azimuth>E<elevation>.pgm "
                         "of one of the 28 subjects")
    return match[1], match[2]


def _is_face(name: str) -> bool:
    return not name.endswith("_Ambient.pgm")


def write_fixture(artifacts_dir: Path) -> dict[str, int]:
    """Three subject folders with every pose under two lights, an ambient shot and an
    info list per pose."""
    root = "ExtendedYaleB/"
    members: dict[str, bytes] = {}
    counts = _splits.SplitSizes()
    lights = ("A+000E+00", "A-035E+15")
    for s, subject in enumerate(("yaleB11", "yaleB15", "yaleB39")):
        for p, (pose, split) in enumerate(POSE_SPLITS.items()):
            members[f"{root}{subject}/{subject}_{pose}.info"] = "\n".join(
                f"{subject}_{pose}{light}.pgm" for light in lights).encode()
            members[f"{root}{subject}/{subject}_{pose}_Ambient.pgm"] = _fixtures.pgm_bytes(
                _fixtures.pixels(9000 + s * 10 + p, 12, 10, 1))
            for li, light in enumerate(lights):
                pixels = _fixtures.pixels(s * 1000 + p * 10 + li, 12, 10, 1)
                members[f"{root}{subject}/{subject}_{pose}{light}.pgm"] = _fixtures.pgm_bytes(pixels)
                counts.add(split)
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[0].file, members)
    return counts


extended_yaleb = DatasetSpec(
    name="extended_yaleb",
    description="Greyscale faces of 28 people, each under 9 poses and 64 lighting directions (about 16,000 images).",
    homepage="http://vision.ucsd.edu/~leekc/ExtYaleDatabase/ExtYaleB.html",
    citation=(
        "Lee, K.-C., Ho, J., Kriegman, D. Acquiring Linear Subspaces for Face Recognition under "
        "Variable Lighting. IEEE TPAMI 27(5), 2005."
    ),
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=1, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # 28 x 64 per pose would give 8,960 / 1,792 / 1,792 / 3,584, but the repack is not counted.
    num_examples=None,
    unconfirmed=(
        KAGGLE_REPACKED
        + "; whether a folder without its own zip entry sits above the subject folders, and whether "
          "every subject has all 9 x 64 images; the license"
    ),
    evidence=Evidence(
        "documentation",
        source=(
            "deepmind/dm_nevis@37ccf1e2dd894a13a8a4f6ceb150d2e7599301d0:dm_nevis/datasets_storage/handlers/"
            "extended_yaleb.py (28 parent folders asserted over the whole namelist, yaleB<NN>_P<pp>A..E...pgm, "
            "info / Ambient.pgm ignored, pose splits); provider page ExtYaleB.html"
        ),
    ),
)
