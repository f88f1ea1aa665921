"""UMIST (Sheffield) face database: greyscale faces of 20 people in poses from profile
to frontal.

Homepage http://eprints.lincoln.ac.uk/id/eprint/16081/ (Graham & Allinson, 1998). The
tar.gz holds one folder per subject, named ``1a`` ... ``1t``; the label is the folder
directly above the image, numbered in dm_nevis's order (1s, 1r, 1n, ...: the order its
reader listed, kept so that label ids match). Images are PGM files (other image
suffixes are read too; other members are ignored). Commonly cited as 564-575 images. No official split: every example is drawn
into train/dev/dev-test/test (0.56/0.12/0.12/0.20) by a hash of its member path.

Evidence: only dm_nevis's reader, which needs every file directly inside a subject
folder named exactly ``1a`` ... ``1t`` at the top of the tar; no listing, copy or
provider description of the tar's contents was found.
"""

from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact(
        "face.tar.gz",
        "http://eprints.lincoln.ac.uk/id/eprint/16081/1/face.tar.gz",
        md5="11011ab5dded043f5e4331711c2407c8",
    ),
)

# dm_nevis's label order.
CLASS_NAMES = ("1s", "1r", "1n", "1i", "1d", "1e", "1q", "1c", "1k", "1l", "1h", "1o", "1a", "1b",
               "1t", "1m", "1g", "1f", "1p", "1j")
# PGM is expected; other image suffixes are read too, since dm_nevis read every file.
IMAGE_SUFFIXES = (".pgm", ".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif")
_LABELS = {name: index for index, name in enumerate(CLASS_NAMES)}


def examples(artifacts_dir: Path):
    for name, data in _readers.tar_members(artifacts_dir / ARTIFACTS[0].file, suffixes=IMAGE_SUFFIXES):
        label = _readers.folder_label(name, _LABELS, ARTIFACTS[0].file)
        yield Example(key=name, image=data, label=label,
                      split=_splits.by_fraction(name, _splits.ALL))


def write_fixture(artifacts_dir: Path, per_class: int = 10) -> dict[str, int]:
    """Three subject folders of binary PGMs, plus a stray text file to ignore."""
    members, counts = [], _splits.SplitSizes()
    for c, subject in enumerate(("1a", "1g", "1t")):
        for i in range(per_class):
            name = f"{subject}/{subject}{i:03d}.pgm"
            members.append((name, _fixtures.pgm_bytes(_fixtures.pixels(c * 100 + i, 14, 12, 1))))
            split = _splits.by_fraction(name, _splits.ALL)
            counts.add(split)
    members.append(("1a/notes.txt", b"unused\n"))
    _fixtures.write_tar(artifacts_dir / ARTIFACTS[0].file, members)
    return counts



umist = DatasetSpec(
    name="umist",
    description="About 570 greyscale face images of 20 people, each in a range of poses from profile to frontal.",
    homepage="http://eprints.lincoln.ac.uk/id/eprint/16081/",
    citation="Graham, D. B., Allinson, N. M. Characterising Virtual Eigensignatures for General Purpose Face Recognition. In Face Recognition: From Theory to Applications, NATO ASI Series F 163, 1998.",
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=1, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # Member names (and the exact total) are not documented, so split sizes are unknown.
    num_examples=None,
    unconfirmed="the .pgm extension (dm_nevis reads every file, whatever its name) and the image count",
    evidence=Evidence(
        "unverified",
        source=(
            "deepmind/dm_nevis@37ccf1e2dd89:dm_nevis/datasets_storage/handlers/umist.py (label = the "
            "member's directory, exactly one of 1a..1t; label order)"
        ),
    ),
)
