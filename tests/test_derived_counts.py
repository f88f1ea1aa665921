"""Split sizes that follow from a hash draw over documented names are stored as numbers,
so loading the registry stays fast; here they are derived again."""

from __future__ import annotations

import pytest

from handlers import aloi, mnist_rotation, sketch, tiny_imagenet


@pytest.mark.parametrize("module", [aloi, mnist_rotation, sketch, tiny_imagenet], ids=lambda m: m.__name__)
def test_stored_counts_are_the_derived_ones(module):
    assert module.derived_counts() == module.NUM_EXAMPLES

