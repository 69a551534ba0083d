"""Synthetic people with full ground truth: pose, shape, appearance, scenes, rendering, writer.

``robosmplx synth`` (:mod:`robosmplx.synth.cli`) writes images, part maps and a HumanData file;
see docs/synth.md. The names below load on first use, so importing the command stays light.
"""

from robosmplx.lazy import lazy_exports

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
__getattr__, __all__ = lazy_exports("robosmplx.synth", _EXPORTS)
