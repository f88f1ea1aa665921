"""FGVC-Aircraft 2013b: 10,000 aircraft photos labelled at three levels of a hierarchy.

Homepage https://www.robots.ox.ac.uk/~vgg/data/fgvc-aircraft/ (Maji, Kannala, Rahtu,
Blaschko, Vedaldi, "Fine-Grained Visual Classification of Aircraft", arXiv 2013). One
tar.gz: ``fgvc-aircraft-2013b/data/images/<7-digit id>.jpg`` (every photo keeps the
~20 px copyright banner at its bottom) and, per level (family: 70 classes,
manufacturer: 30, variant: 100), ``data/images_<level>_{trainval,test}.txt`` whose
lines are ``<id> <class name>`` (names contain spaces and slashes). Labels are the
position of the name in the sorted tuples below (byte order, as the provider's
``families.txt`` / ``manufacturers.txt`` / ``variants.txt`` list them; the handler
checks those files hold exactly these names in this order, since dm_nevis labels by
position in them). The file names give no label and the
lists may sit after the images, so the tar is streamed once: each image is handed
over bare and each list line as an annotation that the engine joins to it. Splits:
the official test list (3,333) is ``test``; trainval (6,667) is carved into
train/dev/dev-test by a hash of the member path, identical for the three levels. The
``train``/``val`` lists are not used. An image in neither list, a listed image that is
missing, an image in both lists or an unknown class name fails the build.

Evidence: the provider's README (layout, list format, the banner) and class lists that
loaders copied from the three name files, in file order; no copy of the split lists or
of the archive's member list was found, so only the official 3,333 test photos are known
and no split sizes are declared.
"""

from pathlib import Path

from data.types import Annotation, Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact("fgvc-aircraft-2013b.tar.gz",
             "https://www.robots.ox.ac.uk/~vgg/data/fgvc-aircraft/archives/fgvc-aircraft-2013b.tar.gz",
             md5="d4acdd33327262359767eeaa97a4f732"),
)
DATA = "fgvc-aircraft-2013b/data/"

FAMILIES = tuple(sorted(
    "A300|A310|A320|A330|A340|A380|ATR-42|ATR-72|An-12|BAE 146|BAE-125|Beechcraft 1900|Boeing 707|"
    "Boeing 717|Boeing 727|Boeing 737|Boeing 747|Boeing 757|Boeing 767|Boeing 777|C-130|C-47|CRJ-200|"
    "CRJ-700|Cessna 172|Cessna 208|Cessna Citation|Challenger 600|DC-10|DC-3|DC-6|DC-8|DC-9|DH-82|DHC-1|"
    "DHC-6|DR-400|Dash 8|Dornier 328|EMB-120|Embraer E-Jet|Embraer ERJ 145|Embraer Legacy 600|"
    "Eurofighter Typhoon|F-16|F/A-18|Falcon 2000|Falcon 900|Fokker 100|Fokker 50|Fokker 70|Global Express|"
    "Gulfstream|Hawk T1|Il-76|King Air|L-1011|MD-11|MD-80|MD-90|Metroliner|PA-28|SR-20|Saab 2000|Saab 340|"
    "Spitfire|Tornado|Tu-134|Tu-154|Yak-42".split("|")))
MANUFACTURERS = tuple(sorted(
    "ATR|Airbus|Antonov|Beechcraft|Boeing|Bombardier Aerospace|British Aerospace|Canadair|Cessna|"
    "Cirrus Aircraft|Dassault Aviation|Dornier|Douglas Aircraft Company|Embraer|Eurofighter|Fairchild|Fokker|"
    "Gulfstream Aerospace|Ilyushin|Lockheed Corporation|Lockheed Martin|McDonnell Douglas|Panavia|Piper|"
    "Robin|Saab|Supermarine|Tupolev|Yakovlev|de Havilland".split("|")))
VARIANTS = tuple(sorted(
    "707-320|727-200|737-200|737-300|737-400|737-500|737-600|737-700|737-800|737-900|747-100|747-200|"
    "747-300|747-400|757-200|757-300|767-200|767-300|767-400|777-200|777-300|A300B4|A310|A318|A319|A320|"
    "A321|A330-200|A330-300|A340-200|A340-300|A340-500|A340-600|A380|ATR-42|ATR-72|An-12|BAE 146-200|"
    "BAE 146-300|BAE-125|Beechcraft 1900|Boeing 717|C-130|C-47|CRJ-200|CRJ-700|CRJ-900|Cessna 172|"
    "Cessna 208|Cessna 525|Cessna 560|Challenger 600|DC-10|DC-3|DC-6|DC-8|DC-9-30|DH-82|DHC-1|DHC-6|"
    "DHC-8-100|DHC-8-300|DR-400|Dornier 328|E-170|E-190|E-195|EMB-120|ERJ 135|ERJ 145|Embraer Legacy 600|"
    "Eurofighter Typhoon|F-16A/B|F/A-18|Falcon 2000|Falcon 900|Fokker 100|Fokker 50|Fokker 70|"
    "Global Express|Gulfstream IV|Gulfstream V|Hawk T1|Il-76|L-1011|MD-11|MD-80|MD-87|MD-90|Metroliner|"
    "Model B200|PA-28|SR-20|Saab 2000|Saab 340|Spitfire|Tornado|Tu-134|Tu-154|Yak-42".split("|")))
# level -> (class names, the provider's file listing them)
LEVELS = {"family": (FAMILIES, "families.txt"), "manufacturer": (MANUFACTURERS, "manufacturers.txt"),
          "variant": (VARIANTS, "variants.txt")}


def _examples(level: str):
    names, names_file = LEVELS[level]
    index = {name: i for i, name in enumerate(names)}

    def examples(artifacts_dir: Path):
        lists = {f"{DATA}images_{level}_{split}.txt": split for split in ("trainval", "test")}
        unread = {*lists, DATA + names_file}
        members = _readers.tar_members(artifacts_dir / ARTIFACTS[0].file,
                                       keep=lambda n: n in unread or _is_image(n))
        for name, data in members:
            if _is_image(name):
                yield Example(key=name, image=data)
                continue
            unread.discard(name)
            rows = [line.rstrip() for line in data.decode("utf-8").splitlines() if line.strip()]
            if name not in lists:
                if rows != list(names):  # order too: dm_nevis labels by position in this file
                    differ = sorted(set(rows) ^ set(names)) or "same names, other order"
                    raise ValueError(f"{names_file} and the handler's {level} names differ: {differ}")
                continue
            for row in rows:
                image_id, class_name = row.split(" ", 1)
                if class_name not in index:
                    raise ValueError(f"{name}: unknown {level} {class_name!r}")
                key = f"{DATA}images/{image_id}.jpg"
                split = "test" if lists[name] == "test" else _splits.by_fraction(key, _splits.TR3)
                yield Annotation(key=key, label=index[class_name], split=split)
        if unread:
            raise FileNotFoundError(f"{ARTIFACTS[0].file} has no member(s) {sorted(unread)}")

    return examples


def write_fixture(artifacts_dir: Path) -> dict[str, int]:
    """Images first and the lists after them (the hard order for one pass), with the unused lists."""
    planes = [("1000001", "707-320", "Boeing 707", "Boeing"), ("1000002", "Hawk T1", "Hawk T1", "British Aerospace"),
              ("1000003", "F/A-18", "F/A-18", "McDonnell Douglas"), ("1000004", "A320", "A320", "Airbus")]
    members, rows, counts = [], {}, _splits.SplitSizes()
    for n in range(16):
        image_id, *classes = planes[n % 4]
        image_id = f"{int(image_id) + 10 * n:07d}"
        key = f"{DATA}images/{image_id}.jpg"
        members.append((key, _fixtures.jpeg_bytes(_fixtures.pixels(n, 20, 30 + n % 3, 3))))
        split = "test" if n % 3 == 0 else "trainval"
        for level, name in zip(LEVELS, (classes[1], classes[2], classes[0]), strict=True):
            for part in (split,) if split == "test" else (split, "train" if n % 2 else "val"):
                rows.setdefault(f"{DATA}images_{level}_{part}.txt", []).append(f"{image_id} {name}")
        split = "test" if split == "test" else _splits.by_fraction(key, _splits.TR3)
        counts.add(split)
    members += [(path, ("\n".join(lines) + "\n").encode()) for path, lines in sorted(rows.items())]
    members += [(DATA + file, ("\n".join(names) + "\n").encode()) for names, file in LEVELS.values()]
    members += [(f"{DATA}images_box.txt", b"1000001 1 1 29 19\n"), ("fgvc-aircraft-2013b/README.md", b"fixture\n")]
    _fixtures.write_tar(artifacts_dir / ARTIFACTS[0].file, members)
    return counts


def _is_image(name: str) -> bool:
    return name.startswith(DATA + "images/") and name.endswith(".jpg")


def _spec(level: str) -> DatasetSpec:
    names = LEVELS[level][0]
    return DatasetSpec(
        name=f"fgvc_aircraft_{level}",
        description=f"10,000 aircraft photos (100 per variant) labelled by {level} ({len(names)} classes).",
        homepage="https://www.robots.ox.ac.uk/~vgg/data/fgvc-aircraft/",
        citation="Maji, S., Kannala, J., Rahtu, E., Blaschko, M., Vedaldi, A. Fine-Grained Visual Classification of Aircraft. arXiv:1306.5151, 2013.",
        license="Non-commercial research use only (provider's terms); photos remain their photographers' copyright.",
        artifacts=ARTIFACTS,
        features=Features(channels=3, class_names=names),
        examples=_examples(level),
        write_fixture=write_fixture,
        # test = 3,333 officially; how the hash carves the 6,667 trainval ids is known only from the lists.
        num_examples=None,
        source="fgvc_aircraft",
        unconfirmed="the split lists' lines and the archive's member list (not seen)",
        evidence=Evidence(
            "documentation",
            source=(
                "glhr/ood-labelnoise@12cecfc3bb4fadcd2487e6d57aae6c913a0a681c:"
                "data/images_classic/fgvc-aircraft-2013b/README.md (the provider's README: data/images/"
                "<7 digits>.jpg, images_<level>_<split>.txt lines '<id> <name>', 20 px banner); "
                "variant / family / manufacturer name lists copied by loaders, byte-sorted as here"
            ),
        ),
        dm_nevis_differences=(
            "dm_nevis carves trainval into train / dev / dev-test by a seeded draw in archive order; "
            "here by a hash of the member path, identical for the three levels."
        ),
    )


fgvc_aircraft_family = _spec("family")
fgvc_aircraft_manufacturer = _spec("manufacturer")
fgvc_aircraft_variant = _spec("variant")
