"""Aberdeen faces (Stirling PICS collection): colour photos of about 90 people; the label
is the person.

Homepage http://pics.stir.ac.uk/ (Psychological Image Collection at Stirling; the Aberdeen
set was collected by Ian Craw, University of Aberdeen). A flat zip of images named
``<person><number>.<ext>``: the label is the first run of letters and underscores of the
file name (trailing underscores dropped), lower-cased. Eight spellings name another
person's images (``marieg`` is ``marie``, ``clean_adrian`` is ``adrian``...) and are
merged, as dm_nevis does. dm_nevis lists 92 classes, but its ``jsheenang`` is also an
alias of ``jsheenan`` and never receives an image: 91 people here. Grey images are
converted to RGB. No official split: every example is drawn into
train/dev/dev-test/test (0.56/0.12/0.12/0.20) by a hash of its file name.

Evidence: no listing of the zip. dm_nevis opens every member of the pinned zip as an
image and looks its letter prefix up, case and all, in its identity list: so the zip
is flat, holds images only and names them in lower case. A public copy of the first
100 images in name order (``adrian1.jpg`` ... ``catherine8.jpg``, JPEGs of 52-104 KB)
shows the quirks the prefix rule must survive: ``andrew!22.jpg``, ``bfegan17a.jpg``.
A re-sorted copy of the whole set holds 688 images in 91 person folders.
"""

import posixpath
import re
from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact("Aberdeen.zip", "http://pics.stir.ac.uk/zips/Aberdeen.zip", md5="1f7044bd5f0bed01286263aa580a7a87"),
)

CLASS_NAMES = tuple(sorted("""
adrian alec alison alister amellanby andrew annanena anon_one barry bfegan blair blaw
brian_ho catherine caroline chris chris_harbron chris_pin dave_faquhar david david_imray
dbell derek dhands dhawley dlow dougal_grant dpearson dsmith fiona fiona_hogarth george
gfindley ghall gillian gordon graeme graham_brown grant_cumming hack heather hin ian
irene iroy itaylor jenni jim joanna johannes john_mccal john_thom johnny_page jsheenan
kay kieran kim kirsty lisa louise lynn lynn_james marie mark martin meggan merilyn
michael milly miranda mmanson mnicholson neil nick olive paol pat paul peter
peter_macgeorge pkyle richard_hardwick ruth scott simon stephen stewart terry_johnstone
tock tracy trevor
""".split()))
_LABELS = {name: index for index, name in enumerate(CLASS_NAMES)}
ALIASES = {
    "marieg": "marie", "heatherg": "heather", "kayg": "kay", "neilg": "neil", "graemeg": "graeme",
    "dhawleyg": "dhawley", "clean_adrian": "adrian", "jsheenang": "jsheenan",
}
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff")


def examples(artifacts_dir: Path):
    for name, data in _readers.zip_members(artifacts_dir / ARTIFACTS[0].file, suffixes=_IMAGE_SUFFIXES):
        yield Example(key=name, image=data, label=_label(name), split=_splits.by_fraction(name, _splits.ALL))


def write_fixture(artifacts_dir: Path, per_person: int = 6) -> dict[str, int]:
    """A flat zip of images only (as dm_nevis's reader requires), plain and aliased names,
    names with the real set's quirks (``andrew!22.jpg``, ``bfegan17a.jpg``), one grey JPEG."""
    stems = ("neil", "neilg", "chris_harbron", "clean_adrian", "adrian", "jsheenang", "dave_faquhar",
             "andrew!", "bfegan")
    members, counts = {}, _splits.SplitSizes()
    for s, stem in enumerate(stems):
        for i in range(1, per_person + 1):
            name = f"{stem}{i + 15}a.jpg" if stem == "bfegan" else f"{stem}{i}.jpg"
            members[name] = _fixtures.jpeg_bytes(_fixtures.pixels(s * 100 + i, 24, 18, 1 if s == 2 and i == 1 else 3))
            split = _splits.by_fraction(name, _splits.ALL)
            counts.add(split)
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[0].file, members)
    return counts


def _label(name: str) -> int:
    match = re.match(r"[A-Za-z_]+", posixpath.basename(name))
    person = match.group(0).rstrip("_").lower() if match else ""
    person = ALIASES.get(person, person)
    if person not in _LABELS:
        raise ValueError(f"{ARTIFACTS[0].file}: {name!r} names no known person ({person!r})")
    return _LABELS[person]


aberdeen = DatasetSpec(
    name="aberdeen",
    description="About 690 colour face photos of 91 people under varied lighting and viewpoint; the label is the person.",
    homepage="http://pics.stir.ac.uk/",
    citation="Psychological Image Collection at Stirling (PICS), University of Stirling: Aberdeen face set (Ian Craw, University of Aberdeen).",
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # The exact image count of the pinned zip is not documented.
    num_examples=None,
    unconfirmed="the image count and the file names beyond their letter prefixes",
    evidence=Evidence(
        "unverified",
        source="deepmind/dm_nevis@37ccf1e2dd89:dm_nevis/datasets_storage/handlers/aberdeen.py (every "
        "member opened as an image, its [a-zA-Z_]+ prefix looked up in 92 names and 8 aliases); "
        "Micasou/catFaceSwapSendToTodd@2055144e9e22:Aberdeen/ (the first 100 images by name, "
        "adrian1.jpg to catherine8.jpg); "
        "MikaR1/Simple-Image-Correction-Data-Analysis@e006542fa318:01_Loading_Database_Aberdeen.ipynb "
        "(a re-sorted copy: 91 person folders, 688 files)",
    ),
    dm_nevis_differences="91 classes in sorted order; dm_nevis lists 92 in its own order, one of "
    "which (jsheenang) is also an alias of jsheenan and never receives an image.",
)
