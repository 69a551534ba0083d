"""The README's install keeps the stack's versions: numpy 2, current onnx and tensorboard."""

import importlib
import importlib.util

import numpy as np
import pytest


def test_numpy_is_2():
    assert int(np.__version__.split(".")[0]) >= 2, np.__version__


@pytest.mark.parametrize("module", ["onnx", "tensorboard", "google.protobuf"])
def test_stack_imports(module):
    importlib.import_module(module)


def test_protobuf_is_current():
    from google.protobuf import __version__

    assert int(__version__.split(".")[0]) >= 5, __version__


def test_mediapipe_package_is_not_installed():
    # only its model files are used; the package would pin numpy<2 / protobuf<5
    assert importlib.util.find_spec("mediapipe") is None
