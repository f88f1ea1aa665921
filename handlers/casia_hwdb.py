"""CASIA-HWDB1.1: offline isolated handwritten Chinese characters, the 3,755 GB2312 level-1 set.

Homepage https://nlpr.ia.ac.cn/databases/handwriting/Offline_database.html (Liu, Yin, Wang,
Wang, "CASIA online and offline Chinese handwriting databases", ICDAR 2011). Three zips
of ``.gnt`` files, one per writer (240 training, 60 test writers). A ``.gnt`` file is a
sequence of records: 4-byte little-endian record length (= width x height + 10), the
2-byte GB2312 code in stored byte order, 2-byte little-endian width and height, then
width x height grey bytes row-major, background 255 (kept as published; dm_nevis
inverted it). HWDB1.1 holds 1,172,907 samples: 1,121,749 of the 3,755 level-1 Chinese
characters and 51,158 of 171 symbols. The symbol code list is not published, so symbol
records are skipped and the classes are the level-1 characters in GB2312 code order
(dm_nevis numbered 3,926 codes in set order). Keys are ``<zip stem>/<gnt member>/<record>``.
Splits: the test zip is ``test``; both training zips are carved into train/dev/dev-test
by a hash of the key.

Evidence: documentation and dm_nevis's reader, no listing. The paper gives 1,172,907
samples, the 1,121,749 Chinese ones split 897,758 (240 training writers) / 223,991
(60 test writers), so ``test`` should hold 223,991. dm_nevis parses every member of
the three pinned zips as a ``.gnt`` stream (so they hold nothing else) and counted
1,172,907 records of 3,926 codes; public code lists the members as
``<writer>-c.gnt``, 120 per training zip (writers 1001-1240) and 60 in the test zip.
"""

import struct
from pathlib import Path

from PIL import Image

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

_HOST = "http://www.nlpr.ia.ac.cn/databases/Download/Offline/CharData/"
ARTIFACTS = (
    Artifact("Gnt1.1TrainPart1.zip", _HOST + "Gnt1.1TrainPart1.zip", md5="72bac7b6a5ce37f184f277421adfacfd"),
    Artifact("Gnt1.1TrainPart2.zip", _HOST + "Gnt1.1TrainPart2.zip", md5="a8b76e4eccfb1fd8d56c448f6a096c27"),
    Artifact("Gnt1.1Test.zip", _HOST + "Gnt1.1Test.zip", md5="e74f9a4863e73d8b80ed402452c97448"),
)
TEST_ZIP = "Gnt1.1Test.zip"

# GB2312 level 1: rows 0xB0-0xD7, cells 0xA1-0xFE, the last row ending at 0xD7F9.
_CODES = tuple(bytes((row, cell)) for row in range(0xB0, 0xD8) for cell in range(0xA1, 0xFF)
               if (row, cell) <= (0xD7, 0xF9))
CLASS_NAMES = tuple(code.decode("gb2312") for code in _CODES)
_LABELS = {code: index for index, code in enumerate(_CODES)}
assert len(CLASS_NAMES) == 3755


def examples(artifacts_dir: Path):
    for artifact in ARTIFACTS:
        stem = artifact.file.removesuffix(".zip")
        for member, data in _readers.zip_members(artifacts_dir / artifact.file, suffixes=(".gnt",)):
            for index, code, image in _gnt_records(member, data):
                if code not in _LABELS:
                    continue  # one of the 171 symbols
                key = f"{stem}/{member}/{index:04d}"
                split = "test" if artifact.file == TEST_ZIP else _splits.by_fraction(key, _splits.TR3)
                yield Example(key=key, image=image, label=_LABELS[code], split=split)


def _gnt_records(member: str, data: bytes):
    """(record index, 2-byte code, PIL image) for each record of a .gnt file."""
    offset, index = 0, 0
    while offset < len(data):
        if offset + 10 > len(data):
            raise ValueError(f"{member}: truncated record header at byte {offset}")
        length, code, width, height = struct.unpack_from("<I2sHH", data, offset)
        if length != width * height + 10 or offset + length > len(data):
            raise ValueError(f"{member}: record {index} at byte {offset} has length {length} for {width}x{height}")
        pixels = data[offset + 10 : offset + length]
        yield index, code, Image.frombytes("L", (width, height), pixels)
        offset, index = offset + length, index + 1


def write_fixture(artifacts_dir: Path) -> dict[str, int]:
    """Real GNT records in each zip: two writers (numbered as in the real zips), Chinese
    characters plus skipped symbols."""
    chars = [_CODES[0], _CODES[1], _CODES[-1], "Ａ".encode("gb2312"), b"\xff\xff"]
    counts = _splits.SplitSizes()
    for z, artifact in enumerate(ARTIFACTS):
        members = {}
        for w in range(2):
            writer = f"{(1001, 1121, 1241)[z] + w}-c.gnt"
            records = []
            for i, code in enumerate(chars):
                pixels = 255 - (_fixtures.pixels(z * 100 + w * 10 + i, 9 + i, 7 + w, 1) // 2)
                records.append(struct.pack("<I2sHH", pixels.size + 10, code, pixels.shape[1], pixels.shape[0])
                               + pixels.tobytes())
                if code in _LABELS:
                    key = f"{artifact.file.removesuffix('.zip')}/{writer}/{i:04d}"
                    split = "test" if artifact.file == TEST_ZIP else _splits.by_fraction(key, _splits.TR3)
                    counts.add(split)
            members[writer] = b"".join(records)
        _fixtures.write_zip(artifacts_dir / artifact.file, members)
    return counts


casia_hwdb = DatasetSpec(
    name="casia_hwdb",
    description="1,121,749 offline handwritten samples of the 3,755 GB2312 level-1 Chinese characters by 300 writers (CASIA-HWDB1.1).",
    homepage="https://nlpr.ia.ac.cn/databases/handwriting/Offline_database.html",
    citation=(
        "Liu, C.-L., Yin, F., Wang, D.-H., Wang, Q.-F. CASIA online and offline Chinese "
        "handwriting databases. ICDAR 2011."
    ),
    license="Free for academic research after signing the provider's agreement; commercial use is paid (see homepage).",
    artifacts=ARTIFACTS,
    features=Features(channels=1, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # test is 223,991 by the paper; the hash carving of the training zips needs every record's key.
    num_examples=None,
    unconfirmed="the .gnt member names (seen only in public code; any .gnt member is read)",
    evidence=Evidence(
        "documentation",
        source="Liu, Yin, Wang, Wang, ICDAR 2011 (1,172,907 samples; 897,758 / 223,991 Chinese); "
        "deepmind/dm_nevis@37ccf1e2dd89:dm_nevis/datasets_storage/handlers/casia_hwdb.py (every zip "
        "member parsed as GNT records; 1,172,907 records, 3,926 codes)",
    ),
    dm_nevis_differences="Only the 3,755 level-1 characters are classes, in GB2312 order: the 171 "
    "symbols (51,158 samples) are skipped, where dm_nevis kept all 3,926 codes in set order; pixels "
    "keep their published polarity (dm_nevis inverted them to a black background).",
)
