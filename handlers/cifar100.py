"""CIFAR-100: 32x32 colour images of 100 object classes grouped into 20 superclasses.

Homepage https://www.cs.toronto.edu/~kriz/cifar.html (Krizhevsky, 2009). The python
release is one tar.gz holding ``cifar-100-python/train`` (50,000 images) and ``test``
(10,000): pickled batches in the CIFAR format (see handlers/_cifar.py) with two label
lists, ``fine_labels`` (0-99) and ``coarse_labels`` (0-19). Two datasets share the
archive: ``cifar100`` (fine labels) and ``cifar100_coarse`` (superclasses). ``meta``
names the classes; when it streams by, the handler checks it lists exactly the names
below, in order (both lists are alphabetical). Other members (an editor's
``file.txt~``) are ignored. Official split only.

Evidence: a ``tar -v`` listing printed while extracting a download of the pinned size
(``cifar-100-python/``, ``file.txt~``, ``train``, ``test``, ``meta``, in that order, so
``meta`` is checked last) and the archive's size and md5 in a DataLad mirror.
"""

from pathlib import Path

import numpy as np

from data.types import Features
from handlers import _cifar, _fixtures, _readers
from handlers._spec import Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact("cifar-100-python.tar.gz", "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
             md5="eb9058c3a382ffc7106e4002c42a8d85", size=169001437),
)
FOLDER = "cifar-100-python"

FINE_NAMES = tuple("""
apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus butterfly
camel can castle caterpillar cattle chair chimpanzee clock cloud cockroach couch crab crocodile cup
dinosaur dolphin elephant flatfish forest fox girl hamster house kangaroo keyboard lamp lawn_mower
leopard lion lizard lobster man maple_tree motorcycle mountain mouse mushroom oak_tree orange orchid
otter palm_tree pear pickup_truck pine_tree plain plate poppy porcupine possum rabbit raccoon ray
road rocket rose sea seal shark shrew skunk skyscraper snail snake spider squirrel streetcar
sunflower sweet_pepper table tank telephone television tiger tractor train trout tulip turtle
wardrobe whale willow_tree wolf woman worm
""".split())
COARSE_NAMES = tuple("""
aquatic_mammals fish flowers food_containers fruit_and_vegetables household_electrical_devices
household_furniture insects large_carnivores large_man-made_outdoor_things
large_natural_outdoor_scenes large_omnivores_and_herbivores medium_mammals
non-insect_invertebrates people reptiles small_mammals trees vehicles_1 vehicles_2
""".split())
# granularity -> (label list in the batches, names, name list in meta)
LEVELS = {"fine": (b"fine_labels", FINE_NAMES, b"fine_label_names"),
          "coarse": (b"coarse_labels", COARSE_NAMES, b"coarse_label_names")}


def _examples(level: str):
    label_field = LEVELS[level][0]

    def examples(artifacts_dir: Path):
        for name, data in _readers.tar_members(artifacts_dir / ARTIFACTS[0].file):
            part = name.removeprefix(FOLDER + "/")
            if part in ("train", "test"):
                yield from _cifar.batch_examples(part, data, part, label_field)
            elif part == "meta":
                content = _readers.load_array_pickle(data)
                for _, names, names_field in LEVELS.values():
                    _cifar.check_names(content, names_field, names, f"{FOLDER}/meta")

    return examples


def write_fixture(artifacts_dir: Path, sizes=(("train", 24), ("test", 10))) -> dict[str, int]:
    """The real archive layout (train, test, meta and the stray ``file.txt~``)."""
    members = {f"{FOLDER}/file.txt~": b"fixture\n"}
    for seed, (part, count) in enumerate(sizes):
        images = np.stack([_fixtures.pixels(seed * 100 + i, 32, 32, 3) for i in range(count)])
        fine = (np.arange(count) * 37 + seed) % 100
        coarse = fine % 20  # not the real hierarchy; the handler never relates the two lists
        members[f"{FOLDER}/{part}"] = _cifar.batch_bytes(
            images, f"{part} batch", {b"fine_labels": fine, b"coarse_labels": coarse})
    members[f"{FOLDER}/meta"] = _cifar.meta_bytes(
        {b"fine_label_names": FINE_NAMES, b"coarse_label_names": COARSE_NAMES})
    _fixtures.write_tar(artifacts_dir / ARTIFACTS[0].file, members)
    return dict(sizes)


def _spec(level: str, name: str, description: str) -> DatasetSpec:
    return DatasetSpec(
        name=name,
        description=description,
        homepage="https://www.cs.toronto.edu/~kriz/cifar.html",
        citation="Krizhevsky, A. Learning Multiple Layers of Features from Tiny Images. Technical report, University of Toronto, 2009.",
        license="No license stated by the provider; cite the technical report.",
        artifacts=ARTIFACTS,
        features=Features(channels=3, class_names=LEVELS[level][1]),
        examples=_examples(level),
        write_fixture=write_fixture,
        num_examples={"train": 50000, "test": 10000},
        source="cifar100",
        evidence=Evidence(
            "real listing",
            source=(
                "guillaume-chevalier/python-caffe-custom-cifar-100-conv-net@6438ee356b501b8cdba4f6a76b6c9e5565038c04:"
                "README.md (tar -v of a 169,001,437-byte download: cifar-100-python/, file.txt~, train, "
                "test, meta); datasets-mila/datasets--cifar100@c40f599b7082130ac08cbc549064ac21f6d9583c:"
                "cifar-100-python.tar.gz (annex key: 169,001,437 bytes, md5 eb9058c3..., as pinned)"
            ),
        ),
        dm_nevis_differences=(
            "dm_nevis reads TFDS cifar100 (fine labels) and carves dev / dev-test out of the train "
            "split's tail (70/15/15 by position) at read time; here only the official train/test are "
            "stored. cifar100_coarse has no dm_nevis counterpart."
        ) if level == "fine" else "",
    )


cifar100 = _spec("fine", "cifar100", "60,000 32x32 colour images in 100 classes (600 per class).")
cifar100_coarse = _spec("coarse", "cifar100_coarse", "CIFAR-100's 60,000 images labelled by 20 superclasses (3,000 per superclass).")
