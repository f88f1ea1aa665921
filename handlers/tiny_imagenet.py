"""Tiny ImageNet: 64x64 JPEGs of 200 ImageNet classes (Stanford CS231n, 2015).

Homepage http://cs231n.stanford.edu/ (Le, Yang, "Tiny ImageNet Visual Recognition
Challenge", CS231N course report, 2015). One zip, ``tiny-imagenet-200/``: ``wnids.txt``
(the 200 WordNet ids), ``train/<wnid>/images/<wnid>_<n>.JPEG`` with n = 0..499 (and a
``<wnid>_boxes.txt`` beside, unused), ``val/images/val_<n>.JPEG`` labelled by
``val/val_annotations.txt`` (tab-separated: file, wnid, box), and ``test/images/`` without
labels (not used). Classes are the sorted wnids (the handler checks ``wnids.txt`` holds
exactly these); a training label is the class folder, checked against the file-name
prefix. Some JPEGs are greyscale. Splits: the 10,000 validation images are ``test``;
the 100,000 training images are carved into train/dev/dev-test by a hash of the member
path (sizes known in advance, since the file names are).

Evidence: an extracted copy of the zip (120,203 files) holds exactly the 200 class folders
of ``CLASS_NAMES`` with images ``<wnid>_0`` .. ``<wnid>_499``, 10,000 ``val_<n>`` images
annotated 50 per class with the same 200 wnids, and 10,000 test images; the DataLad mirror
gives the pinned zip's size.
"""

from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact("tiny-imagenet-200.zip", "http://cs231n.stanford.edu/tiny-imagenet-200.zip",
             md5="90528d7ca1a48142e341f4ef8d21d0de", size=248100043),
)
ROOT = "tiny-imagenet-200/"

CLASS_NAMES = tuple(sorted("""
n01443537 n01629819 n01641577 n01644900 n01698640 n01742172 n01768244 n01770393 n01774384 n01774750
n01784675 n01855672 n01882714 n01910747 n01917289 n01944390 n01945685 n01950731 n01983481 n01984695
n02002724 n02056570 n02058221 n02074367 n02085620 n02094433 n02099601 n02099712 n02106662 n02113799
n02123045 n02123394 n02124075 n02125311 n02129165 n02132136 n02165456 n02190166 n02206856 n02226429
n02231487 n02233338 n02236044 n02268443 n02279972 n02281406 n02321529 n02364673 n02395406 n02403003
n02410509 n02415577 n02423022 n02437312 n02480495 n02481823 n02486410 n02504458 n02509815 n02666196
n02669723 n02699494 n02730930 n02769748 n02788148 n02791270 n02793495 n02795169 n02802426 n02808440
n02814533 n02814860 n02815834 n02823428 n02837789 n02841315 n02843684 n02883205 n02892201 n02906734
n02909870 n02917067 n02927161 n02948072 n02950826 n02963159 n02977058 n02988304 n02999410 n03014705
n03026506 n03042490 n03085013 n03089624 n03100240 n03126707 n03160309 n03179701 n03201208 n03250847
n03255030 n03355925 n03388043 n03393912 n03400231 n03404251 n03424325 n03444034 n03447447 n03544143
n03584254 n03599486 n03617480 n03637318 n03649909 n03662601 n03670208 n03706229 n03733131 n03763968
n03770439 n03796401 n03804744 n03814639 n03837869 n03838899 n03854065 n03891332 n03902125 n03930313
n03937543 n03970156 n03976657 n03977966 n03980874 n03983396 n03992509 n04008634 n04023962 n04067472
n04070727 n04074963 n04099969 n04118538 n04133789 n04146614 n04149813 n04179913 n04251144 n04254777
n04259630 n04265275 n04275548 n04285008 n04311004 n04328186 n04356056 n04366367 n04371430 n04376876
n04398044 n04399382 n04417672 n04456115 n04465501 n04486054 n04487081 n04501370 n04507155 n04532106
n04532670 n04540053 n04560804 n04562935 n04596742 n04597913 n06596364 n07579787 n07583066 n07614500
n07615774 n07695742 n07711569 n07715103 n07720875 n07734744 n07747607 n07749582 n07753592 n07768694
n07871810 n07873807 n07875152 n07920052 n09193705 n09246464 n09256479 n09332890 n09428293 n12267677
""".split()))
_LABELS = {name: index for index, name in enumerate(CLASS_NAMES)}
TRAIN_PER_CLASS = 500


def examples(artifacts_dir: Path):
    archive = artifacts_dir / ARTIFACTS[0].file
    side = dict(_readers.zip_members(archive, keep=lambda n: n in (f"{ROOT}wnids.txt", f"{ROOT}val/val_annotations.txt")))
    if set(side[f"{ROOT}wnids.txt"].decode().split()) != set(CLASS_NAMES):
        raise ValueError("wnids.txt does not list the handler's 200 classes")
    rows = (line.split("\t") for line in side[f"{ROOT}val/val_annotations.txt"].decode().splitlines() if line.strip())
    val_labels = {row[0]: row[1] for row in rows}
    for name, data in _readers.zip_members(archive, suffixes=(".jpeg",)):
        part, file = name.removeprefix(ROOT).split("/", 1)[0], name.rsplit("/", 1)[-1]
        if part == "train":
            wnid = _readers.class_folder(name, depth=2)
            if not file.startswith(wnid + "_"):
                raise ValueError(f"{name}: file name does not match its class folder")
            yield Example(key=name, image=data, label=_LABELS[wnid], split=_splits.by_fraction(name, _splits.TR3))
        elif part == "val":
            yield Example(key=name, image=data, label=_LABELS[val_labels.pop(file)], split="test")
    if val_labels:
        raise ValueError(f"{len(val_labels)} annotated validation images are missing, e.g. {min(val_labels)}")


def write_fixture(artifacts_dir: Path, per_class: int = 5) -> dict[str, int]:
    """The zip layout with boxes files, unlabelled test images and one greyscale JPEG."""
    wnids = (CLASS_NAMES[0], CLASS_NAMES[57], CLASS_NAMES[199])
    members = {f"{ROOT}wnids.txt": "\n".join(CLASS_NAMES).encode() + b"\n", f"{ROOT}words.txt": b"n01443537\tgoldfish\n"}
    counts, annotations = _splits.SplitSizes({"test": 0}), []
    for c, wnid in enumerate(wnids):
        members[f"{ROOT}train/{wnid}/{wnid}_boxes.txt"] = f"{wnid}_0.JPEG\t0\t0\t63\t63\n".encode()
        for i in range(per_class):
            key = f"{ROOT}train/{wnid}/images/{wnid}_{i}.JPEG"
            members[key] = _fixtures.jpeg_bytes(_fixtures.pixels(c * 10 + i, 64, 64, 1 if i == c == 1 else 3))
            split = _splits.by_fraction(key, _splits.TR3)
            counts.add(split)
    for i in range(4):
        members[f"{ROOT}val/images/val_{i}.JPEG"] = _fixtures.jpeg_bytes(_fixtures.pixels(500 + i, 64, 64, 3))
        annotations.append(f"val_{i}.JPEG\t{wnids[i % 3]}\t1\t2\t40\t50")
        members[f"{ROOT}test/images/test_{i}.JPEG"] = _fixtures.jpeg_bytes(_fixtures.pixels(900 + i, 64, 64, 3))
        counts.add("test")
    members[f"{ROOT}val/val_annotations.txt"] = ("\n".join(annotations) + "\n").encode()
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[0].file, members)
    return counts


def derived_counts() -> dict[str, int]:
    """The split sizes the TR3 hash draw gives the documented training names (slow:
    100,000 hashes; NUM_EXAMPLES holds the result and a test recomputes it)."""
    train = (f"{ROOT}train/{w}/images/{w}_{i}.JPEG" for w in CLASS_NAMES for i in range(TRAIN_PER_CLASS))
    return {"test": 10000, **_splits.tally(train, _splits.TR3)}


NUM_EXAMPLES = {"train": 69860, "dev": 15077, "dev-test": 15063, "test": 10000}


tiny_imagenet = DatasetSpec(
    name="tiny_imagenet",
    description="200 ImageNet classes at 64x64: 500 training and 50 validation images per class.",
    homepage="http://cs231n.stanford.edu/",
    citation="Le, Y., Yang, X. Tiny ImageNet Visual Recognition Challenge. CS231N course report, Stanford University, 2015.",
    license="unknown; see homepage (images from ImageNet, non-commercial research terms)",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    num_examples=NUM_EXAMPLES,
    unconfirmed=(
        "the text of wnids.txt (both public copies read had edited it, to 10 and 202 lines; its "
        "set is checked at build time)"
    ),
    evidence=Evidence(
        "real listing",
        source="Sachitbansal/DLA@44579204a3d8506f5aa76fb6695aa3b81eefe66a:tiny-imagenet-200/ "
        "(the extracted zip: 100,000 train/<wnid>/images/<wnid>_<0-499>.JPEG in the 200 folders "
        "of CLASS_NAMES, 200 <wnid>_boxes.txt, val/val_annotations.txt labelling val_0..val_9999 "
        "50 per class, 10,000 test images); datasets-mila/datasets--tinyimagenet@"
        "fc4eaeb3b1c94786a9d5bff5576f481992e5a307:tiny-imagenet-200.zip (annex key "
        "MD5E-s248100043--90528d7c...: the pinned md5)",
    ),
)
