"""Synthetic people with full ground truth: pose, shape, appearance, scenes, rendering, writer.

``robosmplx synth`` (:mod:`robosmplx.synth.cli`) writes images, part maps and a HumanData file;
see docs/synth.md. The names below load on first use, so importing the command stays light.
"""

import importlib

_EXPORTS = {
    "TASKS": "config",
    "SynthConfig": "config",
    "SynthRunner": "generate",
    "RefPose": "pose",
    "sample_pose": "pose",
    "contact_sheet": "preview",
    "write_preview": "preview",
    "SynthSample": "render_sample",
    "make_sample": "render_sample",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"robosmplx.synth.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'robosmplx.synth' has no attribute {name!r}")
