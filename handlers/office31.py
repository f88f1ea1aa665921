"""Office-31: office objects in 31 classes photographed in three domains, for domain
adaptation: product photos from amazon.com, DSLR photos and low-resolution webcam photos.

Homepage https://faculty.cc.gatech.edu/~judy/domainadapt/ (Saenko, Kulis, Fritz,
Darrell, "Adapting Visual Category Models to New Domains", ECCV 2010). One tar.gz
from Google Drive, streamed once: ``<domain>/images/<class>/frame_<NNNN>.jpg`` with
domain amazon (2,817), dslr (498) or webcam (795), at the tar's root. dm_nevis's comments
show a ``domain_adaptation_images/`` folder above the domains, which its own pattern
would not match; a folder there is tolerated, and the split hash is taken over the path
from the domain folder down, so it would not change the splits. The class is the
folder, numbered in sorted order (which is also dm_nevis's order). Splits follow the
domains: amazon and dslr are the training pool, drawn into train/dev (TR2, 0.8/0.2), and
webcam is drawn 50/50 into dev-test and test. dm_nevis meant the same but misspelt
dslr, so it never read that domain; here it is read. office_caltech_10 reads the same
tar (borrowed, fetched once).

Evidence: complete per-domain image lists (4,110 paths); the tar itself was not seen.
Two loaders that unpack it find the domain folders at its root.
"""

from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact("domain_adaptation_images.tar.gz", gdrive_id="0B4IapRTv9pJ1WGZVd1VDMmhwdlE",
             content_disposition=True, md5="1b536d114869a5a8aa4580b89e9758fb"),
)
DOMAINS = ("amazon", "dslr", "webcam")
TRAIN_DOMAINS = ("amazon", "dslr")
TEST_FRACTIONS = {"dev-test": 0.5, "test": 0.5}

CLASS_NAMES = tuple(sorted("""
back_pack bike bike_helmet bookcase bottle calculator desk_chair desk_lamp desktop_computer
file_cabinet headphones keyboard laptop_computer letter_tray mobile_phone monitor mouse mug
paper_notebook pen phone printer projector punchers ring_binder ruler scissors speaker stapler
tape_dispenser trash_can
""".split()))
_LABELS = {name: index for index, name in enumerate(CLASS_NAMES)}


def examples(artifacts_dir: Path):
    for name, data, domain in members(artifacts_dir / ARTIFACTS[0].file):
        label = _readers.folder_label(name, _LABELS, ARTIFACTS[0].file)
        yield Example(key=name, image=data, label=label, split=domain_split(name, domain))


def members(tar_path: Path):
    """(member path, JPEG bytes, domain) of every image, in archive order."""
    for name, data in _readers.tar_members(tar_path, suffixes=(".jpg",)):
        yield name, data, member_domain(name)


def member_domain(name: str) -> str:
    """The domain of ``[<prefix>/]<domain>/images/<class>/<file>.jpg``."""
    parts = name.split("/")
    if len(parts) < 4 or parts[-3] != "images" or parts[-4] not in DOMAINS:
        raise ValueError(f"{ARTIFACTS[0].file}: {name} is not <domain>/images/<class>/<file>.jpg "
                         f"with a domain in {DOMAINS}")
    return parts[-4]


def domain_split(name: str, domain: str) -> str:
    """Training domains are drawn into train/dev, the others into dev-test/test, on a hash
    of the member path from its domain folder down."""
    return _splits.by_fraction(domain_path(name), _splits.TR2 if domain in TRAIN_DOMAINS else TEST_FRACTIONS)


def domain_path(name: str) -> str:
    """``<domain>/images/<class>/<file>``: the member path without any folder above it."""
    return "/".join(name.split("/")[-4:])


# Fixture classes: office_caltech_10 shares back_pack and calculator; ruler it skips.
FIXTURE_CLASSES = ("back_pack", "calculator", "ruler")


def write_fixture(artifacts_dir: Path, per_class: int = 4) -> dict[str, int]:
    """Three classes in each of the three domains."""
    members, counts = [], _splits.SplitSizes()
    for d, domain in enumerate(DOMAINS):
        for c, folder in enumerate(FIXTURE_CLASSES):
            for i in range(1, per_class + 1):
                key = f"{domain}/images/{folder}/frame_{i:04d}.jpg"
                image = _fixtures.pixels(1000 * d + 100 * c + i, 18 + i % 3, 22, 3)
                members.append((key, _fixtures.jpeg_bytes(image)))
                split = domain_split(key, domain)
                counts.add(split)
    _fixtures.write_tar(artifacts_dir / ARTIFACTS[0].file, members)
    return dict(sorted(counts.items()))


office31 = DatasetSpec(
    name="office31",
    description=(
        "4,110 photos of 31 office object classes in three domains: amazon.com product "
        "photos (2,817), DSLR (498) and webcam (795) photos; amazon and dslr train, webcam tests."
    ),
    homepage="https://faculty.cc.gatech.edu/~judy/domainadapt/",
    citation=(
        "Saenko, K., Kulis, B., Fritz, M., Darrell, T. Adapting Visual Category Models to New "
        "Domains. European Conference on Computer Vision (ECCV), 2010."
    ),
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # The hash draw over the 4,110 listed paths (tests/listings/office31.json).
    num_examples={"train": 2658, "dev": 657, "dev-test": 398, "test": 397},
    unconfirmed=(
        "the tar's md5 and member sizes (the evidence is image lists); the homepage address; "
        "whether the Drive file still announces the name domain_adaptation_images.tar.gz"
    ),
    dm_nevis_differences=(
        "The dslr domain (498 images) joins amazon in the train/dev pool: dm_nevis named it "
        "'dlsr', so its train/dev held amazon alone; webcam's dev-test/test draw is the same."
    ),
    evidence=Evidence(
        "real listing",
        source="thuml/MADA@d33b8e9a442a:data/office/{amazon,dslr,webcam}_list.txt (every image "
        "path, 2,817 + 498 + 795, 31 classes in each domain); "
        "google-research/perch@0a59a4a73cc7:chirp/projects/sfda/data/office_31/office_31.py "
        "(reads <domain>/images/ at the unpacked tar's root)",
        listing="office31.json",
    ),
)
