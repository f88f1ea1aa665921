"""MPEG-7 CE-Shape-1: binary silhouettes of 70 shape classes, 20 images each (1,400).

Homepage https://dabi.temple.edu/external/shape/MPEG7/dataset.html (Latecki, Lakämper,
Eckhardt, "Shape descriptors for non-rigid shapes with a single closed contour", CVPR
2000; packaged at Temple University). The zip holds GIFs named ``<class>-<n>.gif`` in
one folder, ``original/``; the label is the text before the first ``-``, case-sensitive
as stored (``Bone``, ``HCircle`` ... beside ``apple``). Ten classes number their images
``01``..``20`` with a leading zero, the other 60 ``1``..``20``. Six extra files
(``confusions`` and ``shapedata`` in .gif/.eps/.fig) are not shapes and are ignored, as
are members that do not follow the pattern. No official split: every image is drawn
into train/dev/dev-test/test (0.56/0.12/0.12/0.20) by a hash of its file name (so the
split does not depend on the folder the zip uses).

Evidence: a copy of the zip whose md5 equals the pinned one (its member list is
``tests/listings/mpeg7.json``).
"""

import posixpath
import re
from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _gif, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact(
        "MPEG7dataset.zip",
        "https://dabi.temple.edu/external/shape/MPEG7/MPEG7dataset.zip",
        md5="bedd54856c425dcc6e242515c4f67d75",
    ),
)

CLASS_NAMES = tuple(sorted("""
Bone Comma Glas HCircle Heart Misk apple bat beetle bell bird bottle brick butterfly camel car
carriage cattle cellular_phone chicken children chopper classic crown cup deer device0 device1
device2 device3 device4 device5 device6 device7 device8 device9 dog elephant face fish flatfish
fly fork fountain frog guitar hammer hat horse horseshoe jar key lizzard lmfish octopus pencil
personal_car pocket rat ray sea_snake shoe spoon spring stef teddy tree truck turtle watch
""".split()))
_LABELS = {name: index for index, name in enumerate(CLASS_NAMES)}
_SHAPE = re.compile(r"([^-]+)-(\d+)\.gif")
_NOT_SHAPES = ("confusion", "shapedata")
PER_CLASS = 20
# Classes whose images are numbered 01..20 in the real zip (the rest 1..20).
ZERO_PADDED = frozenset("bottle brick car carriage chopper fountain rat stef teddy truck".split())
_EXTRAS = tuple(f"{stem}.{ext}" for stem in ("confusions", "shapedata") for ext in ("eps", "fig", "gif"))


def member_base(token: str, number: int) -> str:
    """The real file name of image ``number`` of class ``token``."""
    return f"{token}-{number:02d}.gif" if token in ZERO_PADDED else f"{token}-{number}.gif"


def examples(artifacts_dir: Path):
    for name, data in _readers.zip_members(artifacts_dir / ARTIFACTS[0].file, suffixes=(".gif",)):
        base = posixpath.basename(name)
        match = _SHAPE.fullmatch(base)
        if not match or any(word in base for word in _NOT_SHAPES):
            continue
        token = match.group(1)
        if token not in _LABELS:
            raise ValueError(f"{ARTIFACTS[0].file}: unknown shape class {token!r} ({name})")
        yield Example(key=name, image=data, label=_LABELS[token], split=_splits.by_fraction(base, _splits.ALL))


def write_fixture(artifacts_dir: Path, per_class: int = 8) -> dict[str, int]:
    """GIF silhouettes of three classes (one capitalised, one zero-padded), plus the six
    non-shape extras, all under ``original/`` as in the real zip."""
    members, names = {}, []
    for c, token in enumerate(("Bone", "car", "lizzard")):
        for n in range(1, per_class + 1):
            base = member_base(token, n)
            mask = (_fixtures.pixels(c * 100 + n, 18, 14, 1) > 128).astype("uint8") * 255
            members[f"original/{base}"] = _gif.gif_bytes(mask, binary=True)
            names.append(base)
    for extra in _EXTRAS:
        members[f"original/{extra}"] = b"GIF89a" if extra.endswith(".gif") else b"%!PS\n"
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[0].file, members)
    return _splits.tally(names, _splits.ALL)


mpeg7 = DatasetSpec(
    name="mpeg7",
    description="1,400 binary shape silhouettes in 70 classes (MPEG-7 core experiment CE-Shape-1).",
    homepage="https://dabi.temple.edu/external/shape/MPEG7/dataset.html",
    citation="Latecki, L. J., Lakämper, R., Eckhardt, U. Shape descriptors for non-rigid shapes with a single closed contour. CVPR 2000.",
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=1, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # Hash splits of the real file names (tests/listings/mpeg7.json).
    num_examples=_splits.tally(
        (member_base(c, n) for c in CLASS_NAMES for n in range(1, PER_CLASS + 1)), _splits.ALL
    ),
    unconfirmed="the homepage address",
    evidence=Evidence(
        "real artifact",
        source="mzucker/fit_colormaps@4e4402a39db8a8545a427f51fa2421f27ce6ce8d:MPEG7dataset.zip "
        "(3,380,427 B, md5 = the pinned one: 1,406 members under original/, 70 classes x 20; "
        "ten classes numbered 01..20)",
        listing="mpeg7.json",
    ),
)
