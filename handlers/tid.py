"""TID2008 and TID2013 (Tampere Image Database): distorted photos graded by image quality.

Homepages https://ponomarenko.info/tid2008.htm and https://ponomarenko.info/tid2013.htm
(Ponomarenko et al., 2009 and 2015). 25 reference photos (the Kodak set), each distorted
by D kinds of distortion at L levels: ``distorted_images/i<ref>_<kind>_<level>.bmp``,
512x384 colour BMPs; 1,700 for 2008 (D=17, L=4), 3,000 for 2013 (D=24, L=5). File names
vary in case (``I``/``i``, ``BMP``), so they are matched lower-cased, by base name; the
reference images and the other files are not used.

The label is the one dm_nevis uses: the authors' MS-SSIM value of each image (the metric
file ``MSSIM.TXT`` / ``MSSIM.txt``, one number per line for reference 1..25, kind 1..D,
level 1..L), ranked and cut into five equal groups; an image gets the first group that
holds its value (a tie across a boundary goes to the lower group). Class 1 holds the
lowest MS-SSIM, i.e. the strongest distortions. The human scores (mos.txt) are not used.
The rar is streamed once: images read before the metric file (its folder sorts after
theirs) are labelled by annotations once it comes. No official split: ALL by a hash of
the lower-cased file name, so the split does not depend on the folder or the case.

Evidence: an unpacked TID2013 (distorted_images/, metrics_values/MSSIM.txt among 14
metric files, mos.txt, mos_with_names.txt) whose mos_with_names.txt names all 3,000
distorted images in the metric files' order, mostly ``i01_01_2.bmp`` but ``I01_01_1.bmp``
for level-1 images of kind 1 and ``I01_11_1.BMP`` / ``I01_13_1.BMP`` for kinds 11 and 13.
For TID2008 only the published structure (25 x 17 x 4 = 1,700) and dm_nevis's reader
(the same name scheme, ``MSSIM.TXT``) were found.
"""

import bisect
import posixpath
import re
from collections.abc import Sequence
from pathlib import Path

from data.types import Annotation, Example, Features
from handlers import _fixtures, _rar, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

REFERENCES = 25
GROUPS = 5
CLASS_NAMES = tuple(f"mssim_quintile_{group}" for group in range(1, GROUPS + 1))
# year -> (distortion kinds, levels, metric file name)
VARIANTS = {2008: (17, 4, "MSSIM.TXT"), 2013: (24, 5, "MSSIM.txt")}
ARTIFACTS = {
    2008: Artifact("tid2008.rar", "https://ponomarenko.info/tid/tid2008.rar",
                   md5="732aeec405a57b589aeee4f1c58a4c1b"),
    2013: Artifact("tid2013.rar", "https://ponomarenko.info/tid2013/tid2013.rar",
                   md5="2c42bec2407adc49cf4d7858daf8f99b"),
}
CITATIONS = {
    2008: "Ponomarenko, N., Lukin, V., Zelensky, A., Egiazarian, K., Carli, M., Battisti, F. TID2008 - A Database for Evaluation of Full-Reference Visual Quality Assessment Metrics. Advances of Modern Radioelectronics 10, 30-45, 2009.",
    2013: "Ponomarenko, N., Jin, L., Ieremeiev, O., Lukin, V., Egiazarian, K., Astola, J., Vozel, B., Chehdi, K., Carli, M., Battisti, F., Kuo, C.-C. J. Image database TID2013: Peculiarities, results and perspectives. Signal Processing: Image Communication 30, 57-77, 2015.",
}

_IMAGE = re.compile(r"i(\d\d)_(\d\d)_(\d)\.bmp")


def _examples(year: int):
    kinds, levels, metric_file = VARIANTS[year]
    order = image_names(kinds, levels)
    known = set(order)

    def examples(artifacts_dir: Path):
        archive = artifacts_dir / ARTIFACTS[year].file
        labels: dict[str, int] | None = None
        unlabelled: dict[str, str] = {}  # image name -> key, for images before the metric file
        seen: dict[str, str] = {}
        members = _rar.rar_members(archive, keep=lambda n: _is_metric_file(n, metric_file) or
                                   _image_name(n) is not None)
        for name, data in members:
            if _is_metric_file(name, metric_file):
                if labels is not None:
                    raise ValueError(f"{archive.name} has two {metric_file} files; the second is {name}")
                values = parse_metric(data.decode("ascii"), len(order), name)
                labels = dict(zip(order, quality_labels(values), strict=True))
                for image, key in unlabelled.items():
                    yield Annotation(key=key, label=labels[image])
                unlabelled.clear()
                continue
            image = _image_name(name)
            if image not in known:
                raise ValueError(f"{archive.name}: {name} is not one of TID{year}'s "
                                 f"{REFERENCES}x{kinds}x{levels} distorted images")
            if image in seen:
                raise ValueError(f"{archive.name}: {name} and {seen[image]} are the same image")
            seen[image] = name
            label = None if labels is None else labels[image]
            if label is None:
                unlabelled[image] = name
            yield Example(key=name, image=data, label=label, split=_splits.by_fraction(image, _splits.ALL))
        if labels is None:
            raise FileNotFoundError(f"{archive.name} has no {metric_file}, which labels the images")

    return examples


def image_names(kinds: int, levels: int) -> list[str]:
    """Lower-cased distorted-image names in the metric file's line order."""
    return [f"i{ref:02d}_{kind:02d}_{level}.bmp" for ref in range(1, REFERENCES + 1)
            for kind in range(1, kinds + 1) for level in range(1, levels + 1)]


def parse_metric(text: str, expected: int, name: str) -> list[float]:
    values = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                values.append(float(line))
            except ValueError:
                raise ValueError(f"{name} line {number}: {line!r} is not a number") from None
    if len(values) != expected:
        raise ValueError(f"{name} has {len(values)} values, one per distorted image means {expected}")
    return values


def quality_labels(values: Sequence[float], groups: int = GROUPS) -> list[int]:
    """Per value, the first of ``groups`` equal-size groups of the sorted values that holds it."""
    ordered = sorted(values)
    size = len(ordered) // groups
    if size == 0 or len(ordered) % groups:
        raise ValueError(f"{len(ordered)} values cannot be cut into {groups} equal groups")
    return [bisect.bisect_left(ordered, value) // size for value in values]


def _write_fixture(year: int):
    kinds, levels, metric_file = VARIANTS[year]
    order = image_names(kinds, levels)

    def write_fixture(artifacts_dir: Path) -> dict[str, int]:
        """Thirty distorted images in the real layout, named in the real mix of cases
        (``I01_01_1.bmp``, ``I01_11_1.BMP``, ``i01_01_2.bmp``), reference images, and the
        metric files after the images. The metric values repeat, so ties cross group
        boundaries."""
        chosen = [order[(index * 37) % len(order)] for index in range(28)]
        chosen += ["i01_11_1.bmp", "i02_13_1.bmp"]
        members, counts = [], _splits.SplitSizes()
        for index, image in enumerate(chosen):
            pixels = _fixtures.bmp_bytes(_fixtures.pixels(year + index, 8, 10, 3))
            members.append((f"distorted_images/{_real_case(image)}", pixels))
            split = _splits.by_fraction(image, _splits.ALL)
            counts.add(split)
        for ref in (1, 2):
            members.append((f"reference_images/I{ref:02d}.BMP", _fixtures.bmp_bytes(_fixtures.pixels(ref, 8, 10, 3))))
        values = "".join(f"{0.5 + (index * 7919 % 401) / 1000:.3f}\r\n" for index in range(len(order)))
        members += [
            ("metrics_values/PSNR.TXT", b"30.0\r\n31.5\r\n"),
            (f"metrics_values/{metric_file}", values.encode()),
            ("mos.txt", b"4.5\r\n5.1\r\n"),
            ("readme", b"TAMPERE IMAGE DATABASE (fixture)\r\n"),
        ]
        _rar.write_rar(artifacts_dir / ARTIFACTS[year].file, members)
        return counts

    return write_fixture


def _real_case(image: str) -> str:
    """A TID2013 file name's case: ``I`` for level 1 of kind 1, ``I..BMP`` for level 1 of
    kinds 11 and 13 (as mos_with_names.txt lists them), lower case otherwise."""
    kind, level = image[4:6], image[7]
    if level == "1" and kind in ("11", "13"):
        return image.upper()
    return "I" + image[1:] if level == "1" and kind == "01" else image


def _image_name(name: str) -> str | None:
    base = posixpath.basename(name).lower()
    return base if _IMAGE.fullmatch(base) else None


def _is_metric_file(name: str, metric_file: str) -> bool:
    return posixpath.basename(name).lower() == metric_file.lower()


_UNCONFIRMED = {
    2008: "the rar's member names (TID2013's scheme assumed, as dm_nevis does) and that it "
          "holds metrics_values/MSSIM.TXT",
    2013: "whether the rar wraps everything in a tid2013/ folder (base names are matched)",
}
_EVIDENCE = {
    2013: Evidence(
        "real listing",
        source="yy3948/IQA@c38a3262b488138c6ad0f60d4d8b17b9f0f990ce:tid2013/ (the unpacked rar: "
        "mos_with_names.txt names all 3,000 distorted_images in order; metrics_values/MSSIM.txt)",
    ),
    2008: Evidence(
        "documentation",
        source="QUALINET/databases@7e6ed837dcdb14d3c918bcd20d5908eee3b2dc61:_posts/"
        "2020-01-01-tampere_image_database_tid2008.md (25 "
        "references, 17 distortions x 4 levels = 1,700 images, 512x384, RAR of ~550 MB)",
    ),
}


def _spec(year: int) -> DatasetSpec:
    kinds, levels, _ = VARIANTS[year]
    return DatasetSpec(
        name=f"tid{year}",
        description=(f"{REFERENCES * kinds * levels} 512x384 colour photos: {REFERENCES} Kodak references "
                     f"x {kinds} distortions x {levels} levels, in five classes of MS-SSIM quality."),
        homepage=f"https://ponomarenko.info/tid{year}.htm",
        citation=CITATIONS[year],
        license="research and educational use only, without fee; see the readme in the archive",
        artifacts=(ARTIFACTS[year],),
        features=Features(channels=3, class_names=CLASS_NAMES),
        examples=_examples(year),
        write_fixture=_write_fixture(year),
        # Split sizes follow from the names, confirmed for 2013 only.
        num_examples=_splits.tally(image_names(kinds, levels), _splits.ALL) if year == 2013 else None,
        unconfirmed=_UNCONFIRMED[year],
        evidence=_EVIDENCE[year],
    )


tid2008 = _spec(2008)
tid2013 = _spec(2013)
