"""A Croissant (MLCommons, version 1.0) JSON-LD description of a built dataset.

``croissant.json`` beside the shards: the dataset's name, description, homepage,
license and citation; every shard as a FileObject with its size and sha256 (relative
content URLs, so the folder can move), grouped by a FileSet; and record sets:
``splits`` (the split names), ``classes`` (index -> class name, for labelled data) and
``examples``, whose fields ``image`` (ImageObject), ``key`` (Text), ``label`` |
``multi_label`` (Integer, referencing ``classes``) or ``target`` (Float) are the
features of each tf.train.Example, and ``split`` comes from the shard's file name.
Built from dataset_info.json alone, so equal builds give equal bytes.

mlcroissant validates this file but has no TFRecord reader, so it cannot iterate the
``examples`` record set here. ``python -m tasks export NAME`` (data/export.py) writes a
Parquet copy of the examples with its own ``parquet/croissant.json``, whose ``examples``
record set mlcroissant does iterate; the description below says so.
"""

from __future__ import annotations

import re
from pathlib import Path

from data import format as fmt
from data.atomic import write_json_atomic

CROISSANT_FILE = "croissant.json"
CONFORMS_TO = "http://mlcommons.org/croissant/1.0"
TFRECORD_MIME = "application/x-tfrecord"

# The Croissant 1.0 JSON-LD context, as the specification defines it.
CONTEXT = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}


def croissant(info: dict) -> dict:
    """The Croissant JSON-LD of a built dataset, from its dataset_info.json."""
    name = info["name"]
    features = info["features"]
    shards = [shard for _, entry in sorted(info["splits"].items()) for shard in entry["shards"]]
    distribution = [
        {
            "@type": "cr:FileObject",
            "@id": shard["file"],
            "name": shard["file"],
            "contentUrl": shard["file"],
            "contentSize": f"{shard['num_bytes']} B",
            "encodingFormat": TFRECORD_MIME,
            "sha256": shard["sha256"],
        }
        for shard in shards
    ]
    distribution.append({
        "@type": "cr:FileSet",
        "@id": "shards",
        "name": "shards",
        "description": "Every TFRecord shard; each record is a serialized tf.train.Example.",
        "encodingFormat": TFRECORD_MIME,
        "includes": f"{name}-*.tfrecord-*",
    })
    record_sets = [_splits_record_set(sorted(info["splits"]))]
    names = features.get("class_names") or features.get("label_vocabulary")
    if names:
        record_sets.append(_classes_record_set(names))
    record_sets.append(_examples_record_set(name, features))
    document = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": name,
        "description": info["description"],
        "version": info["version"],
        "citeAs": info["citation"],
        "distribution": distribution,
        "recordSet": record_sets,
    }
    if info.get("homepage"):
        document["url"] = info["homepage"]
    if info.get("license"):
        document["license"] = info["license"]
    return document


def write_croissant(directory: Path, info: dict) -> None:
    write_json_atomic(Path(directory) / CROISSANT_FILE, croissant(info))


def _field(record_set: str, name: str, data_type: str, description: str, **extra) -> dict:
    return {"@type": "cr:Field", "@id": f"{record_set}/{name}", "name": name,
            "description": description, "dataType": data_type, **extra}


def _splits_record_set(splits: list[str]) -> dict:
    return {
        "@type": "cr:RecordSet",
        "@id": "splits",
        "name": "splits",
        "description": "The splits of the dataset.",
        "dataType": "cr:Split",
        "key": {"@id": "splits/name"},
        "field": [_field("splits", "name", "sc:Text", "The split's name.")],
        "data": [{"splits/name": split} for split in splits],
    }


def _classes_record_set(names: list[str]) -> dict:
    return {
        "@type": "cr:RecordSet",
        "@id": "classes",
        "name": "classes",
        "description": "The label space: index -> class name.",
        "key": {"@id": "classes/index"},
        "field": [
            _field("classes", "index", "sc:Integer", "The value stored in the label feature."),
            _field("classes", "name", "sc:Text", "The class name."),
        ],
        "data": [{"classes/index": i, "classes/name": n} for i, n in enumerate(names)],
    }


def _from_shards(column: str) -> dict:
    return {"source": {"fileSet": {"@id": "shards"}, "extract": {"column": column}}}


def _examples_record_set(name: str, features: dict) -> dict:
    fields = [
        _field("examples", fmt.IMAGE, "sc:ImageObject",
               f"PNG or JPEG bytes, {features['channels']} channel(s).", **_from_shards(fmt.IMAGE)),
        _field("examples", fmt.KEY, "sc:Text", "A stable id of the example within the source.",
               **_from_shards(fmt.KEY)),
    ]
    task = features["task"]
    if task == "single_label":
        fields.append(_field("examples", fmt.LABEL, "sc:Integer", "The class index.",
                             references={"field": {"@id": "classes/index"}}, **_from_shards(fmt.LABEL)))
    elif task == "multi_label":
        fields.append(_field("examples", fmt.MULTI_LABEL, "sc:Integer", "The indices of the labels that apply.",
                             repeated=True, references={"field": {"@id": "classes/index"}},
                             **_from_shards(fmt.MULTI_LABEL)))
    else:
        fields.append(_field("examples", fmt.TARGET, "sc:Float",
                             f"The regression target ({features['regression_target']}).",
                             **_from_shards(fmt.TARGET)))
    pattern = f"^{re.escape(name)}-(.+)\\.tfrecord-[0-9]{{5}}-of-[0-9]{{5}}$"
    fields.append(_field(
        "examples", "split", "sc:Text", "The split, from the shard's file name.",
        references={"field": {"@id": "splits/name"}},
        source={"fileSet": {"@id": "shards"}, "extract": {"fileProperty": "filename"},
                "transform": {"regex": pattern}},
    ))
    return {
        "@type": "cr:RecordSet",
        "@id": "examples",
        "name": "examples",
        "description": "One record per tf.train.Example in the shards. mlcroissant reads no "
                       "TFRecord: to iterate these records, run `python -m tasks export "
                       f"{name}` and read the examples record set of parquet/croissant.json.",
        "key": {"@id": "examples/key"},
        "field": fields,
    }
