"""MIT Indoor Scenes (Indoor-67): photos of 67 indoor scene categories.

Homepage https://web.mit.edu/torralba/www/indoor.html (Quattoni & Torralba, "Recognizing
indoor scenes", CVPR 2009); the artifact is the Kaggle repack dm_nevis used. The zip holds
``indoorCVPR_09/Images/<category>/<file>`` (about 15,600 photos), the annotations
(``indoorCVPR_09annotations/``, unused) and, at its root, MIT's official lists
``TrainImages.txt`` and ``TestImages.txt``: one ``<category>/<file>`` per line, LF line
ends, no newline after the last, some file names with spaces. They name 5,360 training
and 1,340 test photos, 100 per category but not 80/20 in each (77-83 / 17-23). Only listed
photos are examples; the label is the category part of the list entry, numbered in
sorted order. Blank lines are skipped. A photo in both lists, or a listed photo missing
from the zip, fails the build. Some photos are greyscale or not JPEG inside; the engine
converts every image to RGB. Splits: ``TestImages`` is ``test``; the training list is
carved into train/dev/dev-test (0.70/0.15/0.15) by a hash of the member path.

Evidence: MIT's two lists (complete split files); the folder names in the zip come from
a script that unpacks the Kaggle archive. The zip itself was not seen.
"""

from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import KAGGLE_REPACKED, Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact("indoor-scenes-cvpr-2019.zip", kaggle="itsahmad/indoor-scenes-cvpr-2019",
             md5="b5a8ee875edc974ab49f4cad3b8607da"),
)
IMAGES = "indoorCVPR_09/Images/"
# list file -> split, None for the hash-carved training pool
LISTS = {"TrainImages.txt": None, "TestImages.txt": "test"}

CLASS_NAMES = tuple(sorted("""
office lobby stairscase winecellar church_inside studiomusic shoeshop bowling poolinside nursery
meeting_room videostore bathroom library locker_room movietheater children_room concert_hall
clothingstore pantry subway prisoncell inside_bus garage warehouse bookstore auditorium
laboratorywet tv_studio buffet waitingroom laundromat bedroom greenhouse cloister elevator
dining_room hairsalon livingroom deli restaurant_kitchen dentaloffice trainstation casino bar
jewelleryshop kitchen museum grocerystore operating_room airport_inside gameroom
fastfood_restaurant classroom bakery closet artstudio hospitalroom gym florist inside_subway
toystore kindergarden restaurant mall corridor computerroom
""".split()))
_LABELS = {name: index for index, name in enumerate(CLASS_NAMES)}


def examples(artifacts_dir: Path):
    path = artifacts_dir / ARTIFACTS[0].file
    listed = read_lists(path)
    for name, data in _readers.zip_members(path, keep=listed.__contains__):
        label, split = listed.pop(name)
        yield Example(key=name, image=data, label=label,
                      split=split or _splits.by_fraction(name, _splits.TR3))
    if listed:
        raise FileNotFoundError(f"{path.name}: {len(listed)} listed photos are missing, e.g. {min(listed)}")


def read_lists(path: Path) -> dict[str, tuple[int, str | None]]:
    """Member path -> (label, split or None) for every photo of the two official lists."""
    listed: dict[str, tuple[int, str | None]] = {}
    members = dict(_readers.zip_members(path, keep=LISTS.__contains__))
    for list_name, split in LISTS.items():
        if list_name not in members:
            raise FileNotFoundError(f"{path.name} has no {list_name}")
        for number, line in enumerate(members[list_name].decode("utf-8").splitlines(), 1):
            entry = line.strip()
            if not entry:
                continue
            category, _, file = entry.partition("/")
            if category not in _LABELS or not file:
                raise ValueError(f"{list_name} line {number}: {entry!r} is not <one of the 67 categories>/<file>")
            key = IMAGES + entry
            if key in listed:
                raise ValueError(f"{list_name} line {number}: {entry} is listed twice")
            listed[key] = (_LABELS[category], split)
    return listed


def write_fixture(artifacts_dir: Path, per_class: int = 10) -> dict[str, int]:
    """Three categories with 7 training and 3 test photos each, unlisted photos, a grey
    photo, a file name with a space, an annotation file, and lists in the real form (LF,
    no newline after the last line)."""
    members: dict[str, bytes] = {}
    lines: dict[str, list[str]] = {name: [] for name in LISTS}
    counts = _splits.SplitSizes()
    for c, category in enumerate(("bar", "kitchen", "winecellar")):
        for i in range(per_class + 2):
            file = f"{category} inside.jpg" if i == 5 else f"{category}_{i:04d}.jpg"
            entry = f"{category}/{file}"
            channels = 1 if i == 3 else 3
            members[IMAGES + entry] = _fixtures.jpeg_bytes(_fixtures.pixels(c * 100 + i, 20, 26, channels))
            if i >= per_class:
                continue  # in the zip, in neither list
            list_name = "TestImages.txt" if i % 10 >= 7 else "TrainImages.txt"
            lines[list_name].append(entry)
            split = LISTS[list_name] or _splits.by_fraction(IMAGES + entry, _splits.TR3)
            counts.add(split)
    members["indoorCVPR_09annotations/Annotations/bar/bar_0000.xml"] = b"<annotation/>\n"
    for list_name, entries in lines.items():
        members[list_name] = "\n".join(entries).encode()
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[0].file, members)
    return counts


mit_scenes = DatasetSpec(
    name="mit_scenes",
    description="6,700 photos of 67 indoor scene categories (official lists: 5,360 training and 1,340 test photos, 100 per category).",
    homepage="https://web.mit.edu/torralba/www/indoor.html",
    citation="Quattoni, A., Torralba, A. Recognizing Indoor Scenes. CVPR, 2009.",
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # The hash carving of the 5,360 training paths of MIT's list, and its 1,340 test photos.
    num_examples={"train": 3784, "dev": 771, "dev-test": 805, "test": 1340},
    unconfirmed=(
        KAGGLE_REPACKED
        + "; that the zip's lists are MIT's lists byte for byte; the annotation folder's layout"
    ),
    evidence=Evidence(
        "real listing",
        source="cdoersch/elementdiscovery@70844ed9d158:TrainImages.txt and TestImages.txt (MIT's "
        "official lists: 5,360 + 1,340 entries, 67 categories x 100, disjoint); "
        "francescozoccheddu/bdp-image-classifier@610cde70cc08:datasets/indoor/download.sh "
        "(the Kaggle zip unpacks to indoorCVPR_09/Images, indoorCVPR_09annotations and the two lists)",
    ),
    dm_nevis_differences=(
        "Categories are numbered in sorted order, as everywhere in this project; dm_nevis "
        "numbers them in a hand-written order (office, lobby, stairscase, ...)."
    ),
)
