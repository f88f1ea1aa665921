"""Caltech Camera Traps (ECCV 2018 subset): camera-trap photos from the American
Southwest, labelled with the animal species seen (or "empty").

Homepage https://lila.science/datasets/caltech-camera-traps (Beery, Van Horn, Perona,
"Recognition in Terra Incognita", ECCV 2018). Two tar.gz: the images,
``eccv_18_all_images_sm/<image id>.jpg`` (resized), and the annotations,
``eccv_18_annotation_files/<set>_annotations.json`` in COCO style (``categories`` with
id/name, ``annotations`` with image_id/category_id). Only the ``train``, ``trans_val``
and ``trans_test`` sets are used (the ``cis_*`` sets are not): images in none of them are
skipped. The label is the name of the image's annotated category; an image whose
annotations name two different categories (or none) is left out (dm_nevis keeps the
last one).
The annotations are read first, then the images stream. Splits: ``train`` is carved
into train/dev (0.80/0.20) by a hash of the member path; ``trans_val`` is dev-test and
``trans_test`` is test (new camera locations, as in the paper).

Evidence: documentation and dm_nevis's reader, no listing. The paper defines the
train, cis and trans sets; dm_nevis reads the three annotation files under
``eccv_18_annotation_files/`` of the pinned tar and maps every annotation's category
into these 16 names, so the used sets name no other; public code unpacks the images
tar to ``eccv_18_all_images_sm/<image id>.jpg``.
"""

import io
import json
import posixpath
from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

_HOST = "https://lilablobssc.blob.core.windows.net/caltechcameratraps/"
ARTIFACTS = (
    Artifact("eccv_18_all_images_sm.tar.gz", _HOST + "eccv_18_all_images_sm.tar.gz",
             md5="8143c17aa2a12872b66f284ff211531f"),
    Artifact("eccv_18_annotations.tar.gz", _HOST + "eccv_18_annotations.tar.gz",
             md5="66a1f481b44aa1edadf75c9cfbd27aba"),
)
ANNOTATIONS = "eccv_18_annotation_files/{}_annotations.json"
SETS = {"train": None, "trans_val": "dev-test", "trans_test": "test"}  # None: carved by TR2

CLASS_NAMES = ("badger", "bird", "bobcat", "car", "cat", "coyote", "deer", "dog", "empty", "fox",
               "opossum", "rabbit", "raccoon", "rodent", "skunk", "squirrel")


def examples(artifacts_dir: Path):
    table = _image_table(artifacts_dir / ARTIFACTS[1].file)
    for name, data in _readers.tar_members(artifacts_dir / ARTIFACTS[0].file, suffixes=(".jpg",)):
        entry = table.pop(posixpath.basename(name)[:-4], None)
        if entry is not None:
            label, split = entry
            yield Example(key=name, image=data, label=label, split=split or _splits.by_fraction(name, _splits.TR2))
    if table:
        raise ValueError(f"{len(table)} annotated images are missing from {ARTIFACTS[0].file}, e.g. {min(table)}")


def write_fixture(artifacts_dir: Path) -> dict[str, int]:
    """Images of every used set, of a cis set (skipped), one with two species (left out),
    one annotated twice with one species, greyscale night shots; JSON as LILA ships it."""
    sets = {name: {"images": [], "annotations": [], "categories": []} for name in (*SETS, "cis_val", "cis_test")}
    category_ids = {name: 100 - 3 * i for i, name in enumerate(CLASS_NAMES)}  # sparse, unsorted ids
    members, counts = [], _splits.SplitSizes()
    for n in range(40):
        image_id = f"59{n:06x}-23d2-11e8-a6a3-ec086b02610b"
        set_name = ("train", "train", "trans_val", "trans_test", "train", "cis_val", "train", "cis_test")[n % 8]
        classes = [CLASS_NAMES[n % 16]] + ([CLASS_NAMES[(n + 1) % 16]] if n == 6 else [CLASS_NAMES[n % 16]] if n == 9 else [])
        sets[set_name]["images"].append({"id": image_id, "file_name": f"{image_id}.jpg", "width": 32, "height": 24})
        for c, class_name in enumerate(classes):
            sets[set_name]["annotations"].append({"id": f"{image_id}-{c}", "image_id": image_id, "category_id": category_ids[class_name]})
        key = f"eccv_18_all_images_sm/{image_id}.jpg"
        members.append((key, _fixtures.jpeg_bytes(_fixtures.pixels(n, 24, 32, 1 if n % 5 == 0 else 3))))
        if set_name in SETS and len(set(classes)) == 1:
            split = SETS[set_name] or _splits.by_fraction(key, _splits.TR2)
            counts.add(split)
    for content in sets.values():
        content["categories"] = [{"id": i, "name": name} for name, i in category_ids.items()]
    _fixtures.write_tar(artifacts_dir / ARTIFACTS[0].file, members)
    _fixtures.write_tar(artifacts_dir / ARTIFACTS[1].file,
                        [(ANNOTATIONS.format(name), json.dumps(content).encode()) for name, content in sets.items()])
    return counts


def _image_table(path: Path) -> dict[str, tuple[int, str | None]]:
    """image id -> (label, split or None for the TR2 pool), from the three used JSON files."""
    wanted = {ANNOTATIONS.format(name): split for name, split in SETS.items()}
    unread = set(wanted)
    table: dict[str, tuple[int, str | None]] = {}
    for name, data in _readers.tar_members(path, keep=lambda n: n in wanted):
        unread.discard(name)
        content = json.load(io.BytesIO(data))
        names = {category["id"]: category["name"] for category in content["categories"]}
        classes: dict[str, set[str]] = {image["id"]: set() for image in content["images"]}
        for annotation in content["annotations"]:
            classes[annotation["image_id"]].add(names[annotation["category_id"]])
        for image_id, found in classes.items():
            if image_id in table:
                raise ValueError(f"image {image_id} is in two annotation files ({name})")
            if len(found) == 1:
                (class_name,) = found
                if class_name not in CLASS_NAMES:
                    raise ValueError(f"{name}: unknown category {class_name!r}")
                table[image_id] = (CLASS_NAMES.index(class_name), wanted[name])
    if unread:
        raise FileNotFoundError(f"{path.name} has no member(s) {sorted(unread)}")
    return table


caltech_camera_traps = DatasetSpec(
    name="caltech_camera_traps",
    description="Camera-trap photos (ECCV 2018 subset of Caltech Camera Traps) labelled with one of 15 species or empty.",
    homepage="https://lila.science/datasets/caltech-camera-traps",
    citation="Beery, S., Van Horn, G., Perona, P. Recognition in Terra Incognita. European Conference on Computer Vision (ECCV), 2018.",
    license="Community Data License Agreement, permissive variant (CDLA-Permissive 1.0)",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # How many images have one category, and how the hash carves train, is known only from the JSON.
    num_examples=None,
    unconfirmed="the URLs (LILA has moved its storage since dm_nevis pinned them); the image counts",
    evidence=Evidence(
        "documentation",
        source="Beery, Van Horn, Perona, ECCV 2018 (the train / cis / trans sets); "
        "deepmind/dm_nevis@37ccf1e2dd89:dm_nevis/datasets_storage/handlers/caltech_camera_traps.py "
        "(the annotation member paths and the 16 categories they use)",
    ),
    dm_nevis_differences="An image whose annotations name two categories is left out (dm_nevis kept "
    "the last annotation's), and the 16 classes are numbered in sorted order rather than dm_nevis's own.",
)
