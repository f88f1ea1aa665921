"""CBIS-DDSM: full-field mammograms labelled by the pathology of their abnormality
(benign, benign without callback, malignant).

Homepage https://www.cancerimagingarchive.net/collection/cbis-ddsm/ (Lee et al., "A
curated mammography data set for use in computer-aided detection and diagnosis
research", Scientific Data 2017); the artifact is the Kaggle JPEG conversion dm_nevis used.
The zip holds JPEGs ``jpeg/<series UID>/<n>.jpg`` and, in ``csv/``, the case descriptions
(calcification and mass cases, training and test) and ``dicom_info.csv``. A case row's
``image file path`` starts with the full mammogram's patient id (e.g.
``Calc-Test_P_00038_LEFT_CC``); ``dicom_info.csv`` gives each JPEG's ``PatientID`` and
``image_path`` (``CBIS-DDSM/jpeg/<series UID>/<file>``, which sits at ``jpeg/...`` in the
zip). Joining the two on the patient id picks the full mammograms: cropped lesions and
ROI masks carry ids with a suffix and drop out. An image with several abnormalities takes
the pathology of its first row (calcification rows first, then mass rows), as in
dm_nevis. Classes are in dm_nevis's order (benign, malignant, benign without callback).
Greyscale. Splits: the official test cases are
``test``; the training cases are carved into train/dev/dev-test (0.70/0.15/0.15) by a
hash of the member path. A joined image missing from the zip fails the build.

Evidence: dm_nevis's reader of the same zip (same md5): the five CSV members, the join on
the first component of ``image file path`` and dicom_info's ``PatientID``, the
``jpeg/<folder>/<file>`` rewrite. A copy of the provider's calcification test CSV shows
the columns and the quoted crop paths with a line break inside; the Kaggle zip's ``csv/``
folder also holds ``meta.csv`` (LFS sizes in a copy of it). No member list was read.
"""

import csv
import io
import posixpath
from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import KAGGLE_REPACKED, Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact("cbis-ddsm-breast-cancer-image-dataset.zip", kaggle="awsaf49/cbis-ddsm-breast-cancer-image-dataset",
             md5="eba16e95a30193fcbda1d2668d96015f"),
)
DICOM_INFO = "csv/dicom_info.csv"
# case description CSVs per split (None: the hash-carved training pool), in joining order
CASES = {
    None: ("csv/calc_case_description_train_set.csv", "csv/mass_case_description_train_set.csv"),
    "test": ("csv/calc_case_description_test_set.csv", "csv/mass_case_description_test_set.csv"),
}

# dm_nevis's order (not sorted), so that label ids match its ddsm task.
CLASS_NAMES = ("BENIGN", "MALIGNANT", "BENIGN_WITHOUT_CALLBACK")
_LABELS = {name: index for index, name in enumerate(CLASS_NAMES)}


def examples(artifacts_dir: Path):
    path = artifacts_dir / ARTIFACTS[0].file
    joined = read_labels(path)
    if not joined:
        raise ValueError(f"{path.name}: no dicom_info.csv row matches a case description")
    for name, data in _readers.zip_members(path, keep=joined.__contains__):
        label, split = joined.pop(name)
        yield Example(key=name, image=data, label=label, split=split or _splits.by_fraction(name, _splits.TR3))
    if joined:
        raise FileNotFoundError(f"{path.name}: {len(joined)} mammograms of dicom_info.csv are missing, "
                                f"e.g. {min(joined)}")


def read_labels(path: Path) -> dict[str, tuple[int, str | None]]:
    """Member path -> (label, split or None) of every full mammogram the CSVs describe."""
    wanted = {DICOM_INFO, *(name for names in CASES.values() for name in names)}
    tables = {name: _rows(data, name) for name, data in _readers.zip_members(path, keep=wanted.__contains__)}
    if missing := sorted(wanted - set(tables)):
        raise FileNotFoundError(f"{path.name} lacks {missing}")
    patients: dict[str, tuple[int, str | None]] = {}  # first row of a patient id wins
    for split, names in CASES.items():
        for name in names:
            for number, row in enumerate(tables[name], 2):
                patient = row["image file path"].strip().split("/")[0]
                pathology = row["pathology"].strip()
                if pathology not in _LABELS:
                    raise ValueError(f"{name} line {number}: pathology {pathology!r} is not one of {CLASS_NAMES}")
                patients.setdefault(patient, (_LABELS[pathology], split))
    joined: dict[str, tuple[int, str | None]] = {}
    for row in tables[DICOM_INFO]:
        if row["PatientID"].strip() in patients:
            folder, file = posixpath.split(row["image_path"].strip())
            joined.setdefault(f"jpeg/{posixpath.basename(folder)}/{file}", patients[row["PatientID"].strip()])
    return joined


def _rows(data: bytes, name: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    needed = {"PatientID", "image_path"} if name == DICOM_INFO else {"image file path", "pathology"}
    if not needed <= set(reader.fieldnames or ()):
        raise ValueError(f"{name}: columns {reader.fieldnames}, expected {sorted(needed)} among them")
    return list(reader)


_CASE_COLUMNS = {
    "calc": ["patient_id", "breast density", "left or right breast", "image view", "abnormality id",
             "abnormality type", "calc type", "calc distribution", "assessment", "pathology", "subtlety",
             "image file path", "cropped image file path", "ROI mask file path"],
    "mass": ["patient_id", "breast_density", "left or right breast", "image view", "abnormality id",
             "abnormality type", "mass shape", "mass margins", "assessment", "pathology", "subtlety",
             "image file path", "cropped image file path", "ROI mask file path"],
}
_DICOM_COLUMNS = ["file_path", "image_path", "AccessionNumber", "Laterality", "PatientID",
                  "SeriesDescription", "StudyInstanceUID"]


def write_fixture(artifacts_dir: Path) -> dict[str, int]:
    """Four case CSVs in the real column layout (a quoted path with a line break inside),
    dicom_info rows for full mammograms, crops and ROI masks, a patient with two
    abnormalities of different pathology, and a JPEG no row names."""
    members: dict[str, bytes] = {}
    cases: dict[str, list[list[str]]] = {name: [] for names in CASES.values() for name in names}
    dicom_rows = []
    counts = _splits.SplitSizes()
    serial = 0
    for split, names in CASES.items():
        for kind, name in zip(("calc", "mass"), names, strict=True):
            prefix = f"{kind.capitalize()}-{'Test' if split else 'Training'}"
            for p in range(6 if split else 12):
                patient = f"{prefix}_P_{p:05d}_{'LEFT' if p % 2 else 'RIGHT'}_CC"
                pathologies = [CLASS_NAMES[(p + len(kind)) % 3]] + ([CLASS_NAMES[(p + 1) % 3]] if p == 2 else [])
                for a, pathology in enumerate(pathologies, 1):
                    cases[name].append(_case_row(kind, patient, a, pathology))
                for suffix, description in (("", "full mammogram images"), ("_1", "cropped images"),
                                            ("_1", "ROI mask images")):
                    serial += 1
                    uid = f"1.3.6.1.4.1.9590.100.1.2.{serial:010d}"
                    file = f"1-{serial % 3 + 1}.jpg"
                    members[f"jpeg/{uid}/{file}"] = _fixtures.jpeg_bytes(_fixtures.pixels(serial, 20, 14, 1))
                    dicom_rows.append([f"CBIS-DDSM/dicom/{uid}.dcm", f"CBIS-DDSM/jpeg/{uid}/{file}", "",
                                       "L", patient + suffix, description, uid])
                    if not suffix:
                        chosen = split or _splits.by_fraction(f"jpeg/{uid}/{file}", _splits.TR3)
                        counts.add(chosen)
    members["jpeg/1.3.6.1.4.1.9590.100.1.2.9999999999/1-1.jpg"] = _fixtures.jpeg_bytes(_fixtures.pixels(0, 8, 8, 1))
    for name, rows in cases.items():
        members[name] = _csv(_CASE_COLUMNS["calc" if "calc" in name else "mass"], rows)
    members[DICOM_INFO] = _csv(_DICOM_COLUMNS, dicom_rows)
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[0].file, sorted(members.items()))
    return counts


def _case_row(kind: str, patient: str, abnormality: int, pathology: str) -> list[str]:
    series = f"{patient}/1.3.6.1.4.1.9590.100.1.2.1/1.3.6.1.4.1.9590.100.1.2.2/000000.dcm"
    crop = f"{patient}_{abnormality}/1.3.6.1.4.1.9590.100.1.2.3/1.3.6.1.4.1.9590.100.1.2.4/000000.dcm\n"
    details = ["AMORPHOUS", "CLUSTERED"] if kind == "calc" else ["OVAL", "CIRCUMSCRIBED"]
    return ["_".join(patient.split("_")[1:3]), "3", patient.split("_")[-2], "CC", str(abnormality), kind,
            *details, "4", pathology, "3", series, crop, crop]


def _csv(columns: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue().encode()


ddsm = DatasetSpec(
    name="ddsm",
    description="Full-field mammograms from CBIS-DDSM (mass and calcification cases), labelled benign, benign without callback or malignant.",
    homepage="https://www.cancerimagingarchive.net/collection/cbis-ddsm/",
    citation=(
        "Lee, R. S., Gimenez, F., Hoogi, A., Miyake, K. K., Gorovoy, M., Rubin, D. L. A curated "
        "mammography data set for use in computer-aided detection and diagnosis research. "
        "Scientific Data 4, 170177, 2017."
    ),
    license="CC BY 3.0 (The Cancer Imaging Archive); see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=1, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # The join's size is not documented, and the hash carving needs the member paths.
    num_examples=None,
    unconfirmed=(
        KAGGLE_REPACKED
        + "; dicom_info.csv's exact columns and that every full mammogram has exactly one row in it; "
          "the license"
    ),
    evidence=Evidence(
        "documentation",
        source=(
            "deepmind/dm_nevis@37ccf1e2dd894a13a8a4f6ceb150d2e7599301d0:dm_nevis/datasets_storage/handlers/"
            "ddsm.py (CSV members, join, labels BENIGN / MALIGNANT / BENIGN_WITHOUT_CALLBACK); "
            "Slaysenfite/CBIS-DDSM-PNG@253e6644eaf6ecb90c35ce5f39f43524fae30fa2:"
            "calc_case_description_test_set.csv (provider columns, quoted multi-line crop paths); "
            "nihannihu/AI-Cancer-Care-Navigator@eb5b86c642c157a21ee3af42f5a569118ba200ef:csv/ (the Kaggle "
            "zip's six CSVs as LFS pointers)"
        ),
    ),
    dm_nevis_differences=(
        "dm_nevis carves the training pool by a seeded draw in CSV order; here by a hash of the "
        "member path. Labels and the join are the same."
    ),
)
