"""IG02 (INRIA annotations for Graz-02): street photos containing bikes, cars or people.

Homepage https://lear.inrialpes.fr/people/marszalek/data/ig02/ (Marszałek, Schmid,
"Accurate Object Localization with Shape Masks", CVPR 2007; the photos are Graz-02 by
Opelt, Pinz et al., PAMI 2006). One zip per class: ``<class>/<name>.image.png`` are the
photos; the ``<name>.mask.<k>.png`` object masks beside them, ``<class>_info.txt`` and
the readme files are not used. The label is the zip's class. Splits follow the official
lists at the zip root: names in ``<class>_test.txt`` are ``test``; names in
``<class>_train.txt`` are carved into train/dev/dev-test (0.70/0.15/0.15) by a hash of
the member path. (dm_nevis ignores the test list and draws every image into ALL.) A
photo in neither or both lists, or a listed photo that is missing, fails the build. No
de-duplication (dm_nevis dedups by pixel hash).

Evidence: a tutorial's listing of the unzipped bikes and cars zips (``bikes/bike_001``
and ``cars/carsgraz_001`` photos with ``.mask.<k>.png`` beside them, the two lists and
``<class>_info.txt`` at the root, ``readme.txt`` in each zip, ``readme2.txt``), and
dm_nevis's reader (list lines are bare photo names). The people photos' prefix
(``person_``) and the lists' exact contents were not seen.
"""

import posixpath
from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

_HOST = "http://lear.inrialpes.fr/people/marszalek/data/ig02/"
CLASS_NAMES = ("bikes", "cars", "people")
# Photo name prefix per class (bikes and cars as listed; people's assumed).
_PREFIX = {"bikes": "bike", "cars": "carsgraz", "people": "person"}
ARTIFACTS = (
    Artifact("ig02-v1.0-bikes.zip", _HOST + "ig02-v1.0-bikes.zip", md5="13266fdf968176fa3aebdd439184254f"),
    Artifact("ig02-v1.0-cars.zip", _HOST + "ig02-v1.0-cars.zip", md5="34de933832755ee009c6f0e9d9c6426e"),
    Artifact("ig02-v1.0-people.zip", _HOST + "ig02-v1.0-people.zip", md5="f80d8d21f018197979c72b977986fd2f"),
)
SUFFIX = ".image.png"


def examples(artifacts_dir: Path):
    for label, (artifact, class_name) in enumerate(zip(ARTIFACTS, CLASS_NAMES, strict=True)):
        path = artifacts_dir / artifact.file
        lists = _official_lists(path, class_name)
        for name, data in _readers.zip_members(path, keep=lambda n, c=class_name: n.startswith(c + "/") and n.endswith(SUFFIX)):
            part = lists.pop(_stem(name), None)
            if part is None:
                raise ValueError(f"{artifact.file}: {name} is in neither {class_name}_train.txt nor {class_name}_test.txt")
            split = "test" if part == "test" else _splits.by_fraction(name, _splits.TR3)
            yield Example(key=name, image=data, label=label, split=split)
        if lists:
            raise ValueError(f"{artifact.file}: {len(lists)} listed photos are missing, e.g. {min(lists)}")


def write_fixture(artifacts_dir: Path) -> dict[str, int]:
    """Per zip: photos with their masks, both lists, the info file and the readmes."""
    counts = _splits.SplitSizes()
    for c, (artifact, class_name) in enumerate(zip(ARTIFACTS, CLASS_NAMES, strict=True)):
        members, lists = {}, {"train": [], "test": []}
        for i in range(1, 13):
            stem = f"{_PREFIX[class_name]}_{i:03d}"
            pixels = _fixtures.pixels(c * 100 + i, 24, 32, 3)
            members[f"{class_name}/{stem}{SUFFIX}"] = _fixtures.png_bytes(pixels)
            members[f"{class_name}/{stem}.mask.0.png"] = _fixtures.png_bytes(pixels[..., 0] // 128 * 255)
            part = "test" if i % 3 == 0 else "train"
            lists[part].append(stem)
            split = "test" if part == "test" else _splits.by_fraction(f"{class_name}/{stem}{SUFFIX}", _splits.TR3)
            counts.add(split)
        for part, stems in lists.items():
            members[f"{class_name}_{part}.txt"] = ("\n".join(stems) + "\n").encode()
        members[f"{class_name}_info.txt"] = b"unused\n"
        members["readme.txt"] = members["readme2.txt"] = b"IG02 v1.0\n"
        _fixtures.write_zip(artifacts_dir / artifact.file, sorted(members.items()))
    return counts


def _official_lists(path: Path, class_name: str) -> dict[str, str]:
    """photo stem -> "train" or "test", from the lists at the zip root."""
    lists: dict[str, str] = {}
    with _readers.open_zip(path) as archive:
        for part in ("train", "test"):
            for line in archive.read(f"{class_name}_{part}.txt").decode().splitlines():
                if line.strip():
                    stem = _stem(line.strip())
                    if stem in lists:
                        raise ValueError(f"{path.name}: {stem} is listed twice")
                    lists[stem] = part
    return lists


def _stem(name: str) -> str:
    return posixpath.basename(name).removesuffix(SUFFIX)


ig02 = DatasetSpec(
    name="ig02",
    description="Graz-02 street photos of bikes, cars and people (one class per photo), with the INRIA train/test lists.",
    homepage="https://lear.inrialpes.fr/people/marszalek/data/ig02/",
    citation="Marszałek, M., Schmid, C. Accurate Object Localization with Shape Masks. IEEE Conference on Computer Vision and Pattern Recognition (CVPR), 2007.",
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # The photo names are known only from the zips, so the hash-split sizes are not computed.
    num_examples=None,
    unconfirmed="the exact line format of <class>_train.txt / <class>_test.txt (taken as one photo name per line, with or without folder and .image.png suffix) and that the lists cover every photo",
    evidence=Evidence(
        "documentation",
        source="apple/turicreate@03063e41e4a0:userguide/object_detection/data-preparation.md (the tree of "
        "the unzipped bikes and cars zips); deepmind/dm_nevis@37ccf1e2dd89:dm_nevis/datasets_storage/"
        "handlers/ig02.py (<class>_{train,test}.txt at the zip root, lines = photo names without suffix)",
    ),
    dm_nevis_differences=(
        "dm_nevis means to read the official lists but takes every photo, de-duplicates by pixels and "
        "draws all into train/dev/dev-test/test; here the official test list is the test split and "
        "only the training list is carved, with no de-duplication."
    ),
)
