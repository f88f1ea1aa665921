"""Caltech "archive" categories: rear views of cars (two collections) and side views of
motorbikes, as two classes.

Homepage https://data.caltech.edu/records/dvx6b-vsc46 (cars 2001; the other sets sit
beside it on data.caltech.edu). Collected for Weber, Welling, Perona, "Unsupervised
Learning of Models for Recognition", ECCV 2000, and Fergus, Perona, Zisserman, CVPR
2003. Each zip holds one tar: ``Cars_2001/cars_brad.tar`` and ``Cars_1999/cars_markus.tar``
(label ``car``), ``motorbikes_side/motorbikes_side.tar`` (label ``motorcycle``); the tar
is read as a stream from inside its zip, never unpacked. Members named ``README`` or
ending ``.mat`` are not images and are skipped. The faces, leaves, airplanes and
background sets of the same archive are not part of this dataset (dm_nevis downloads
``faces.tar`` without using it; it is not an artifact here). No official split: every
image is drawn into train/dev/dev-test/test (0.56/0.12/0.12/0.20) by a hash of its key
``<inner tar>/<member>``.

Evidence: no listing of the tars. dm_nevis unpacks the pinned zips, opens these three
inner paths and reads every member but ``README`` (matched as the whole member name,
so at the tar's root) and ``.mat`` files as an image; public code notes that the cars
tar holds its JPEGs at its root. The provider's record for the motorbikes describes 826
JPEGs and an ``ImageData.mat`` of their boxes (8 x 826): the ``.mat`` rule is needed.
The car collections' counts were not found.
"""

import posixpath
from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

_RECORDS = "https://data.caltech.edu/records/"
ARTIFACTS = (
    Artifact("Cars_2001.zip", _RECORDS + "dvx6b-vsc46/files/Cars_2001.zip?download=1",
             md5="e68efb9197ed6a9bc94ce46c79378d29"),
    Artifact("Cars_1999.zip", _RECORDS + "fmbpr-ezq86/files/Cars_1999.zip?download=1",
             md5="79b12e08cf5f711f27bbd3e9c6bf371f"),
    Artifact("motorbikes_side.zip", _RECORDS + "pxb2q-1e144/files/motorbikes_side.zip?download=1",
             md5="ac51dc40c8df085c6663f38307685079"),
)
CLASS_NAMES = ("car", "motorcycle")
# artifact -> (the tar inside it, label)
INNER = {
    "Cars_2001.zip": ("Cars_2001/cars_brad.tar", 0),
    "Cars_1999.zip": ("Cars_1999/cars_markus.tar", 0),
    "motorbikes_side.zip": ("motorbikes_side/motorbikes_side.tar", 1),
}


def examples(artifacts_dir: Path):
    for artifact in ARTIFACTS:
        tar_name, label = INNER[artifact.file]
        with _readers.nested_member(artifacts_dir / artifact.file, tar_name) as inner:
            for name, data in _readers.tar_members(inner, keep=_is_image):
                key = f"{tar_name}/{name}"
                yield Example(key=key, image=data, label=label, split=_splits.by_fraction(key, _splits.ALL))


def write_fixture(artifacts_dir: Path) -> dict[str, int]:
    """Each zip with its tar, everything at the tar's root (images, a README, a .mat of
    boxes); one greyscale JPEG."""
    counts = _splits.SplitSizes()
    for a, artifact in enumerate(ARTIFACTS):
        tar_name, _ = INNER[artifact.file]
        members = []
        for i in range(1, 11):
            grey = a == 0 and i == 3
            members.append((f"image_{i:04d}.jpg",
                            _fixtures.jpeg_bytes(_fixtures.pixels(a * 100 + i, 18, 24 + i % 3, 1 if grey else 3))))
            split = _splits.by_fraction(f"{tar_name}/image_{i:04d}.jpg", _splits.ALL)
            counts.add(split)
        members += [("README", b"unused\n"), ("ImageData.mat", b"MATLAB 5.0\n")]
        _fixtures.write_zip(artifacts_dir / artifact.file, {tar_name: _fixtures.tar_bytes(members, "w")})
    return counts


def _is_image(name: str) -> bool:
    return posixpath.basename(name) != "README" and not name.endswith(".mat")


caltech_categories = DatasetSpec(
    name="caltech_categories",
    description="Rear views of cars (1999 and 2001 collections) and side views of motorbikes from the Caltech archive, two classes.",
    homepage="https://data.caltech.edu/records/dvx6b-vsc46",
    citation="Fergus, R., Perona, P., Zisserman, A. Object Class Recognition by Unsupervised Scale-Invariant Learning. IEEE Conference on Computer Vision and Pattern Recognition (CVPR), 2003.",
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # The tars' member names are not known in advance, so the hash-split sizes are not either.
    num_examples=None,
    unconfirmed="the image names inside the three tars; the car collections' image counts",
    evidence=Evidence(
        "documentation",
        source="deepmind/dm_nevis@37ccf1e2dd89:dm_nevis/datasets_storage/handlers/caltech_categories.py "
        "(inner tar paths; every member but ^README$ and .mat read as an image); the CaltechDATA "
        "record 'Caltech Motorcycles 2001' (Perona 2022), its description as quoted in "
        "huggingface.co/datasets/syedashfaq/Motorcycles README.md (826 JPEGs, ImageData.mat 8 x 826)",
    ),
)
