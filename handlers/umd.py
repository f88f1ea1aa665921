"""UMD high-resolution texture database: greyscale photos of 25 texture classes.

Homepage http://users.umiacs.umd.edu/~fer/website-texture/texture.htm (Xu, Ji,
Fermüller, "A projective invariant for textures", CVPR 2006). 40 images per class
(1,000), 1280x960, taken under varying viewpoint and scale. Two zips hold 12 and 13
class folders named by number (``1`` ... ``25``) at their root, PNG images inside; the
label is the folder number minus one. ``Thumbs.db`` and other non-PNG files are
ignored. No official split: every image is drawn into train/dev/dev-test/test
(0.56/0.12/0.12/0.20) by a hash of its member path.

Evidence: the provider's description, dm_nevis's reader (label = folder number - 1,
``.db`` files skipped), and a third-party loader (``setupUMD.m``, M. Cimpoi, built on
VLFeat) that unzips both archives into one folder, expects folder ``25`` at its top and
reads ``*.png`` from 25 class folders, 20 + 20 per class. The image file names were
not seen, so split sizes are not declared.
"""

from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

_HOST = "http://users.umiacs.umd.edu/~fer/High-resolution-data-base/"
ARTIFACTS = (
    Artifact("textures-1.zip", _HOST + "textures-1.zip", md5="818b5b13035374cffd4db604e718ddbf"),
    Artifact("textures-2.zip", _HOST + "textures-2.zip", md5="e9853d0f7eaa9e57c4756e9017d0cbc9"),
)

CLASS_NAMES = tuple(str(number) for number in range(1, 26))
_LABELS = {name: index for index, name in enumerate(CLASS_NAMES)}


def examples(artifacts_dir: Path):
    for artifact in ARTIFACTS:
        for name, data in _readers.zip_members(artifacts_dir / artifact.file, suffixes=(".png",)):
            label = _readers.folder_label(name, _LABELS, artifact.file)
            yield Example(key=name, image=data, label=label, split=_splits.by_fraction(name, _splits.ALL))


def write_fixture(artifacts_dir: Path, per_class: int = 8) -> dict[str, int]:
    """Two classes in each zip (1-12 in the first, 13-25 in the second), with Thumbs.db files."""
    keys = []
    for artifact, classes in zip(ARTIFACTS, ((1, 12), (13, 25)), strict=True):
        members = {}
        for number in classes:
            for i in range(1, per_class + 1):
                name = f"{number}/{number}_{i}.png"
                members[name] = _fixtures.png_bytes(_fixtures.pixels(number * 100 + i, 12, 16, 1))
                keys.append(name)
            members[f"{number}/Thumbs.db"] = b"\x00"
        _fixtures.write_zip(artifacts_dir / artifact.file, members)
    return _splits.tally(keys, _splits.ALL)


umd = DatasetSpec(
    name="umd",
    description="1,000 greyscale texture photos (1280x960) in 25 classes, 40 each, under varying viewpoint and scale.",
    homepage="http://users.umiacs.umd.edu/~fer/website-texture/texture.htm",
    citation="Xu, Y., Ji, H., Fermüller, C. A projective invariant for textures. CVPR 2006.",
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=1, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # The image file names are not documented, so the hash-split sizes are not known.
    num_examples=None,
    unconfirmed="the image file names inside the class folders; whether the homepage address still answers",
    evidence=Evidence(
        "documentation",
        source=(
            "provider page (25 classes x 40, 1280x960); deepmind/dm_nevis@37ccf1e2dd89:"
            "dm_nevis/datasets_storage/handlers/umd.py (folder number - 1, .db skipped); third-party "
            "setupUMD.m (M. Cimpoi, VLFeat): class folders 1..25 at the zips' root, *.png"
        ),
    ),
)
