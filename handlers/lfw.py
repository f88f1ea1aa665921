"""Labeled Faces in the Wild: news photos of faces (250x250 RGB JPEGs, centred on a
detected face), identity classification over the 423 people with at least five photos.

Homepage http://vis-www.cs.umass.edu/lfw/ (Huang, Ramesh, Berg, Learned-Miller, UMass
Amherst TR 07-49, 2007). One tar.gz, ``lfw/<Person_Name>/<Person_Name>_<NNNN>.jpg``:
13,233 photos of 5,749 people. The UMass host has been unreliable; scikit-learn fetches
the same bytes (same sha256) from https://ndownloader.figshare.com/files/5976018, a
copy to place by hand if the host is down. The task keeps the people with at least 5
photos, 423 people and 5,985 photos; the list, the check of the archive against it
and the per-person splits (last 2 photos ``test``, one ``dev-test``, one ``dev``, the
rest ``train``, by photo number) are shared with ``lfwa`` in ``handlers/_lfw_people.py``.
The tar is read once: photos of listed people are kept as they stream by while every
person folder's photos are counted, and the counts are checked at the end, so an
archive whose people with >= 5 photos differ from the list fails the build.

Evidence: the extracted tgz, committed whole to a public repository: 13,233 photos of
5,749 people, all ``lfw/<Person>/<Person>_<NNNN>.jpg`` numbered 0001..n without gaps,
exactly the 423 listed people with >= 5 photos (5,985). Replayed in CI from
``tests/listings/lfw.json.gz``; the tgz's own checksum was not seen.
"""

from collections import Counter
from pathlib import Path

from data.types import Example, Features
from handlers import _class_splits, _fixtures, _lfw_people, _readers
from handlers._lfw_people import LABELS, person
from handlers._spec import Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact("lfw.tgz", "http://vis-www.cs.umass.edu/lfw/lfw.tgz", size=180566744,
             sha256="055f7d9c632d7370e6fb4afc7468d40f970c34a80d4c6f50ffec63f5a8d536c0"),
)


def examples(artifacts_dir: Path):
    path = artifacts_dir / ARTIFACTS[0].file
    counts: Counter[str] = Counter()

    def listed(name: str) -> bool:
        counts[person(name)] += 1
        return person(name) in LABELS

    for name, data in _readers.tar_members(path, suffixes=(".jpg",), keep=listed):
        yield Example(key=name, image=data, label=LABELS[person(name)])
    _lfw_people.check_counts(counts, ARTIFACTS[0].file)


def write_fixture(artifacts_dir: Path) -> dict[str, int]:
    """Three listed people (5, 6 and 7 photos) and two unlisted ones with fewer, written
    in reverse order (splits follow photo numbers, not the archive), a greyscale JPEG
    among the colour ones, and junk."""
    people = {"Abdullah_Gul": 7, "George_W_Bush": 6, "Zinedine_Zidane": 5, "Aaron_Peirsol": 4,
              "AJ_Cook": 1}
    members, keys, labels = [], [], []
    for p, (who, count) in enumerate(people.items()):
        for i in range(1, count + 1):
            name = f"lfw/{who}/{who}_{i:04d}.jpg"
            channels = 1 if (p, i) == (1, 2) else 3
            members.append((name, _fixtures.jpeg_bytes(_fixtures.pixels(p * 100 + i, 25, 25, channels))))
            if who in LABELS:
                keys.append(name)
                labels.append(LABELS[who])
    members += [("lfw/George_W_Bush/Thumbs.db", b"junk")]
    _fixtures.write_tar(artifacts_dir / ARTIFACTS[0].file, sorted(members, reverse=True))
    return _class_splits.counts(_lfw_people.SPLIT_RULE, keys, labels)


lfw = DatasetSpec(
    name="lfw",
    description="5,985 face photos (250x250) of the 423 people of Labeled Faces in the Wild with at least five photos; the label is the person.",
    homepage="http://vis-www.cs.umass.edu/lfw/",
    citation=_lfw_people.CITATION,
    license="unknown; see homepage (research use; photos collected from news sites)",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=_lfw_people.CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    split_rule=_lfw_people.SPLIT_RULE,
    num_examples=_lfw_people.NUM_EXAMPLES,
    unconfirmed="the license; whether http://vis-www.cs.umass.edu/lfw/lfw.tgz still serves the file",
    evidence=Evidence(
        "real listing",
        source="baileyfriend/Gender-Image-Classifier@9aaaad06efad7888c2d12b77c343a0ef1bea17bc:lfw/ "
        "(13,233 photos of 5,749 people under LFW's names; the byte sizes are LFW-a's "
        "re-encodings, so only the names are evidence of lfw.tgz)",
        listing="lfw.json.gz",
    ),
    dm_nevis_differences=(
        "dm_nevis numbers people in order of first appearance in the tar and takes each person's "
        "last photos in tar order; here people are numbered in sorted name order and photos are "
        "ordered by their number, so ids and splits do not depend on how the archive was packed."
    ),
)
