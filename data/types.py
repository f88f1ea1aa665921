"""Plain types shared by handlers, the conversion and the reader (no TensorFlow here)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

SINGLE_LABEL = "single_label"
MULTI_LABEL = "multi_label"
REGRESSION = "regression"

# A handler hands over a PIL image, a uint8 array (H, W) or (H, W, C) for sources that
# are arrays already (idx files, pickled batches: no PIL round trip), or the encoded
# file bytes as it found them; bytes are kept unchanged when they are JPEG/PNG with
# the declared channels already.
ImageLike = Image.Image | np.ndarray | bytes


@dataclass(frozen=True)
class Features:
    """What an example carries: image channels and the label space.

    Exactly one of: ``class_names`` (single-label), ``label_vocabulary`` (multi-label),
    ``regression_target`` (the name of a float target, e.g. "count").
    """

    channels: int
    class_names: tuple[str, ...] = ()
    label_vocabulary: tuple[str, ...] = ()
    regression_target: str = ""

    def __post_init__(self):
        if self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, not {self.channels}")
        declared = [bool(self.class_names), bool(self.label_vocabulary), bool(self.regression_target)]
        if sum(declared) != 1:
            raise ValueError("declare exactly one of class_names, label_vocabulary, regression_target")
        names = self.class_names or self.label_vocabulary
        if len(set(names)) != len(names):
            raise ValueError("class names must be unique")

    @property
    def task(self) -> str:
        if self.regression_target:
            return REGRESSION
        return MULTI_LABEL if self.label_vocabulary else SINGLE_LABEL

    @property
    def num_classes(self) -> int:
        return len(self.class_names or self.label_vocabulary)

    def to_json(self) -> dict:
        obj = {"task": self.task, "channels": self.channels}
        if self.regression_target:
            obj["regression_target"] = self.regression_target
        else:
            names_field = "label_vocabulary" if self.label_vocabulary else "class_names"
            obj["num_classes"] = self.num_classes
            obj[names_field] = list(self.class_names or self.label_vocabulary)
        return obj

    @classmethod
    def from_json(cls, obj: dict) -> Features:
        return cls(
            channels=obj["channels"],
            class_names=tuple(obj.get("class_names", ())),
            label_vocabulary=tuple(obj.get("label_vocabulary", ())),
            regression_target=obj.get("regression_target", ""),
        )


@dataclass(frozen=True)
class Example:
    """One example as a handler yields it.

    ``split`` may be None when the dataset's spec assigns splits after all examples
    are known (e.g. "30 per class for train"); see handlers/_splits.py.
    """

    key: str
    image: ImageLike
    label: int | None = None
    multi_label: tuple[int, ...] | None = None
    target: float | None = None
    split: str | None = None


@dataclass(frozen=True)
class Annotation:
    """Facts about the example with ``key`` that the source states elsewhere.

    A handler yields these among its examples when labels or split lists come after
    the images in a single-pass stream (a tar whose list files are at the end): the
    engine fills in whatever the example left None, so no archive is read twice.
    """

    key: str
    label: int | None = None
    multi_label: tuple[int, ...] | None = None
    target: float | None = None
    split: str | None = None
