"""Chest X-Ray Images (Pneumonia): paediatric chest X-rays, normal or pneumonia.

Homepage https://www.kaggle.com/datasets/paultimothymooney/chest-xray-pneumonia (images
from Kermany et al., "Identifying Medical Diagnoses and Treatable Diseases by Image-Based
Deep Learning", Cell 2018). One Kaggle zip that holds the tree more than once: only
``chest_xray/chest_xray/<train|val|test>/<NORMAL|PNEUMONIA>/<file>.jpeg`` is read, so the
other copy (``chest_xray/<train|val|test>/...``), the ``__MACOSX`` copies (also nested
under ``chest_xray/``), ``.DS_Store`` files and the spreadsheets are never examples. The
label is the class folder. Some JPEGs are RGB; all are stored greyscale. Splits: the
official ``train`` part (5,216 images) is drawn into train/dev (0.8/0.2) by a hash of the
member path; the official ``val`` part (16 images) is ``dev-test``; ``test`` (624) is
``test``.

Evidence: no complete listing of the pinned zip was found. A repository that commits the
unpacked zip, and Kaggle notebooks' paths, show the nested
``chest_xray/chest_xray/<part>/<CLASS>/`` tree with the provider's file names
(``IM-0115-0001.jpeg``, ``NORMAL2-IM-1430-0001.jpeg``, ``person1946_bacteria_4875.jpeg``).
"""

import re
from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import KAGGLE_REPACKED, Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact("chest-xray-pneumonia.zip", kaggle="paultimothymooney/chest-xray-pneumonia",
             md5="930763e3580e76de9c2c849ec933b5d6"),
)
ROOT = "chest_xray/chest_xray/"
# official part -> split (None: the hash-drawn train/dev pool)
PARTS = {"train": None, "val": "dev-test", "test": "test"}

CLASS_NAMES = ("NORMAL", "PNEUMONIA")
_LABELS = {name: index for index, name in enumerate(CLASS_NAMES)}
# chest_xray/chest_xray/<part>/<class>/<file>.jpeg, nothing deeper
_MEMBER = re.compile(re.escape(ROOT) + r"(?P<part>[^/]+)/(?P<folder>[^/]+)/[^/]+\.jpe?g", re.IGNORECASE)


def examples(artifacts_dir: Path):
    path = artifacts_dir / ARTIFACTS[0].file
    for name, data in _readers.zip_members(path, suffixes=(".jpeg", ".jpg"), keep=_wanted):
        part = member_part(name, path.name)
        label = _readers.folder_label(name, _LABELS, path.name)
        yield Example(key=name, image=data, label=label, split=PARTS[part] or _splits.by_fraction(name, _splits.TR2))


def member_part(name: str, archive: str) -> str:
    """The official part (train/val/test) of an image under ``chest_xray/chest_xray/``."""
    match = _MEMBER.fullmatch(name)
    if match is None or match["part"] not in PARTS:
        raise ValueError(f"{archive}: {name} is not <part>/<class>/<file> with part one of {sorted(PARTS)}")
    return match["part"]


def write_fixture(artifacts_dir: Path) -> dict[str, int]:
    """Both copies of the tree (only the nested one counts), ``__MACOSX`` resource forks
    and ``.DS_Store`` files under ``chest_xray/``, one RGB JPEG, and the spreadsheet."""
    per_part = {"train": 7, "val": 2, "test": 3}
    members: dict[str, bytes] = {"chest_xray/metadata.xlsx": b"PK\x03\x04not really a spreadsheet"}
    counts = _splits.SplitSizes()
    seed = 0
    for part, count in per_part.items():
        for c, folder in enumerate(CLASS_NAMES):
            for i in range(count):
                seed += 1
                channels = 3 if seed == 5 else 1
                data = _fixtures.jpeg_bytes(_fixtures.pixels(seed, 20 + i % 3, 24, channels))
                file = f"{folder}/IM-{seed:04d}-0001.jpeg" if c == 0 else f"{folder}/person{seed}_bacteria_{seed * 3}.jpeg"
                name = f"{ROOT}{part}/{file}"
                members[name] = data
                members[f"chest_xray/{part}/{file}"] = data
                members[f"chest_xray/__MACOSX/chest_xray/{part}/{folder}/._{file.split('/')[-1]}"] = b"\x00\x05\x16\x07"
                split = PARTS[part] or _splits.by_fraction(name, _splits.TR2)
                counts.add(split)
            members[f"{ROOT}{part}/{folder}/.DS_Store"] = b"\x00\x00\x00\x01Bud1"
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[0].file, sorted(members.items()))
    return counts


def _wanted(name: str) -> bool:
    return name.startswith(ROOT) and "__MACOSX/" not in name


pneumonia_chest_xray = DatasetSpec(
    name="pneumonia_chest_xray",
    description="5,856 paediatric chest X-rays, normal or pneumonia; official parts 5,216 train / 16 val / 624 test.",
    homepage="https://www.kaggle.com/datasets/paultimothymooney/chest-xray-pneumonia",
    citation=(
        "Kermany, D. S., Goldbaum, M., Cai, W., et al. Identifying Medical Diagnoses and Treatable "
        "Diseases by Image-Based Deep Learning. Cell 172(5), 2018. Data: Kermany, D., Zhang, K., "
        "Goldbaum, M. Labeled Optical Coherence Tomography (OCT) and Chest X-Ray Images for "
        "Classification. Mendeley Data v2, 2018."
    ),
    license="CC BY 4.0 (as stated on the Kaggle page)",
    artifacts=ARTIFACTS,
    features=Features(channels=1, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # 5,216 / 16 / 624 official; the hash draw of train vs dev needs the file names.
    num_examples=None,
    unconfirmed=(
        KAGGLE_REPACKED
        + "; the zip's members outside chest_xray/chest_xray/ (second copy, __MACOSX, "
          "spreadsheets); the license"
    ),
    evidence=Evidence(
        "unverified",
        source="Shuaibu78/pneumonia-detection@101c343b3e58ac3da8cc0048f94f3c696126c281:"
        "chest_xray/chest_xray/ (the unpacked zip committed: <train|val|test>/<NORMAL|PNEUMONIA>/"
        "<file>.jpeg, e.g. val/NORMAL/NORMAL2-IM-1430-0001.jpeg; too large to list whole here)",
    ),
)
