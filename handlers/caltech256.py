"""Caltech-256: photos of 256 object categories plus a clutter class (257 labels).

Homepage https://data.caltech.edu/records/nyy15-4j048 (Griffin, Holub, Perona, Caltech
technical report 7694, 2007). One uncompressed tar, here from the Google Drive file
that dm_nevis and TFDS use, streamed once:
``256_ObjectCategories/<NNN>.<name>/<NNN>_<NNNN>.jpg``. The folder number NNN
(001-257) gives the label, NNN - 1; the folder's name must be the one listed below for
that number, so a renamed or renumbered release fails instead of shifting labels.
Members outside this pattern are skipped, as dm_nevis does. Some JPEGs are greyscale
and are converted to RGB. No official split: every image is drawn into
train/dev/dev-test/test by the ALL fractions on a hash of its path. office_caltech_10
reads the same tar (borrowed, fetched once).

Evidence: a DataLad mirror fetched the same Drive file and recorded it as 1,183,006,720
bytes with the pinned md5, so the pins are those of the real tar; after unpacking it, the
mirror counted the files of every folder: exactly the 257 ``<NNN>.<name>`` folders listed
below, 80 to 827 files each, 30,608 in all: the documented 30,607 images and, by many
loaders' clean-up steps, a stray ``198.spider/RENAME2`` (skipped by the name pattern, as
is the empty ``056.dog/greg/`` tree). No list of the image names was found, so the hash
split sizes are not declared.
"""

import re
from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact("256_ObjectCategories.tar", gdrive_id="1r6o0pSROcV1_VwT4oSjA2FBUSCWGuxLK",
             content_disposition=True,
             sha256="08ff01b03c65566014ae88eb0490dbe4419fc7ac4de726ee1163e39fd809543e",
             md5="67b4f42ca05d46448c6bb8ecd2220f6d", size=1183006720),
)
ROOT = "256_ObjectCategories/"
MEMBER = re.compile(r"256_ObjectCategories/(\d{3})\.([^/]+)/\d{3}_\d{4}\.jpg")

# Folder names without their number, in number order: label = position = NNN - 1.
CLASS_NAMES = tuple("""
ak47 american-flag backpack baseball-bat baseball-glove basketball-hoop bat bathtub bear
beer-mug billiards binoculars birdbath blimp bonsai-101 boom-box bowling-ball bowling-pin
boxing-glove brain-101 breadmaker buddha-101 bulldozer butterfly cactus cake calculator camel
cannon canoe car-tire cartman cd centipede cereal-box chandelier-101 chess-board chimp
chopsticks cockroach coffee-mug coffin coin comet computer-keyboard computer-monitor
computer-mouse conch cormorant covered-wagon cowboy-hat crab-101 desk-globe diamond-ring dice
dog dolphin-101 doorknob drinking-straw duck dumb-bell eiffel-tower electric-guitar-101
elephant-101 elk ewer-101 eyeglasses fern fighter-jet fire-extinguisher fire-hydrant
fire-truck fireworks flashlight floppy-disk football-helmet french-horn fried-egg frisbee frog
frying-pan galaxy gas-pump giraffe goat golden-gate-bridge goldfish golf-ball goose gorilla
grand-piano-101 grapes grasshopper guitar-pick hamburger hammock harmonica harp harpsichord
hawksbill-101 head-phones helicopter-101 hibiscus homer-simpson horse horseshoe-crab
hot-air-balloon hot-dog hot-tub hourglass house-fly human-skeleton hummingbird ibis-101
ice-cream-cone iguana ipod iris jesus-christ joy-stick kangaroo-101 kayak ketch-101
killer-whale knife ladder laptop-101 lathe leopards-101 license-plate lightbulb light-house
lightning llama-101 mailbox mandolin mars mattress megaphone menorah-101 microscope microwave
minaret minotaur motorbikes-101 mountain-bike mushroom mussels necktie octopus ostrich owl
palm-pilot palm-tree paperclip paper-shredder pci-card penguin people pez-dispenser
photocopier picnic-table playing-card porcupine pram praying-mantis pyramid raccoon
radio-telescope rainbow refrigerator revolver-101 rifle rotary-phone roulette-wheel saddle
saturn school-bus scorpion-101 screwdriver segway self-propelled-lawn-mower sextant
sheet-music skateboard skunk skyscraper smokestack snail snake sneaker snowmobile soccer-ball
socks soda-can spaghetti speed-boat spider spoon stained-glass starfish-101 steering-wheel
stirrups sunflower-101 superman sushi swan swiss-army-knife sword syringe tambourine teapot
teddy-bear teepee telephone-box tennis-ball tennis-court tennis-racket theodolite toaster
tomato tombstone top-hat touring-bike tower-pisa traffic-light treadmill triceratops tricycle
trilobite-101 tripod t-shirt tuning-fork tweezer umbrella-101 unicorn vcr video-projector
washing-machine watch-101 waterfall watermelon welding-mask wheelbarrow windmill wine-bottle
xylophone yarmulke yo-yo zebra airplanes-101 car-side-101 faces-easy-101 greyhound
tennis-shoes toad clutter
""".split())


def examples(artifacts_dir: Path):
    for name, data, label in members(artifacts_dir / ARTIFACTS[0].file):
        yield Example(key=name, image=data, label=label,
                      split=_splits.by_fraction(name, _splits.ALL))


def members(tar_path: Path):
    """(member path, JPEG bytes, label) of every image in the tar, in archive order."""
    for name, data in _readers.tar_members(tar_path, keep=lambda n: MEMBER.fullmatch(n) is not None):
        yield name, data, member_label(name)


def member_label(name: str) -> int:
    """NNN - 1 for a member of folder ``<NNN>.<name>``, checked against CLASS_NAMES."""
    number, folder = MEMBER.fullmatch(name).groups()
    label = int(number) - 1
    if not 0 <= label < len(CLASS_NAMES) or CLASS_NAMES[label] != folder:
        raise ValueError(f"{ARTIFACTS[0].file}: {name} is in folder {number}.{folder}, "
                         "which is not one of the 257 known class folders")
    return label


# Fixture classes: two of office_caltech_10's ten shared classes, and clutter.
FIXTURE_CLASSES = (3, 27, 257)


def write_fixture(artifacts_dir: Path, per_class: int = 8) -> dict[str, int]:
    """Three class folders (one greyscale JPEG among them) plus members the pattern skips."""
    members, counts = [], _splits.SplitSizes()
    for number in FIXTURE_CLASSES:
        folder = f"{ROOT}{number:03d}.{CLASS_NAMES[number - 1]}/"
        for i in range(1, per_class + 1):
            grey = number == 27 and i == 2
            image = _fixtures.pixels(number * 100 + i, 20 + i % 4, 24, 1 if grey else 3)
            key = f"{folder}{number:03d}_{i:04d}.jpg"
            members.append((key, _fixtures.jpeg_bytes(image)))
            split = _splits.by_fraction(key, _splits.ALL)
            counts.add(split)
    # Files outside the pattern, which are skipped.
    members.append((f"{ROOT}257.clutter/notes.txt", b"not an image\n"))
    members.append((f"{ROOT}003.backpack/Thumbs.db", b"\0" * 16))
    members.append((f"{ROOT}198.spider/RENAME2", b"the real tar's one stray file\n"))
    _fixtures.write_tar(artifacts_dir / ARTIFACTS[0].file, members, mode="w")
    return dict(sorted(counts.items()))


caltech256 = DatasetSpec(
    name="caltech256",
    description="30,607 pictures of 256 object categories plus a clutter class (257 labels), at least 80 per category.",
    homepage="https://data.caltech.edu/records/nyy15-4j048",
    citation="Griffin, G., Holub, A., Perona, P. Caltech-256 Object Category Dataset. Caltech Technical Report 7694, 2007.",
    license="Creative Commons Attribution 4.0 International (CC BY 4.0)",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # ALL fractions on key hashes: exact sizes need the tar's member list.
    num_examples=None,
    unconfirmed=(
        "the image file names under the 257 folders (only their per-folder counts were read); "
        "whether the Drive file still announces the name 256_ObjectCategories.tar"
    ),
    evidence=Evidence(
        "documentation",
        source="datasets-mila/datasets--caltech256@dd6803ca98db:256_ObjectCategories.tar (annex key "
        "MD5E-s1183006720--67b4f42ca05d46448c6bb8ecd2220f6d, fetched from the same Drive id: size and "
        "md5 equal the pins) and README.rst (30,607 images); "
        "datasets-mila/datasets--caltech256@c9f14547a99b:files_count.stats (files per folder of the "
        "unpacked tar: the 257 folders of CLASS_NAMES, 30,608 files)",
    ),
)
