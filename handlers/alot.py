"""ALOT (Amsterdam Library of Textures): 250 rough textures photographed under varying
viewing and illumination directions and illumination colour.

Homepage https://aloi.science.uva.nl/public_alot/ (Burghouts, Geusebroek, "Material-
specific adaptation of color invariant features", Pattern Recognition Letters, 2009).
The quarter-resolution release, one tar in colour (``alot_png4.tar``) and one in grey
(``alot_grey4.tar``); both lay images out as ``<top folder>/<class number>/<image>.png``,
classes numbered 1..250, documented as 100 images each (25,000). The label is the class
number minus one; non-PNG members are ignored. No official split: every image is drawn
into train/dev/dev-test/test (0.56/0.12/0.12/0.20) by a hash of ``<class>/<file name>``,
so the colour and grey variants split identically whatever their top folders are called.

Evidence: no listing of the tars. dm_nevis labels every member after the first (the
top folder) by its second path component, so the class folders sit directly under
one top folder; public code unpacks the grey tar to ``grey4/<class>/`` and names
images ``<class>_c1l1.png``, ``<class>_cli.png``. The 25,000 total is the provider's.
"""

import functools
import posixpath
from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

_HOST = "http://aloi.science.uva.nl/public_alot/tars/"
ARTIFACTS = {
    "colour": (Artifact("alot_png4.tar", _HOST + "alot_png4.tar", md5="c3f489c9072d3469e43225c5906e01e2"),),
    "grey": (Artifact("alot_grey4.tar", _HOST + "alot_grey4.tar", md5="0f5b72b1fe1ac8381821d45e5087dd99"),),
}

CLASS_NAMES = tuple(str(number) for number in range(1, 251))
_LABELS = {name: index for index, name in enumerate(CLASS_NAMES)}


def examples(artifacts_dir: Path, variant: str):
    artifact = ARTIFACTS[variant][0]
    for name, data in _readers.tar_members(artifacts_dir / artifact.file, suffixes=(".png",)):
        folder = _readers.class_folder(name)
        if folder not in _LABELS:
            raise ValueError(f"{artifact.file}: {name} is not in a class folder 1..250")
        split_key = f"{folder}/{posixpath.basename(name)}"
        yield Example(key=name, image=data, label=_LABELS[folder], split=_splits.by_fraction(split_key, _splits.ALL))


def write_fixture(artifacts_dir: Path, variant: str, per_class: int = 8) -> dict[str, int]:
    """Three class folders under a top folder, plus a stray text file."""
    top, channels = ("png4", 3) if variant == "colour" else ("grey4", 1)
    members, split_keys = [(f"{top}/readme.txt", b"unused\n")], []
    for number in (1, 17, 250):
        for i in range(per_class):
            base = f"{number}_cli.png" if i == 0 else f"{number}_c{i % 4 + 1}l{i // 4 + 1}.png"
            members.append((f"{top}/{number}/{base}", _fixtures.png_bytes(_fixtures.pixels(number * 100 + i, 12, 16, channels))))
            split_keys.append(f"{number}/{base}")
    _fixtures.write_tar(artifacts_dir / ARTIFACTS[variant][0].file, members, mode="w")
    return _splits.tally(split_keys, _splits.ALL)


def _spec(variant: str) -> DatasetSpec:
    return DatasetSpec(
        name="alot" if variant == "colour" else "alot_grey",
        description=f"{'Colour' if variant == 'colour' else 'Greyscale'} photos of 250 textures (quarter resolution), 100 per texture under varying viewing and illumination conditions.",
        homepage="https://aloi.science.uva.nl/public_alot/",
        citation="Burghouts, G. J., Geusebroek, J.-M. Material-specific adaptation of color invariant features. Pattern Recognition Letters 30(3):306-313, 2009.",
        license="unknown; see homepage (free for research)",
        artifacts=ARTIFACTS[variant],
        features=Features(channels=3 if variant == "colour" else 1, class_names=CLASS_NAMES),
        examples=functools.partial(examples, variant=variant),
        write_fixture=functools.partial(write_fixture, variant=variant),
        # Image file names are not documented, so the hash-split sizes are not known.
        num_examples=None,
        source="alot",
        unconfirmed="the image file names (seen only in public code) and the 25,000 image count",
        evidence=Evidence(
            "unverified",
            source="deepmind/dm_nevis@37ccf1e2dd89:dm_nevis/datasets_storage/handlers/alot.py (label = "
            "second path component - 1 for every member after the first); the provider's page (250 "
            "classes, 100 images each)",
        ),
    )


alot = _spec("colour")
alot_grey = _spec("grey")
