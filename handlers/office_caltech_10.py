"""Office-Caltech-10: the ten object classes Office-31 and Caltech-256 share, for domain
adaptation from office photos to Caltech's web pictures.

Gong, Shi, Sha, Grauman, "Geodesic Flow Kernel for Unsupervised Domain Adaptation"
(CVPR 2012). No archive of its own: it reads the caltech256 tar and the office31
tar.gz, borrowed from those datasets (fetched once, into their folders). Each class
pairs an Office-31 folder with a Caltech-256 folder (table below); images of other
classes are skipped. Splits follow the source: Office images of all three domains
(amazon, dslr, webcam) are drawn into train/dev (TR2, 0.8/0.2) on a hash of their path
from the domain folder down (as office31 draws them), Caltech images 50/50 into dev-test
and test on a hash of the member path. Keys are member paths (the two archives' paths
cannot collide). Caltech greyscale JPEGs are converted to RGB.

Evidence: office31's complete image lists (1,410 images of the ten classes); for the
Caltech part, the per-folder file counts of the unpacked Caltech-256 tar (a copy whose
size and md5 equal the pins) in a DataLad mirror: the ten folders hold 1,123 files, the
Caltech figure Gong et al. publish (2,533 images in all). Their file names were not
listed, so the Caltech part's dev-test/test sizes are not declared.
"""

import shutil
import tempfile
from pathlib import Path

from data.types import Example, Features
from handlers import _readers, _splits, caltech256, office31
from handlers._spec import DatasetSpec, Evidence, borrow

CALTECH_TAR = caltech256.ARTIFACTS[0].file
OFFICE_TAR = office31.ARTIFACTS[0].file
ARTIFACTS = (
    borrow(caltech256.caltech256, CALTECH_TAR),
    borrow(office31.office31, OFFICE_TAR),
)
TEST_FRACTIONS = {"dev-test": 0.5, "test": 0.5}

# label: (Office-31 class folder, Caltech-256 folder name without its number)
CLASSES = (
    ("back_pack", "backpack"),
    ("bike", "touring-bike"),
    ("calculator", "calculator"),
    ("headphones", "head-phones"),
    ("keyboard", "computer-keyboard"),
    ("laptop_computer", "laptop-101"),
    ("monitor", "computer-monitor"),
    ("mouse", "computer-mouse"),
    ("mug", "coffee-mug"),
    ("projector", "video-projector"),
)
CLASS_NAMES = tuple(office for office, _ in CLASSES)
_OFFICE = {office: label for label, (office, _) in enumerate(CLASSES)}
# caltech256 label -> label here
_CALTECH = {caltech256.CLASS_NAMES.index(caltech): label for label, (_, caltech) in enumerate(CLASSES)}


def examples(artifacts_dir: Path):
    for name, data in office_members(artifacts_dir / OFFICE_TAR):
        yield Example(key=name, image=data, label=_OFFICE[_readers.class_folder(name)],
                      split=_splits.by_fraction(office31.domain_path(name), _splits.TR2))
    for name, data, label in caltech256.members(artifacts_dir / CALTECH_TAR):
        if label in _CALTECH:
            yield Example(key=name, image=data, label=_CALTECH[label],
                          split=_splits.by_fraction(name, TEST_FRACTIONS))


def office_members(tar_path: Path):
    """(member path, bytes) of the Office images of the ten classes, in archive order."""
    for name, data, _domain in office31.members(tar_path):
        if _readers.class_folder(name) in _OFFICE:
            yield name, data


def write_fixture(artifacts_dir: Path) -> dict[str, int]:
    """The owners' fixtures, byte for byte. They hold two of the ten classes (and one
    other each); the expected sizes come from their member lists."""
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        caltech256.write_fixture(scratch)
        office31.write_fixture(scratch)
        for artifact in ARTIFACTS:
            shutil.copyfile(scratch / artifact.file, artifacts_dir / artifact.file)
    counts = _splits.SplitSizes()
    for tar, folders, fractions, split_key in (
        (OFFICE_TAR, ("back_pack", "calculator"), _splits.TR2, office31.domain_path),
        (CALTECH_TAR, ("003.backpack", "027.calculator"), TEST_FRACTIONS, str),
    ):
        with _readers.tar_entries(artifacts_dir / tar) as entries:
            for name in (info.name for info in entries):
                if name.endswith(".jpg") and name.split("/")[-2] in folders:
                    split = _splits.by_fraction(split_key(name), fractions)
                    counts.add(split)
    return dict(sorted(counts.items()))


office_caltech_10 = DatasetSpec(
    name="office_caltech_10",
    description=(
        "The ten classes shared by Office-31 (amazon, dslr, webcam photos: training) and "
        "Caltech-256 (web pictures: testing), for domain adaptation."
    ),
    homepage="https://faculty.cc.gatech.edu/~judy/domainadapt/",
    citation=(
        "Gong, B., Shi, Y., Sha, F., Grauman, K. Geodesic Flow Kernel for Unsupervised Domain "
        "Adaptation. IEEE Conference on Computer Vision and Pattern Recognition (CVPR), 2012."
    ),
    license="unknown; see the licenses of Office-31 and Caltech-256",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # The Office part is known (office31's lists: train 1,140, dev 270 of 1,410 images); the
    # Caltech part needs the member list of the Caltech-256 tar.
    num_examples=None,
    unconfirmed=(
        "the Caltech-256 tar's member names in the ten folders (only their counts, 1,123 in all, "
        "were read); the homepage (Office-Caltech-10 has no page of its own; Office-31's is given)"
    ),
    evidence=Evidence(
        "documentation",
        source="Office part: thuml/MADA@d33b8e9a442a:data/office/{amazon,dslr,webcam}_list.txt "
        "(every image path; see tests/listings/office31.json); Caltech part: "
        "datasets-mila/datasets--caltech256@dd6803ca98db:256_ObjectCategories.tar (annex key: the "
        "pinned size and md5) and @c9f14547a99b:files_count.stats (files per folder of that tar, "
        "unpacked: 151 backpack, 110 touring-bike, 100 calculator, 138 head-phones, 85 "
        "computer-keyboard, 128 laptop-101, 133 computer-monitor, 94 computer-mouse, 87 coffee-mug, "
        "97 video-projector = 1,123, as Gong et al. (CVPR 2012) count)",
    ),
)
