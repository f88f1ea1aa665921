"""Animal (Bai et al.): binary silhouettes of 20 animal classes, commonly 100 per class.

Source: the non-rigid shape set of Xiang Bai, Wenyu Liu, Zhuowen Tu, "Integrating
contour and skeleton for shape classification" (ICCV Workshops 2009), formerly at
xiang.bai.googlepages.com (defunct; a mirror is needed). Two zips,
``non_rigid_shape_A.zip`` and ``non_rigid_shape_B.zip``, each holding
``non_rigid_shape_<A|B>/<class>/<class><n>.tif`` for different classes; the label is
the class folder, classes are the sorted union below (dm_nevis built them from sets,
per zip, so its ids were unstable). An unknown class folder is an error. Stored as
greyscale. No official split: every image is drawn into train/dev/dev-test/test by a
hash of ``<zip>/<member path>``.

Evidence: no listing of either zip. dm_nevis takes the second path component of every
member after the first as a class; public code opens
``non_rigid_shape_A/non_rigid_shape_A/deer/deer18.tif`` and ``.../cow/cow18.tif`` after
unzipping, and moves ``non_rigid_shape_A/*`` and ``non_rigid_shape_B/*`` into one folder
of ``.tif`` files per class (fish, tortoise, hen, butterfly, leopard, rabbit, duck,
bird, dolphine, elephant among them).
"""

import io
from pathlib import Path

from PIL import Image

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

_HOST = "http://xiang.bai.googlepages.com/"
ARTIFACTS = (
    Artifact("non_rigid_shape_A.zip", _HOST + "non_rigid_shape_A.zip", md5="d88d44dc6d2382de3a5857d86fb5d430"),
    Artifact("non_rigid_shape_B.zip", _HOST + "non_rigid_shape_B.zip", md5="dae4a05b9797a3109078d1553173b9a8"),
)
SUFFIXES = (".tif", ".tiff", ".png", ".bmp", ".gif", ".jpg")

# "dolphine" is the provider's spelling.
CLASS_NAMES = tuple(sorted("""
bird butterfly cat cow crocodile deer dog dolphine duck elephant fish flyingbird hen horse leopard
monkey rabbit rat spider tortoise
""".split()))
_LABELS = {name: index for index, name in enumerate(CLASS_NAMES)}


def examples(artifacts_dir: Path):
    for artifact in ARTIFACTS:
        for name, data in _readers.zip_members(artifacts_dir / artifact.file, suffixes=SUFFIXES):
            label = _readers.folder_label(name, _LABELS, artifact.file)
            key = f"{artifact.file}/{name}"
            yield Example(key=key, image=data, label=label, split=_splits.by_fraction(key, _splits.ALL))


def write_fixture(artifacts_dir: Path, per_class: int = 7) -> dict[str, int]:
    """Both zips with disjoint classes; 1-bit and 8-bit TIFF silhouettes; junk beside them."""
    keys = []
    for z, (artifact, classes) in enumerate(zip(ARTIFACTS, (("cow", "deer"), ("dolphine",)), strict=True)):
        top = artifact.file.removesuffix(".zip")
        members = {f"{top}/Thumbs.db": b"junk"}
        for c, folder in enumerate(classes):
            for i in range(1, per_class + 1):
                name = f"{top}/{folder}/{folder}{i}.tif"
                shape = _fixtures.pixels(z * 100 + c * 10 + i, 24, 20 + i, 1) > 128
                members[name] = _tiff_bytes(Image.fromarray(shape) if i % 2 else Image.fromarray(shape.astype("uint8") * 255))
                keys.append(f"{artifact.file}/{name}")
        _fixtures.write_zip(artifacts_dir / artifact.file, members)
    return _splits.tally(keys, _splits.ALL)


def _tiff_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="TIFF")
    return buffer.getvalue()


animal = DatasetSpec(
    name="animal",
    description="About 2,000 binary animal silhouettes in 20 classes (the Bai et al. non-rigid shape set).",
    homepage="http://xiang.bai.googlepages.com/",  # defunct; no successor page is known
    citation="Bai, X., Liu, W., Tu, Z. Integrating contour and skeleton for shape classification. ICCV Workshops (NORDIA) 2009.",
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=1, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # Image counts and names per class are not confirmed (about 100 per class).
    num_examples=None,
    unconfirmed=(
        "eight of the 20 class folder names, guessed: cat crocodile dog flyingbird horse monkey rat "
        "spider (the other twelve are seen in public code); which zip holds which classes; a live mirror"
    ),
    evidence=Evidence(
        "unverified",
        source="deepmind/dm_nevis@37ccf1e2dd89:dm_nevis/datasets_storage/handlers/animal.py (class = "
        "second path component of each member after the first; label = parent folder)",
    ),
    dm_nevis_differences="Classes are the sorted union of the class folders; dm_nevis numbered each "
    "zip's folders in the order of a Python set and concatenated the two lists, so its ids vary between runs.",
)
