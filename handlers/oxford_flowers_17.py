"""Oxford 17 Category Flowers: 1,360 photos of 17 UK flower species, 80 per class.

Homepage https://www.robots.ox.ac.uk/~vgg/data/flowers/17/ (Nilsback, Zisserman, "A
Visual Vocabulary for Flower Classification", CVPR 2006). ``17flowers.tgz`` holds
``jpg/image_<NNNN>.jpg`` (0001-1360), ``jpg/files.txt`` (their names, no final newline)
and an editor backup ``jpg/files.txt~`` (the same list headed by ``files.txt``); the two
lists are skipped. The
images are ordered by class, 80 each, so label = (N - 1) div 80; no label file
exists. ``datasplits.mat`` holds three predefined splits (``trn<k>``, ``val<k>``,
``tst<k>``: 1-based image numbers); split 1 is used, as dm_nevis does: trn1 (680) is
drawn into train/dev (TR2, 0.8/0.2) by a hash of the member path, val1 (340) is
``dev-test`` and tst1 (340) is ``test``. dm_nevis's extra ``all`` split (every image
again) is not reproduced: splits here are disjoint. The .mat is read first, then the
images stream; an image in no split-1 list, or a listed image that is missing, is an
error. Class names, in label order, are the commonly used list.

Evidence: the archive's own ``jpg/files.txt`` (1,360 names, image_0001 ... image_1360,
nothing else) and ``files.txt~``, vendored with all 1,360 images in a public repository
that sorted them into 17 folders of 80 consecutive numbers; a notebook that unpacks the
real tgz removes exactly ``jpg/files.txt`` and ``jpg/files.txt~`` to leave only JPEGs. The
provider's README gives 17 classes x 80 and the three splits of datasplits.mat; the class
names and their order come from third-party sorting. datasplits.mat itself was not found,
so the TR2 draw of trn1 is not declared.
"""

import posixpath
from pathlib import Path

import numpy as np

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

_HOST = "https://www.robots.ox.ac.uk/~vgg/data/flowers/17/"
ARTIFACTS = (
    Artifact("17flowers.tgz", _HOST + "17flowers.tgz", md5="b59a65d8d1a99cd66944d474e1289eab"),
    Artifact("datasplits.mat", _HOST + "datasplits.mat", md5="4828cddfd0d803c5abbdebcb1e148a1e"),
)
PER_CLASS = 80
# datasplits.mat variable -> split (None: drawn into train/dev)
SETS = {"trn1": None, "val1": "dev-test", "tst1": "test"}

CLASS_NAMES = ("Daffodil", "Snowdrop", "LilyValley", "Bluebell", "Crocus", "Iris", "Tigerlily",
               "Tulip", "Fritillary", "Sunflower", "Daisy", "ColtsFoot", "Dandelion", "Cowslip",
               "Buttercup", "Windflower", "Pansy")


def examples(artifacts_dir: Path):
    sets = _split_table(artifacts_dir / ARTIFACTS[1].file)
    for name, data in _readers.tar_members(artifacts_dir / ARTIFACTS[0].file, suffixes=(".jpg",)):
        number = int(posixpath.basename(name).removeprefix("image_").removesuffix(".jpg"))
        if number not in sets:
            raise ValueError(f"{name} is in none of datasplits.mat's split-1 lists")
        split = sets.pop(number) or _splits.by_fraction(name, _splits.TR2)
        yield Example(key=name, image=data, label=(number - 1) // PER_CLASS, split=split)
    if sets:
        raise ValueError(f"{len(sets)} listed images are missing from the archive, e.g. {min(sets)}")


def write_fixture(artifacts_dir: Path, per_class: int = 10) -> dict[str, int]:
    """Three classes' images (real numbering) with files.txt and its backup files.txt~ as in the
    real tgz, and all three splits in the .mat."""
    from scipy.io import savemat

    members, lists, counts = [], {f"{part}{k}": [] for k in (1, 2, 3) for part in ("trn", "val", "tst")}, _splits.SplitSizes()
    for label in (0, 7, 16):
        for i in range(per_class):
            number = label * PER_CLASS + i + 1
            key = f"jpg/image_{number:04d}.jpg"
            members.append((key, _fixtures.jpeg_bytes(_fixtures.pixels(number, 24 + i % 3, 28, 3))))
            part = ("trn", "trn", "val", "tst")[i % 4]
            lists[f"{part}1"].append(number)
            lists[f"{('tst', 'trn', 'val', 'trn')[i % 4]}2"].append(number)
            lists[f"{('val', 'tst', 'trn', 'trn')[i % 4]}3"].append(number)
            split = SETS[f"{part}1"] or _splits.by_fraction(key, _splits.TR2)
            counts.add(split)
    names = [posixpath.basename(name) for name, _ in members]
    members += [("jpg/files.txt", "\n".join(names).encode()),
                ("jpg/files.txt~", "\n".join(["files.txt", *names]).encode() + b"\n")]
    _fixtures.write_tar(artifacts_dir / ARTIFACTS[0].file, members)
    savemat(artifacts_dir / ARTIFACTS[1].file, {name: np.array([ids], dtype=np.float64) for name, ids in lists.items()})
    return counts


def _split_table(mat_path: Path) -> dict[int, str | None]:
    """image number -> split (None for trn1), from datasplits.mat."""
    from scipy.io import loadmat

    content = loadmat(mat_path)
    table: dict[int, str | None] = {}
    for variable, split in SETS.items():
        for number in content[variable].ravel().astype(int):
            if number in table or not 1 <= number <= PER_CLASS * len(CLASS_NAMES):
                raise ValueError(f"datasplits.mat: image {number} listed twice or out of range")
            table[int(number)] = split
    return table


oxford_flowers_17 = DatasetSpec(
    name="oxford_flowers_17",
    description="1,360 photos of 17 UK flower species (80 each); predefined split 1 (680 / 340 / 340).",
    homepage="https://www.robots.ox.ac.uk/~vgg/data/flowers/17/",
    citation=(
        "Nilsback, M.-E., Zisserman, A. A Visual Vocabulary for Flower Classification. IEEE "
        "Conference on Computer Vision and Pattern Recognition (CVPR), 2006."
    ),
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # 340 dev-test and 340 test; how TR2 divides trn1 needs the .mat's image numbers.
    num_examples=None,
    unconfirmed=(
        "datasplits.mat's content (split 1 assumed to cover all 1,360 images, 40/20/20 per "
        "class); the class names come from a third party's sorting, not from the provider"
    ),
    evidence=Evidence(
        "real listing",
        source="yangxue0827/RCNN@4530523c6ae1108db622bd4f9ea76e0ae10fd6a5:17flowers/jpg/files.txt and "
        "files.txt~ (the tgz's own lists: image_0001 ... image_1360) beside the 1,360 images sorted "
        "into folders 0-16 of 80 consecutive numbers; the provider's README (17 x 80; trn/val/tst "
        "1-3 in datasplits.mat) as quoted in quocthang0507/17-FlowerCategoryClassificationWithML.NET"
        "@5ac534500d60:README.md; datasplits.mat not found",
    ),
    dm_nevis_differences=(
        "dm_nevis's extra split 'all' (all 1,360 images again, overlapping the others) is not "
        "produced: every split here is disjoint."
    ),
)
