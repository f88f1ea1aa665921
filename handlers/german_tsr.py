"""GTSRB (German Traffic Sign Recognition Benchmark): cropped traffic signs, 43 classes.

Homepage https://benchmark.ini.rub.de/gtsrb_news.html (Stallkamp, Schlipsing, Salmen,
Igel, "The German Traffic Sign Recognition Benchmark: a multi-class classification
competition", IJCNN 2011). Training zip: ``GTSRB/Final_Training/Images/<class>/
<track>_<frame>.ppm``, the label being the five-digit class folder (00000-00042),
classes named by it. Test zip: ``GTSRB/Final_Test/Images/<nnnnn>.ppm`` without labels;
those come from ``GT-final_test.csv`` in a third zip (semicolon-separated, header,
``Filename;...;ClassId``), matched by file name. All CSV and text members of the image
zips are ignored. Official sizes 39,209 training / 12,630 test images. Splits: the
official test set is ``test``; the training set is carved into train/dev/dev-test by
a hash of the member path.

Evidence: the unpacked zips committed to a public repository: 39,209 training PPMs
``<track>_<frame>.ppm`` in the 43 class folders (210 to 2,250 each) beside their
``GT-<class>.csv``; 12,630 test PPMs ``00000.ppm``-``12629.ppm`` beside
``GT-final_test.test.csv`` (no ClassId column); ``GT-final_test.csv`` with the header
above, CRLF lines, a label for every test image. The training split sizes are tallied
over those paths. Another copy of the ground truth ends every line with ``;``, so a
trailing ``;`` is tolerated. The zips' sizes and md5s are confirmed by a DataLad mirror.
A listing replay of 52,000 members would take too long for CI.
"""

import posixpath
from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _ppm, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

_HOST = "https://sid.erda.dk/public/archives/daaeac0d7ce1152aea9b61d9f1e19370/"
ARTIFACTS = (
    Artifact("GTSRB_Final_Training_Images.zip", _HOST + "GTSRB_Final_Training_Images.zip",
             md5="f33fd80ac59bff73c82d25ab499e03a3", size=276294756),
    Artifact("GTSRB_Final_Test_Images.zip", _HOST + "GTSRB_Final_Test_Images.zip",
             md5="c7e4e6327067d32654124b0fe9e82185", size=88978620),
    Artifact("GTSRB_Final_Test_GT.zip", _HOST + "GTSRB_Final_Test_GT.zip",
             md5="fe31e9c9270bbcd7b84b7f21a9d9d9e5", size=99620),
)
TEST_LABELS = "GT-final_test.csv"

CLASS_NAMES = tuple(f"{index:05d}" for index in range(43))
_LABELS = {name: index for index, name in enumerate(CLASS_NAMES)}


def examples(artifacts_dir: Path):
    train, test, truth = (artifacts_dir / artifact.file for artifact in ARTIFACTS)
    for name, data in _readers.zip_members(train, suffixes=(".ppm",)):
        label = _readers.folder_label(name, _LABELS, train.name)
        yield Example(key=name, image=data, label=label,
                      split=_splits.by_fraction(name, _splits.TR3))
    labels = _test_labels(truth)
    for name, data in _readers.zip_members(test, suffixes=(".ppm",)):
        base = posixpath.basename(name)
        if base not in labels:
            raise ValueError(f"{TEST_LABELS} has no label for {name}")
        yield Example(key=name, image=data, label=labels[base], split="test")


def _test_labels(truth: Path) -> dict[str, int]:
    (_, data), = _readers.zip_members(truth, keep=lambda name: name.endswith(TEST_LABELS))
    rows = [row.rstrip(";") for row in data.decode("ascii").splitlines()]
    if not rows or not rows[0].startswith("Filename;") or not rows[0].endswith(";ClassId"):
        raise ValueError(f"{TEST_LABELS}: unexpected header {rows[:1]}")
    fields = (row.split(";") for row in rows[1:] if row.strip())
    return {field[0]: int(field[-1]) for field in fields}


def write_fixture(artifacts_dir: Path, per_class: int = 6) -> dict[str, int]:
    """The three zips: class folders with per-class CSVs, flat test images, the GT CSV."""
    header = "Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId"
    train, counts = {"GTSRB/Readme-Images.txt": b"fixture\n"}, _splits.SplitSizes({"test": 0})
    for c in (0, 5, 42):
        folder = f"GTSRB/Final_Training/Images/{c:05d}"
        train[f"{folder}/GT-{c:05d}.csv"] = f"{header}\n".encode()
        for i in range(per_class):
            name = f"{folder}/{i // 3:05d}_{i % 3:05d}.ppm"
            train[name] = _ppm.ppm_bytes(_fixtures.pixels(c * 50 + i, 15 + i, 16, 3))
            split = _splits.by_fraction(name, _splits.TR3)
            counts.add(split)
    test, rows = {}, [header]
    for i in range(7):
        test[f"GTSRB/Final_Test/Images/{i:05d}.ppm"] = _ppm.ppm_bytes(_fixtures.pixels(900 + i, 16, 17, 3))
        rows.append(f"{i:05d}.ppm;17;16;1;1;15;14;{(0, 5, 42)[i % 3]}")
        counts.add("test")
    test["GTSRB/Final_Test/Images/GT-final_test.test.csv"] = f"{header[:-8]}\n".encode()
    files = (artifacts_dir / artifact.file for artifact in ARTIFACTS)
    for path, members in zip(files, (train, test, {TEST_LABELS: "\r\n".join(rows).encode()}), strict=True):
        _fixtures.write_zip(path, members)
    return counts


german_tsr = DatasetSpec(
    name="german_tsr",
    description="Cropped German traffic signs in 43 classes: 39,209 training and 12,630 test images, 15x15 to 250x250, colour.",
    homepage="https://benchmark.ini.rub.de/gtsrb_news.html",
    citation=(
        "Stallkamp, J., Schlipsing, M., Salmen, J., Igel, C. The German Traffic Sign Recognition "
        "Benchmark: a multi-class classification competition. IJCNN 2011."
    ),
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # The hash carving of the 39,209 real training paths, and the official 12,630 test images.
    num_examples={"train": 27468, "dev": 5859, "dev-test": 5882, "test": 12630},
    evidence=Evidence(
        "real listing",
        source="hergerr/traffic-sign-recognition@9667876d2decf90ad05f9367497c18da4235b0fc:GTSRB/"
        "{Final_Training,Final_Test}/ (the unpacked zips: 39,209 + 12,630 PPM paths, the per-class and "
        "test CSVs, GT-final_test.csv); datasets-mila/datasets--gtsrb@9f6327e0edb34398fcac1297d3f1bdb687062180:"
        "md5sums and annex keys (the pinned md5s; sizes 276,294,756 / 88,978,620 / 99,620 B); "
        "Swiiip/gtsrb@32d42ac95f6c69fe55325206ef9b513b14d6493e:GT-final_test.csv (lines ending ';')",
    ),
)
