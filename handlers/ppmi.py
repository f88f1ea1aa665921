"""People Playing Musical Instruments (PPMI), normalised 12-instrument version: person-
centred crops of people playing, or only holding, one of 12 instruments (24 classes).

Homepage https://ai.stanford.edu/~bangpeng/ppmi.html (Yao & Fei-Fei, CVPR 2010). Members
are ``.../<play_instrument|with_instrument>/<instrument>/<train|test>/<file>.jpg``; the
class is ``<play_instrument|with_instrument>/<instrument>``, read from the path wherever
the zip's top folder puts it (dm_nevis numbered the same 24 classes in set order). The
spelling of instrument folders is matched ignoring case, spaces and underscores
("French horn"). ``README`` and other non-JPEG members are ignored. The official test
folders are ``test``; the official training folders are drawn into train/dev/dev-test
(0.70/0.15/0.15) by a hash of the member path.

Evidence: preparation scripts of a clustering paper unpack the zip into ``README`` and
``norm_image/<play_instrument|with_instrument>/<instrument>/<train|test>/`` and rename
files matching ``Norm_Play_<Instrument>_*_*.jpg`` with a running number; its published
per-image outputs number the play-mode test images up to 1,200 and hold exactly 100 for
each of the seven instruments kept (Saxophone, Guitar, Trumpet, Cello, Flute, Violin,
Harp): 100 test images per play-mode instrument. No listing of the zip was found, so
the with-instrument and training folders stay uncounted.
"""

import re
from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact(
        "norm_ppmi_12class.zip",
        "http://vision.stanford.edu/Datasets/norm_ppmi_12class.zip",
        md5="88118d8c6b50d72f0bb37a89269185ab",
    ),
)

INSTRUMENTS = ("bassoon", "cello", "clarinet", "erhu", "flute", "french_horn", "guitar", "harp",
               "recorder", "saxophone", "trumpet", "violin")
MODES = ("play_instrument", "with_instrument")
CLASS_NAMES = tuple(sorted(f"{mode}/{instrument}" for mode in MODES for instrument in INSTRUMENTS))
_LABELS = {name: index for index, name in enumerate(CLASS_NAMES)}
_INSTRUMENT_BY_FOLDER = {re.sub(r"[^a-z]", "", name): name for name in INSTRUMENTS}


def examples(artifacts_dir: Path):
    for name, data in _readers.zip_members(artifacts_dir / ARTIFACTS[0].file, suffixes=(".jpg", ".jpeg")):
        label, official = _parse(name)
        split = "test" if official == "test" else _splits.by_fraction(name, _splits.TR3)
        yield Example(key=name, image=data, label=label, split=split)


def write_fixture(artifacts_dir: Path, per_folder: int = 8) -> dict[str, int]:
    """Three classes under ``norm_image/``, both official parts, the root README and a
    grey JPEG; file names in the ``Norm_Play_<Instrument>_...`` pattern."""
    members, counts = {"README": b"PPMI\n"}, _splits.SplitSizes()
    for c, (mode, folder) in enumerate((("play_instrument", "French horn"), ("with_instrument", "erhu"),
                                        ("play_instrument", "violin"))):
        for official in ("train", "test"):
            for i in range(per_folder):
                stem = f"Norm_{mode.split('_')[0].title()}_{folder.title().replace(' ', '')}"
                name = f"norm_image/{mode}/{folder}/{official}/{stem}_{official}_{i:03d}.jpg"
                channels = 1 if (c, i) == (2, 3) else 3
                members[name] = _fixtures.jpeg_bytes(_fixtures.pixels(c * 1000 + len(members), 20, 16, channels))
                split = "test" if official == "test" else _splits.by_fraction(name, _splits.TR3)
                counts.add(split)
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[0].file, members)
    return counts


def _parse(name: str) -> tuple[int, str]:
    parts = name.split("/")
    for i, part in enumerate(parts[:-3]):
        if part in MODES:
            instrument = _INSTRUMENT_BY_FOLDER.get(re.sub(r"[^a-z]", "", parts[i + 1].lower()))
            official = parts[i + 2]
            if instrument and official in ("train", "test"):
                return _LABELS[f"{part}/{instrument}"], official
    raise ValueError(f"{ARTIFACTS[0].file}: {name} is not <mode>/<instrument>/<train|test>/<file>")


ppmi = DatasetSpec(
    name="ppmi",
    description="About 4,800 person-centred crops of people playing, or only holding, one of 12 musical instruments; 24 classes.",
    homepage="https://ai.stanford.edu/~bangpeng/ppmi.html",
    citation="Yao, B., Fei-Fei, L. Grouplet: A Structured Image Representation for Recognizing Human and Object Interactions. CVPR, 2010.",
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # Training member names are unknown, so the hash-split sizes of the training pool are too.
    num_examples=None,
    unconfirmed="the spelling of the instrument folders (matched loosely); the number of images in "
    "the training folders and in the with-instrument test folders",
    evidence=Evidence(
        "unverified",
        source="sehyunkwon/ICTC@c6ed8ff6761d0ca231ef08c9b00d4cc611208d2f:README.md and "
        "scripts/ppmi.sh (unzip gives README and norm_image/{play,with}_instrument/*/{train,test}/; "
        "files Norm_Play_<Instrument>_*_*.jpg); sehyunkwon/ICTC@d82b769b54c4:"
        "data/ppmi/gpt4/llava/instrument_7_classes/step1_result.jsonl (700 renamed play-mode test "
        "images, numbers 101-1200, 100 per instrument)",
    ),
    dm_nevis_differences=(
        "Class ids follow the sorted '<mode>/<instrument>' names; dm_nevis numbers the same 24 "
        "classes in the iteration order of a Python set, which changes between runs."
    ),
)
