"""`python -m tasks preview`: a contact sheet of the expected size, made without TensorFlow."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
from PIL import Image

from cli import preview


def run_cli(workspace, *args):
    return subprocess.run(
        [sys.executable, "-m", "tasks", "--data-dir", str(workspace.data_dir), *args],
        cwd=workspace.path, env=workspace.env(), capture_output=True, text=True, timeout=120,
    )


def test_preview_writes_a_sheet_of_the_expected_size_where_asked(workspace):
    workspace.fixture("toyset")
    workspace.build("toyset")
    output = workspace.path / "sheets" / "toy.png"
    result = run_cli(workspace, "preview", "toyset", "--split", "test", "--count", "5",
                     "--columns", "2", "--tile", "40", "--output", str(output))
    assert result.returncode == 0, result.stderr
    assert "5 examples of toyset test" in result.stdout
    with Image.open(output) as sheet:
        assert sheet.format == "PNG"
        assert sheet.size == preview.sheet_size(5, 2, 40) == (4 + 2 * 44, 4 + 3 * (40 + 14 + 4))
        pixels = np.asarray(sheet.convert("RGB"))
    # Tiles hold images (not background) and captions hold text (dark pixels).
    first_tile = pixels[4:44, 4:44]
    assert (first_tile != preview.BACKGROUND).any(axis=-1).mean() > 0.9
    caption = pixels[44:58, 4:44]
    assert (caption.sum(axis=-1) < 200).any()

    # Defaults: the train split, 32 examples, 8 across, written to ./<name>-<split>.png
    result = run_cli(workspace, "preview", "toyset")
    assert result.returncode == 0, result.stderr
    with Image.open(workspace.path / "toyset-train.png") as sheet:
        assert sheet.size == preview.sheet_size(32, 8, 96)


def test_preview_shows_every_class_first_and_never_imports_tensorflow(workspace):
    workspace.fixture("toyset")
    workspace.build("toyset")
    script = (
        "import json, sys\n"
        "from cli import main as cli_main, preview\n"
        "from data import metadata\n"
        f"directory = {str(workspace.dataset_dir('toyset'))!r}\n"
        "info = metadata.read_info(directory)\n"
        "examples = preview._pick(directory, info, 'train', 4)\n"
        "print(json.dumps([e['label'][0] for e in examples]))\n"
        f"assert cli_main.main(['--data-dir', {str(workspace.data_dir)!r}, 'preview', 'toyset',"
        f" '-o', {str(workspace.path / 'p.png')!r}]) == 0\n"
        "assert 'tensorflow' not in sys.modules, 'preview imported TensorFlow'\n"
    )
    result = subprocess.run([sys.executable, "-c", script], env=workspace.env(), cwd=workspace.path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    labels = json.loads(result.stdout.splitlines()[0])
    assert labels[:3] == [0, 1, 2] and len(labels) == 4
