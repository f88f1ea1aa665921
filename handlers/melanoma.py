"""ISIC 2017 part 3: dermoscopic images of skin lesions, melanoma / seborrheic keratosis / nevus.

Homepage https://challenge.isic-archive.com/data/ (Codella et al., "Skin lesion analysis
toward melanoma detection: a challenge at ISBI 2017", 2018). Three image zips, each with
one folder named like the zip stem holding ``<image_id>.jpg`` (superpixel PNGs and
other members are ignored), and one ground-truth CSV per zip: a header, then
``image_id,melanoma,seborrheic_keratosis`` with 0.0/1.0 flags. Label: melanoma,
seborrheic keratosis, or neither (benign nevus); both flags set is an error. Official
parts: 2,000 training, 150 validation, 600 test images. Splits: the training part is
drawn into train/dev (0.8/0.2) by a hash of the member path (dm_nevis used a seeded
permutation of CSV rows); validation is ``dev-test``; test is ``test``.

Evidence: real copies of the three ground-truth CSVs (md5s equal the pinned ones):
CRLF lines, the header above, 2,000 / 150 / 600 rows, training 374 melanoma, 254
seborrheic keratosis, 1,372 nevi, no row with both flags. The training split sizes are
tallied over ``ISIC-2017_Training_Data/<image_id>.jpg``, the member path dm_nevis's
reader of the same zips uses; the zips themselves were not listed.
"""

from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

_HOST = "https://isic-challenge-data.s3.amazonaws.com/2017/"
ARTIFACTS = tuple(
    Artifact(file, _HOST + file, md5=md5) for file, md5 in (
        ("ISIC-2017_Training_Data.zip", "a14a7e622c67a358797ae59abb8a0b0c"),
        ("ISIC-2017_Training_Part3_GroundTruth.csv", "0cb4add57c65c22ca1a1cb469ad1f0c5"),
        ("ISIC-2017_Validation_Data.zip", "8d6419d942112f709894c0d82f6c9038"),
        ("ISIC-2017_Validation_Part3_GroundTruth.csv", "8d4826a76adcd8fb928ca52a23ebae4c"),
        ("ISIC-2017_Test_v2_Data.zip", "5f6a0b5e1f2972bd1f5ea02680489f09"),
        ("ISIC-2017_Test_v2_Part3_GroundTruth.csv", "9e957b72a0c4f9e0d924889fd03b36ed"),
    )
)
# (image zip, ground-truth CSV, split or None for the hash-drawn train/dev pool)
PARTS = (
    ("ISIC-2017_Training_Data.zip", "ISIC-2017_Training_Part3_GroundTruth.csv", None),
    ("ISIC-2017_Validation_Data.zip", "ISIC-2017_Validation_Part3_GroundTruth.csv", "dev-test"),
    ("ISIC-2017_Test_v2_Data.zip", "ISIC-2017_Test_v2_Part3_GroundTruth.csv", "test"),
)
HEADER = "image_id,melanoma,seborrheic_keratosis"

CLASS_NAMES = ("melanoma", "seborrheic keratosis", "benign nevus")


def examples(artifacts_dir: Path):
    for zip_file, csv_file, split in PARTS:
        labels = _labels(artifacts_dir / csv_file)
        folder = zip_file.removesuffix(".zip")
        seen = set()
        for name, data in _readers.zip_members(artifacts_dir / zip_file, suffixes=(".jpg",)):
            image_id = name.removeprefix(f"{folder}/").removesuffix(".jpg")
            if image_id not in labels:
                continue
            seen.add(image_id)
            yield Example(key=name, image=data, label=labels[image_id],
                          split=split or _splits.by_fraction(name, _splits.TR2))
        if missing := sorted(set(labels) - seen):
            raise ValueError(f"{zip_file} lacks {len(missing)} images of {csv_file}, e.g. {missing[0]}")


def _labels(path: Path) -> dict[str, int]:
    rows = path.read_text().splitlines()
    if not rows or rows[0].strip() != HEADER:
        raise ValueError(f"{path.name}: header {rows[:1]}, expected {HEADER!r}")
    labels = {}
    for row in filter(str.strip, rows[1:]):
        image_id, melanoma, keratosis = row.strip().split(",")
        flags = (float(melanoma) == 1.0, float(keratosis) == 1.0)
        if all(flags):
            raise ValueError(f"{path.name}: {image_id} is marked with both diagnoses")
        labels[image_id] = 0 if flags[0] else 1 if flags[1] else 2
    return labels


def write_fixture(artifacts_dir: Path, per_part=(14, 4, 5)) -> dict[str, int]:
    """Each zip with its folder of JPEGs and superpixel PNGs, each CSV in the real format (CRLF)."""
    counts = _splits.SplitSizes()
    for p, ((zip_file, csv_file, split), count) in enumerate(zip(PARTS, per_part, strict=True)):
        folder = zip_file.removesuffix(".zip")
        members, rows = {}, [HEADER]
        for i in range(count):
            image_id = f"ISIC_{p * 1000 + i:07d}"
            pixels = _fixtures.pixels(p * 100 + i, 18, 24, 3)
            members[f"{folder}/{image_id}.jpg"] = _fixtures.jpeg_bytes(pixels)
            members[f"{folder}/{image_id}_superpixels.png"] = _fixtures.png_bytes(pixels)
            flags = ((1.0, 0.0), (0.0, 1.0), (0.0, 0.0))[i % 3]
            rows.append(f"{image_id},{flags[0]},{flags[1]}")
            chosen = split or _splits.by_fraction(f"{folder}/{image_id}.jpg", _splits.TR2)
            counts.add(chosen)
        _fixtures.write_zip(artifacts_dir / zip_file, members)
        (artifacts_dir / csv_file).write_bytes(("\r\n".join(rows) + "\r\n").encode())
    return counts


melanoma = DatasetSpec(
    name="melanoma",
    description="2,750 dermoscopic images of skin lesions from the ISIC 2017 challenge (part 3), 3 diagnoses.",
    homepage="https://challenge.isic-archive.com/data/",
    citation=(
        "Codella, N. C. F., Gutman, D., Celebi, M. E., et al. Skin lesion analysis toward melanoma "
        "detection: a challenge at the 2017 International Symposium on Biomedical Imaging (ISBI), "
        "hosted by the International Skin Imaging Collaboration (ISIC). ISBI 2018; arXiv:1710.05006."
    ),
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # The hash draw of the 2,000 training ids of the real CSV, and the official 150 / 600.
    num_examples={"train": 1603, "dev": 397, "dev-test": 150, "test": 600},
    evidence=Evidence(
        "real artifact",
        source="iramaniparth/Skin-Lesion-Analysis-for-Melanoma-Detection@c0583e861144a9e571e369cad605919394435c20:"
        "ISIC-2017_{Training,Validation,Test_v2}_Part3_GroundTruth.csv (44,040 / 3,340 / 13,240 B, the "
        "pinned md5s); image member paths <zip stem>/<image_id>.jpg from deepmind/dm_nevis@37ccf1e2dd89:"
        "dm_nevis/datasets_storage/handlers/melanoma.py",
    ),
    dm_nevis_differences=(
        "dm_nevis picks the 1,600 / 400 train/dev images by a seeded permutation of the CSV rows; here "
        "the training images are drawn 0.8/0.2 by a hash of the member path (1,603 / 397)."
    ),
)
