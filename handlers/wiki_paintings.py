"""WikiArt paintings (ArtGAN release): paintings labelled by artist, genre or style.

Project page https://github.com/cs-chan/ArtGAN/tree/master/WikiArt%20Dataset (Tan, Chan,
Aguirre, Tanaka, "ArtGAN: Artwork synthesis with conditional categorical GANs", ICIP
2017). Two zips shared by the three variants: ``wikiart.zip`` with the images at
``wikiart/<Style>/<artist-title>.jpg``, and ``wikiart_csv.zip`` with, per task,
``<task>_train.csv`` and ``<task>_val.csv``: rows ``<path below wikiart/>,<class id>``.
The provider's published lists differ in form: genre and style rows are
``path,id`` with CRLF line ends and no header; the artist lists start with a header
line and a blank line and write ``path,,id``. So the id is a row's last field, and rows
whose last field is not a number (headers, blanks) are skipped; dm_nevis read each CSV
with a header, dropping its first row. One genre_val image is listed twice with two
genres: its first row counts. Each variant holds only the images its CSVs list; labels
are the CSV ids, named by the tables below (the provider's ``<task>_class`` files). The
CSVs are read first (a zip allows random access). A few members of wikiart.zip cannot
be decompressed: they are skipped with a warning (as dm_nevis did); a listed image
absent from the zip is an error. Full size is kept. Splits: ``<task>_val.csv`` is
``test``; ``<task>_train.csv`` goes to train/dev/dev-test by path hash.

Evidence: the provider's lists in cs-chan/ArtGAN (``WikiArt Dataset/``): artist 13,346
train + 5,706 val, genre 45,503 + 19,492 rows (64,994 images), style 57,025 + 24,421, with
23, 10 and 27 classes named as below; no train path is also a val path.
"""

import csv
import io
import logging
import posixpath
import struct
import zipfile
import zlib
from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

_HOST = "http://web.fsktm.um.edu.my/~cschan/source/ICIP2017/"
ARTIFACTS = (
    Artifact("wikiart.zip", _HOST + "wikiart.zip", md5="c6b43cbcd474b875a5626ffde3b627e1"),
    Artifact("wikiart_csv.zip", _HOST + "wikiart_csv.zip", md5="0d221e7cb0812da6b59044cfca9aafee"),
)
IMAGES = "wikiart/"

TASKS = {
    "artist": tuple(
        "Albrecht_Durer Boris_Kustodiev Camille_Pissarro Childe_Hassam Claude_Monet Edgar_Degas Eugene_Boudin "
        "Gustave_Dore Ilya_Repin Ivan_Aivazovsky Ivan_Shishkin John_Singer_Sargent Marc_Chagall Martiros_Saryan "
        "Nicholas_Roerich Pablo_Picasso Paul_Cezanne Pierre_Auguste_Renoir Pyotr_Konchalovsky Raphael_Kirchner "
        "Rembrandt Salvador_Dali Vincent_van_Gogh".split()),
    "genre": tuple(
        "abstract_painting cityscape genre_painting illustration landscape nude_painting portrait "
        "religious_painting sketch_and_study still_life".split()),
    "style": tuple(
        "Abstract_Expressionism Action_painting Analytical_Cubism Art_Nouveau Baroque Color_Field_Painting "
        "Contemporary_Realism Cubism Early_Renaissance Expressionism Fauvism High_Renaissance Impressionism "
        "Mannerism_Late_Renaissance Minimalism Naive_Art_Primitivism New_Realism Northern_Renaissance Pointillism "
        "Pop_Art Post_Impressionism Realism Rococo Romanticism Symbolism Synthetic_Cubism Ukiyo_e".split()),
}


def _examples(task: str):
    def examples(artifacts_dir: Path):
        listed = _listed(artifacts_dir / ARTIFACTS[1].file, task)
        skipped = []
        with _readers.open_zip(artifacts_dir / ARTIFACTS[0].file) as archive:
            for info in sorted(archive.infolist(), key=lambda i: i.filename):
                if info.filename not in listed:
                    continue
                label, official = listed.pop(info.filename)
                try:
                    data = archive.read(info)
                except (zipfile.BadZipFile, zlib.error, EOFError):
                    skipped.append(info.filename)
                    continue
                split = "test" if official == "val" else _splits.by_fraction(info.filename, _splits.TR3)
                yield Example(key=info.filename, image=data, label=label, split=split)
        if listed:
            raise ValueError(f"{len(listed)} images listed in the {task} CSVs are not in wikiart.zip, e.g. {min(listed)}")
        if skipped:
            logging.getLogger(__name__).warning("%s: skipped %d corrupt members: %s", task, len(skipped), skipped[:5])

    return examples


def _listed(csv_zip: Path, task: str) -> dict[str, tuple[int, str]]:
    """member path in wikiart.zip -> (label, "train" or "val")."""
    wanted = {f"{task}_{part}.csv": part for part in ("train", "val")}
    listed = {}
    for name, data in _readers.zip_members(csv_zip, keep=lambda n: posixpath.basename(n) in wanted):
        for row in csv.reader(io.StringIO(data.decode("utf-8"))):
            if len(row) >= 2 and row[-1].strip().isdigit():
                listed.setdefault(IMAGES + row[0].strip(), (int(row[-1]), wanted[posixpath.basename(name)]))
    if not listed:
        raise ValueError(f"{csv_zip.name} has no rows for {task}")
    return listed


def write_fixture(artifacts_dir: Path) -> dict[str, int]:
    """Both zips; CSVs at the csv zip's root in the provider's two forms (artist: header,
    blank line, ``path,,id``; genre and style: ``path,id`` with CRLF); a painting listed
    twice in genre_val; one image listed everywhere but corrupt."""
    paintings = [(f"{style}/{artist.lower()}_{n}.jpg", a, g, s) for n in range(4)
                 for style, artist, a, g, s in (("Impressionism", "Claude_Monet", 4, 4, 12),
                                                ("Ukiyo_e", "Albrecht_Durer", 0, 3, 26),
                                                ("Baroque", "Rembrandt", 20, 6, 4))]
    images, rows, counts = {}, {}, {}
    for i, (path, *labels) in enumerate(paintings):
        images[IMAGES + path] = _fixtures.jpeg_bytes(_fixtures.pixels(i, 16, 12 + i % 4, 1 if i == 5 else 3))
        part = "val" if i % 4 == 3 else "train"
        for task, label in zip(TASKS, labels, strict=True):
            rows.setdefault(f"{task}_{part}.csv", []).append(f"{path},,{label}" if task == "artist" else f"{path},{label}")
            if i != 7:  # painting 7 is corrupted below
                split = "test" if part == "val" else _splits.by_fraction(IMAGES + path, _splits.TR3)
                counts.setdefault(task, _splits.SplitSizes()).add(split)
    images[IMAGES + "Baroque/unlisted.jpg"] = _fixtures.jpeg_bytes(_fixtures.pixels(99, 8, 8, 3))
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[0].file, images)
    _corrupt(artifacts_dir / ARTIFACTS[0].file, IMAGES + paintings[7][0])
    rows["genre_val.csv"].append(f"{paintings[3][0]},{(paintings[3][2] + 1) % 10}")  # listed twice: first row wins
    texts = {name: "(Path to image),, (Groundtruth class) \n\n" + "\n".join(lines) + "\n" if name.startswith("artist")
             else "".join(line + "\r\n" for line in lines) for name, lines in rows.items()}
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[1].file, {k: v.encode() for k, v in texts.items()})
    return counts


def _corrupt(path: Path, member: str) -> None:
    """Damage one member's compressed bytes, as in the real wikiart.zip."""
    with _readers.open_zip(path) as archive:
        info = archive.getinfo(member)
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + sum(struct.unpack_from("<HH", data, info.header_offset + 26))
    for offset in range(start + 2, start + info.compress_size - 2, 3):
        data[offset] ^= 0x5A
    path.write_bytes(bytes(data))


def _spec(task: str) -> DatasetSpec:
    def fixture(artifacts_dir: Path) -> dict[str, int]:
        return write_fixture(artifacts_dir)[task]

    return DatasetSpec(
        name=f"wiki_paintings_{task}",
        description=f"WikiArt paintings labelled by {task} ({len(TASKS[task])} classes), ArtGAN train/val lists.",
        homepage="https://github.com/cs-chan/ArtGAN/tree/master/WikiArt%20Dataset",
        citation=(
            "Tan, W. R., Chan, C. S., Aguirre, H. E., Tanaka, K. ArtGAN: Artwork synthesis with "
            "conditional categorical GANs. ICIP 2017."
        ),
        license="WikiArt images for non-commercial research use only (per the project page); see homepage.",
        artifacts=ARTIFACTS,
        features=Features(channels=3, class_names=TASKS[task]),
        examples=_examples(task),
        write_fixture=fixture,
        # The CSV sizes are known, but not which members of wikiart.zip cannot be decompressed.
        num_examples=None,
        source="wiki_paintings",
        unconfirmed=(
            "that wikiart_csv.zip holds the provider's published lists as they are (dm_nevis reads "
            "<task>_train.csv at its root and two columns per row); which wikiart.zip members are corrupt"
        ),
        evidence=Evidence(
            "real listing",
            source=(
                "cs-chan/ArtGAN@27876da69ef5:WikiArt Dataset/{Artist/artist_train,Artist/artist_val,"
                "Genre/genre_{train,val}.csv,Style/style_{train,val}.csv} (the provider's split lists: "
                "paths, class ids, row counts) and <task>_class files (class names)"
            ),
        ),
        dm_nevis_differences=(
            "Images keep their full size (dm_nevis shrank the longer side to 256 px); every CSV row "
            "counts (dm_nevis's header read dropped the first) and the one genre_val image listed twice "
            "is kept once, with its first genre."
        ),
    )


wiki_paintings_artist = _spec("artist")
wiki_paintings_genre = _spec("genre")
wiki_paintings_style = _spec("style")
