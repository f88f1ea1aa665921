"""Food-101N: web photos of the 101 Food-101 dishes, labelled by the search that found
them (noisy labels), of which about 57,600 carry a human verification.

Homepage https://kuanghuei.github.io/Food-101N/ (Lee, He, Zhang, Yang, "CleanNet:
Transfer Learning for Scalable Image Classifier Training with Label Noise", CVPR 2018).
One zip from Google Drive: ``Food-101N_release/images/<dish>/<hash>.jpg`` (about
310,000 photos; label = the dish folder, classes and ids as in ``food101``) and
``Food-101N_release/meta/verified_{train,val}.tsv``: a header line, then
``<dish>/<file>.jpg<TAB><0 or 1>``. As in dm_nevis, only the listed photos are used and
the verification flag is not (photos whose web label a human rejected are kept: the
labels stay noisy, which is the point of the set); unlisted photos are skipped.
Splits: ``verified_val`` (4,741 rows) is ``test``; ``verified_train`` (52,868 rows) is
carved into train/dev/dev-test by the TR3 fractions on a hash of the member path. The
zip is random-access, so the lists are read first and only listed photos are inflated.
One training row, ``hot_and_sour_soup/a49e6fb26e356c6c41a37b5c18176355.jpg`` (flag 0),
names a photo the zip files under ``filet_mignon/``: it is skipped, as dm_nevis skips
it, leaving 52,867 training photos. Any other listed photo that is missing, a photo in
both lists, a malformed row or an unknown dish fails the build. The other ``meta``
files (``classes.txt`` with a ``class_name`` header line, ``imagelist.tsv`` of all
310,009 photos) are unused.

Evidence: no copy of the zip or its lists was read. The layout, the list formats and
counts (310,009 photos; 52,868 / 4,741 rows; the one stray row) agree between
dm_nevis's reader and public Food-101N loaders that check them against the real files.
"""

import posixpath
from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence
from handlers.food101 import CLASS_NAMES

ARTIFACTS = (
    Artifact("Food-101N_release.zip", gdrive_id="1s9NyXpi9bO-UZUvk65WVvEUExNkZ1v9V",
             content_disposition=True, md5="596b41b48de43342ef1efbb2fd508e06"),
)
ROOT = "Food-101N_release/"
IMAGES = f"{ROOT}images/"
# split list -> official part
LISTS = {f"{ROOT}meta/verified_train.tsv": "train", f"{ROOT}meta/verified_val.tsv": "test"}
# Listed in verified_train.tsv, but the zip holds this photo under filet_mignon/ only.
STRAY_ROWS = frozenset({f"{IMAGES}hot_and_sour_soup/a49e6fb26e356c6c41a37b5c18176355.jpg"})
_LABELS = {name: index for index, name in enumerate(CLASS_NAMES)}


def examples(artifacts_dir: Path):
    path = artifacts_dir / ARTIFACTS[0].file
    splits = listed_splits(path)
    found = set()
    for name, data in _readers.zip_members(path, keep=splits.__contains__):
        dish = posixpath.basename(posixpath.dirname(name))
        found.add(name)
        yield Example(key=name, image=data, label=_LABELS[dish], split=splits[name])
    missing = set(splits) - found - STRAY_ROWS
    if missing:
        raise FileNotFoundError(f"{ARTIFACTS[0].file}: {len(missing)} listed photos are missing, e.g. {min(missing)}")


def listed_splits(path: Path) -> dict[str, str]:
    """Member path -> split for every photo the two verification lists name."""
    splits: dict[str, str] = {}
    with _readers.open_zip(path) as archive:
        for list_name, part in LISTS.items():
            text = archive.read(list_name).decode("utf-8")  # a missing one: FileNotFoundError
            for key in parse_list(text, list_name):
                if key in splits:
                    raise ValueError(f"{list_name}: {key} is listed twice (or in both lists)")
                splits[key] = "test" if part == "test" else _splits.by_fraction(key, _splits.TR3)
    return splits


def parse_list(text: str, list_name: str):
    """Member paths of the rows of a verification list (header skipped, flag checked)."""
    lines = text.splitlines()
    for number, line in enumerate(lines[1:], 2):
        if not line.strip():
            continue
        fields = line.rstrip("\r").split("\t")
        if len(fields) != 2 or fields[1].strip() not in ("0", "1") or fields[0].count("/") != 1:
            raise ValueError(f"{list_name} line {number}: expected '<dish>/<file>.jpg<TAB>0|1', got {line!r}")
        dish = fields[0].split("/")[0]
        if dish not in _LABELS:
            raise ValueError(f"{list_name} line {number}: unknown dish {dish!r}")
        yield IMAGES + fields[0]


def write_fixture(artifacts_dir: Path) -> dict[str, int]:
    """Listed photos with both flags, unlisted photos (skipped), the real stray row (its
    photo filed under another dish), a greyscale JPEG, the unused meta files and junk."""
    dishes = ("apple_pie", "bibimbap", "waffles")
    members, lists, counts = [], {part: ["class_name/key\tverification_label"] for part in LISTS}, _splits.SplitSizes()
    train_list, val_list = LISTS
    for c, dish in enumerate(dishes):
        for i in range(9):
            file = f"{(c * 9 + i) * 2654435761 % 2**32:08x}.jpg"
            key = f"{IMAGES}{dish}/{file}"
            grey = (c, i) == (1, 2)
            members.append((key, _fixtures.jpeg_bytes(_fixtures.pixels(c * 20 + i, 22, 18 + i, 1 if grey else 3))))
            if i == 8:
                continue  # not verified: not used
            listed = val_list if i % 4 == 0 else train_list
            lists[listed].append(f"{dish}/{file}\t{(c + i) % 2}")
            split = "test" if LISTS[listed] == "test" else _splits.by_fraction(key, _splits.TR3)
            counts.add(split)
    (stray,) = STRAY_ROWS
    filed = f"{IMAGES}filet_mignon/{posixpath.basename(stray)}"
    members.append((filed, _fixtures.jpeg_bytes(_fixtures.pixels(99, 20, 20, 3))))
    lists[train_list].append(f"{stray[len(IMAGES):]}\t0")
    imagelist = ["class_name/key"] + sorted(name[len(IMAGES):] for name, _ in members)
    members += [(name, ("\n".join(rows) + "\n").encode()) for name, rows in lists.items()]
    members += [(f"{ROOT}meta/classes.txt", ("\n".join(("class_name", *CLASS_NAMES)) + "\n").encode()),
                (f"{ROOT}meta/imagelist.tsv", ("\n".join(imagelist) + "\n").encode()),
                (f"{IMAGES}.DS_Store", b"junk")]
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[0].file, members)
    return counts


food101n = DatasetSpec(
    name="food101n",
    description="Web photos of the 101 Food-101 dishes with noisy search labels; the ~57,600 photos of the verification lists.",
    homepage="https://kuanghuei.github.io/Food-101N/",
    citation=(
        "Lee, K.-H., He, X., Zhang, L., Yang, L. CleanNet: Transfer Learning for Scalable Image "
        "Classifier Training with Label Noise. CVPR 2018."
    ),
    license="unknown; see homepage (photos crawled from the web, research use)",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # test = 4,741 rows; how the hash carves the 52,867 training photos is known only from the list.
    num_examples=None,
    unconfirmed=(
        "the Google Drive file is still shared under this id and name (dm_nevis's snapshot "
        "fetched the same md5 from https://iudata.blob.core.windows.net/food101/Food-101N_release.zip); "
        "that the two lists share no photo; the lists' header text; the license"
    ),
    evidence=Evidence(
        "documentation",
        source="https://kuanghuei.github.io/Food-101N/ (layout, 310k photos, verification lists); "
        "deepmind/dm_nevis@37ccf1e2dd89:dm_nevis/datasets_storage/handlers/food101n.py (member paths, "
        "header line skipped, photos matched by <dish>/<file>); public Food-101N loaders checked against "
        "the real files: imagelist.tsv 310,009 photos, verified_train 52,868 rows of which "
        "hot_and_sour_soup/a49e6fb26e356c6c41a37b5c18176355.jpg (flag 0) has no photo at that path "
        "(filed as filet_mignon), verified_val 4,741 rows, classes.txt headed 'class_name'",
    ),
    dm_nevis_differences=(
        "dm_nevis numbers the dishes in a fixed list of its own (takoyaki 0, ...); here they are "
        "numbered in sorted order, the same ids as food101."
    ),
)
