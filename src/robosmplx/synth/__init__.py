"""Synthetic people with full ground truth: pose, shape, appearance, scenes, rendering, writer.

``robosmplx synth`` (:mod:`robosmplx.synth.cli`) writes images, part maps and a HumanData file;
see docs/synth.md.
"""

from robosmplx.synth.config import TASKS, SynthConfig
from robosmplx.synth.generate import SynthRunner, generate
from robosmplx.synth.pose import RefPose, sample_pose
from robosmplx.synth.preview import contact_sheet, write_preview
from robosmplx.synth.render_sample import SynthSample, make_sample

__all__ = [
    "TASKS",
    "RefPose",
    "SynthConfig",
    "SynthRunner",
    "SynthSample",
    "contact_sheet",
    "generate",
    "make_sample",
    "sample_pose",
    "write_preview",
]
