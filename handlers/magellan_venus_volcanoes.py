"""Volcanoes on Venus (JARtool): 1024x1024 Magellan radar images, volcano or not.

Homepage https://archive.ics.uci.edu/ml/datasets/volcanoes+on+venus+-+jartool+experiment
(Burl, Asker, Smyth, Fayyad, Perona, Crumpler, Aubele, "Learning to recognize volcanoes
on Venus", Machine Learning 30, 1998). One tar.gz with three-level paths:
``package/Images/img<N>.sdt`` are raw unsigned bytes without a header (the ``.spr``
header files beside them are ignored; the square side is taken from the byte count,
1024 for the real images); ``package/GroundTruths/img<N>.lxyr`` list one volcano per row,
space-separated, the first field a confidence from 1 (definitely) to 4 (only a pit).
Label: 1 if any row of the image's ``.lxyr`` has confidence 1, else 0; every image must
have a ground-truth file. Folders Chips, FOA, Programs, Tables and the README are not
used. 134 greyscale images (dm_nevis counts 53 positives). The archive is read twice
(labels, then images) rather than held in memory. No official split: every image is
drawn into train/dev/dev-test/test by a hash of its member path.
"""

import math
import posixpath
from pathlib import Path

from PIL import Image

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec

ARTIFACTS = (
    Artifact(
        "volcanoes.tar.gz",
        "http://archive.ics.uci.edu/ml/machine-learning-databases/volcanoes-mld/volcanoes.tar.gz",
        md5="55143a4ec42b626126c9b4ed618f59f8",
    ),
)

CLASS_NAMES = ("no definite volcano", "definite volcano")


def examples(artifacts_dir: Path):
    archive = artifacts_dir / ARTIFACTS[0].file
    labels = {
        _stem(name): int(any(row.split()[:1] == ["1"] for row in data.decode("ascii").splitlines()))
        for name, data in _readers.tar_members(archive, suffixes=(".lxyr",), keep=_in("GroundTruths"))
    }
    for name, data in _readers.tar_members(archive, suffixes=(".sdt",), keep=_in("Images")):
        if _stem(name) not in labels:
            raise ValueError(f"{ARTIFACTS[0].file}: no GroundTruths/{_stem(name)}.lxyr for {name}")
        side = math.isqrt(len(data))
        if side * side != len(data):
            raise ValueError(f"{name}: {len(data)} bytes is not a square 8-bit image")
        yield Example(key=name, image=Image.frombytes("L", (side, side), data),
                      label=labels[_stem(name)], split=_splits.by_fraction(name, _splits.ALL))


def write_fixture(artifacts_dir: Path, count: int = 24) -> dict[str, int]:
    """The real tree: images with .spr headers, ground truths (some empty), unused folders."""
    members, counts = {"package/README": b"fixture\n"}, {}
    for n in range(1, count + 1):
        members[f"package/Images/img{n}.sdt"] = _fixtures.pixels(n, 16, 16, 1).tobytes()
        members[f"package/Images/img{n}.spr"] = b"2\n16\n0\n1.0\n16\n0\n1.0\n0\n"
        rows = [f"{conf} {n * 3}.0 {n * 5}.0 {n % 7 + 2}.0\n" for conf in ((2, 3), (1, 4), ())[n % 3]]
        members[f"package/GroundTruths/img{n}.lxyr"] = "".join(rows).encode()
        split = _splits.by_fraction(f"package/Images/img{n}.sdt", _splits.ALL)
        counts[split] = counts.get(split, 0) + 1
    members["package/Chips/exp_A1_Ctrn.sdt"] = bytes(64)
    members["package/Tables/exp_A1.tbl"] = b"unused\n"
    _fixtures.write_tar(artifacts_dir / ARTIFACTS[0].file, members)
    return counts


def _in(folder: str):
    return lambda name: name.split("/")[-2:-1] == [folder]


def _stem(name: str) -> str:
    return posixpath.splitext(posixpath.basename(name))[0]


magellan_venus_volcanoes = DatasetSpec(
    name="magellan_venus_volcanoes",
    description="134 Magellan SAR images of Venus (1024x1024, grey), labelled by whether a definite volcano is present.",
    homepage="https://archive.ics.uci.edu/ml/datasets/volcanoes+on+venus+-+jartool+experiment",
    citation=(
        "Burl, M. C., Asker, L., Smyth, P., Fayyad, U., Perona, P., Crumpler, L., Aubele, J. "
        "Learning to recognize volcanoes on Venus. Machine Learning 30(2-3), 1998."
    ),
    license="Creative Commons Attribution 4.0 International (CC BY 4.0)",
    artifacts=ARTIFACTS,
    features=Features(channels=1, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # Images are probably img1..img134, which would fix the split sizes; not confirmed offline.
    num_examples=None,
    unconfirmed="image numbering img1..img134 (so split sizes are left open)",
)
