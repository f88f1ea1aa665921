"""The files TensorFlow Datasets needs to open a built dataset, in ``<version>/tfds/``.

``tfds.builder_from_directory(<version dir>/tfds)`` reads ``dataset_info.json`` (a
DatasetInfo proto as JSON), ``features.json`` and ``<feature>.labels.txt`` there. They
cannot sit beside our own ``dataset_info.json``: TFDS parses that file strictly (an
unknown field such as ``format_version`` is an error) and its ``splits`` is a list
where ours is a mapping. So TFDS gets its own folder, and its split entries point one
level up (``filepathTemplate`` ``../{DATASET}-{SPLIT}.{FILEFORMAT}-{SHARD_X_OF_Y}``)
at the very shards we wrote: our naming is TFDS's default one. Nothing is copied.

Derived splits (``train_and_dev``) are not listed: a TFDS split is one file template
over one run of shard numbers, so it cannot name the train and the dev shards both.
TFDS's own split syntax reads the same union: ``split="train+dev"``.

Features: ``image`` an Image of unknown height and width with the declared channels
(PNG or JPEG bytes: TFDS decodes either), ``key`` Text, and ``label`` a ClassLabel,
``multi_label`` a Sequence of ClassLabel, or ``target`` a float32 Scalar. Everything
comes from our metadata: no timestamps, no host names, the same bytes every build.
TensorFlow Datasets is not imported here (it is a test dependency only).
"""

from __future__ import annotations

from pathlib import Path

from data import format as fmt
from data.atomic import atomic_path, canonical_json

TFDS_DIR = "tfds"
FILEPATH_TEMPLATE = "../{DATASET}-{SPLIT}.{FILEFORMAT}-{SHARD_X_OF_Y}"
_FEATURES = "tensorflow_datasets.core.features."


def tfds_files(info: dict) -> dict[str, bytes]:
    """File name -> content of every file of the tfds/ folder, from dataset_info.json."""
    features = info["features"]
    label_feature = {"single_label": fmt.LABEL, "multi_label": fmt.MULTI_LABEL,
                     "regression": fmt.TARGET}[features["task"]]
    proto = {
        "name": info["name"],
        "version": info["version"],
        "description": info["description"],
        "citation": info["citation"],
        "fileFormat": "tfrecord",
        "supervisedKeys": {"input": fmt.IMAGE, "output": label_feature},
        "splits": [
            {
                "name": split,
                "numBytes": str(sum(shard["num_bytes"] for shard in entry["shards"])),
                "shardLengths": [str(shard["num_examples"]) for shard in entry["shards"]],
                "filepathTemplate": FILEPATH_TEMPLATE,
            }
            for split, entry in sorted(info["splits"].items())
        ],
    }
    if info.get("homepage"):
        proto["location"] = {"urls": [info["homepage"]]}
    if info.get("license"):
        proto["redistributionInfo"] = {"license": info["license"]}
    connectors = {
        fmt.IMAGE: _connector("image_feature.Image", "image", {
            "dtype": "uint8",
            "shape": {"dimensions": ["-1", "-1", str(features["channels"])]},
        }),
        fmt.KEY: _connector("text_feature.Text", "text", {}),
    }
    files = {}
    names = features.get("class_names") or features.get("label_vocabulary")
    if features["task"] == "single_label":
        connectors[fmt.LABEL] = _class_label(len(names))
    elif features["task"] == "multi_label":
        connectors[fmt.MULTI_LABEL] = _connector(
            "sequence_feature.Sequence", "sequence", {"feature": _class_label(len(names)), "length": "-1"})
    else:
        connectors[fmt.TARGET] = _connector(
            "scalar.Scalar", "tensor", {"dtype": "float32", "encoding": "none", "shape": {}})
    if names:
        files[f"{label_feature}.labels.txt"] = "".join(f"{name}\n" for name in names).encode()
    files["features.json"] = canonical_json(
        _connector("features_dict.FeaturesDict", "featuresDict", {"features": connectors}))
    files["dataset_info.json"] = canonical_json(proto)
    return files


def write_tfds_files(directory: Path, info: dict) -> None:
    """Write the tfds/ folder of the built dataset at ``directory``, each file atomically."""
    for name, content in sorted(tfds_files(info).items()):
        with atomic_path(Path(directory) / TFDS_DIR / name) as temporary:
            Path(temporary).write_bytes(content)


def _class_label(num_classes: int) -> dict:
    return _connector("class_label_feature.ClassLabel", "classLabel", {"numClasses": str(num_classes)})


def _connector(class_name: str, field: str, body: dict) -> dict:
    return {"pythonClassName": _FEATURES + class_name, field: body}
