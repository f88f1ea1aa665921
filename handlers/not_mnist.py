"""notMNIST (small): 28x28 greyscale glyphs of the letters A-J rendered in many fonts.

Made by Yaroslav Bulatov (2011); homepage
http://yaroslavvb.blogspot.com/2011/09/notmnist-dataset.html. Read from the Kaggle copy
``jwjohnson314/notmnist``, which holds both sets, each in a doubled folder; only the small,
hand-cleaned set is read: ``notMNIST_small/notMNIST_small/<letter>/<base64 font name>.png``
(label = letter, A-J = 0-9). The large set and anything else in the zip are ignored.
Two members of the small set are known to be unreadable upstream: they are handed over
undecoded and the engine skips them by key (``skip_members``), counting them in
dataset_info.json. Any other member that does not decode fails the build with its name
(the archive is damaged or has changed). Fonts often render a letter identically: as in
dm_nevis, exact duplicates (same decoded pixels, same letter) are dropped, keeping the
first in member-name order. No official split: every kept image is drawn into
train/dev/dev-test/test (0.56/0.12/0.12/0.20) by a hash of its member path.

Evidence: no member list of the Kaggle zip was found. Kaggle notebooks read the small set
from ``notMNIST_small/notMNIST_small/<letter>/``; in the original small tar each letter
holds about 1,873 images, and only the two named below fail to decode.
"""

import base64
from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import KAGGLE_REPACKED, Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact("notmnist.zip", kaggle="jwjohnson314/notmnist", md5="e2a47bb2a88c2c6bcae60d9f95223ace"),
)
ROOT = "notMNIST_small/notMNIST_small/"
CLASS_NAMES = tuple("ABCDEFGHIJ")
_LABELS = {letter: i for i, letter in enumerate(CLASS_NAMES)}

# Unreadable in the published small set (the usual notMNIST preprocessing skips them too).
BROKEN = frozenset({
    ROOT + "A/RGVtb2NyYXRpY2FCb2xkT2xkc3R5bGUgQm9sZC50dGY=.png",
    ROOT + "F/Q3Jvc3NvdmVyIEJvbGRPYmxpcXVlLnR0Zg==.png",
})


def examples(artifacts_dir: Path):
    archive = ARTIFACTS[0].file
    members = _readers.zip_members(artifacts_dir / archive, suffixes=(".png",),
                                   keep=lambda name: name.startswith(ROOT))
    glyphs = (
        Example(key=name, image=data, label=_readers.folder_label(name, _LABELS, archive),
                split=_splits.by_fraction(name, _splits.ALL))
        for name, data in members
    )
    # The known-broken members go through undecoded; the engine skips them by key.
    return _readers.drop_exact_duplicates(glyphs, "L", archive, exempt=BROKEN)


def write_fixture(artifacts_dir: Path, broken: bool = False) -> dict[str, int]:
    """Small-set glyphs of A, B and F, one exact duplicate within a letter (dropped), the
    same pixels under another letter (kept), and large-set members (ignored). With
    ``broken``, the two known-bad members too, as an empty and a truncated PNG: the engine
    skips them, so the counts do not change."""
    members, kept = {}, []
    for letter_index, letter in enumerate("ABF"):
        for i in range(5):
            name = f"{ROOT}{letter}/{_font_name(letter_index * 10 + i)}"
            members[name] = _fixtures.png_bytes(_fixtures.pixels(letter_index * 10 + i, 28, 28, 1))
            kept.append(name)
    first_a = members[kept[0]]
    # A font whose glyph repeats another's exactly (sorted after it, so dropped) ...
    members[f"{ROOT}A/{_font_name(90)}"] = first_a
    # ... and the same pixels filed under another letter: a different example, kept.
    members[f"{ROOT}B/{_font_name(91)}"] = first_a
    kept.append(f"{ROOT}B/{_font_name(91)}")
    members[f"notMNIST_large/notMNIST_large/A/{_font_name(92)}"] = first_a
    members[f"notMNIST_large/notMNIST_large/J/{_font_name(93)}"] = first_a
    if broken:
        small, truncated = sorted(BROKEN)
        members[small] = b""
        members[truncated] = first_a[: len(first_a) // 2]
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[0].file, sorted(members.items()))
    return _splits.tally(kept, _splits.ALL)


def _font_name(seed: int) -> str:
    """A file name in the real form: the base64 of a font file name, then .png."""
    return base64.b64encode(f"Fixture Sans {seed:02d}.ttf".encode()).decode() + ".png"


not_mnist = DatasetSpec(
    name="not_mnist",
    description="notMNIST small: about 18,700 28x28 greyscale glyphs of the letters A-J in many fonts (exact duplicates dropped).",
    homepage="http://yaroslavvb.blogspot.com/2011/09/notmnist-dataset.html",
    citation="Bulatov, Y. notMNIST dataset. 2011. http://yaroslavvb.blogspot.com/2011/09/notmnist-dataset.html",
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=1, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # The member names (hence the hash draw) and the number of exact duplicates are not known.
    num_examples=None,
    skip_members=BROKEN,
    unconfirmed=(
        KAGGLE_REPACKED
        + "; the zip's member names (hence the hash draw) and the size after de-duplication; the "
          "license"
    ),
    evidence=Evidence(
        "documentation",
        source="http://yaroslavvb.blogspot.com/2011/09/notmnist-dataset.html (the small, hand-cleaned "
        "set of letters A-J); Kaggle notebooks on jwjohnson314/notmnist reading "
        "notMNIST_small/notMNIST_small/<letter>/; Udacity notMNIST notebook outputs (about 1,873 "
        "images per letter; the A and F members named in BROKEN do not decode)",
    ),
)
