"""PASCAL VOC 2006: photos labelled with the one object class they show (10 classes).

Homepage http://host.robots.ox.ac.uk/pascal/VOC/voc2006/ (Everingham, Zisserman,
Williams, Van Gool, "The PASCAL Visual Object Classes Challenge 2006 (VOC2006) Results",
2006). Two uncompressed tars, trainval and test, each with
``VOCdevkit/VOC2006/ImageSets/<class>_<set>.txt`` (one line per image of the set:
``<id> <flag>``, 1 present, -1 absent, 0 difficult only) and
``VOCdevkit/VOC2006/PNGImages/<id>.png``; read with handlers/_voc.py. The task is
single-label, so only images that exactly one class list marks 1 are kept; photos
with objects of several classes, or only difficult ones, are left out (dm_nevis keeps
them under whichever class list it read last). Splits: the official test set is
``test``; trainval is carved into train/dev/dev-test (0.70/0.15/0.15) by a hash of the
member path.

Evidence: the provider's development kit (its VOCinit.m builds the paths
``VOC2006/ImageSets/<class>_<set>.txt``, ``VOC2006/PNGImages/<id>.png``) and challenge
report (10 classes; 2,618 trainval and 2,686 test images). In a public copy of the
unpacked devkit, ``bicycle_trainval.txt`` was read whole: six-digit ids, the flag
right-aligned in two columns (``000020  1``, ``000004 -1``, ``000248  0``), LF line ends;
every ``<class>_trainval.txt`` there is 26,180 characters, i.e. 2,618 such lines, and
``trainval.txt`` / ``test.txt`` list 2,618 / 2,686 ids (lines of 7 characters). That
copy's ``<class>_test.txt`` files hold only 523 lines each, a subset (the copy is
coursework material), so the real test lists were not seen; how many images are
single-class is not known.
"""

from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _splits, _voc
from handlers._spec import Artifact, DatasetSpec, Evidence

_HOST = "http://host.robots.ox.ac.uk/pascal/VOC/download/"
ARTIFACTS = (
    Artifact("voc2006_trainval.tar", _HOST + "voc2006_trainval.tar", md5="af06612e5ad9863bde6fa7aae55f8866"),
    Artifact("voc2006_test.tar", _HOST + "voc2006_test.tar", md5="6bd028d82d057621c4fc69e9c56517ef"),
)
ROOT = "VOCdevkit/VOC2006/"
SETS = ("trainval", "test")  # the image set each artifact holds

CLASS_NAMES = ("bicycle", "bus", "car", "cat", "cow", "dog", "horse", "motorbike", "person", "sheep")


def examples(artifacts_dir: Path):
    for artifact, image_set in zip(ARTIFACTS, SETS, strict=True):
        with _voc.devkit_tar(artifacts_dir / artifact.file) as read:
            found = _voc.positives(read, ROOT + "ImageSets/{}_" + image_set + ".txt", CLASS_NAMES)
            for image_id, labels in found.items():
                if len(labels) == 1:
                    key = f"{ROOT}PNGImages/{image_id}.png"
                    yield Example(key=key, image=read(key), label=labels[0], split=_split(key, image_set))


def write_fixture(artifacts_dir: Path) -> dict[str, int]:
    """Both tars with images of one class, of two classes, of difficult objects only and
    of none; annotation files and the unused train/val lists; images stored first."""
    counts = _splits.SplitSizes()
    for s, (artifact, image_set) in enumerate(zip(ARTIFACTS, SETS, strict=True)):
        ids = [f"{s * 5000 + n:06d}" for n in range(1, 36 if s == 0 else 10)]
        flags = {name: {} for name in CLASS_NAMES}
        members = []
        for n, image_id in enumerate(ids):
            present = {0: (), 1: (n % 10, (n + 3) % 10), 2: ()}.get(n % 7, (n % 10,))
            for c, name in enumerate(CLASS_NAMES):
                flags[name][image_id] = 1 if c in present else (0 if n % 7 == 2 and c == 4 else -1)
            key = f"{ROOT}PNGImages/{image_id}.png"
            members.append((key, _fixtures.png_bytes(_fixtures.pixels(s * 100 + n, 20, 26, 3))))
            members.append((f"{ROOT}Annotations/{image_id}.txt", b"# PASCAL Annotation Version 1.00\n"))
            if len(present) == 1:
                counts.add(_split(key, image_set))
        for name in CLASS_NAMES:
            members.append((f"{ROOT}ImageSets/{name}_{image_set}.txt", _voc.list_bytes(flags[name])))
            if image_set == "trainval":
                half = dict(list(flags[name].items())[::2])
                members.append((f"{ROOT}ImageSets/{name}_train.txt", _voc.list_bytes(half)))
        _fixtures.write_tar(artifacts_dir / artifact.file, members, mode="w")
    return counts


def _split(key: str, image_set: str) -> str:
    return "test" if image_set == "test" else _splits.by_fraction(key, _splits.TR3)


pascal_voc2006 = DatasetSpec(
    name="pascal_voc2006",
    description="PASCAL VOC 2006 photos that show objects of exactly one of 10 classes (whole images, single label).",
    homepage="http://host.robots.ox.ac.uk/pascal/VOC/voc2006/",
    citation="Everingham, M., Zisserman, A., Williams, C. K. I., Van Gool, L. The PASCAL Visual Object Classes Challenge 2006 (VOC2006) Results, 2006.",
    license="unknown; see homepage (images from Flickr and Microsoft Research Cambridge)",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # How many images are single-class is known only from the lists.
    num_examples=None,
    unconfirmed=(
        "that voc2006_test.tar carries full <class>_test.txt lists with flags (a copy seen holds "
        "523-line subsets), and that all class lists of a set name the same images"
    ),
    evidence=Evidence(
        "documentation",
        source="the VOC2006 development kit's VOCinit.m paths (VOC2006/ImageSets/%s_%s.txt, "
        "VOC2006/PNGImages/%s.png) as copied in code that reads it, and Everingham et al., The 2006 "
        "PASCAL Visual Object Classes Challenge (10 classes, trainval and test statistics); "
        "sorydi3/probable-enigma@9f783d2741a5:VOC2006/ImageSets/ (bicycle_trainval.txt read: the line "
        "format; every <class>_trainval.txt 2,618 lines, trainval.txt 2,618 and test.txt 2,686 ids; its "
        "<class>_test.txt lists are a 523-line subset)",
    ),
    dm_nevis_differences=(
        "Images positive for several classes are left out, where dm_nevis keeps each under the "
        "class list it read last; class ids are in sorted order rather than in the order the "
        "lists sit in the tar (expected to be the same)."
    ),
)
