"""Stanford Cars (Cars196): 16,185 photos of 196 car models (make, model, year).

Homepage https://ai.stanford.edu/~jkrause/cars/car_dataset.html (Krause, Stark, Deng,
Fei-Fei, "3D Object Representations for Fine-Grained Categorization", 3dRR workshop at
ICCV 2013). Two artifacts, the all-in-one release: ``car_ims.tgz`` holds every image as
``car_ims/<6 digits>.jpg``; ``cars_annos.mat`` holds the struct array ``annotations``
(relative_im_path ``car_ims/....jpg``, bbox_x1..bbox_y2, class 1-196, test 0/1) and
``class_names``. Label = class - 1; the class names below are the official order, and
the handler checks ``class_names`` against them. The .mat is read first (it is a
separate file), then the tgz streams; an image without annotation, or an annotated
image that is missing, is an error. Some JPEGs are greyscale. Official 8,144 train /
8,041 test: test = 1 is ``test``, test = 0 is carved into train/dev/dev-test by a hash
of the member path. The ai.stanford.edu host has gone offline; a mirror is needed.

Evidence: a text export of ``cars_annos.mat`` (path, class, test for all 16,185 rows)
names ``car_ims/000001.jpg`` .. ``car_ims/016185.jpg`` in order, classes 1-196, 8,144
rows with test = 0 and 8,041 with test = 1; the split sizes are tallied over it.
"""

from pathlib import Path

import numpy as np

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

_HOST = "http://ai.stanford.edu/~jkrause/car196/"
ARTIFACTS = (
    Artifact("car_ims.tgz", _HOST + "car_ims.tgz", md5="d5c8f0aa497503f355e17dc7886c3f14"),
    Artifact("cars_annos.mat", _HOST + "cars_annos.mat", md5="b407c6086d669747186bd1d764ff9dbc"),
)

CLASS_NAMES = tuple((
    "AM General Hummer SUV 2000|Acura RL Sedan 2012|Acura TL Sedan 2012|Acura TL Type-S 2008|Acura TSX Sedan 2012|"
    "Acura Integra Type R 2001|Acura ZDX Hatchback 2012|Aston Martin V8 Vantage Convertible 2012|"
    "Aston Martin V8 Vantage Coupe 2012|Aston Martin Virage Convertible 2012|Aston Martin Virage Coupe 2012|"
    "Audi RS 4 Convertible 2008|Audi A5 Coupe 2012|Audi TTS Coupe 2012|Audi R8 Coupe 2012|Audi V8 Sedan 1994|"
    "Audi 100 Sedan 1994|Audi 100 Wagon 1994|Audi TT Hatchback 2011|Audi S6 Sedan 2011|Audi S5 Convertible 2012|"
    "Audi S5 Coupe 2012|Audi S4 Sedan 2012|Audi S4 Sedan 2007|Audi TT RS Coupe 2012|BMW ActiveHybrid 5 Sedan 2012|"
    "BMW 1 Series Convertible 2012|BMW 1 Series Coupe 2012|BMW 3 Series Sedan 2012|BMW 3 Series Wagon 2012|"
    "BMW 6 Series Convertible 2007|BMW X5 SUV 2007|BMW X6 SUV 2012|BMW M3 Coupe 2012|BMW M5 Sedan 2010|"
    "BMW M6 Convertible 2010|BMW X3 SUV 2012|BMW Z4 Convertible 2012|"
    "Bentley Continental Supersports Conv. Convertible 2012|Bentley Arnage Sedan 2009|Bentley Mulsanne Sedan 2011|"
    "Bentley Continental GT Coupe 2012|Bentley Continental GT Coupe 2007|Bentley Continental Flying Spur Sedan 2007|"
    "Bugatti Veyron 16.4 Convertible 2009|Bugatti Veyron 16.4 Coupe 2009|Buick Regal GS 2012|Buick Rainier SUV 2007|"
    "Buick Verano Sedan 2012|Buick Enclave SUV 2012|Cadillac CTS-V Sedan 2012|Cadillac SRX SUV 2012|"
    "Cadillac Escalade EXT Crew Cab 2007|Chevrolet Silverado 1500 Hybrid Crew Cab 2012|"
    "Chevrolet Corvette Convertible 2012|Chevrolet Corvette ZR1 2012|Chevrolet Corvette Ron Fellows Edition Z06 2007|"
    "Chevrolet Traverse SUV 2012|Chevrolet Camaro Convertible 2012|Chevrolet HHR SS 2010|Chevrolet Impala Sedan 2007|"
    "Chevrolet Tahoe Hybrid SUV 2012|Chevrolet Sonic Sedan 2012|Chevrolet Express Cargo Van 2007|"
    "Chevrolet Avalanche Crew Cab 2012|Chevrolet Cobalt SS 2010|Chevrolet Malibu Hybrid Sedan 2010|"
    "Chevrolet TrailBlazer SS 2009|Chevrolet Silverado 2500HD Regular Cab 2012|"
    "Chevrolet Silverado 1500 Classic Extended Cab 2007|Chevrolet Express Van 2007|Chevrolet Monte Carlo Coupe 2007|"
    "Chevrolet Malibu Sedan 2007|Chevrolet Silverado 1500 Extended Cab 2012|"
    "Chevrolet Silverado 1500 Regular Cab 2012|Chrysler Aspen SUV 2009|Chrysler Sebring Convertible 2010|"
    "Chrysler Town and Country Minivan 2012|Chrysler 300 SRT-8 2010|Chrysler Crossfire Convertible 2008|"
    "Chrysler PT Cruiser Convertible 2008|Daewoo Nubira Wagon 2002|Dodge Caliber Wagon 2012|Dodge Caliber Wagon 2007|"
    "Dodge Caravan Minivan 1997|Dodge Ram Pickup 3500 Crew Cab 2010|Dodge Ram Pickup 3500 Quad Cab 2009|"
    "Dodge Sprinter Cargo Van 2009|Dodge Journey SUV 2012|Dodge Dakota Crew Cab 2010|Dodge Dakota Club Cab 2007|"
    "Dodge Magnum Wagon 2008|Dodge Challenger SRT8 2011|Dodge Durango SUV 2012|Dodge Durango SUV 2007|"
    "Dodge Charger Sedan 2012|Dodge Charger SRT-8 2009|Eagle Talon Hatchback 1998|FIAT 500 Abarth 2012|"
    "FIAT 500 Convertible 2012|Ferrari FF Coupe 2012|Ferrari California Convertible 2012|"
    "Ferrari 458 Italia Convertible 2012|Ferrari 458 Italia Coupe 2012|Fisker Karma Sedan 2012|"
    "Ford F-450 Super Duty Crew Cab 2012|Ford Mustang Convertible 2007|Ford Freestar Minivan 2007|"
    "Ford Expedition EL SUV 2009|Ford Edge SUV 2012|Ford Ranger SuperCab 2011|Ford GT Coupe 2006|"
    "Ford F-150 Regular Cab 2012|Ford F-150 Regular Cab 2007|Ford Focus Sedan 2007|Ford E-Series Wagon Van 2012|"
    "Ford Fiesta Sedan 2012|GMC Terrain SUV 2012|GMC Savana Van 2012|GMC Yukon Hybrid SUV 2012|GMC Acadia SUV 2012|"
    "GMC Canyon Extended Cab 2012|Geo Metro Convertible 1993|HUMMER H3T Crew Cab 2010|HUMMER H2 SUT Crew Cab 2009|"
    "Honda Odyssey Minivan 2012|Honda Odyssey Minivan 2007|Honda Accord Coupe 2012|Honda Accord Sedan 2012|"
    "Hyundai Veloster Hatchback 2012|Hyundai Santa Fe SUV 2012|Hyundai Tucson SUV 2012|Hyundai Veracruz SUV 2012|"
    "Hyundai Sonata Hybrid Sedan 2012|Hyundai Elantra Sedan 2007|Hyundai Accent Sedan 2012|"
    "Hyundai Genesis Sedan 2012|Hyundai Sonata Sedan 2012|Hyundai Elantra Touring Hatchback 2012|"
    "Hyundai Azera Sedan 2012|Infiniti G Coupe IPL 2012|Infiniti QX56 SUV 2011|Isuzu Ascender SUV 2008|"
    "Jaguar XK XKR 2012|Jeep Patriot SUV 2012|Jeep Wrangler SUV 2012|Jeep Liberty SUV 2012|"
    "Jeep Grand Cherokee SUV 2012|Jeep Compass SUV 2012|Lamborghini Reventon Coupe 2008|"
    "Lamborghini Aventador Coupe 2012|Lamborghini Gallardo LP 570-4 Superleggera 2012|Lamborghini Diablo Coupe 2001|"
    "Land Rover Range Rover SUV 2012|Land Rover LR2 SUV 2012|Lincoln Town Car Sedan 2011|"
    "MINI Cooper Roadster Convertible 2012|Maybach Landaulet Convertible 2012|Mazda Tribute SUV 2011|"
    "McLaren MP4-12C Coupe 2012|Mercedes-Benz 300-Class Convertible 1993|Mercedes-Benz C-Class Sedan 2012|"
    "Mercedes-Benz SL-Class Coupe 2009|Mercedes-Benz E-Class Sedan 2012|Mercedes-Benz S-Class Sedan 2012|"
    "Mercedes-Benz Sprinter Van 2012|Mitsubishi Lancer Sedan 2012|Nissan Leaf Hatchback 2012|"
    "Nissan NV Passenger Van 2012|Nissan Juke Hatchback 2012|Nissan 240SX Coupe 1998|Plymouth Neon Coupe 1999|"
    "Porsche Panamera Sedan 2012|Ram C/V Cargo Van Minivan 2012|Rolls-Royce Phantom Drophead Coupe Convertible 2012|"
    "Rolls-Royce Ghost Sedan 2012|Rolls-Royce Phantom Sedan 2012|Scion xD Hatchback 2012|Spyker C8 Convertible 2009|"
    "Spyker C8 Coupe 2009|Suzuki Aerio Sedan 2007|Suzuki Kizashi Sedan 2012|Suzuki SX4 Hatchback 2012|"
    "Suzuki SX4 Sedan 2012|Tesla Model S Sedan 2012|Toyota Sequoia SUV 2012|Toyota Camry Sedan 2012|"
    "Toyota Corolla Sedan 2012|Toyota 4Runner SUV 2012|Volkswagen Golf Hatchback 2012|Volkswagen Golf Hatchback 1991|"
    "Volkswagen Beetle Hatchback 2012|Volvo C30 Hatchback 2012|Volvo 240 Sedan 1993|Volvo XC90 SUV 2007|"
    "smart fortwo Convertible 2012"
).split("|"))


def examples(artifacts_dir: Path):
    annotations = _annotations(artifacts_dir / ARTIFACTS[1].file)
    for name, data in _readers.tar_members(artifacts_dir / ARTIFACTS[0].file, suffixes=(".jpg",)):
        if name not in annotations:
            raise ValueError(f"{name} has no entry in cars_annos.mat")
        label, is_test = annotations.pop(name)
        split = "test" if is_test else _splits.by_fraction(name, _splits.TR3)
        yield Example(key=name, image=data, label=label, split=split)
    if annotations:
        raise ValueError(f"{len(annotations)} annotated images are missing from car_ims.tgz, e.g. {min(annotations)}")


def _annotations(mat_path: Path) -> dict[str, tuple[int, bool]]:
    from scipy.io import loadmat

    mat = loadmat(mat_path, squeeze_me=True)
    names = tuple(str(name).strip() for name in np.atleast_1d(mat["class_names"]))
    if names != CLASS_NAMES:
        raise ValueError(f"cars_annos.mat class_names differ from the handler's: {sorted(set(names) ^ set(CLASS_NAMES))}")
    return {str(row["relative_im_path"]): (int(row["class"]) - 1, bool(row["test"]))
            for row in np.atleast_1d(mat["annotations"])}


def write_fixture(artifacts_dir: Path, count: int = 18) -> dict[str, int]:
    """The tgz of car_ims/ and a cars_annos.mat with the real struct fields; one grey JPEG."""
    from scipy.io import savemat

    fields = ("relative_im_path", "bbox_x1", "bbox_y1", "bbox_x2", "bbox_y2", "class", "test")
    rows = np.zeros((1, count), dtype=[(field, "O") for field in fields])
    members, counts = [], _splits.SplitSizes()
    for i in range(count):
        key = f"car_ims/{i + 1:06d}.jpg"
        members.append((key, _fixtures.jpeg_bytes(_fixtures.pixels(i, 18, 26, 1 if i == 4 else 3))))
        is_test = i % 3 == 2
        rows[0, i] = (key, 1.0, 2.0, 20.0, 15.0, float((0, 1, 195)[i % 3] + 1), float(is_test))
        split = "test" if is_test else _splits.by_fraction(key, _splits.TR3)
        counts.add(split)
    _fixtures.write_tar(artifacts_dir / ARTIFACTS[0].file, members)
    class_names = np.array(CLASS_NAMES, dtype=object).reshape(1, -1)
    savemat(artifacts_dir / ARTIFACTS[1].file, {"annotations": rows, "class_names": class_names})
    return counts


stanford_cars = DatasetSpec(
    name="stanford_cars",
    description="16,185 photos of 196 car models (8,144 train, 8,041 test), labelled by make, model and year.",
    homepage="https://ai.stanford.edu/~jkrause/cars/car_dataset.html",
    citation=(
        "Krause, J., Stark, M., Deng, J., Fei-Fei, L. 3D Object Representations for Fine-Grained "
        "Categorization. 4th IEEE Workshop on 3D Representation and Recognition (3dRR-13), ICCV 2013."
    ),
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # The TR3 hash draw tallied over the 8,144 test = 0 rows of the annotation export.
    num_examples={"train": 5739, "dev": 1209, "dev-test": 1196, "test": 8041},
    unconfirmed=(
        "the 196 class names (dm_nevis's list; checked against class_names at build time); "
        "the tgz's members beyond the annotated images"
    ),
    evidence=Evidence(
        "real listing",
        source="idstcv/SoftTriple@cc1c32d2f93acc714aebadb07c6760d0195369a3:cars_annos.txt "
        "(cars_annos.mat exported as 16,185 'relative_im_path,class,test' rows)",
    ),
)
