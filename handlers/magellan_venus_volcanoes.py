"""Volcanoes on Venus (JARtool): 1024x1024 Magellan radar images, volcano or not.

Homepage https://archive.ics.uci.edu/ml/datasets/volcanoes+on+venus+-+jartool+experiment
(Burl, Asker, Smyth, Fayyad, Perona, Crumpler, Aubele, "Learning to recognize volcanoes
on Venus", Machine Learning 30, 1998). One tar.gz with three-level paths:
``package/Images/img<N>.sdt`` are raw unsigned bytes without a header (the ``.spr``
header files beside them are ignored; the square side is taken from the byte count,
1024 for the real images); ``package/GroundTruths/img<N>.lxyr`` list one volcano per row,
space-separated, the first field a confidence from 1 (definitely) to 4 (only a pit).
Label: 1 if any row of the image's ``.lxyr`` has confidence 1, else 0; every image must
have a ground-truth file (ground truths of absent images are ignored). Folders Chips,
FOA, Programs, Tables and the README are not used. 134 greyscale images (dm_nevis
counts 53 positives). The tar is streamed once: an image whose ground truth came
earlier is labelled at once, the others by an annotation when the stream ends. No
official split: every image is drawn into train/dev/dev-test/test by a hash of its
member path.

Evidence: a public copy of the package's Images and GroundTruths folders: img1..img134,
each ``.sdt`` 1,048,576 bytes (1024x1024) beside its ``.spr``; every image has an
``.lxyr`` (16 of them empty) and a ``.jtri``, and five images also have stale
``.lxyr-bad`` / ``.jtri-bad`` files, which the suffix filter skips. The rule above gives
53 positives, dm_nevis's figure. The ``package/`` top folder is dm_nevis's description
of the same tar; the split sizes are tallied over ``package/Images/img<N>.sdt``.
"""

import math
import posixpath
from pathlib import Path

from PIL import Image

from data.types import Annotation, Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact(
        "volcanoes.tar.gz",
        "http://archive.ics.uci.edu/ml/machine-learning-databases/volcanoes-mld/volcanoes.tar.gz",
        md5="55143a4ec42b626126c9b4ed618f59f8",
    ),
)

CLASS_NAMES = ("no definite volcano", "definite volcano")


def examples(artifacts_dir: Path):
    labels, unlabelled = {}, {}
    for name, data in _readers.tar_members(artifacts_dir / ARTIFACTS[0].file, suffixes=(".lxyr", ".sdt"),
                                           keep=lambda n: _folder(n) in ("GroundTruths", "Images")):
        if _folder(name) == "GroundTruths":
            labels[_stem(name)] = int(any(row.split()[:1] == ["1"] for row in data.decode("ascii").splitlines()))
            continue
        side = math.isqrt(len(data))
        if side * side != len(data):
            raise ValueError(f"{name}: {len(data)} bytes is not a square 8-bit image")
        if _stem(name) not in labels:
            unlabelled[name] = _stem(name)
        yield Example(key=name, image=Image.frombytes("L", (side, side), data),
                      label=labels.get(_stem(name)), split=_splits.by_fraction(name, _splits.ALL))
    for name, stem in unlabelled.items():
        if stem not in labels:
            raise ValueError(f"{ARTIFACTS[0].file}: no GroundTruths/{stem}.lxyr for {name}")
        yield Annotation(key=name, label=labels[stem])


def write_fixture(artifacts_dir: Path, count: int = 24) -> dict[str, int]:
    """The real tree: images with .spr headers, ground truths (some empty, some stale
    ``-bad`` copies, ``.jtri`` companions), unused folders.

    Half the ground truths precede the images and half follow them, so both orders are
    exercised (the real archive's member order is not known).
    """
    truths, images, counts = [], [], _splits.SplitSizes()
    for n in range(1, count + 1):
        images.append((f"package/Images/img{n}.sdt", _fixtures.pixels(n, 16, 16, 1).tobytes()))
        images.append((f"package/Images/img{n}.spr", b"2\n16\n0\n1.0\n16\n0\n1.0\n0\n"))
        rows = [f"{conf} {n * 3}.0 {n * 5}.0 {n % 7 + 2}.0\n" for conf in ((2, 3), (1, 4), ())[n % 3]]
        truths.append((f"package/GroundTruths/img{n}.lxyr", "".join(rows).encode()))
        truths.append((f"package/GroundTruths/img{n}.jtri", b"1 2 3 4 5 6\n"))
        if n % 5 == 0:  # stale ground truths, as five real images have
            truths.append((f"package/GroundTruths/img{n}.lxyr-bad", b"1 1.0 1.0 5.0\n"))
            truths.append((f"package/GroundTruths/img{n}.jtri-bad", b"1 2 3 4 5 6\n"))
        split = _splits.by_fraction(f"package/Images/img{n}.sdt", _splits.ALL)
        counts.add(split)
    half = len(truths) // 2
    members = [("package/README", b"fixture\n"), *truths[:half], *images, *truths[half:],
               ("package/Chips/exp_A1_Ctrn.sdt", bytes(64)), ("package/Tables/exp_A1.tbl", b"unused\n")]
    _fixtures.write_tar(artifacts_dir / ARTIFACTS[0].file, members)
    return counts


def _folder(name: str) -> str:
    """The folder a member sits in ("" at the top)."""
    return posixpath.basename(posixpath.dirname(name))


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
    # The hash split tallied over package/Images/img1..img134.sdt.
    num_examples={"train": 77, "dev": 14, "dev-test": 14, "test": 29},
    unconfirmed="the top folder's name (package/, as dm_nevis describes the tar), on which the split sizes rest",
    evidence=Evidence(
        "real listing",
        source="svkrishnaveni/PCA--Based_Image_recognition_to_classify_Volcanoes_on_Venus@"
        "b87b0da742b1004c3cc7407d37dab3cab2cc23b8:{Images,GroundTruths}/ (the package's two folders "
        "copied whole: 134 .sdt of 1,048,576 B, .spr, .lxyr with 53 confidence-1 images, .jtri, "
        "five .lxyr-bad/.jtri-bad)",
    ),
)
