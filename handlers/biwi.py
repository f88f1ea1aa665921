"""Biwi Kinect Head Pose Database: RGB frames of 20 people turning their heads, each
labelled with which fifth of the data its yaw, its pitch and its roll fall in.

Homepage https://www.kaggle.com/datasets/kmader/biwi-kinect-head-pose-database (Fanelli,
Dantone, Gall, Fossati, Van Gool, "Random forests for real time 3D face analysis", IJCV
2013). Frames are ``faces_0/<2-digit sequence>/frame_<n>_rgb.png``; beside each, a
``frame_<n>_pose.txt`` holds the head rotation (three lines of a 3x3 matrix) and then its
3-D position (unused). Depth maps, calibration files, masks and the binary annotations
are not used; a frame without a pose file is skipped. The pose regression becomes the
multi-label task dm_nevis defined: each matrix gives yaw, pitch and roll in degrees
(z-y'-x'' Tait-Bryan angles, the matrix being R_x(roll) R_y(pitch) R_z(yaw)); each angle is
cut into 5 equal-frequency bins over all frames of all sequences (edges interpolated
between order statistics, the maximum in the last bin); a frame carries 3 of 15 labels:
its yaw bin (0-4), its pitch bin (5-9) and its roll bin (10-14). dm_nevis declared only 5
classes for these 15 indices. Splits, fixed by sequence folder so that held-out frames
come from recordings never trained on: test 01, 04, 08, 10; dev-test 03, 09; dev 02, 07;
train the other 16. (Some of the 20 people were recorded in two sequences.)

Evidence: no listing of the Kaggle zip. dm_nevis, reading the pinned zip, describes
three top folders (``db_annotations``, ``faces_0``, ``head_pose_masks``), quotes
``faces_0/08/frame_00150_rgb.png`` with its pose file, pairs every ``_pose.txt`` with
the ``_rgb.png`` of the same stem and asserts two-digit sequence folders. The
provider documents over 15,000 frames of 20 people, four of them recorded twice. A
head-pose benchmark lists every RGB frame of the original database: 15,678
``<sequence>/frame_<5 digits>_rgb.png`` in 24 sequences 01-24 (395 to 946 frames each),
which these splits would cut into 10,069 train / 1,256 dev / 1,612 dev-test / 2,741 test
if the Kaggle copy holds the same frames, each with its pose file; as that copy was not
listed, the figures are not declared.
"""

import math
import posixpath
from pathlib import Path

import numpy as np

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import KAGGLE_REPACKED, Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact("biwi-kinect-head-pose-database.zip", kaggle="kmader/biwi-kinect-head-pose-database",
             md5="59d49d96e5719f248f6d66f8ff205569"),
)
_HELD_OUT = {"test": (1, 4, 8, 10), "dev-test": (3, 9), "dev": (2, 7)}
SEQUENCE_SPLITS = {f"{n:02d}": next((s for s, ns in _HELD_OUT.items() if n in ns), "train") for n in range(1, 25)}
ANGLES = ("yaw", "pitch", "roll")
BINS = 5
LABEL_VOCABULARY = tuple(f"{angle} quintile {b}" for angle in ANGLES for b in range(1, BINS + 1))
POSE_SUFFIX, IMAGE_SUFFIX = "_pose.txt", "_rgb.png"


def examples(artifacts_dir: Path):
    path = artifacts_dir / ARTIFACTS[0].file
    angles = read_angles(path)
    if not angles:
        raise ValueError(f"{path.name} has no frame_<n>_rgb.png with a frame_<n>_pose.txt beside it")
    edges = quantile_edges(np.array(list(angles.values())))
    for name, data in _readers.zip_members(path, keep=angles.__contains__):
        sequence = posixpath.basename(posixpath.dirname(name))
        if sequence not in SEQUENCE_SPLITS:
            raise ValueError(f"{path.name}: {name} is in folder {sequence!r}, not one of the sequences 01-24")
        yield Example(key=name, image=data, multi_label=pose_labels(angles[name], edges),
                      split=SEQUENCE_SPLITS[sequence])


def read_angles(path: Path) -> dict[str, tuple[float, float, float]]:
    """Image member -> (yaw, pitch, roll) in degrees, for every frame with both files."""
    with _readers.open_zip(path) as archive:
        names = set(archive.namelist())
    poses = {name for name in names if name.endswith(POSE_SUFFIX)
             and name.removesuffix(POSE_SUFFIX) + IMAGE_SUFFIX in names}
    angles = {}
    for name, data in _readers.zip_members(path, keep=poses.__contains__):
        image = name.removesuffix(POSE_SUFFIX) + IMAGE_SUFFIX
        angles[image] = rotation_angles(parse_rotation(data.decode("ascii"), name))
    return angles


def parse_rotation(text: str, name: str = "pose file") -> np.ndarray:
    """The 3x3 rotation matrix of a pose file (its first three non-empty lines)."""
    rows = [line.split() for line in text.splitlines() if line.strip()][:3]
    try:
        matrix = np.array(rows, dtype=float)
    except ValueError as error:
        raise ValueError(f"{name}: the first three lines are not a 3x3 matrix: {rows}") from error
    if matrix.shape != (3, 3):
        raise ValueError(f"{name}: the first three lines are not a 3x3 matrix: {rows}")
    return matrix


def rotation_angles(matrix: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees of R = R_x(roll) R_y(pitch) R_z(yaw).

    The same angles as a quaternion's z-y'-x'' decomposition (pyquaternion's
    ``yaw_pitch_roll``, which dm_nevis used), read off the matrix directly.
    """
    yaw = math.atan2(-matrix[0, 1], matrix[0, 0])
    pitch = math.asin(min(1.0, max(-1.0, matrix[0, 2])))
    roll = math.atan2(-matrix[1, 2], matrix[2, 2])
    return tuple(math.degrees(angle) for angle in (yaw, pitch, roll))


def quantile_edges(values: np.ndarray, bins: int = BINS) -> np.ndarray:
    """Per column, bins + 1 edges that cut the values into equal-frequency bins: the
    order statistics at positions 0, N/bins, ..., N, interpolated (position N is the maximum)."""
    count = len(values)
    ordered = np.sort(values, axis=0)
    positions = np.linspace(0, count, bins + 1)
    return np.stack([np.interp(positions, np.arange(count), ordered[:, c]) for c in range(values.shape[1])], axis=1)


def pose_labels(angles, edges: np.ndarray) -> tuple[int, ...]:
    """The 3 active labels: bin of each angle, offset by BINS per angle."""
    labels = []
    for a, value in enumerate(angles):
        inner = edges[1:-1, a]
        labels.append(a * BINS + int(np.searchsorted(inner, value, side="right")))
    return tuple(labels)


def write_fixture(artifacts_dir: Path, frames: int = 6) -> dict[str, int]:
    """Sequences 01 (test), 02 (dev), 03 (dev-test) and 05, 11 (train) with poses spread
    over yaw, pitch and roll; depth files, calibration, masks, binary annotations, and a
    frame whose pose file is missing."""
    members: dict[str, bytes] = {"faces_0/readme.txt": b"fixture\n"}
    counts = _splits.SplitSizes()
    for s, sequence in enumerate(("01", "02", "03", "05", "11")):
        folder = f"faces_0/{sequence}/"
        members[folder + "rgb.cal"] = b"517.679 0 320\n0 517.679 240.5\n0 0 1\n"
        members[folder + "depth.cal"] = b"575.816 0 320\n0 575.816 240\n0 0 1\n"
        for f in range(frames + 1):
            frame = f"frame_{f + 3:05d}"
            pixels = _fixtures.pixels(s * 100 + f, 12, 16, 3)
            members[f"{folder}{frame}{IMAGE_SUFFIX}"] = _fixtures.png_bytes(pixels)
            members[f"{folder}{frame}_depth.bin"] = bytes(16)
            members[f"head_pose_masks/{sequence}/{frame}_depth_mask.png"] = _fixtures.png_bytes(pixels[..., 0] > 128)
            members[f"db_annotations/{sequence}/{frame}_pose.bin"] = bytes(48)
            if f == frames:
                continue  # an image without its pose file
            yaw, pitch, roll = (-60 + 7 * f + 3 * s, 25 - 9 * f + s, 11 * ((f + s) % 4) - 15)
            members[f"{folder}{frame}{POSE_SUFFIX}"] = pose_text(yaw, pitch, roll, (s, f, 900)).encode()
            counts.add(SEQUENCE_SPLITS[sequence])
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[0].file, sorted(members.items()))
    return counts


def pose_text(yaw: float, pitch: float, roll: float, position=(0, 0, 900)) -> str:
    """A pose file as the database writes it, for R = R_x(roll) R_y(pitch) R_z(yaw)."""
    y, p, r = (math.radians(angle) for angle in (yaw, pitch, roll))
    rz = np.array([[math.cos(y), -math.sin(y), 0], [math.sin(y), math.cos(y), 0], [0, 0, 1]])
    ry = np.array([[math.cos(p), 0, math.sin(p)], [0, 1, 0], [-math.sin(p), 0, math.cos(p)]])
    rx = np.array([[1, 0, 0], [0, math.cos(r), -math.sin(r)], [0, math.sin(r), math.cos(r)]])
    rows = [" ".join(f"{value:g}" for value in row) for row in rx @ ry @ rz]
    return "\n".join(rows) + "\n\n" + " ".join(f"{value:g}" for value in position) + "\n"


biwi = DatasetSpec(
    name="biwi",
    description="About 15,000 RGB frames of 20 people (24 sequences) turning their heads, labelled with the quintile of yaw, pitch and roll.",
    homepage="https://www.kaggle.com/datasets/kmader/biwi-kinect-head-pose-database",
    citation=(
        "Fanelli, G., Dantone, M., Gall, J., Fossati, A., Van Gool, L. Random Forests for Real Time "
        "3D Face Analysis. International Journal of Computer Vision 101(3), 2013."
    ),
    license="non-commercial research use; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=3, label_vocabulary=LABEL_VOCABULARY),
    examples=examples,
    write_fixture=write_fixture,
    # Frames per sequence are known for the original database, not for the Kaggle copy.
    num_examples=None,
    unconfirmed=KAGGLE_REPACKED + "; that the Kaggle copy holds the original 15,678 frames, each "
    "with its pose file; the license",
    evidence=Evidence(
        "unverified",
        source="deepmind/dm_nevis@37ccf1e2dd89:dm_nevis/datasets_storage/handlers/biwi.py (top folders, "
        "faces_0/<2-digit sequence>/frame_<n>_rgb.png beside frame_<n>_pose.txt, a sample pose file); "
        "kuhnkeF/headposeplus@b94d162ed8d3:data/Biwi_plus.npz ('images': the original database's "
        "15,678 RGB frames by name, sequences 01-24; not the Kaggle zip)",
    ),
    dm_nevis_differences="Same labels and sequence splits, but the vocabulary declares all 15 binary "
    "labels (dm_nevis declared 5 for indices up to 14), and the bin edges are taken over the frames "
    "that have an image (dm_nevis took every pose file).",
)
