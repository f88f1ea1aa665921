"""The ORL (Olivetti / AT&T) faces as repacked on Kaggle: 410 greyscale 70x80 JPEGs of 41 people.

The ORL Database of Faces was taken 1992-1994 at the Olivetti Research Laboratory,
Cambridge (Samaria & Harter, 1994; homepage https://cam-orl.co.uk/facedatabase.html): 10
photos each of 40 people, published as ``s<subject>/<image>.pgm`` at 92x112. The Kaggle
repack ``tavarez/the-orl-database-for-training-and-testing`` that dm_nevis reads is not
that layout: it holds 410 JPEGs, downscaled to 70x80, named ``<n>_<subject>.jpg`` with
``n`` counting 1-410 over the whole set and ``subject`` 1-41 - the 40 ORL subjects and a
41st person of 10 colour photos added by the uploader (hence dm_nevis's 41 classes).
The label is subject - 1 (41 classes); colour photos are converted to grey by the
engine. Any other ``.jpg`` name, a subject outside 1-41 or a number used twice is an
error. No official split: every image is drawn into train/dev/dev-test/test
(0.56/0.12/0.12/0.20) by a hash of its file name, so a folder above the images would
not change the draw.

Evidence: a complete unpacked copy of the zip (``tests/listings/olivetti_face.json``);
whether the zip puts a folder above the images is not known.
"""

import posixpath
import re
from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import KAGGLE_REPACKED, Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact("the-orl-database-for-training-and-testing.zip",
             kaggle="tavarez/the-orl-database-for-training-and-testing",
             md5="09871495160825a485b0f2595ba2bb34"),
)
NUM_SUBJECTS = 41
PER_SUBJECT = 10
CLASS_NAMES = tuple(f"s{subject}" for subject in range(1, NUM_SUBJECTS + 1))

_NAME = re.compile(r"(\d+)_(\d+)\.jpg")  # <n>_<subject>.jpg


def examples(artifacts_dir: Path):
    archive = ARTIFACTS[0].file
    seen: dict[int, str] = {}
    for name, data in _readers.zip_members(artifacts_dir / archive, suffixes=(".jpg",)):
        number, subject = number_and_subject(name)
        if number in seen:
            raise ValueError(f"{archive}: {name} and {seen[number]} are both image {number}")
        seen[number] = name
        base = posixpath.basename(name)
        yield Example(key=name, image=data, label=subject - 1, split=_splits.by_fraction(base, _splits.ALL))


def number_and_subject(name: str) -> tuple[int, int]:
    """(image number, subject 1-41) of a member named ``.../<n>_<subject>.jpg``."""
    match = _NAME.fullmatch(posixpath.basename(name))
    if not match:
        raise ValueError(f"{ARTIFACTS[0].file}: {name} is not named <n>_<subject>.jpg; the "
                         "archive's layout differs from what this handler reads")
    number, subject = int(match[1]), int(match[2])
    if not 1 <= subject <= NUM_SUBJECTS:
        raise ValueError(f"{ARTIFACTS[0].file}: {name} names subject {subject}, outside 1-{NUM_SUBJECTS}")
    return number, subject


def file_names(subjects: int = NUM_SUBJECTS):
    """The real file names: subject s holds images 10(s-1)+1 .. 10s."""
    for subject in range(1, subjects + 1):
        for n in range(PER_SUBJECT * (subject - 1) + 1, PER_SUBJECT * subject + 1):
            yield f"{n}_{subject}.jpg"


def write_fixture(artifacts_dir: Path, subjects: int = 4) -> dict[str, int]:
    """Flat ``<n>_<subject>.jpg`` members as in the real zip (70x80, grey), the last
    subject in colour like the real 41st."""
    members = {}
    for name in file_names(subjects):
        number, subject = number_and_subject(name)
        channels = 3 if subject == subjects else 1
        members[name] = _fixtures.jpeg_bytes(_fixtures.pixels(number, 80, 70, channels))
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[0].file, members)
    return _splits.tally(members, _splits.ALL)


olivetti_face = DatasetSpec(
    name="olivetti_face",
    description="The ORL / AT&T faces as repacked on Kaggle: 410 70x80 greyscale photos, 10 each of 41 people (the 40 ORL subjects and one added).",
    homepage="https://cam-orl.co.uk/facedatabase.html",
    citation=(
        "Samaria, F. S., Harter, A. C. Parameterisation of a stochastic model for human face "
        "identification. Proceedings of the 2nd IEEE Workshop on Applications of Computer Vision, 1994."
    ),
    license="unknown; credit AT&T Laboratories Cambridge (see homepage)",
    artifacts=ARTIFACTS,
    features=Features(channels=1, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # Hash draw over the real file names (tests/listings/olivetti_face.json).
    num_examples=_splits.tally(file_names(), _splits.ALL),
    unconfirmed=(
        KAGGLE_REPACKED
        + "; whether the zip puts a folder above the images (the evidence is an unpacked copy); "
          "who the 41st person is; the license"
    ),
    evidence=Evidence(
        "real listing",
        source="DennisLent/Facial-recognition@70d8193c6a56:images/archive/ (the Kaggle zip unpacked "
        "and committed: 410 JPEGs <n>_<subject>.jpg, 70x80, subjects 1-41 with 10 each, 41's in colour)",
        listing="olivetti_face.json",
    ),
)
