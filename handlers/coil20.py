"""COIL-20: greyscale photos of objects on a turntable, one every 5 degrees of rotation.

Homepage https://www.cs.columbia.edu/CAVE/software/softlib/coil-20.php (Nene, Nayar,
Murase, Columbia technical report CUCS-005-96, 1996). Two zips, one per variant:
``coil-20-proc.zip`` holds ``coil-20-proc/obj<N>__<k>.png`` (20 objects, background
removed, size normalised; pose k = 0..71, 1,440 images), ``coil-20-unproc.zip`` holds
``coil-20-unproc/obj<N>__<k>.png`` (unprocessed originals). The label is the object
number N (obj1 -> 0); the objects are not named by the provider. Members not matching
that pattern are ignored. The PNGs are greyscale and are stored as RGB (3 channels),
as dm_nevis declares. No official split: every image is drawn into train/dev/dev-test/
test (0.56/0.12/0.12/0.20) by a hash of its member path.

Evidence: dm_nevis's reader, written against the same two zips (same md5s), quotes their
first members (``coil-20-proc/obj1__11.png``, ``coil-20-unproc/obj1__11.png``: pose
numbers unpadded), and loaders read ``obj<1..20>__<0..71>.png`` from the extracted
processed zip, so the processed variant's 1,440 names and their hash splits are
known. No member list of either zip was read.
"""

import functools
import re
from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

_HOST = "http://www.cs.columbia.edu/CAVE/databases/SLAM_coil-20_coil-100/coil-20/"
ARTIFACTS = {
    "proc": (Artifact("coil-20-proc.zip", _HOST + "coil-20-proc.zip", md5="464dec76a6abfcd00e8de6cf1e7d0acc"),),
    "unproc": (Artifact("coil-20-unproc.zip", _HOST + "coil-20-unproc.zip", md5="a04fd3c91db987e5e634e7e0945a430a"),),
}
OBJECTS = {"proc": 20, "unproc": 5}
POSES = 72

CLASS_NAMES = {variant: tuple(f"obj{n}" for n in range(1, count + 1)) for variant, count in OBJECTS.items()}


def examples(artifacts_dir: Path, variant: str):
    pattern = re.compile(rf"coil-20-{variant}/obj(\d+)__(\d+)\.png")
    for name, data in _readers.zip_members(artifacts_dir / ARTIFACTS[variant][0].file):
        match = pattern.fullmatch(name)
        if not match:
            continue
        label = int(match.group(1)) - 1
        if not 0 <= label < OBJECTS[variant]:
            raise ValueError(f"{name}: object {label + 1} outside obj1..obj{OBJECTS[variant]}")
        yield Example(key=name, image=data, label=label, split=_splits.by_fraction(name, _splits.ALL))


def write_fixture(artifacts_dir: Path, variant: str, poses: int = 8) -> dict[str, int]:
    """Three objects' poses, a stray text file and a Thumbs.db to ignore."""
    members, keys = {}, []
    for n in (1, 2, OBJECTS[variant]):
        for k in range(poses):
            name = f"coil-20-{variant}/obj{n}__{k}.png"
            members[name] = _fixtures.png_bytes(_fixtures.pixels(n * 100 + k, 16, 16, 1))
            keys.append(name)
    members[f"coil-20-{variant}/readme.txt"] = b"unused\n"
    members[f"coil-20-{variant}/Thumbs.db"] = b"\x00"
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[variant][0].file, members)
    return _splits.tally(keys, _splits.ALL)


def _spec(variant: str) -> DatasetSpec:
    proc = variant == "proc"
    keys = (f"coil-20-proc/obj{n}__{k}.png" for n in range(1, 21) for k in range(POSES))
    return DatasetSpec(
        name="coil20" if proc else "coil20_unproc",
        description=("1,440 greyscale images of 20 objects, 72 poses each, background removed and size normalised."
                     if proc else "Unprocessed greyscale images of COIL-20 objects, 72 poses each (background not removed)."),
        homepage="https://www.cs.columbia.edu/CAVE/software/softlib/coil-20.php",
        citation="Nene, S. A., Nayar, S. K., Murase, H. Columbia Object Image Library (COIL-20). Technical Report CUCS-005-96, Columbia University, 1996.",
        license="unknown; see homepage (research use)",
        artifacts=ARTIFACTS[variant],
        features=Features(channels=3, class_names=CLASS_NAMES[variant]),
        examples=functools.partial(examples, variant=variant),
        write_fixture=functools.partial(write_fixture, variant=variant),
        # Member names are obj<N>__<k>.png with k = 0..71, so the hash splits are known.
        # The unprocessed zip's size is not: the report describes 10 objects (720 images),
        # dm_nevis 5 objects (350 examples).
        num_examples=_splits.tally(keys, _splits.ALL) if proc else None,
        source="coil20",
        unconfirmed=("that the zip holds nothing else named obj<N>__<k>.png (no member list read)" if proc else
                     "the image count of coil-20-unproc.zip (dm_nevis and loaders of the extracted zip see 5 objects "
                     "x 72 poses, dm_nevis notes 350; the technical report describes 10 objects)"),
        evidence=Evidence(
            "documentation",
            source=(
                "deepmind/dm_nevis@37ccf1e2dd894a13a8a4f6ceb150d2e7599301d0:"
                "dm_nevis/datasets_storage/handlers/coil20.py (first members of both zips quoted; 20 and 5 "
                "objects; md5s as pinned); metalearning/JULE-TensorFlow@494a419b324848f58df3cc0d9f3a87fdd97e1482:"
                "data.py (reads obj<1..20>__<0..71>.png from the extracted processed zip); technical report "
                "CUCS-005-96"
            ),
        ),
        dm_nevis_differences=(
            "" if proc else
            "dm_nevis declares 5 classes but maps any obj<N> to N - 1; here an object number above 5 "
            "fails the build instead of producing a label outside the declared classes."
        ),
    )


coil20 = _spec("proc")
coil20_unproc = _spec("unproc")
