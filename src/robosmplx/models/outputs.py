"""The one prediction type every network returns, in training and in evaluation alike."""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import Tensor


@dataclass
class Prediction:
    """What a network predicts for a batch of B crops (see docs/contracts.md).

    pred_params: rotation groups as ``<group>_rotmat`` (B, N, 3, 3), vector groups by name (B, n).
    pred_cam: (B, 3) weak-perspective ``(s, tx, ty)`` on the crop, None for part subnetworks
    built without their global branch. pred_joints_hm: (B, J, 3) soft-argmax joints in [-1, 1]
    (x, y over the crop, z depth), None for the HMR baseline. pred_segm_logits:
    (B, P+1, S/4, S/4), None for the HMR baseline. pred_boxes: whole-body only, ``lhand``,
    ``rhand``, ``face`` (B, 4) xywh in body-crop pixels. parts: whole-body only, the
    ``rhand``, ``lhand`` and ``face`` subnetwork predictions, each in its own crop's frame
    (the left hand already mirrored back to a left hand). pred_heatmaps: (B, J, D, h, w) the
    Localization Module's logits behind ``pred_joints_hm`` (training losses only; not in the
    ONNX graph).
    """

    pred_params: dict[str, Tensor]
    pred_cam: Tensor | None = None
    pred_joints_hm: Tensor | None = None
    pred_segm_logits: Tensor | None = None
    pred_boxes: dict[str, Tensor] = field(default_factory=dict)
    parts: dict[str, Prediction] = field(default_factory=dict)
    pred_heatmaps: Tensor | None = None

    @property
    def batch_size(self) -> int:
        return int(next(iter(self.pred_params.values())).shape[0])

    def tensors(self) -> dict[str, Tensor]:
        """Every tensor, flattened to dotted names (``parts.rhand.pred_cam``); for tests and export."""
        out: dict[str, Tensor] = {}
        for k, v in self.pred_params.items():
            out[f"pred_params.{k}"] = v
        for name in ("pred_cam", "pred_joints_hm", "pred_segm_logits", "pred_heatmaps"):
            v = getattr(self, name)
            if v is not None:
                out[name] = v
        for k, v in self.pred_boxes.items():
            out[f"pred_boxes.{k}"] = v
        for part, p in self.parts.items():
            for k, v in p.tensors().items():
                out[f"parts.{part}.{k}"] = v
        return out
