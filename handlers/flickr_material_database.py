"""Flickr Material Database (FMD): photos of surfaces of ten common materials.

Homepage https://people.csail.mit.edu/lavanya/fmd.html (Sharan, Rosenholtz, Adelson,
"Accuracy and speed of material categorization in real-world images", Journal of
Vision, 2014). 100 Flickr photos per material (1,000), each 512x384, half close-ups,
half regular views. The zip holds ``image/<class>/<class>_<object|moderate|final>_
<NNN>_new.jpg`` beside ``mask/`` folders of binary masks; only JPEGs directly inside a
class folder of ``image/`` are examples (masks, MATLAB ``.m``/``.asv`` files and
``Thumbs.db`` are ignored). The label is that class folder. A few photos may be
greyscale; they are stored as RGB. No official split: every image is drawn into
train/dev/dev-test/test (0.56/0.12/0.12/0.20) by a hash of its member path.

Evidence: a public listing of the zip's ``image/`` tree (replayed from
``tests/listings/flickr_material_database.json``): 100 photos per material, named
``object`` / ``moderate`` (50 each) except foliage's, all ``final``; the side files sit
inside class folders (``fabric/normalizeImage.m`` and ``.asv``, ``foliage/Thumbs.db``).
The ``mask/`` tree was not listed.
"""

from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact(
        "FMD.zip",
        "http://people.csail.mit.edu/celiu/CVPR2010/FMD/FMD.zip",
        md5="0721ba72cd981aa9599a81bbfaaebd75",
    ),
)

CLASS_NAMES = ("fabric", "foliage", "glass", "leather", "metal", "paper", "plastic", "stone", "water", "wood")
_LABELS = {name: index for index, name in enumerate(CLASS_NAMES)}


def examples(artifacts_dir: Path):
    for name, data in _readers.zip_members(artifacts_dir / ARTIFACTS[0].file, suffixes=(".jpg",), keep=_is_photo):
        label = _readers.folder_label(name, _LABELS, ARTIFACTS[0].file)
        yield Example(key=name, image=data, label=label, split=_splits.by_fraction(name, _splits.ALL))


def write_fixture(artifacts_dir: Path, per_class: int = 8) -> dict[str, int]:
    """Photos (one greyscale) and masks of three materials, foliage's named ``final``,
    with the side files where the real zip has them."""
    members, keys = {}, []
    for c, material in enumerate(("fabric", "foliage", "metal")):
        for i in range(1, per_class + 1):
            kind = "final" if material == "foliage" else ("object", "moderate")[i % 2]
            base = f"{material}_{kind}_{i:03d}_new.jpg"
            grey = c == 2 and i == 3
            members[f"image/{material}/{base}"] = _fixtures.jpeg_bytes(_fixtures.pixels(c * 100 + i, 12, 16, 1 if grey else 3))
            members[f"mask/{material}/{base}"] = _fixtures.jpeg_bytes(_fixtures.pixels(500 + i, 12, 16, 1))
            keys.append(f"image/{material}/{base}")
    members["image/fabric/normalizeImage.m"] = b"% unused\n"
    members["image/fabric/normalizeImage.asv"] = b"% unused\n"
    members["image/foliage/Thumbs.db"] = b"\x00"
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[0].file, members)
    return _splits.tally(keys, _splits.ALL)


def _is_photo(name: str) -> bool:
    parts = name.split("/")
    return len(parts) >= 3 and parts[-3] == "image"


flickr_material_database = DatasetSpec(
    name="flickr_material_database",
    description="1,000 Flickr photos of ten materials (fabric, foliage, glass, leather, metal, paper, plastic, stone, water, wood), 100 each.",
    homepage="https://people.csail.mit.edu/lavanya/fmd.html",
    citation="Sharan, L., Rosenholtz, R., Adelson, E. H. Accuracy and speed of material categorization in real-world images. Journal of Vision 14(9):12, 2014.",
    license="unknown; see homepage (photos from Flickr under their authors' licenses)",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # The hash split tallied over the real member names.
    num_examples={"train": 570, "dev": 134, "dev-test": 116, "test": 180},
    evidence=Evidence(
        "real listing",
        source="DongHappyyy/DBTrans@330c43d09997db40d0c5a5a388a51d5f58cddcca:datasets/FMD/splits/"
        "{train1,test1}.txt (the image/<class>/ folders' contents: 1,000 photos and three side files)",
        listing="flickr_material_database.json",
    ),
)
