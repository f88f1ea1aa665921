"""INTERACT: images of two people in one of 60 fine-grained interactions (hugging,
kicking, ...), from the stand-alone set and the category-level illustration set.

Homepage https://computing.ece.vt.edu/~santol/projects/zsl_via_visual_abstraction/interact/index.html
(Antol, Zitnick, Parikh, "Zero-Shot Learning via Visual Abstraction", ECCV 2014). Each
set comes as an images zip (``imgs/<file>``; the stand-alone one also holds its gallery
pages, ``html/`` and ``interact_dataset_gallery.html``) and an annotations zip whose root
holds ``<set>_labels_and_images.txt`` beside pose, expression, gaze and gender files.
Each label line is ``<category number, 2 digits>;<file>;Person 1 <phrase> Person 2.``
(numbers 1-based, LF). Photos are ``<HIT assignment id>_<nn>.jpg``, illustrations
``<assignment id>_<nn>.png``. Class names here are the provider's category numbers,
zero-padded: the 60 phrases are known ("is carrying" ... "is crouching with") but not
which number each carries; the handler checks that every number keeps one sentence in
both files. Three truncated JPEGs are skipped. Splits follow dm_nevis's protocol: per
class, stand-alone images go floor(0.56 n) to train, floor(0.12 n) to dev and to
dev-test, the rest to test, ordered by key hash instead of a seeded permutation; every
illustration goes to train.

Evidence: the provider's own scripts that wrote both sets (the line format, file naming,
PNG illustrations, the members of each zip; numbers are positions in a verb list that is
not published) and its pose-annotation page data (60 phrases, a few assignment ids each,
among them the three truncated photos). No listing or copy of the zips was found, so
counts per class remain unknown.
"""

import io
from pathlib import Path

from data.types import Example, Features
from handlers import _class_splits, _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

_BASE = "https://computing.ece.vt.edu/~santol/projects/zsl_via_visual_abstraction/interact/"
ARTIFACTS = (
    Artifact("interact_stand-alone_dataset_images.zip", _BASE + "interact_stand-alone_dataset/interact_stand-alone_dataset_images.zip", md5="93d7a853e0e596e7ef7fecc4808ffdf8"),
    Artifact("interact_stand-alone_dataset_annotations.zip", _BASE + "interact_stand-alone_dataset/interact_stand-alone_dataset_annotations.zip", md5="aef1de2ad7c596a566cd78414a266f5f"),
    Artifact("interact_illustration_category_dataset_images.zip", _BASE + "interact_illustration_category_dataset/interact_illustration_category_dataset_images.zip", md5="47c043e360a177c026fa7b7652fdf5b2"),
    Artifact("interact_illustration_category_dataset_annotations.zip", _BASE + "interact_illustration_category_dataset/interact_illustration_category_dataset_annotations.zip", md5="56dec629f180077eb2a76b3f67c7b02f"),
)
# (key prefix, images zip, annotations zip, annotation file, split or None for the rule)
SOURCES = (
    ("stand-alone", ARTIFACTS[0].file, ARTIFACTS[1].file, "interact_final_dataset_labels_and_images.txt", None),
    ("illustration", ARTIFACTS[2].file, ARTIFACTS[3].file, "interact_illustration_category_dataset_labels_and_images.txt", "train"),
)
TRUNCATED = frozenset({"imgs/22TCSTMOFXRDFDVIK9PDTXJK5OZTQ6_20.jpg", "imgs/249YW2GTP9RAU1I25WX94SOKQN6OTI_16.jpg",
                       "imgs/24PFCD45XCETAM5TCF9N9TGUNNTZXA_02.jpg"})

CLASS_NAMES = tuple(f"{number:02d}" for number in range(1, 61))
SPLIT_RULE = _class_splits.sized_rule(
    _class_splits.floor_fractions({"train": 0.56, "dev": 0.12, "dev-test": 0.12}), rest="test")


def examples(artifacts_dir: Path):
    names: dict[int, str] = {}
    for prefix, images_zip, annotations_zip, annotation_file, split in SOURCES:
        labels = _annotations(artifacts_dir / annotations_zip, annotation_file, names)
        for member, data in _readers.zip_members(artifacts_dir / images_zip, keep=labels.__contains__):
            yield Example(key=f"{prefix}/{member}", image=data, label=labels.pop(member), split=split)
        if labels:
            raise ValueError(f"{images_zip} lacks {len(labels)} annotated images, e.g. {min(labels)}")


def write_fixture(artifacts_dir: Path, per_class: int = 9) -> dict[str, int]:
    """Three categories in the provider's line format (``%02d;<id>_<nn>.<ext>;Person 1
    <phrase> Person 2.``, LF), JPEG photos and PNG illustrations under ``imgs/``, the
    gallery pages beside them, the other annotation files, and a truncated JPEG that is
    listed but skipped."""
    keys, labels, counts = [], [], _splits.SplitSizes({"train": 0})
    for s, (prefix, images_zip, annotations_zip, annotation_file, split) in enumerate(SOURCES):
        ext = "jpg" if split is None else "png"
        images = {"imgs/": b"", "html/": b"", "html/is_hugging.html": b"<html></html>\n"}
        if split is None:
            images["interact_dataset_gallery.html"] = b"<html></html>\n"
        lines = []
        for number, phrase in ((3, "is hugging"), (17, "is kicking"), (60, "is waving at")):
            for i in range(per_class if split is None else 2):
                file = f"2{s}{number:02d}X{i:02d}ABCDEFGHIJKLMNOPQRSTUVW_{i + 1:02d}.{ext}"
                pixels = _fixtures.pixels(s * 1000 + number * 20 + i, 16, 20, 3)
                images[f"imgs/{file}"] = (_fixtures.jpeg_bytes if ext == "jpg" else _fixtures.png_bytes)(pixels)
                lines.append(f"{number:02d};{file};Person 1 {phrase} Person 2.\n")
                if split is None:
                    keys.append(f"{prefix}/imgs/{file}")
                    labels.append(number - 1)
                else:
                    counts.add(split)
        if split is None:
            lines.append(f"03;{sorted(TRUNCATED)[0][5:]};Person 1 is hugging Person 2.\n")
            images[sorted(TRUNCATED)[0]] = b"\xff\xd8 truncated"
        _fixtures.write_zip(artifacts_dir / images_zip, images)
        stem = annotation_file.removesuffix("_labels_and_images.txt")
        _fixtures.write_zip(artifacts_dir / annotations_zip, {
            annotation_file: "".join(lines).encode(),
            f"{stem}_poses.txt": b"0.5;0.5\n", f"{stem}_genders.txt": b"1;0\n",
        })
    for split, count in _class_splits.counts(SPLIT_RULE, keys, labels).items():
        counts.add(split, count)
    return counts


def _annotations(path: Path, annotation_file: str, names: dict[int, str]) -> dict[str, int]:
    """image member -> label; ``names`` collects number -> name across both files."""
    labels = {}
    with _readers.open_zip(path) as archive, archive.open(annotation_file) as raw:
        for line in io.TextIOWrapper(raw, encoding="utf-8-sig"):
            if not line.strip():
                continue
            number, file, name = line.strip().split(";")
            label = int(number) - 1
            if not 0 <= label < len(CLASS_NAMES) or names.setdefault(label, name) != name:
                raise ValueError(f"{annotation_file}: category {number} {name!r} conflicts ({names.get(label)!r})")
            if f"imgs/{file}" not in TRUNCATED:
                labels[f"imgs/{file}"] = label
    return labels


interact = DatasetSpec(
    name="interact",
    description="Images of two people in one of 60 fine-grained interactions; illustrations are training-only.",
    homepage=_BASE + "index.html",
    citation="Antol, S., Zitnick, C. L., Parikh, D. Zero-Shot Learning via Visual Abstraction. ECCV, 2014.",
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    split_rule=SPLIT_RULE,
    # Per-class image counts are not documented, so the split sizes are unknown.
    num_examples=None,
    unconfirmed="which category number each of the 60 phrases carries; image counts per class",
    evidence=Evidence(
        "documentation",
        source="StanislawAntol/zsl_via_visual_abstraction@d9cf9bbc3cfd3430d0467efcb46845747d2c15b8:"
        "code/interact_dataset_cleanup/createStandaloneFinalDataset.m and "
        "code/interact_clipart_category_collection/createIllustrationCategoryDataset.m (the "
        "provider's scripts: '%02d;<file>;Person 1 <phrase> Person 2.' lines, the files zipped, "
        "imgs/ and html/), code/interact_clipart_category_collection/CreateOptionsLocal.m "
        "(illustrations <assignment id>_<nn>.png), code/interact_gt_pose/CreateDatasetInfo.m "
        "(numbers = positions in the verb list), sites/interact_gt_pose/assignments.json (the 60 "
        "phrases; the truncated photos' assignment ids); deepmind/dm_nevis@37ccf1e2dd89:"
        "dm_nevis/datasets_storage/handlers/interact.py (the three truncated JPEGs)",
    ),
    dm_nevis_differences=(
        "Same labels and split sizes per class; dm_nevis names classes by the category names read "
        "from the annotation files and picks each class's photos with a seeded permutation, here "
        "classes are named by number and photos are picked in key-hash order."
    ),
)
