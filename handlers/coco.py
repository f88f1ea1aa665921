"""MS-COCO 2017 as classification: object crops (single-label) and whole photos with the
set of object categories they show (multi-label), over the 80 COCO categories.

Homepage https://cocodataset.org/ (Lin et al., "Microsoft COCO: Common Objects in
Context", ECCV 2014). Three zips: ``train2017.zip`` and ``val2017.zip`` hold
``<set>/<12-digit id>.jpg`` (some JPEGs are greyscale); ``annotations_trainval2017.zip``
holds ``annotations/instances_<set>.json`` (``images`` id/file_name, ``annotations``
image_id/category_id/bbox [x, y, w, h]/iscrowd, ``categories`` id/name), read with
json.load on the zip member stream (polygons dropped while parsing) before the photos
stream. The test2017 zips have no labels and are not artifacts. Category ids run 1-90
with gaps; labels are positions in the 80 names below, in COCO id order, and the
handler checks the JSON names the same ids. ``coco_multi_label``: one example per photo
with at least one instance (crowd regions included), keyed by member path; photos
without instances are absent. ``coco_single_label``: one example per non-crowd instance
whose box, rounded outward to whole pixels and clipped to the photo, is at least
MIN_SIDE px wide and high: the decoded photo cropped to that box (a PIL image), keyed
``<member>/<annotation id>``, labelled with the instance's category. Splits: val2017
is ``test``; train2017 photos are carved into train/dev/dev-test (0.70/0.15/0.15) by a
hash of the photo's member path, so all crops of one photo share a split.

Evidence: the three zips' sizes and md5s in a DataLad mirror (sizes equal the pins;
md5s equal dm_nevis's), the mirror's file counts of the unpacked zips (118,287 photos in
``train2017/``, 5,000 in ``val2017/``), and the provider's documented layout, which
dm_nevis reads the same way (``<set>/<file_name>`` in the image zips,
``annotations/instances_<set>.json``). No instances JSON was read, so how many photos
have instances, how many boxes pass MIN_SIDE and how the hash carves train2017 are not
known: no counts are declared.
"""

import io
import json
import math
from pathlib import Path

from PIL import Image

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

_HOST = "http://images.cocodataset.org/"
ARTIFACTS = (
    Artifact("train2017.zip", _HOST + "zips/train2017.zip", size=19336861798,
             sha256="69a8bb58ea5f8f99d24875f21416de2e9ded3178e903f1f7603e283b9e06d929"),
    Artifact("val2017.zip", _HOST + "zips/val2017.zip", size=815585330,
             sha256="4f7e2ccb2866ec5041993c9cf2a952bbed69647b115d0f74da7ce8f4bef82f05"),
    Artifact("annotations_trainval2017.zip", _HOST + "annotations/annotations_trainval2017.zip", size=252907541,
             sha256="113a836d90195ee1f884e704da6304dfaaecff1f023f49b6ca93c4aaae470268"),
)
# image set -> (photos zip, instances JSON member, split; None = carved by TR3)
SETS = {"train2017": ("train2017.zip", "annotations/instances_train2017.json", None),
        "val2017": ("val2017.zip", "annotations/instances_val2017.json", "test")}
MIN_SIDE = 16  # px; as dm_nevis (smaller boxes hold too little of the object to classify)

CATEGORIES = dict((int(i), n) for i, n in (item.split(" ", 1) for item in """
1 person|2 bicycle|3 car|4 motorcycle|5 airplane|6 bus|7 train|8 truck|9 boat|10 traffic light|
11 fire hydrant|13 stop sign|14 parking meter|15 bench|16 bird|17 cat|18 dog|19 horse|20 sheep|21 cow|
22 elephant|23 bear|24 zebra|25 giraffe|27 backpack|28 umbrella|31 handbag|32 tie|33 suitcase|34 frisbee|
35 skis|36 snowboard|37 sports ball|38 kite|39 baseball bat|40 baseball glove|41 skateboard|42 surfboard|
43 tennis racket|44 bottle|46 wine glass|47 cup|48 fork|49 knife|50 spoon|51 bowl|52 banana|53 apple|
54 sandwich|55 orange|56 broccoli|57 carrot|58 hot dog|59 pizza|60 donut|61 cake|62 chair|63 couch|
64 potted plant|65 bed|67 dining table|70 toilet|72 tv|73 laptop|74 mouse|75 remote|76 keyboard|
77 cell phone|78 microwave|79 oven|80 toaster|81 sink|82 refrigerator|84 book|85 clock|86 vase|
87 scissors|88 teddy bear|89 hair drier|90 toothbrush""".replace("\n", "").split("|")))
CLASS_NAMES = tuple(CATEGORIES.values())
_LABELS = {category_id: index for index, category_id in enumerate(CATEGORIES)}


def _examples(crops: bool):
    def examples(artifacts_dir: Path):
        for image_set, (photos, instances, split) in SETS.items():
            table = _instances(artifacts_dir / ARTIFACTS[2].file, instances, image_set)
            for name, data in _readers.zip_members(artifacts_dir / photos, keep=lambda n, t=table: n in t):
                split_of = split or _splits.by_fraction(name, _splits.TR3)
                if not crops:
                    yield Example(key=name, image=data, multi_label=tuple(sorted({a[1] for a in table[name]})), split=split_of)
                    continue
                photo = Image.open(io.BytesIO(data))
                for annotation_id, label, box, crowd in table[name]:
                    box = _crop_box(box, photo.size)
                    if box and not crowd:
                        yield Example(key=f"{name}/{annotation_id}", image=photo.crop(box), label=label, split=split_of)

    return examples


def write_fixture(artifacts_dir: Path) -> dict[str, int]:
    """Both image zips and the annotations zip (with unused JSON files): photos with one
    or several categories, none (absent), a crowd region, a tiny box, a box past the
    border, sparse ids up to 90 and a greyscale photo."""
    boxes = ([1, 2.5, 3, 20, 20.2, 0], [3, 10, 4, 30, 20, 0], [90, 0, 0, 8, 8, 0], [18, 30.6, 20, 40, 30, 0], [1, 5, 5, 30, 20, 1])
    counts, content = {"single": _splits.SplitSizes(), "multi": _splits.SplitSizes()}, {}
    for s, (image_set, (photos, instances, split)) in enumerate(SETS.items()):
        members, images, annotations = [], [], []
        for n in range(1, (26 if split is None else 7) + 1):
            image_id = s * 1000 + n
            name = f"{image_set}/{image_id:012d}.jpg"
            members.append((name, _fixtures.jpeg_bytes(_fixtures.pixels(image_id, 36, 48, 1 if n == 4 else 3))))
            images.append({"id": image_id, "file_name": name.split("/")[1], "width": 48, "height": 36})
            mine = [boxes[(n + k) % 5] for k in range(n % 4)]
            for k, (category, *bbox, crowd) in enumerate(mine):
                annotations.append({"id": image_id * 10 + k, "image_id": image_id, "category_id": category,
                                    "bbox": bbox, "iscrowd": crowd, "area": bbox[2] * bbox[3],
                                    "segmentation": {"counts": "abc", "size": [36, 48]} if crowd else [[0.0, 0.0, 1.0, 1.0]]})
            split_of = split or _splits.by_fraction(name, _splits.TR3)
            if mine:
                counts["multi"].add(split_of)
            kept = sum(1 for _, *bbox, crowd in mine if not crowd and _crop_box(bbox, (48, 36)))
            counts["single"].add(split_of, kept)
        _fixtures.write_zip(artifacts_dir / photos, members)
        categories = [{"supercategory": "thing", "id": i, "name": name} for i, name in CATEGORIES.items()]
        content[instances] = json.dumps({"info": {}, "images": images, "annotations": annotations, "categories": categories}).encode()
        content[instances.replace("instances", "captions")] = b'{"annotations": []}'
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[2].file, sorted(content.items()))
    return counts


def _instances(annotations_zip: Path, member: str, image_set: str) -> dict[str, list]:
    """photo member path -> [(annotation id, label, bbox, iscrowd)], photos with instances only."""
    with _readers.open_zip(annotations_zip) as archive, archive.open(member) as stream:
        content = json.load(stream, object_hook=_without_polygons)
    named = {category["id"]: category["name"] for category in content["categories"]}
    if named != CATEGORIES:
        raise ValueError(f"{member}: categories differ from the handler's table: {sorted(set(named.items()) ^ set(CATEGORIES.items()))}")
    files = {image["id"]: f"{image_set}/{image['file_name']}" for image in content["images"]}
    table: dict[str, list] = {}
    for a in content["annotations"]:
        table.setdefault(files[a["image_id"]], []).append((a["id"], _LABELS[a["category_id"]], a["bbox"], a["iscrowd"]))
    return table


def _without_polygons(obj: dict) -> dict:
    obj.pop("segmentation", None)  # most of the JSON's size; freed as soon as it is parsed
    return obj


def _crop_box(bbox, size) -> tuple[int, int, int, int] | None:
    """The box rounded outward and clipped to the photo, or None if a side is under MIN_SIDE."""
    x, y, w, h = bbox
    left, top = max(0, math.floor(x)), max(0, math.floor(y))
    right, bottom = min(size[0], math.ceil(x + w)), min(size[1], math.ceil(y + h))
    return (left, top, right, bottom) if min(right - left, bottom - top) >= MIN_SIDE else None


def _spec(variant: str) -> DatasetSpec:
    crops = variant == "single_label"
    return DatasetSpec(
        name=f"coco_{variant}",
        description=("Object crops from MS-COCO 2017, labelled with the object's category (80 classes)." if crops else
                     "MS-COCO 2017 photos labelled with every object category they show (80 categories)."),
        homepage="https://cocodataset.org/",
        citation="Lin, T.-Y., Maire, M., Belongie, S., Hays, J., Perona, P., Ramanan, D., Dollár, P., Zitnick, C. L. Microsoft COCO: Common Objects in Context. European Conference on Computer Vision (ECCV), 2014.",
        license="Annotations CC BY 4.0; images under their Flickr licenses (see homepage)",
        artifacts=ARTIFACTS,
        features=Features(channels=3, class_names=CLASS_NAMES) if crops else Features(channels=3, label_vocabulary=CLASS_NAMES),
        examples=_examples(crops),
        write_fixture=lambda artifacts_dir: write_fixture(artifacts_dir)["single" if crops else "multi"],
        # Which photos have instances and how the hash carves train2017 is known only from the JSON.
        num_examples=None,
        source="coco",
        unconfirmed="the instances JSON's content (the category table is checked when the build reads it)",
        evidence=Evidence(
            "documentation",
            source=(
                "datasets-mila/datasets--coco@2c8bd8cf33daf45e9e5909b5323325e9fe9c5449:md5sums and 2017/ "
                "annex keys (train2017.zip 19,336,861,798 B md5 cced6f7f..., val2017.zip 815,585,330 B md5 "
                "442b8da7..., annotations_trainval2017.zip 252,907,541 B md5 f4bbac64...); "
                "datasets-mila/datasets--coco@fc43bdb3aebf:files_count.stats (unpacked: 118,287 train2017 "
                "and 5,000 val2017 files); https://cocodataset.org/#format-data (instances JSON fields)"
            ),
        ),
        dm_nevis_differences=(
            "dm_nevis labels by category_id - 1 (90 slots, 10 never used) and carves train2017 by a "
            "seeded draw per example; here labels are the 80 used categories in id order and the carve "
            "hashes the photo's path, so crops of one photo never straddle train and dev. "
            + ("dm_nevis also keeps crowd boxes as crops and tests the 16 px minimum before clipping; "
               "here crowd regions are skipped and the minimum applies to the clipped box."
               if crops else "")
        ).strip(),
    )


coco_single_label = _spec("single_label")
coco_multi_label = _spec("multi_label")
