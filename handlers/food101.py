"""Food-101: 101,000 photos of 101 dishes, 1,000 per dish.

Homepage https://data.vision.ee.ethz.ch/cvl/datasets_extra/food-101/ (Bossard,
Guillaumin, Van Gool, "Food-101 -- Mining Discriminative Components with Random
Forests", ECCV 2014). One tar.gz: ``food-101/images/<dish>/<id>.jpg`` (label = the
dish folder; classes in sorted order, as ``meta/classes.txt`` lists them) and
``food-101/meta/{train,test}.txt`` naming each image as ``<dish>/<id>``: 750 training
and 250 test images per dish (75,750 / 25,250). The training images were
deliberately left uncleaned (some wrong labels, saturated colours); some JPEGs are
greyscale. The split lists may sit after the images, so the tar is streamed once:
images are handed over with their dish label, list lines as split annotations that the
engine joins to them. Splits: the official test list is ``test``; the training list is
carved into train/dev/dev-test by a hash of the member path. An unknown dish folder, an
image in neither list (no split), an image in both, or a listed image that is missing
fails the build. ``meta/*.json``, ``README.txt`` and the license file are unused.

Evidence: the official ``meta/train.txt`` and ``meta/test.txt`` (vendored in a project
that appended lines for dishes of its own; the 101 Food-101 dishes' lines are the
lists): 75,750 and 25,250 distinct ``<dish>/<id>`` lines, 750 / 250 per dish, sorted,
no image in both, so the hash carving of the training list is tallied over the real
keys. Image member names follow from the lists (``<id>.jpg``); the tar itself was not
read. A listing replay of 101,000 members would take too long for CI.
"""

from pathlib import Path

from data.types import Annotation, Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact("food-101.tar.gz", "http://data.vision.ee.ethz.ch/cvl/food-101.tar.gz", size=4996278331,
             sha256="d97d15e438b7f4498f96086a4f7e2fa42a32f2712e87d3295441b2b6314053a4"),
)
META = "food-101/meta/"
IMAGES = "food-101/images/"
# split list -> official split
LISTS = {f"{META}train.txt": "train", f"{META}test.txt": "test"}

CLASS_NAMES = tuple(sorted("""
apple_pie baby_back_ribs baklava beef_carpaccio beef_tartare beet_salad beignets bibimbap
bread_pudding breakfast_burrito bruschetta caesar_salad cannoli caprese_salad carrot_cake ceviche
cheese_plate cheesecake chicken_curry chicken_quesadilla chicken_wings chocolate_cake
chocolate_mousse churros clam_chowder club_sandwich crab_cakes creme_brulee croque_madame cup_cakes
deviled_eggs donuts dumplings edamame eggs_benedict escargots falafel filet_mignon fish_and_chips
foie_gras french_fries french_onion_soup french_toast fried_calamari fried_rice frozen_yogurt
garlic_bread gnocchi greek_salad grilled_cheese_sandwich grilled_salmon guacamole gyoza hamburger
hot_and_sour_soup hot_dog huevos_rancheros hummus ice_cream lasagna lobster_bisque
lobster_roll_sandwich macaroni_and_cheese macarons miso_soup mussels nachos omelette onion_rings
oysters pad_thai paella pancakes panna_cotta peking_duck pho pizza pork_chop poutine prime_rib
pulled_pork_sandwich ramen ravioli red_velvet_cake risotto samosa sashimi scallops seaweed_salad
shrimp_and_grits spaghetti_bolognese spaghetti_carbonara spring_rolls steak strawberry_shortcake
sushi tacos takoyaki tiramisu tuna_tartare waffles
""".split()))
_LABELS = {name: index for index, name in enumerate(CLASS_NAMES)}


def examples(artifacts_dir: Path):
    unread = set(LISTS)
    members = _readers.tar_members(artifacts_dir / ARTIFACTS[0].file,
                                   keep=lambda n: n in unread or (n.startswith(IMAGES) and n.endswith(".jpg")))
    for name, data in members:
        if name in LISTS:
            unread.discard(name)
            for line in data.decode("utf-8").split():
                key = f"{IMAGES}{line}.jpg"
                split = "test" if LISTS[name] == "test" else _splits.by_fraction(key, _splits.TR3)
                yield Annotation(key=key, split=split)
            continue
        dish = _readers.class_folder(name)
        if dish not in _LABELS:
            raise ValueError(f"{name}: unknown dish {dish!r}")
        yield Example(key=name, image=data, label=_LABELS[dish])
    if unread:
        raise FileNotFoundError(f"{ARTIFACTS[0].file} has no member(s) {sorted(unread)}")


def write_fixture(artifacts_dir: Path, per_class: int = 6) -> dict[str, int]:
    """Images before meta/ (the hard order for one pass), macOS junk, a greyscale JPEG, unused meta files."""
    dishes = ("apple_pie", "cheese_plate", "waffles")
    members, lists, counts = [("food-101/._README.txt", b"junk")], {"train": [], "test": []}, _splits.SplitSizes()
    for c, dish in enumerate(dishes):
        for i in range(per_class):
            image_id = 100000 + 7919 * (c * per_class + i)
            key = f"{IMAGES}{dish}/{image_id}.jpg"
            grey = c == 1 and i == 0
            members.append((key, _fixtures.jpeg_bytes(_fixtures.pixels(c * 50 + i, 24, 20 + i, 1 if grey else 3))))
            listed = "test" if i % 3 == 0 else "train"
            lists[listed].append(f"{dish}/{image_id}")
            split = "test" if listed == "test" else _splits.by_fraction(key, _splits.TR3)
            counts.add(split)
    members.append((f"{IMAGES}.DS_Store", b"junk"))
    for split, rows in lists.items():
        members.append((f"{META}{split}.txt", ("\n".join(rows) + "\n").encode()))
        members.append((f"{META}{split}.json", b"{}"))
    members += [(f"{META}classes.txt", ("\n".join(CLASS_NAMES) + "\n").encode()),
                ("food-101/README.txt", b"fixture\n"), ("food-101/license_agreement.txt", b"fixture\n")]
    _fixtures.write_tar(artifacts_dir / ARTIFACTS[0].file, members)
    return counts


food101 = DatasetSpec(
    name="food101",
    description="101,000 food photos in 101 dishes (750 training, 250 test per dish), longer side at most 512 px.",
    homepage="https://data.vision.ee.ethz.ch/cvl/datasets_extra/food-101/",
    citation=(
        "Bossard, L., Guillaumin, M., Van Gool, L. Food-101 -- Mining Discriminative Components "
        "with Random Forests. ECCV 2014."
    ),
    license="unknown; see homepage (photos collected from foodspotting.com)",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # The hash carving of the 75,750 training images, tallied over the real train.txt.
    num_examples={"train": 53083, "dev": 11308, "dev-test": 11359, "test": 25250},
    evidence=Evidence(
        "real listing",
        source="shanu95/food_calorie_trainer@6690963e1497a33b807a4ed75812629bb4883b83:"
        "data/food-101/meta/{train,test}.txt (the official split lists plus lines appended for 99 "
        "dishes of that project; the 101 Food-101 dishes' lines: 75,750 / 25,250, 750 / 250 each, "
        "disjoint) and data/food-101/README.txt (the images/<class_name>/<image_id>.jpg layout)",
    ),
    dm_nevis_differences=(
        "dm_nevis numbers the dishes in a fixed list of its own (takoyaki 0, bruschetta 1, ...); "
        "here they are numbered in sorted order, as the provider's meta/classes.txt and TFDS list them."
    ),
)
