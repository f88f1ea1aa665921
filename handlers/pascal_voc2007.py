"""PASCAL VOC 2007: photos labelled with every object class they show (20 classes).

Homepage http://host.robots.ox.ac.uk/pascal/VOC/voc2007/ (Everingham, Van Gool,
Williams, Winn, Zisserman, "The PASCAL Visual Object Classes (VOC) Challenge", IJCV
2010); the artifacts are the pjreddie mirror's copies of the official tars (checksums
as TFDS pins them). Two uncompressed tars, trainval and test, each with
``VOCdevkit/VOC2007/ImageSets/Main/<class>_<set>.txt`` (one line per image of the set:
``<id> <flag>``, 1 present, -1 absent, 0 difficult only) and
``VOCdevkit/VOC2007/JPEGImages/<id>.jpg``; read with handlers/_voc.py. An image's labels
are the classes whose list marks it 1 (difficult-only objects do not count; in the real
lists every image has at least one class marked 1); every image of the set is kept
(5,011 trainval, 4,952 test). Class ids follow the sorted names, not the order of the
lists in the tar. Splits: the official test set is ``test``; trainval is carved into
train/dev/dev-test (0.70/0.15/0.15) by a hash of the member path.

Evidence: the real ImageSets/Main lists (all 20 classes, trainval and test) agree with one
another and with trainval.txt / test.txt; the declared split sizes are tallied over their ids.
"""

from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _splits, _voc
from handlers._spec import Artifact, DatasetSpec, Evidence

_MIRROR = "http://pjreddie.com/media/files/"
ARTIFACTS = (
    Artifact("VOCtrainval_06-Nov-2007.tar", _MIRROR + "VOCtrainval_06-Nov-2007.tar", size=460032000,
             sha256="7d8cd951101b0957ddfd7a530bdc8a94f06121cfc1e511bb5937e973020c7508"),
    Artifact("VOCtest_06-Nov-2007.tar", _MIRROR + "VOCtest_06-Nov-2007.tar", size=451020800,
             sha256="6836888e2e01dca84577a849d339fa4f73e1e4f135d312430c4856b5609b4892"),
)
ROOT = "VOCdevkit/VOC2007/"
SETS = ("trainval", "test")  # the image set each artifact holds

CLASS_NAMES = ("aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
               "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa",
               "train", "tvmonitor")


def examples(artifacts_dir: Path):
    for artifact, image_set in zip(ARTIFACTS, SETS, strict=True):
        with _voc.devkit_tar(artifacts_dir / artifact.file) as read:
            found = _voc.positives(read, ROOT + "ImageSets/Main/{}_" + image_set + ".txt", CLASS_NAMES)
            for image_id, labels in found.items():
                key = f"{ROOT}JPEGImages/{image_id}.jpg"
                yield Example(key=key, image=read(key), multi_label=labels, split=_split(key, image_set))


def write_fixture(artifacts_dir: Path) -> dict[str, int]:
    """Both tars: images with one, several, only difficult or no objects; annotation
    XML, segmentation PNGs and the unused train/val and Layout lists; images first."""
    counts = _splits.SplitSizes()
    for s, (artifact, image_set) in enumerate(zip(ARTIFACTS, SETS, strict=True)):
        ids = [f"{s * 5000 + 2 * n + 3:06d}" for n in range(30 if s == 0 else 8)]
        flags = {name: {} for name in CLASS_NAMES}
        members = []
        for n, image_id in enumerate(ids):
            present = {n % 20, (n * 7) % 20} if n % 3 else {n % 20}
            for c, name in enumerate(CLASS_NAMES):
                flags[name][image_id] = 1 if c in present and n % 11 != 5 else (0 if c in present else -1)
            key = f"{ROOT}JPEGImages/{image_id}.jpg"
            members.append((key, _fixtures.jpeg_bytes(_fixtures.pixels(s * 100 + n, 24, 30 + n % 4, 3))))
            members.append((f"{ROOT}Annotations/{image_id}.xml", b"<annotation><folder>VOC2007</folder></annotation>"))
            counts.add(_split(key, image_set))
        members.append((f"{ROOT}SegmentationClass/{ids[0]}.png", _fixtures.png_bytes(_fixtures.pixels(9, 24, 30, 1))))
        for name in CLASS_NAMES:
            members.append((f"{ROOT}ImageSets/Main/{name}_{image_set}.txt", _voc.list_bytes(flags[name])))
            if image_set == "trainval":
                members.append((f"{ROOT}ImageSets/Main/{name}_val.txt", _voc.list_bytes(dict(list(flags[name].items())[1::2]))))
        members.append((f"{ROOT}ImageSets/Layout/{image_set}.txt", f"{ids[0]} 1\n".encode()))
        _fixtures.write_tar(artifacts_dir / artifact.file, members, mode="w")
    return counts


def _split(key: str, image_set: str) -> str:
    return "test" if image_set == "test" else _splits.by_fraction(key, _splits.TR3)


pascal_voc2007 = DatasetSpec(
    name="pascal_voc2007",
    description="PASCAL VOC 2007: 9,963 Flickr photos, each labelled with the object classes it shows (20 classes).",
    homepage="http://host.robots.ox.ac.uk/pascal/VOC/voc2007/",
    citation="Everingham, M., Van Gool, L., Williams, C. K. I., Winn, J., Zisserman, A. The PASCAL Visual Object Classes (VOC) Challenge. International Journal of Computer Vision 88(2), 2010.",
    license="Flickr terms of use for the images; annotations by the PASCAL VOC project (see homepage)",
    artifacts=ARTIFACTS,
    features=Features(channels=3, label_vocabulary=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # The hash draw tallied over the 5,011 trainval ids of the real lists; test is 4,952.
    num_examples={"train": 3522, "dev": 769, "dev-test": 720, "test": 4952},
    unconfirmed="the tars' members other than the image-set lists (JPEGImages/<id>.jpg is the devkit's layout)",
    evidence=Evidence(
        "real listing",
        source="varun-nagaraja/BING-Objectness@2a1665415d50de0f2e0294f4ccd3ac5aad018fbe:"
        "VOC2007/ImageSets/Main/ (the 20 <class>_trainval.txt and <class>_test.txt lists with "
        "CRLF line ends, 5,011 and 4,952 ids, every id with at least one class flagged 1)",
        listing="pascal_voc2007.json.gz",
    ),
    dm_nevis_differences=(
        "Class ids follow the sorted class names; dm_nevis numbers classes in the order the list "
        "files appear in whichever tar its directory listing returns first."
    ),
)
