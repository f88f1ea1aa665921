"""The ORL (Olivetti / AT&T) Database of Faces: 400 92x112 greyscale photos, 10 of each of 40 people.

Taken 1992-1994 at the Olivetti Research Laboratory, Cambridge (Samaria & Harter, 1994);
homepage https://cam-orl.co.uk/facedatabase.html. Read from the Kaggle repack
``tavarez/the-orl-database-for-training-and-testing``. Its layout is not confirmed: dm_nevis
reads every image as ``<image>_<subject>.<ext>`` (subject 1-40 after the underscore),
while AT&T published ``s<subject>/<image>.pgm``. Both forms are accepted, anywhere in the
zip; any other image name, a subject outside 1-40 or the same (subject, image) twice is
an error, since that means the archive is not the layout this was written for. Other
files are ignored. Labels are subject - 1: 40 classes (dm_nevis declares 41, one never
used). No official split: every image is drawn into train/dev/dev-test/test
(0.56/0.12/0.12/0.20) by a hash of its member path.
"""

import posixpath
import re
from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import KAGGLE_REPACKED, Artifact, DatasetSpec

ARTIFACTS = (
    Artifact("the-orl-database-for-training-and-testing.zip",
             kaggle="tavarez/the-orl-database-for-training-and-testing",
             md5="09871495160825a485b0f2595ba2bb34"),
)
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".pgm", ".bmp", ".gif", ".tif", ".tiff")
NUM_SUBJECTS = 40
CLASS_NAMES = tuple(f"s{subject}" for subject in range(1, NUM_SUBJECTS + 1))

_FLAT = re.compile(r"(\d+)_(\d+)")  # <image>_<subject>, as dm_nevis reads the Kaggle zip
_FOLDER = re.compile(r"s(\d+)")  # s<subject>/<image>, as AT&T publishes it


def examples(artifacts_dir: Path):
    archive = ARTIFACTS[0].file
    seen: dict[tuple[int, int], str] = {}
    for name, data in _readers.zip_members(artifacts_dir / archive, suffixes=IMAGE_SUFFIXES):
        subject, image = subject_and_image(name)
        if (subject, image) in seen:
            raise ValueError(f"{archive}: {name} and {seen[subject, image]} are both image {image} "
                             f"of subject {subject}")
        seen[subject, image] = name
        yield Example(key=name, image=data, label=subject - 1, split=_splits.by_fraction(name, _splits.ALL))


def subject_and_image(name: str) -> tuple[int, int]:
    """(subject 1-40, image number) of a member named ``.../<image>_<subject>.<ext>`` or
    ``.../s<subject>/<image>.<ext>``."""
    stem = posixpath.splitext(posixpath.basename(name))[0]
    folder = posixpath.basename(posixpath.dirname(name))
    if flat := _FLAT.fullmatch(stem):
        image, subject = int(flat[1]), int(flat[2])
    elif (nested := _FOLDER.fullmatch(folder)) and stem.isdigit():
        subject, image = int(nested[1]), int(stem)
    else:
        raise ValueError(f"{ARTIFACTS[0].file}: {name} is named neither <image>_<subject> nor "
                         "s<subject>/<image>; the archive's layout differs from what this handler reads")
    if not 1 <= subject <= NUM_SUBJECTS:
        raise ValueError(f"{ARTIFACTS[0].file}: {name} names subject {subject}, outside 1-{NUM_SUBJECTS}")
    return subject, image


def write_fixture(artifacts_dir: Path, subjects: int = 4, images: int = 6) -> dict[str, int]:
    """Flat ``ORL/<image>_<subject>.jpg`` members (the form dm_nevis reads; the real folder
    name is a guess) and a README that is not an image."""
    members = {"README.txt": b"ORL faces, fixture\n"}
    for subject in range(1, subjects + 1):
        for image in range(1, images + 1):
            pixels = _fixtures.pixels(subject * 100 + image, 28, 23, 1)
            members[f"ORL/{image}_{subject}.jpg"] = _fixtures.jpeg_bytes(pixels)
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[0].file, members)
    return _splits.tally((name for name in members if name.endswith(".jpg")), _splits.ALL)


olivetti_face = DatasetSpec(
    name="olivetti_face",
    description="The ORL / AT&T Database of Faces: 400 greyscale face photos, 10 each of 40 people.",
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
    # 400 images, but the member paths (hence the hash draw) of the Kaggle zip are not known.
    num_examples=None,
    unconfirmed=(
        KAGGLE_REPACKED
        + "; the Kaggle zip's member names, folders and image format (dm_nevis reads "
          "<image>_<subject> stems; the fixture uses ORL/<image>_<subject>.jpg); whether it holds "
          "each image once; the license"
    ),
)
