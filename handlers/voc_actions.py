"""PASCAL VOC 2012 action classification: crops of people, each labelled with the
actions they perform (multi-label, 10 actions plus "other").

Homepage http://host.robots.ox.ac.uk/pascal/VOC/voc2012/ (Everingham et al., 2012); the
artifact is the trainval tar from the pjreddie mirror (the official test set withholds
its action labels and is not used). Images: the union of the ids listed in
``VOCdevkit/VOC2012/ImageSets/Action/<action>_trainval.txt`` for the ten actions (lines
``<id> <person> <flag>``, sometimes double-spaced). For each, every object of
``Annotations/<id>.xml`` that has an ``actions`` element becomes one crop of
``JPEGImages/<id>.jpg`` at its ``bndbox`` (coordinates truncated to integers, as in
dm_nevis), labelled with the actions whose flag is 1. The tar is uncompressed, so it is
indexed once and only the needed members are read. Splits: every crop is drawn into
train/dev/dev-test/test (0.56/0.12/0.12/0.20) by a hash of its key ``<id>/<object>``;
crops of one photo may land in different splits.

Evidence: the DataLad mirror datasets-mila/datasets--voc2012 pins the same tar (md5
6cd6e144f989b92b3379bac3b3de84fd, 1,999,639,040 B, as TFDS's size here) and counts
17,125 Annotations and 17,125 JPEGImages under ``VOCdevkit/VOC2012/``; the
``ImageSets/Action/<action>_<set>.txt`` names and line format are those of the VOC
devkit (``VOCopts.action.clsimgsetpath``) and of loaders that read them. The action lists
themselves were not seen, so the number of crops is not declared.
"""

import io
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from PIL import Image

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact(
        "VOCtrainval_11-May-2012.tar",
        "http://pjreddie.com/media/files/VOCtrainval_11-May-2012.tar",
        sha256="e14f763270cf193d0b5f74b169f44157a4b0c6efa708f4dd0ff78ee691763bcb",
        size=1999639040,
    ),
)
_ROOT = "VOCdevkit/VOC2012/"

ACTIONS = ("jumping", "phoning", "playinginstrument", "reading", "ridingbike", "ridinghorse", "running",
           "takingphoto", "usingcomputer", "walking", "other")
_LISTS = {f"{_ROOT}ImageSets/Action/{action}_trainval.txt" for action in ACTIONS[:-1]}


def examples(artifacts_dir: Path):
    with _readers.indexed_tar(artifacts_dir / ARTIFACTS[0].file) as archive:
        ids = sorted({line.split()[0] for name in sorted(_LISTS & archive.names)
                      for line in archive.read(name).decode().splitlines() if line.strip()})
        if not ids:
            raise ValueError(f"{ARTIFACTS[0].file} has no action lists under {_ROOT}ImageSets/Action/")
        for image_id in ids:
            xml = archive.read(f"{_ROOT}Annotations/{image_id}.xml")
            people = _people(ElementTree.fromstring(xml))
            photo = Image.open(io.BytesIO(archive.read(f"{_ROOT}JPEGImages/{image_id}.jpg")))
            for number, box, labels in people:
                key = f"{image_id}/{number}"
                yield Example(key=key, image=photo.crop(box), multi_label=labels,
                              split=_splits.by_fraction(key, _splits.ALL))


def write_fixture(artifacts_dir: Path, photos: int = 7) -> dict[str, int]:
    """Action photos with two people each, a detection-only photo (no actions element),
    unrelated lists, and JPEGs stored before the annotations."""
    jpegs, xmls, counts = [], [], _splits.SplitSizes()
    ids = [f"2011_{i:06d}" for i in range(photos)] + ["2008_000001"]
    for i, image_id in enumerate(ids):
        jpegs.append((f"{_ROOT}JPEGImages/{image_id}.jpg", _fixtures.jpeg_bytes(_fixtures.pixels(i, 40, 48, 3))))
        objects = [("person", (3.5, 4, 20, 30), {ACTIONS[i % 11]: 1, ACTIONS[(i + 3) % 11]: int(i % 2 == 0)}),
                   ("person", (22, 6.9, 46, 38), {ACTIONS[(i + 5) % 11]: 1})] if i < photos else []
        # Objects without an actions element (a chair in an action photo, a dog elsewhere) are skipped.
        objects.append(("chair" if i < photos else "dog", (1, 1, 9, 9), None))
        xmls.append((f"{_ROOT}Annotations/{image_id}.xml", _xml(objects)))
        for number in range(1, 3 if i < photos else 1):
            split = _splits.by_fraction(f"{image_id}/{number}", _splits.ALL)
            counts.add(split)
    lines = "".join(f"{image_id}  {p}  1\n" for image_id in ids[:photos] for p in (1, 2))
    lists = [(name, lines.encode()) for name in sorted(_LISTS)]
    lists.append((f"{_ROOT}ImageSets/Main/train.txt", b"2008_000001\n"))
    _fixtures.write_tar(artifacts_dir / ARTIFACTS[0].file, jpegs + xmls + lists, mode="w")
    return counts


def _people(root) -> list[tuple[int, tuple[int, int, int, int], tuple[int, ...]]]:
    people = []
    for number, obj in enumerate(root.iter("object"), 1):
        actions = obj.find("actions")
        if actions is None:
            continue
        box = tuple(int(float(obj.find(f"bndbox/{edge}").text)) for edge in ("xmin", "ymin", "xmax", "ymax"))
        labels = tuple(i for i, action in enumerate(ACTIONS)
                       if actions.find(action) is not None and int(float(actions.find(action).text)) == 1)
        people.append((number, box, labels))
    return people


def _xml(objects) -> bytes:
    parts = ["<annotation><folder>VOC2012</folder>"]
    for name, box, actions in objects:
        edges = "".join(f"<{e}>{v}</{e}>" for e, v in zip(("xmin", "ymin", "xmax", "ymax"), box, strict=True))
        flags = "" if actions is None else "<actions>" + "".join(
            f"<{a}>{actions.get(a, 0)}</{a}>" for a in ACTIONS) + "</actions>"
        parts.append(f"<object><name>{name}</name><bndbox>{edges}</bndbox>{flags}</object>")
    return ("".join(parts) + "</annotation>").encode()


voc_actions = DatasetSpec(
    name="voc_actions",
    description="Person crops from PASCAL VOC 2012 action photos, each labelled with the actions performed (10 actions plus other).",
    homepage="http://host.robots.ox.ac.uk/pascal/VOC/voc2012/",
    citation="Everingham, M., Van Gool, L., Williams, C. K. I., Winn, J., Zisserman, A. The PASCAL Visual Object Classes Challenge 2012 (VOC2012) Results, 2012.",
    license="Flickr terms of use for the images; annotations by the PASCAL VOC project (see homepage)",
    artifacts=ARTIFACTS,
    features=Features(channels=3, label_vocabulary=ACTIONS),
    examples=examples,
    write_fixture=write_fixture,
    # Crop keys depend on the annotation files, so the hash-split sizes are not known in advance.
    num_examples=None,
    unconfirmed=(
        "that every object of an action image carries an actions element with all 11 flags (objects "
        "without one are skipped; dm_nevis would have failed on them); the number of crops"
    ),
    evidence=Evidence(
        "documentation",
        source=(
            "datasets-mila/datasets--voc2012@9833da4290f7:md5sums and @2edf587bcced:files_count.stats "
            "(the tar's md5 and size; 17,125 annotations and images); VOC2012 devkit (Action list names, "
            "line format, 11 actions); deepmind/dm_nevis@37ccf1e2dd89:dm_nevis/datasets_storage/handlers/"
            "voc_actions.py (member paths, crop rule)"
        ),
    ),
)
