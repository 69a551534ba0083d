"""The whole-body network as one ONNX graph: a person's square source crop in, parameters,
camera, keypoints and part boxes out.

Signature (batch dimension dynamic):

- input ``source`` (B, 3, R, R) float32: the square region around the person (1.25 x the
  person box's long side, as :func:`robosmplx.infer.cropping.crop_region`) resized to the
  config's ``source_size`` R, RGB, normalised with the config's ``mean``/``std``.
- outputs: ``<group>_rotmat`` (B, N, 3, 3) per rotation group, the vector groups (B, n),
  ``pred_cam`` (B, 3) weak perspective on the body crop, ``pred_joints_hm`` (B, J, 3) in
  [-1, 1], ``lhand_box``/``rhand_box``/``face_box`` (B, 4) xywh in body-crop pixels.

Inside, the network runs its :meth:`~robosmplx.models.wholebody.WholeBodyNetwork.forward_source`
exactly as :class:`robosmplx.infer.predictor.Predictor` does (the body crop area-downsampled to
the body input S, hand and face crops cut from the source through the fixed source -> body-crop
affine, whose inverse is closed-form), so the graph needs only standard operators (opset 20 for
``affine_grid``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from robosmplx.errors import CheckpointError, RoboSMPLXError

OPSET = 20
TOLERANCE = 1e-4


class SourceCropNetwork(nn.Module):
    """A whole-body network returning a flat tuple of tensors for its (B, 3, R, R) source."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net
        self.body_size = net.config.body.input_size
        self.source_size = net.config.source_size
        groups = net.config.predicted_groups
        self.param_keys = [f"{g.name}_rotmat" if g.kind == "rotation" else g.name for g in groups]

    @property
    def output_names(self) -> list[str]:
        boxes = [f"{k}_box" for k in ("lhand", "rhand", "face")]
        return self.param_keys + ["pred_cam", "pred_joints_hm"] + boxes

    def forward(self, source: Tensor) -> tuple[Tensor, ...]:
        pred = self.net.forward_source(source)
        params = [pred.pred_params[key] for key in self.param_keys]
        out_boxes = [pred.pred_boxes[n] for n in ("lhand", "rhand", "face")]
        return (*params, pred.pred_cam, pred.pred_joints_hm, *out_boxes)


def _require_onnx():
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as e:
        raise RoboSMPLXError(
            f"ONNX export needs the optional packages onnx and onnxruntime ({e.name} is missing): "
            "pip install 'robosmplx[onnx]'"
        ) from None


def export_onnx(
    net: nn.Module, out: str | Path, batch: int = 1, check: bool = True, seed: int = 0
) -> dict:
    """Write ``net`` (a whole-body network) to ``out`` atomically and, with ``check``, compare
    ONNX Runtime with PyTorch on random inputs. Returns a JSON-able report (``max_abs_diff``
    per output, ``passed``); raises :class:`RoboSMPLXError` when the outputs differ."""
    _require_onnx()
    from robosmplx.io import atomic_write

    if getattr(net, "kind", None) != "wholebody":
        raise CheckpointError("export-onnx exports whole-body networks (presets 'small', 'paper')")
    wrapper = SourceCropNetwork(net).eval()
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, 3, wrapper.source_size, wrapper.source_size, generator=g)
    names = wrapper.output_names

    def write(tmp: str) -> None:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                wrapper, (x,), tmp, dynamo=False, opset_version=OPSET,
                input_names=["source"], output_names=names,
                dynamic_axes={n: {0: "batch"} for n in ["source", *names]},
            )  # fmt: skip

    out = atomic_write(Path(out), write, suffix=".onnx")
    wrapper.eval()  # the exporter restores the training flag recursively; be sure
    report = {
        "onnx": str(out),
        "opset": OPSET,
        "inputs": {"source": ["batch", 3, wrapper.source_size, wrapper.source_size]},
        "outputs": names,
        "body_input_size": wrapper.body_size,
        "bytes": out.stat().st_size,
    }
    if check:
        report.update(compare(wrapper, out, batch + 1, seed + 1))
        if not report["passed"]:
            worst = max(report["max_abs_diff"], key=report["max_abs_diff"].get)
            raise RoboSMPLXError(
                f"{out}: ONNX Runtime differs from PyTorch on {worst} by "
                f"{report['max_abs_diff'][worst]:.2e} (> {TOLERANCE:g})"
            )
    return report


def compare(wrapper: SourceCropNetwork, path: Path, batch: int, seed: int) -> dict:
    """Run ONNX Runtime and PyTorch on the same random batch; max |difference| per output,
    relative to the output's magnitude when it exceeds 1 (pixel boxes)."""
    import onnxruntime as ort

    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, 3, wrapper.source_size, wrapper.source_size, generator=g)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"source": x.numpy()})
    with torch.inference_mode():
        ref = [t.numpy() for t in wrapper(x)]
    diffs, passed = {}, True
    for name, a, b in zip(wrapper.output_names, got, ref):
        d = float(np.abs(a - b).max())
        diffs[name] = d
        passed &= d <= TOLERANCE * max(1.0, float(np.abs(b).max()))
    return {"max_abs_diff": diffs, "passed": bool(passed), "check_batch": batch}
