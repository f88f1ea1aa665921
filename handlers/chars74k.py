"""Chars74K (English): characters 0-9, A-Z, a-z from scenes, tablet handwriting and fonts.

Homepage https://teodecampos.github.io/chars74k/ (de Campos, Babu, Varma, "Character
recognition in natural images", VISAPP 2009). Three tgz of PNGs in ``Sample<NNN>``
folders: ``English/Img/{GoodImg,BadImag}/Bmp/`` (cropped natural-scene characters; the
``Msk`` masks beside them are skipped), ``English/Hnd/Img/`` (tablet handwriting; the
``Trj`` trajectories are skipped) and ``English/Fnt/`` (rendered fonts, grey; all images
are stored RGB). Label = NNN - 1 (Sample001-062: digits, upper case, lower case).
``Lists.tgz`` holds per family ``English/<family>/lists.mat`` (``lists_var_size.mat``
is used only where no ``lists.mat`` exists), a struct ``list`` whose ``ALLnames`` (a
char matrix of paths relative to the family folder, without ``.png``) indexed by the
last column of ``TSTind`` (1-based) gives the official test images. Splits: those are
``test`` (dm_nevis computed and then discarded them); every other image goes to
train/dev/dev-test by a hash of its member path. A listed test name that matches no
image is an error. No de-duplication (dm_nevis de-duplicated by pixel hash).

Evidence: dm_nevis's reader of the same four archives (same md5s): family markers, the
``list`` struct's ten fields, the family taken from the list's folder. Loaders of the
extracted archives confirm the folders (``English/Img/GoodImg/Bmp``, ``BadImag/Bmp``,
``English/Hnd/Img``, ``English/Fnt``, editor ``*~`` files beside them) and read
``English/Img/lists.mat``'s names as ``<name>.png`` below ``English/Img``. No member list
was read, so no counts are declared.
"""

import io
import posixpath
from pathlib import Path

import numpy as np

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

_HOST = "http://www.ee.surrey.ac.uk/CVSSP/demos/chars74k/"
ARTIFACTS = tuple(Artifact(file, _HOST + file, md5=md5) for file, md5 in (
    ("EnglishImg.tgz", "85d157e0c58f998e1cda8def62bcda0d"),
    ("EnglishHnd.tgz", "95e9ee6d929809ef4c2f509f86388c72"),
    ("EnglishFnt.tgz", "f6710b1302a7e9693d904b16389d9d8a"),
    ("Lists.tgz", "8dfe916169fa10b86466776a4a1d7c5f"),
))
# family -> (archive, folder an image path must contain below English/<family>/)
FAMILIES = {"Img": ("EnglishImg.tgz", "/Bmp/"), "Hnd": ("EnglishHnd.tgz", "/Img/"), "Fnt": ("EnglishFnt.tgz", "")}
LIST_FILES = ("lists.mat", "lists_var_size.mat")

CLASS_NAMES = tuple("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def examples(artifacts_dir: Path):
    tests = _official_tests(artifacts_dir / "Lists.tgz")
    for family, (archive, marker) in FAMILIES.items():
        prefix, unmatched = f"English/{family}/", set(tests.get(family, ()))
        for name, data in _readers.tar_members(artifacts_dir / archive, suffixes=(".png",)):
            relative = name.removeprefix(prefix).removesuffix(".png")
            if not name.startswith(prefix) or marker not in f"/{relative}":
                continue
            is_test = relative in unmatched
            unmatched.discard(relative)
            sample = _readers.class_folder(name)
            yield Example(key=name, image=data, label=int(sample.removeprefix("Sample")) - 1,
                          split="test" if is_test else _splits.by_fraction(name, _splits.TR3))
        if unmatched:
            raise ValueError(f"{archive}: {len(unmatched)} official test images missing, e.g. {min(unmatched)}")


def _official_tests(lists: Path) -> dict[str, set[str]]:
    from scipy.io import loadmat

    found = {}
    for name, data in _readers.tar_members(lists, keep=lambda n: n.startswith("English/")):
        family, base = name.split("/")[1], posixpath.basename(name)
        if family in FAMILIES and base in LIST_FILES:
            found[family, base] = data
    tests = {}
    for family in FAMILIES:
        data = found.get((family, LIST_FILES[0]), found.get((family, LIST_FILES[1])))
        if data is not None:
            struct = loadmat(io.BytesIO(data))["list"][0, 0]
            names = np.atleast_1d(struct["ALLnames"])
            tests[family] = {str(names[int(i) - 1]).strip() for i in np.asarray(struct["TSTind"])[:, -1]}
    return tests


def write_fixture(artifacts_dir: Path) -> dict[str, int]:
    """The three families with their skipped side folders, and Lists.tgz with lists.mat files."""
    from scipy.io import savemat

    layouts = {"Img": ("GoodImg/Bmp/{s}/img{n}-{i:05d}", "BadImag/Bmp/{s}/img{n}-{i:05d}"),
               "Hnd": ("Img/{s}/img{n}-{i:03d}",), "Fnt": ("{s}/img{n}-{i:05d}",)}
    counts, lists = _splits.SplitSizes(), {"Kannada/Img/lists.mat": b"unused"}
    for f, (family, patterns) in enumerate(layouts.items()):
        members, names = {}, []
        for pattern in patterns:
            for c in (1, 11, 62):
                for i in range(1, 4):
                    relative = pattern.format(s=f"Sample{c:03d}", n=f"{c:03d}", i=i)
                    pixels = _fixtures.pixels(f * 1000 + c * 10 + i + len(names), 16, 12, 1 if family == "Fnt" else 3)
                    members[f"English/{family}/{relative}.png"] = _fixtures.png_bytes(pixels)
                    names.append(relative)
        members[f"English/{family}/Msk/Sample001/img001-00001.png" if family == "Img"
                else f"English/{family}/Trj/Sample001/img001-001.txt"] = b"skipped"
        _fixtures.write_tar(artifacts_dir / FAMILIES[family][0], members)
        test_rows = [row for row in range(len(names)) if row % 3 == 1]
        table = np.array([[row + 1 for row in reversed(test_rows)], [row + 1 for row in test_rows]], float).T
        buffer = _mat_bytes(savemat, {"list": {"ALLnames": np.array(names), "TSTind": table, "NUMclasses": 62.0}})
        lists[f"English/{family}/lists.mat"] = buffer
        for row, relative in enumerate(names):
            key = f"English/{family}/{relative}.png"
            split = "test" if row in test_rows else _splits.by_fraction(key, _splits.TR3)
            counts.add(split)
    lists["English/Img/lists_var_size.mat"] = b"not read: lists.mat exists"
    _fixtures.write_tar(artifacts_dir / "Lists.tgz", lists)
    return counts


def _mat_bytes(savemat, content) -> bytes:
    buffer = io.BytesIO()
    savemat(buffer, content)
    return buffer.getvalue()


chars74k = DatasetSpec(
    name="chars74k",
    description="English characters (62 classes) as natural-scene crops (about 7.7k), tablet handwriting (3,410) and computer fonts (about 63k).",
    homepage="https://teodecampos.github.io/chars74k/",
    citation="de Campos, T. E., Babu, B. R., Varma, M. Character recognition in natural images. VISAPP 2009.",
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # Image counts are only approximate at the provider; hash splits need the member names.
    num_examples=None,
    unconfirmed=(
        "ALLnames format for Hnd and Fnt (seen only for Img: relative to the family folder, no .png); "
        "which of lists.mat / lists_var_size.mat is authoritative where both exist"
    ),
    evidence=Evidence(
        "documentation",
        source=(
            "deepmind/dm_nevis@37ccf1e2dd894a13a8a4f6ceb150d2e7599301d0:dm_nevis/datasets_storage/handlers/"
            "chars74k.py (markers Bmp / Img / any .png under English/<family>/, lists.mat fields, "
            "test = ALLnames[TSTind[:, -1] - 1]); https://teodecampos.github.io/chars74k/ (7,705 / 3,410 / "
            "62,992 images)"
        ),
    ),
    dm_nevis_differences=(
        "dm_nevis computes the official test lists, then merges them back, de-duplicates by pixels and "
        "draws all images into the four splits; here the official test images are the test split, the "
        "rest is carved by a hash of the path, and nothing is de-duplicated."
    ),
)
