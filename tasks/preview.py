"""``python -m tasks preview``: a PNG contact sheet of a built dataset, without TensorFlow.

Records are read with data/decoding.py and decoded with PIL. The sheet shows the first
example of each class (in class order), then fills up with further examples in stored
order, which is already a shuffled sample; each tile is captioned with the label.

Size: ``columns' = min(columns, shown)`` tiles across and ``ceil(shown / columns')``
down, each tile ``tile`` pixels square plus a caption strip of ``CAPTION`` pixels, with
``PAD`` pixels around and between: ``PAD + columns' * (tile + PAD)`` wide and
``PAD + rows * (tile + CAPTION + PAD)`` high.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from data import format as fmt
from data.decoding import decode_image, parse_example

PAD = 4
CAPTION = 14
BACKGROUND = (245, 245, 245)
TEXT = (20, 20, 20)
SCAN_FACTOR = 50  # read at most this many records per tile while looking for new classes


def sheet_size(shown: int, columns: int, tile: int) -> tuple[int, int]:
    across = max(1, min(columns, shown))
    rows = max(1, math.ceil(shown / across))
    return PAD + across * (tile + PAD), PAD + rows * (tile + CAPTION + PAD)


def contact_sheet(directory: Path, info: dict, split: str, count: int = 32, columns: int = 8,
                  tile: int = 96) -> tuple[Image.Image, int]:
    """(the sheet, how many examples it shows) for ``split`` of the dataset at ``directory``."""
    features = info["features"]
    examples = _pick(directory, info, split, count)
    width, height = sheet_size(len(examples), columns, tile)
    sheet = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=CAPTION - 3)
    across = max(1, min(columns, len(examples)))
    for i, example in enumerate(examples):
        left = PAD + (i % across) * (tile + PAD)
        top = PAD + (i // across) * (tile + CAPTION + PAD)
        pixels = decode_image(example[fmt.IMAGE][0], features["channels"])
        image = Image.fromarray(pixels.squeeze(-1) if pixels.shape[-1] == 1 else pixels).convert("RGB")
        image = _fit(image, tile)
        sheet.paste(image, (left + (tile - image.width) // 2, top + (tile - image.height) // 2))
        caption = _truncate(draw, _caption(example, features), font, tile)
        draw.text((left, top + tile + 1), caption, fill=TEXT, font=font)
    return sheet, len(examples)


def _pick(directory: Path, info: dict, split: str, count: int) -> list[dict]:
    """The first example of each class (class order), then more in stored order."""
    single_label = info["features"]["task"] == "single_label"
    firsts: dict[int, dict] = {}
    others: list[dict] = []
    for seen, example in enumerate(_examples(directory, info, split), 1):
        label = example[fmt.LABEL][0] if single_label else None
        if single_label and label not in firsts:
            firsts[label] = example
        elif len(others) < count:
            others.append(example)
        enough = len(firsts) >= count if single_label else len(others) >= count
        if enough or seen >= count * SCAN_FACTOR:
            break
    return ([firsts[label] for label in sorted(firsts)] + others)[:count]


def _examples(directory: Path, info: dict, split: str):
    for shard in info["splits"][split]["shards"]:
        with open(Path(directory) / shard["file"], "rb") as stream:
            for record in fmt.iter_records(stream):
                yield parse_example(record)


def _caption(example: dict, features: dict) -> str:
    task = features["task"]
    if task == "single_label":
        return features["class_names"][example[fmt.LABEL][0]]
    if task == "multi_label":
        names = [features["label_vocabulary"][i] for i in example.get(fmt.MULTI_LABEL, [])]
        return ", ".join(names) or "(none)"
    return f"{features['regression_target']}: {example[fmt.TARGET][0]:g}"


def _fit(image: Image.Image, tile: int) -> Image.Image:
    """Scaled to fit the tile: blocky when enlarging (small digits stay crisp), smooth when shrinking."""
    scale = tile / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.NEAREST if scale >= 1 else Image.Resampling.LANCZOS)


def _truncate(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> str:
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"
