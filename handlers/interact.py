"""INTERACT: images of two people in one of 60 fine-grained interactions (hugging,
kicking, ...), from the stand-alone set and the category-level illustration set.

Homepage https://computing.ece.vt.edu/~santol/projects/zsl_via_visual_abstraction/interact/index.html
(Antol, Zitnick, Parikh, "Zero-Shot Learning via Visual Abstraction", ECCV 2014). Each
set comes as an images zip (``imgs/<file>``) and an annotations zip whose root text file
has lines ``<category number>;<image file>;<category name>`` (numbers 1-based). Class
names here are the provider's category numbers, zero-padded, because the 60 category
names could not be confirmed; the handler checks that every number keeps one name in
both files. Three truncated JPEGs are skipped. Splits follow dm_nevis's protocol:
per class, stand-alone images go floor(0.56 n) to train, floor(0.12 n) to dev and to
dev-test, the rest to test, ordered by key hash instead of a seeded permutation; every
illustration goes to train.

Evidence: no listing or copy was found. The file names, the ``imgs/`` folder, the line
format and the three truncated JPEGs are those dm_nevis's reader of these very zips
relies on; counts per class remain unknown.
"""

import io
import zipfile
from pathlib import Path

from data.types import Example, Features
from handlers import _class_splits, _fixtures, _readers
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
    """Three categories; a truncated image that is listed but skipped; an unlisted member."""
    keys, labels, counts = [], [], {"train": 0}
    for s, (prefix, images_zip, annotations_zip, annotation_file, split) in enumerate(SOURCES):
        images, lines = {"imgs/unlisted.jpg": b"\xff\xd8 not annotated"}, []
        for number, category in ((3, "hugging"), (17, "kicking"), (60, "waving")):
            for i in range(per_class if split is None else 2):
                file = f"{s}{number:02d}HIT{i:02d}_{i:02d}.jpg"
                images[f"imgs/{file}"] = _fixtures.jpeg_bytes(_fixtures.pixels(s * 1000 + number * 20 + i, 16, 20, 3))
                lines.append(f"{number};{file};{category}\r\n")
                if split is None:
                    keys.append(f"{prefix}/imgs/{file}")
                    labels.append(number - 1)
                else:
                    counts[split] += 1
        if split is None:
            lines.append(f"3;{sorted(TRUNCATED)[0][5:]};hugging\r\n")
            images[sorted(TRUNCATED)[0]] = b"\xff\xd8 truncated"
        _fixtures.write_zip(artifacts_dir / images_zip, images)
        _fixtures.write_zip(artifacts_dir / annotations_zip, {annotation_file: "".join(lines).encode()})
    for split, count in _class_splits.counts(SPLIT_RULE, keys, labels).items():
        counts[split] = counts.get(split, 0) + count
    return counts


def _annotations(path: Path, annotation_file: str, names: dict[int, str]) -> dict[str, int]:
    """image member -> label; ``names`` collects number -> name across both files."""
    labels = {}
    with zipfile.ZipFile(path) as archive, archive.open(annotation_file) as raw:
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
    unconfirmed="the 60 category names (class names are the provider's category numbers); image counts",
    evidence=Evidence(
        "unverified",
        source=_BASE + "index.html (the two sets and their zips); deepmind/dm_nevis@37ccf1e2dd89:"
        "dm_nevis/datasets_storage/handlers/interact.py (annotation file names, '<n>;<file>;<name>' "
        "lines, imgs/<file> members, the three truncated JPEGs, 60 categories)",
    ),
    dm_nevis_differences=(
        "Same labels and split sizes per class; dm_nevis names classes by the category names read "
        "from the annotation files and picks each class's photos with a seeded permutation, here "
        "classes are named by number and photos are picked in key-hash order."
    ),
)
