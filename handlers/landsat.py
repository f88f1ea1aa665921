"""Statlog (Landsat Satellite): 3x3 multi-spectral patches labelled by soil/crop type.

Homepage https://archive.ics.uci.edu/dataset/146/statlog+landsat+satellite (Srinivasan,
1993). Two space-separated text tables, ``sat.trn`` (4,435 rows) and ``sat.tst`` (2,000
rows): 36 integers 0-255, then the class code of the centre pixel. The 36 values are a
3x3 neighbourhood, pixel-major (the four spectral bands of the top-left pixel, then the
next pixel, row by row). Images keep the first three bands (the fourth, near infrared,
is dropped, as dm_nevis does): one 3x3 RGB-like image per row. Class codes run 1-7
but code 6 ("mixture") never occurs, so 6 classes are declared (dm_nevis declared 7);
codes map to labels in numeric order. Splits: ``sat.tst`` is ``test``; ``sat.trn``
is carved into train/dev/dev-test by a hash of the key ``<file>/<row>``.

Evidence: real copies of both tables (md5s equal the pinned ones once a vendored,
re-formatted copy is turned back into the provider's layout) run through this handler:
37 values per row and no row-number column, LF line ends, 4,435 / 2,000 rows, codes
1-5 and 7 only (code 6 absent from both).
"""

from pathlib import Path

import numpy as np
from PIL import Image

from data.types import Example, Features
from handlers import _fixtures, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

_UCI = "https://archive.ics.uci.edu/ml/machine-learning-databases/statlog/satimage/"
ARTIFACTS = (
    Artifact("sat.trn", _UCI + "sat.trn", md5="2c5ba2900da0183cab2c41fdb279fa5b"),
    Artifact("sat.tst", _UCI + "sat.tst", md5="02c995991fecc864e809b2c4c42cd983"),
)

# Code -> name, in code order; code 6 (mixture class) is absent from both tables.
CLASS_CODES = {1: "red soil", 2: "cotton crop", 3: "grey soil", 4: "damp grey soil",
               5: "soil with vegetation stubble", 7: "very damp grey soil"}
CLASS_NAMES = tuple(CLASS_CODES.values())
_LABELS = {code: index for index, code in enumerate(CLASS_CODES)}
ROWS = {"sat.trn": 4435, "sat.tst": 2000}


def examples(artifacts_dir: Path):
    for file in ROWS:
        with open(artifacts_dir / file) as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                values = [int(v) for v in line.split()]
                if len(values) != 37 or values[-1] not in _LABELS:
                    raise ValueError(f"{file} row {number}: expected 36 values and a class code 1-5/7")
                patch = np.array(values[:36], dtype=np.uint8).reshape(3, 3, 4)[:, :, :3]
                key = f"{file}/{number:04d}"
                yield Example(key=key, image=Image.fromarray(np.ascontiguousarray(patch), "RGB"),
                              label=_LABELS[values[-1]], split=_split(key))


def write_fixture(artifacts_dir: Path, rows=(("sat.trn", 40), ("sat.tst", 10))) -> dict[str, int]:
    """Tables in the real format (space-separated integers, code last), every class used."""
    counts = _splits.SplitSizes()
    codes = list(CLASS_CODES)
    for seed, (file, count) in enumerate(rows):
        lines = []
        for index in range(count):
            values = _fixtures.pixels(seed * 100 + index, 3, 3, 4).ravel().tolist()
            lines.append(" ".join(str(v) for v in [*values, codes[index % len(codes)]]) + "\n")
            split = _split(f"{file}/{index + 1:04d}")
            counts.add(split)
        (artifacts_dir / file).write_text("".join(lines))
    return counts


def _split(key: str) -> str:
    return "test" if key.startswith("sat.tst/") else _splits.by_fraction(key, _splits.TR3)


landsat = DatasetSpec(
    name="landsat",
    description="6,435 3x3 Landsat MSS patches (first three of four bands) labelled with the land cover of the centre pixel; 6 classes.",
    homepage="https://archive.ics.uci.edu/dataset/146/statlog+landsat+satellite",
    citation="Srinivasan, A. Statlog (Landsat Satellite) [Dataset]. UCI Machine Learning Repository, 1993.",
    license="Creative Commons Attribution 4.0 International (CC BY 4.0)",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # Keys are row numbers, so the hash-derived split sizes are known in advance.
    num_examples={
        **_splits.tally((f"sat.trn/{n:04d}" for n in range(1, ROWS["sat.trn"] + 1)), _splits.TR3),
        "test": ROWS["sat.tst"],
    },
    evidence=Evidence(
        "real artifact",
        source="YannisSch/Statlog_Landstat_Satellite_Project@6f31538326e860b63b09efdb43a0f76f3973ce29:"
        "data/sat.{trn,tst} (the UCI rows in their order, saved with a 1..36 header, tabs and CRLF; "
        "without the header, space-separated, LF-terminated: 525,830 B md5 2c5ba290... and 236,745 B "
        "md5 02c99599..., the pinned digests; 4,435 / 2,000 rows of 37 values)",
    ),
    dm_nevis_differences=(
        "dm_nevis declares 7 classes with label = code - 1, so 'very damp grey soil' is 6 and id 5 "
        "(mixture, absent from the data) is never used; here the 6 classes that occur are numbered "
        "0-5 in code order, so that class is 5."
    ),
)
