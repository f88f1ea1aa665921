"""Caltech 101: photos of 101 object categories plus a background-clutter class.

Homepage https://data.caltech.edu/records/mzrjq-6wc02 (Fei-Fei, Fergus, Perona, 2004).
The zip nests ``caltech-101/101_ObjectCategories.tar.gz`` (read as a stream from
inside the zip, never unpacked to disk) beside an annotations archive that is not
used. Inside: ``101_ObjectCategories/<class>/image_<NNNN>.jpg``; the label is the
folder, classes in sorted folder order (``BACKGROUND_Google`` included, as TFDS
does: 102 classes). Some JPEGs are greyscale and are converted to RGB. No official
split: per class, the 30 images with the smallest key hash train, the rest test
(the usual 30-per-class protocol: 3,060 / 6,084).

Evidence: a complete listing of the unpacked inner tar. A course repository vendors
``101_ObjectCategories/`` whole: 9,145 files, the 9,144 ``image_<NNNN>.jpg`` (numbered
1..n in every folder, 31 to 800 per folder) and a stray ``BACKGROUND_Google/tmp`` (not a
JPEG: skipped). Its per-folder file counts equal those a DataLad mirror counted after
unpacking the real inner tar (md5 b224c739..., the one torchvision pins), and its 102
folder names are ``CLASS_NAMES``. Replayed through this handler (nested in a zip by a
one-off script: the listing replay cannot nest archives) the names give 3,060 / 6,084.
That the CaltechDATA zip nests this very tar is not checked byte for byte.
"""

from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact(
        "caltech-101.zip",
        "https://data.caltech.edu/records/mzrjq-6wc02/files/caltech-101.zip?download=1",
        sha256="331234750fc7f77520e50d9565e8b6907b03565e30320da1401130db08c61f91",
        size=137414764,
    ),
)
INNER_ARCHIVE = "caltech-101/101_ObjectCategories.tar.gz"

CLASS_NAMES = tuple(sorted("""
accordion airplanes anchor ant BACKGROUND_Google barrel bass beaver binocular bonsai brain
brontosaurus buddha butterfly camera cannon car_side ceiling_fan cellphone chair chandelier
cougar_body cougar_face crab crayfish crocodile crocodile_head cup dalmatian dollar_bill dolphin
dragonfly electric_guitar elephant emu euphonium ewer Faces Faces_easy ferry flamingo
flamingo_head garfield gerenuk gramophone grand_piano hawksbill headphone hedgehog helicopter
ibis inline_skate joshua_tree kangaroo ketch lamp laptop Leopards llama lobster lotus mandolin
mayfly menorah metronome minaret Motorbikes nautilus octopus okapi pagoda panda pigeon pizza
platypus pyramid revolver rhino rooster saxophone schooner scissors scorpion sea_horse snoopy
soccer_ball stapler starfish stegosaurus stop_sign strawberry sunflower tick trilobite umbrella
watch water_lilly wheelchair wild_cat windsor_chair wrench yin_yang
""".split()))
_LABELS = {name: index for index, name in enumerate(CLASS_NAMES)}
TRAIN_PER_CLASS = 30


def examples(artifacts_dir: Path):
    with _readers.nested_member(artifacts_dir / ARTIFACTS[0].file, INNER_ARCHIVE) as inner:
        for name, data in _readers.tar_members(inner, suffixes=(".jpg",)):
            label = _readers.folder_label(name, _LABELS, INNER_ARCHIVE)
            yield Example(key=name, image=data, label=label)


def write_fixture(artifacts_dir: Path, per_class: int = 33) -> dict[str, int]:
    """The nested layout with three classes; one greyscale JPEG and the stray
    ``BACKGROUND_Google/tmp``, as in the real set."""
    classes = ("BACKGROUND_Google", "Faces_easy", "accordion")
    members = []
    for c, folder in enumerate(classes):
        for i in range(1, per_class + 1):
            grey = c == 1 and i == 2
            pixels = _fixtures.pixels(c * 100 + i, 20 + i % 5, 24, 1 if grey else 3)
            members.append((f"101_ObjectCategories/{folder}/image_{i:04d}.jpg", _fixtures.jpeg_bytes(pixels)))
    members.append(("101_ObjectCategories/BACKGROUND_Google/tmp", b"\xff\xd8 not a whole JPEG"))
    _fixtures.write_zip(
        artifacts_dir / ARTIFACTS[0].file,
        {
            INNER_ARCHIVE: _fixtures.tar_bytes(members),
            "caltech-101/Annotations.tar": _fixtures.tar_bytes({"Annotations/README": b"unused"}, "w"),
            "caltech-101/show_annotation.m": b"% unused\n",
            "__MACOSX/caltech-101/._101_ObjectCategories.tar.gz": b"\0\5\26\7",
        },
    )
    return {"train": TRAIN_PER_CLASS * len(classes), "test": (per_class - TRAIN_PER_CLASS) * len(classes)}


caltech101 = DatasetSpec(
    name="caltech101",
    description="Pictures of objects in 101 categories plus background clutter; 40-800 images per category, about 300x200 pixels.",
    homepage="https://data.caltech.edu/records/mzrjq-6wc02",
    citation="Fei-Fei, L., Fergus, R., Perona, P. Learning generative visual models from few training examples. CVPR Workshop on Generative-Model Based Vision, 2004.",
    license="Creative Commons Attribution 4.0 International (CC BY 4.0)",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    split_rule=_splits.per_class_rule(TRAIN_PER_CLASS, "train", "test"),
    # 30 per class for the 102 folders, the rest of the 9,144 images test (TFDS's figures,
    # and the tally over the real listing).
    num_examples={"train": 3060, "test": 6084},
    unconfirmed="that the CaltechDATA zip nests the inner tar the listing and the mirror describe",
    evidence=Evidence(
        "real listing",
        source="MachineLearning2020/Homework2-Caltech101@836044dd000296b2bb74d0aa4b4e462e459b01d7:"
        "101_ObjectCategories/ (the unpacked inner tar vendored whole: 9,144 image_<NNNN>.jpg in 102 "
        "folders plus BACKGROUND_Google/tmp; per-folder counts equal "
        "datasets-mila/datasets--caltech101@fcb165a813b1:files_count.stats, counted from the unpacked "
        "101_ObjectCategories.tar.gz of md5 b224c7392d521a49829488ab0f1120d9); TFDS caltech101 "
        "(zip size and sha256, 3,060 / 6,084)",
    ),
    dm_nevis_differences="dm_nevis has no caltech101 handler (its streams read TFDS caltech101). "
    "Unlike TFDS, class names keep the folders' case, and each class's 30 training images are "
    "those with the smallest key hashes, not a seeded draw: same sizes, stable across runs.",
)
