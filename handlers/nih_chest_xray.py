"""NIH ChestX-ray14: 112,120 frontal chest X-rays of 30,805 patients, labelled with any of 14 findings.

Wang et al., "ChestX-ray8: Hospital-scale chest X-ray database and benchmarks on
weakly-supervised classification and localization of common thorax diseases", CVPR 2017;
homepage https://nihcc.app.box.com/v/ChestXray-NIHCC. Read from the Kaggle copy
``nih-chest-xrays/data`` (one ~42 GB zip, read member by member, never unpacked). At its
root, ``Data_Entry_2017.csv`` gives each image's findings (``Finding Labels``, joined by
``|``; "No Finding" when there are none, kept as a 15th label as dm_nevis does) and its
``Patient ID``; ``train_val_list.txt`` and ``test_list.txt`` (one file name per line) are the
official patient-disjoint split. Images are ``images_<NNN>/images/<patient>_<NNN>.png``,
1024x1024 grey (some are reported to be stored RGBA; any alpha is dropped). Other files (PDFs, the
bounding-box CSV) are ignored.
Splits: the test list is ``test``; the train_val list is drawn into train/dev/dev-test
(0.70/0.15/0.15) by a hash of the patient id, so that, like the official split, no patient
has images on both sides (dm_nevis drew per image and leaked patients into dev). An image
in no list or in both, an unknown finding, or a listed image missing from the zip is an error.

Evidence: copies of the official lists (86,524 + 25,596 names, LF, no newline after the
last; no name and no patient in both), so the split sizes are a tally over them, taking
the patient from the file name's first eight digits as Data_Entry_2017.csv does (checked
on 40,000 rows of a partial copy). The CSV itself and the zip's member list were not
seen; the ``images_<NNN>/images/`` folders are those Kaggle notebooks read.
"""

import csv
import io
import posixpath
import re
from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import KAGGLE_REPACKED, Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact("data.zip", kaggle="nih-chest-xrays/data", md5="ddd3acbfa23adf60ac08312b3c4040e2"),
)
ENTRIES = "Data_Entry_2017.csv"
LISTS = {"train_val_list.txt": None, "test_list.txt": "test"}  # list -> split (None: drawn)
_IMAGE = re.compile(r"images_\d{3}/images/[^/]+\.png")

# dm_nevis's order (ids are positions here).
LABELS = ("Atelectasis", "Consolidation", "Infiltration", "Pneumothorax", "Edema", "Emphysema",
          "Fibrosis", "Effusion", "Pneumonia", "Pleural_Thickening", "Cardiomegaly", "Nodule",
          "Mass", "Hernia", "No Finding")
_IDS = {label: i for i, label in enumerate(LABELS)}


def examples(artifacts_dir: Path):
    archive = artifacts_dir / ARTIFACTS[0].file
    with _readers.open_zip(archive) as source:
        findings = parse_entries(_read_text(source, ENTRIES))
        splits = parse_lists({name: _read_text(source, name) for name in LISTS})
    missing = sorted(set(splits) - set(findings))
    if missing:
        raise ValueError(f"{ENTRIES} lacks {len(missing)} listed images, e.g. {missing[:3]}")
    for name, data in _readers.zip_members(archive, keep=_IMAGE.fullmatch):
        file = posixpath.basename(name)
        if file not in findings or file not in splits:
            raise ValueError(f"{archive.name}: {name} is not in {ENTRIES} and a split list")
        labels, patient = findings[file]
        split = splits.pop(file) or _splits.by_fraction(f"patient/{patient}", _splits.TR3)
        yield Example(key=name, image=data, multi_label=labels, split=split)
    if splits:
        raise FileNotFoundError(f"{archive.name} lacks {len(splits)} listed images, "
                                f"e.g. {sorted(splits)[:3]}")


def parse_entries(text: str) -> dict[str, tuple[tuple[int, ...], str]]:
    """File name -> (sorted finding ids, patient id) from Data_Entry_2017.csv."""
    rows = csv.reader(io.StringIO(text))
    header = next(rows, [])
    try:
        image, labels, patient = (header.index(c) for c in ("Image Index", "Finding Labels", "Patient ID"))
    except ValueError as error:
        raise ValueError(f"{ENTRIES}: header {header[:4]} lacks a needed column ({error})") from None
    entries = {}
    for number, row in enumerate(rows, 2):
        if not any(field.strip() for field in row):
            continue
        names = row[labels].split("|")
        unknown = [name for name in names if name not in _IDS]
        if unknown:
            raise ValueError(f"{ENTRIES} line {number}: unknown findings {unknown}")
        if row[image] in entries:
            raise ValueError(f"{ENTRIES} line {number}: {row[image]} is listed twice")
        entries[row[image]] = (tuple(sorted({_IDS[name] for name in names})), row[patient].strip())
    return entries


def parse_lists(texts: dict[str, str]) -> dict[str, str | None]:
    """File name -> split from the official lists (None: the drawn train_val pool)."""
    splits: dict[str, str | None] = {}
    for list_name, text in texts.items():
        for file in filter(None, map(str.strip, text.splitlines())):
            if file in splits:
                raise ValueError(f"{file} is in {list_name} twice or in both split lists")
            splits[file] = LISTS[list_name]
    return splits


def _read_text(source: _readers.BoundedZip, member: str) -> str:
    return source.read(member).decode("utf-8-sig")  # a missing one: FileNotFoundError


# (file name, findings) of the fixture; the patient is the file name's prefix.
_FIXTURE = (
    ("00000001_000.png", "Cardiomegaly"), ("00000001_001.png", "Cardiomegaly|Emphysema"),
    ("00000002_000.png", "No Finding"), ("00000003_000.png", "Hernia"),
    ("00000003_001.png", "Hernia|Infiltration"), ("00000004_000.png", "Mass|Nodule"),
    ("00000005_000.png", "No Finding"), ("00000005_001.png", "Effusion|Pleural_Thickening"),
    ("00000006_000.png", "Atelectasis|Consolidation|Edema"), ("00000007_000.png", "Pneumonia"),
    ("00000008_000.png", "Fibrosis|Pneumothorax"), ("00000009_000.png", "No Finding"),
    ("00000010_000.png", "Infiltration"), ("00000011_000.png", "Effusion"),
    ("00000011_001.png", "No Finding"), ("00000012_000.png", "Nodule"),
    ("00000013_000.png", "No Finding"), ("00000014_000.png", "Mass"),
)
_FIXTURE_TEST = {"00000004_000.png", "00000009_000.png", "00000013_000.png", "00000014_000.png"}


def write_fixture(artifacts_dir: Path) -> dict[str, int]:
    """The CSV with its header (trailing comma included), both lists, images in two
    ``images_<NNN>/images/`` folders (one stored RGBA), and files that are not read."""
    header = ("Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,"
              "View Position,OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y],")
    rows, members, counts = [header], {}, _splits.SplitSizes()
    for i, (file, findings) in enumerate(_FIXTURE):
        patient = int(file.split("_")[0])
        rows.append(f"{file},{findings},{int(file[9:12])},{patient},{40 + i},M,PA,2500,2048,0.168,0.168,")
        pixels = _fixtures.pixels(i, 20, 20, 1)
        if i == 2:
            pixels = _fixtures.pixels(i, 20, 20, 4)
        members[f"images_{1 + i // 10:03d}/images/{file}"] = _fixtures.png_bytes(pixels)
        split = "test" if file in _FIXTURE_TEST else _splits.by_fraction(f"patient/{patient}", _splits.TR3)
        counts.add(split)
    members[ENTRIES] = ("\n".join(rows) + "\n").encode()
    members["BBox_List_2017.csv"] = b"Image Index,Finding Label,Bbox [x,y,w,h],,,\n00000004_000.png,Mass,1,2,3,4\n"
    members["README_CHESTXRAY.pdf"] = b"%PDF-1.4 fixture\n"
    # The real lists end without a newline.
    members["test_list.txt"] = "\n".join(sorted(_FIXTURE_TEST)).encode()
    members["train_val_list.txt"] = "\n".join(f for f, _ in _FIXTURE if f not in _FIXTURE_TEST).encode()
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[0].file, members)
    return counts


nih_chest_xray = DatasetSpec(
    name="nih_chest_xray",
    description="NIH ChestX-ray14: 112,120 frontal chest X-rays, each labelled with any of 14 thoracic findings or 'No Finding'.",
    homepage="https://nihcc.app.box.com/v/ChestXray-NIHCC",
    citation=(
        "Wang, X., Peng, Y., Lu, L., Lu, Z., Bagheri, M., Summers, R. M. ChestX-ray8: Hospital-scale "
        "chest X-ray database and benchmarks on weakly-supervised classification and localization "
        "of common thorax diseases. CVPR, 2017."
    ),
    license="CC0 1.0 (NIH Clinical Center; cite the paper and acknowledge the NIH CC)",
    artifacts=ARTIFACTS,
    features=Features(channels=1, label_vocabulary=LABELS),
    examples=examples,
    write_fixture=write_fixture,
    # test is the official list; train/dev/dev-test are the patient hash draw over the
    # 86,524 train_val names (28,008 patients), the patient read from each name's prefix.
    num_examples={"train": 60478, "dev": 12757, "dev-test": 13289, "test": 25596},
    unconfirmed=(
        KAGGLE_REPACKED
        + "; the Kaggle zip's member paths beyond images_<NNN>/images/<file>.png; that every CSV "
          "row's Patient ID equals its name's prefix (checked on 40,000 rows); how many images are "
          "stored RGBA rather than grey"
    ),
    evidence=Evidence(
        "real listing",
        source="lulucikyo/CheXNet@b46cdd5e8a70:preprocess/train_val_list.txt and test_list.txt (the "
        "official lists, 86,524 / 25,596 names of 28,008 / 2,797 patients, disjoint); "
        "qqto2008/capstone@cfe6522a181f:Data_Entry_2017.csv (first 40,000 rows: Patient ID = the "
        "name's prefix); NIH's README_CHESTXRAY.pdf (112,120 images, 30,805 patients)",
    ),
    dm_nevis_differences=(
        "The train_val list is drawn into train/dev/dev-test by patient rather than by image, so "
        "no patient spans train and dev (dm_nevis's per-image draw leaks patients between them)."
    ),
)
