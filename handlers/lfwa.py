"""LFW-a: the Labeled Faces in the Wild photos aligned by a commercial face aligner,
identity classification over the 423 people with at least five photos.

Homepage https://talhassner.github.io/home/projects/lfwa/index.html (Wolf, Hassner,
Taigman, "Effective Unconstrained Face Recognition by Combining Multiple Descriptors
and Learned Background Statistics", TPAMI 2011; LFW itself: Huang et al., 2007). One
zip from Google Drive with one folder per person holding ``<Person>_<NNNN>.jpg``
(250x250, mostly greyscale JPEGs, converted to RGB); only ``.jpg`` members count and
the folders above the person's are ignored. The task keeps the people with at least 5
photos: 423 people, 5,985 photos. The list of them, the check of the zip's own listing
against it and the per-person splits (last 2 photos ``test``, one ``dev-test``, one
``dev``, the rest ``train``) are shared with ``lfw``, in ``handlers/_lfw_people.py``.

Evidence: a complete listing of the unpacked zip (13,233 photos under LFW's names, with
byte sizes) from a copy downloaded by the pinned Drive id; its notebook reads the photos
at ``lfw2/lfw2/<person>/``, the nesting the fixture and the listing use (the handler
ignores the folders above the person). Its 423 people with at least five photos hold
5,985, the figures dm_nevis asserts over this zip. The photos total 101 MB, far below LFW's
180 MB tgz: they are LFW-a's greyscale re-encodings, not LFW's photos.
"""

from pathlib import Path

from data.types import Example, Features
from handlers import _class_splits, _fixtures, _lfw_people, _readers
from handlers._lfw_people import LABELS, person
from handlers._spec import Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact("lfwa.zip", gdrive_id="1p1wjaqpTh_5RHfJu4vUh8JJCdKwYMHCp", content_disposition=True,
             md5="96313a4780499f939bc4a06d5bebaf7d"),
)
CLASS_NAMES = _lfw_people.CLASS_NAMES
SPLIT_RULE = _lfw_people.SPLIT_RULE


def examples(artifacts_dir: Path):
    path = artifacts_dir / ARTIFACTS[0].file
    people = people_with_enough_images(_jpeg_names(path))
    for name, data in _readers.zip_members(path, suffixes=(".jpg",), keep=lambda n: person(n) in people):
        yield Example(key=name, image=data, label=LABELS[person(name)])


def people_with_enough_images(names) -> set[str]:
    """The person folders holding at least five photos, checked against CLASS_NAMES."""
    return _lfw_people.people_with_enough_images(names, ARTIFACTS[0].file)


def write_fixture(artifacts_dir: Path) -> dict[str, int]:
    """Two listed people (5 and 7 photos, under the real zip's doubled ``lfw2/lfw2/``), two
    unlisted ones with fewer photos, a colour JPEG among the greyscale ones, and junk."""
    people = {"Abdullah_Gul": 7, "Zinedine_Zidane": 5, "Aaron_Peirsol": 4, "AJ_Cook": 1}
    members, keys, labels = [], [], []
    for p, (who, count) in enumerate(people.items()):
        for i in range(1, count + 1):
            name = f"lfw2/lfw2/{who}/{who}_{i:04d}.jpg"
            channels = 3 if (p, i) == (0, 3) else 1
            members.append((name, _fixtures.jpeg_bytes(_fixtures.pixels(p * 100 + i, 25, 25, channels))))
            if who in LABELS:
                keys.append(name)
                labels.append(LABELS[who])
    members += [("lfw2/lfw2/Abdullah_Gul/Thumbs.db", b"junk"), ("lfw2/README.txt", b"fixture\n")]
    # Written out of order: splits follow photo numbers, not the archive.
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[0].file, sorted(members, reverse=True))
    return _class_splits.counts(SPLIT_RULE, keys, labels)


def _jpeg_names(path: Path) -> list[str]:
    with _readers.open_zip(path) as archive:
        return [name for name in archive.namelist()
                if name.lower().endswith(".jpg") and not _readers.is_junk(name)]


lfwa = DatasetSpec(
    name="lfwa",
    description="5,985 aligned face photos (250x250) of the 423 people of Labeled Faces in the Wild with at least five photos; the label is the person.",
    homepage="https://talhassner.github.io/home/projects/lfwa/index.html",
    citation=(
        "Wolf, L., Hassner, T., Taigman, Y. Effective Unconstrained Face Recognition by Combining "
        "Multiple Descriptors and Learned Background Statistics. IEEE TPAMI 33(10), 2011. "
        + _lfw_people.CITATION
    ),
    license="unknown; see homepage (research use; photos collected from news sites)",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    split_rule=SPLIT_RULE,
    num_examples=_lfw_people.NUM_EXAMPLES,
    unconfirmed=(
        "the Google Drive file is still shared (dm_nevis flags the link as needing a fix); the zip's "
        "md5 and any non-photo members (the listing is of the unpacked photos); the license"
    ),
    evidence=Evidence(
        "real listing",
        source="AvivBGU/DeepLearning_Assignment2@c9e53862ce30239a61ef7063425103af130ded93:data/lfw2/ "
        "(the unpacked zip committed as Git LFS pointers: 13,233 photo names and byte sizes; its main.ipynb "
        "fetches Drive id 1p1wjaqpTh_5RHfJu4vUh8JJCdKwYMHCp and reads lfw2/lfw2/<person>/); "
        "deepmind/dm_nevis@37ccf1e2dd89:dm_nevis/datasets_storage/handlers/lfwa.py (asserts 423 people "
        "and 5,985 photos over lfwa.zip)",
        listing="lfwa.json.gz",
    ),
    dm_nevis_differences=(
        "dm_nevis numbers people in order of first appearance in the zip and takes each person's "
        "last photos in zip order; here people are numbered in sorted name order and photos are "
        "ordered by their number, as for lfw."
    ),
)
