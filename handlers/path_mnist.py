"""Colorectal Histology MNIST: 5,000 28x28 RGB tiles of colorectal cancer tissue, 8 tissue types.

Kather et al., "Multi-class texture analysis in colorectal cancer histology", Scientific
Reports 2016; the 150x150 tiles reduced to MNIST size by K. Mader on Kaggle
(``kmader/colorectal-histology-mnist``). Not MedMNIST's PathMNIST, which has 9 classes.
The zip holds several CSVs and the original tiles; only ``hmnist_28_28_RGB.csv`` at its
root is read: a header, then one row per tile with ``pixel0000`` ... ``pixel2351`` (28x28x3,
row-major, R, G, B per pixel) and ``label`` (1-8, Kather's tissue order). The CSV is
streamed from the zip, never unpacked. Keys are ``hmnist_28_28_RGB.csv/<row>`` (0-based
data row). No official split: every row is drawn into train/dev/dev-test/test
(0.56/0.12/0.12/0.20) by a hash of its key.

Evidence: no listing of the zip was found. dm_nevis reads the same root CSV by the same
column names (``pixel%04d``, ``label``) and reshapes channel-last; users' loaders report
5,000 rows of 2,353 columns and reshape the same way.
"""

import csv
import io
from pathlib import Path

import numpy as np

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import KAGGLE_REPACKED, Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact("colorectal-histology-mnist.zip", kaggle="kmader/colorectal-histology-mnist",
             md5="e03501016bd54719567dfb954fe982fe"),
)
CSV = "hmnist_28_28_RGB.csv"
SHAPE = (28, 28, 3)
NUM_ROWS = 5000
HEADER = tuple(f"pixel{i:04d}" for i in range(int(np.prod(SHAPE)))) + ("label",)

# Kather 2016's folders 01_TUMOR ... 08_EMPTY; CSV label k is class k - 1.
CLASS_NAMES = ("tumour epithelium", "simple stroma", "complex stroma", "immune cells",
               "debris", "normal mucosa", "adipose", "background")


def examples(artifacts_dir: Path):
    with _readers.nested_member(artifacts_dir / ARTIFACTS[0].file, CSV) as stream:
        for index, (image, label) in enumerate(parse_rows(io.TextIOWrapper(stream, "ascii"))):
            key = row_key(index)
            yield Example(key=key, image=image, label=label, split=_splits.by_fraction(key, _splits.ALL))


def parse_rows(lines):
    """(uint8 image of SHAPE, label 0-7) per data row of the CSV; a wrong header, a short
    row, a pixel outside 0-255 or a label outside 1-8 is an error naming the row."""
    rows = csv.reader(lines)
    header = tuple(next(rows, ()))
    if header != HEADER:
        raise ValueError(f"{CSV}: header starts {header[:2]}...{header[-1:]}, expected "
                         f"{HEADER[:2]}...{HEADER[-1:]} ({len(HEADER)} columns)")
    for number, row in enumerate(rows, 2):
        if len(row) != len(HEADER):
            raise ValueError(f"{CSV} line {number}: {len(row)} columns, expected {len(HEADER)}")
        values = np.array(row, dtype=np.int64)
        pixels, label = values[:-1], int(values[-1])
        if pixels.min() < 0 or pixels.max() > 255 or not 1 <= label <= len(CLASS_NAMES):
            raise ValueError(f"{CSV} line {number}: pixel outside 0-255 or label {label} outside "
                             f"1-{len(CLASS_NAMES)}")
        yield pixels.astype(np.uint8).reshape(SHAPE), label - 1


def row_key(index: int) -> str:
    return f"{CSV}/{index:04d}"


def write_fixture(artifacts_dir: Path, per_class: int = 2) -> dict[str, int]:
    """The RGB CSV (with a header, 2 rows per class) beside an unused greyscale CSV and an
    unused original tile, as the real zip has them."""
    lines = [",".join(HEADER)]
    count = per_class * len(CLASS_NAMES)
    for i in range(count):
        pixels = _fixtures.pixels(i, *SHAPE).reshape(-1)
        lines.append(",".join(map(str, pixels)) + f",{i % len(CLASS_NAMES) + 1}")
    grey = ",".join(f"pixel{i:04d}" for i in range(784)) + ",label\n" + ",".join(["0"] * 784) + ",1\n"
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[0].file, {
        "Kather_texture_2016_image_tiles_5000/01_TUMOR/1A11_CRC-Prim-HE-07_022.tif_Row_601_Col_151.tif":
            _fixtures.png_bytes(_fixtures.pixels(99, 8, 8, 3)),
        CSV: ("\n".join(lines) + "\n").encode(),
        "hmnist_28_28_L.csv": grey.encode(),
    })
    return _splits.tally((row_key(i) for i in range(count)), _splits.ALL)


path_mnist = DatasetSpec(
    name="path_mnist",
    description="5,000 colorectal cancer histology tiles (Kather 2016) reduced to 28x28 RGB, 8 tissue types.",
    homepage="https://www.kaggle.com/datasets/kmader/colorectal-histology-mnist",
    citation=(
        "Kather, J. N., Weis, C.-A., Bianconi, F., Melchers, S. M., Schad, L. R., Gaiser, T., "
        "Marx, A., Zöllner, F. G. Multi-class texture analysis in colorectal cancer histology. "
        "Scientific Reports 6, 27988, 2016."
    ),
    license="CC BY 4.0 (the original tiles, Zenodo 53169); see the Kaggle page",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # The keys are the row numbers, so the hash draw of 5,000 rows is known in advance.
    num_examples=_splits.tally((row_key(i) for i in range(NUM_ROWS)), _splits.ALL),
    unconfirmed=KAGGLE_REPACKED + "; the zip's other members; the license",
    evidence=Evidence(
        "unverified",
        source="deepmind/dm_nevis@37ccf1e2dd894a13a8a4f6ceb150d2e7599301d0:"
        "dm_nevis/datasets_storage/handlers/path_mnist.py (reads hmnist_28_28_RGB.csv at the zip "
        "root by columns pixel0000..pixel2351 and label, channel-last); a user's loader notes "
        "5,000 rows x 2,353 columns",
    ),
)
