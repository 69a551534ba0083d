"""Parameter regressor: F (and LF) -> body-model parameter groups and the weak-perspective camera.

concat(F, LF) -> 1x1 conv + BN + ReLU -> global average pool -> one Linear per output (6D per
rotation joint, one value per vector entry, 3 for the camera). Two extensions, off by default
(docs/models.md): ``joint_inputs`` appends the soft-argmax joints to the pooled vector, and
``mlp_hidden`` puts two FC-ReLU layers of that width between the pooled vector and the Linears.
Which outputs read LF is the ``lf_variant`` of the paper's ablation (Table 11):

- ``all`` (default, "LF (all)"): every output reads the fused F + LF map.
- ``pose`` ("LF"): articulation (rotation groups, and part vectors such as ``expression``) reads
  F + LF; shape (vector groups of part ``body``, i.e. ``betas``) and the camera read F only.
- ``none``: every output reads F only (a 1x1 conv + BN + ReLU on F, same width), the heads
  are still trained (keypoints and masks) but do not feed the regressor.

Camera: the raw scale goes through ``softplus(raw + b)`` with ``b = softplus^-1(s0)``, so the
scale is always positive and starts at ``s0`` (``cam_init_scale``: about 0.9 for a body filling a
crop, larger for hands and faces); ``tx, ty`` start at 0. Rotation outputs start at identity
(``global_orient`` at upright, facing the camera),
vector outputs at the body model's neutral value (``vector_init``, zeros unless given).
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from robosmplx.body.base import ParamGroup
from robosmplx.errors import ConfigError, ShapeError
from robosmplx.geometry.rotations import rot6d_to_matrix

LFVariant = Literal["none", "pose", "all"]
LF_VARIANTS = ("none", "pose", "all")
CAM = "cam"
_IDENTITY_6D = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
# 6D of geometry.camera.CANONICAL_TO_CAMERA (the 180-degree turn about X): an upright person
# facing the camera has this camera-frame global orientation, so the regressor starts there.
_UPRIGHT_6D = (1.0, 0.0, 0.0, 0.0, -1.0, 0.0)


def rotation_init_6d(g: ParamGroup) -> tuple[float, ...]:
    """Initial 6D output of a rotation group: upright for ``global_orient``, else identity."""
    return (_UPRIGHT_6D if g.name == "global_orient" else _IDENTITY_6D) * g.size


def reads_lf(group: ParamGroup | None, variant: str) -> bool:
    """Whether an output (a group, or None for the camera) is regressed from F + LF."""
    if variant not in LF_VARIANTS:
        raise ConfigError(f"lf_variant {variant!r}: choose one of {', '.join(LF_VARIANTS)}")
    if variant == "all":
        return True
    if variant == "none" or group is None:
        return False
    return not (group.kind == "vector" and group.part == "body")


def _fuse_block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True))


class ParamRegressor(nn.Module):
    """Regresses ``groups`` (+ the camera when ``with_cam``) from F and LF, routed by variant.

    fuse(F (B, C, H, W), LF (B, L, H, W)) -> {"lf": (B, hidden, H, W), "f": ...} (the maps that
    exist for this variant); predict(fused) -> (params in rotmat form, cam (B, 3) or None).
    """

    def __init__(
        self,
        feat_channels: int,
        lf_channels: int,
        groups: tuple[ParamGroup, ...],
        variant: str = "all",
        with_cam: bool = True,
        cam_init_scale: float = 0.9,
        hidden: int = 512,
        vector_init: dict[str, tuple[float, ...]] | None = None,
        joint_inputs: int = 0,
        mlp_hidden: int = 0,
    ):
        super().__init__()
        if cam_init_scale <= 0:
            raise ConfigError(f"cam_init_scale must be positive, got {cam_init_scale}")
        self.groups = tuple(groups)
        self.variant = variant
        outputs: list[tuple[str, ParamGroup | None]] = [(g.name, g) for g in self.groups]
        if with_cam:
            outputs.append((CAM, None))
        if not outputs:
            raise ConfigError("the regressor has nothing to predict (no groups and no camera)")
        self.source = {name: "lf" if reads_lf(g, variant) else "f" for name, g in outputs}
        used = set(self.source.values())
        self.fuse_lf = _fuse_block(feat_channels + lf_channels, hidden) if "lf" in used else None
        self.fuse_f = _fuse_block(feat_channels, hidden) if "f" in used else None
        width = hidden + joint_inputs
        self.mlps = nn.ModuleDict()
        if mlp_hidden > 0:  # two FC-ReLU layers per source before the output Linears
            for src in sorted(used):
                self.mlps[src] = nn.Sequential(
                    nn.Linear(width, mlp_hidden), nn.ReLU(True),
                    nn.Linear(mlp_hidden, mlp_hidden), nn.ReLU(True),
                )  # fmt: skip
            width = mlp_hidden
        self.linears = nn.ModuleDict()
        for name, g in outputs:
            dim = 3 if g is None else g.dim_6d
            lin = nn.Linear(width, dim)
            nn.init.xavier_uniform_(lin.weight, gain=0.01)
            nn.init.zeros_(lin.bias)
            if g is not None and g.kind == "rotation":
                with torch.no_grad():
                    lin.bias.copy_(torch.tensor(rotation_init_6d(g)))
            elif g is not None and g.name in (vector_init or {}):
                with torch.no_grad():
                    lin.bias.copy_(torch.tensor(vector_init[g.name]))
            self.linears[name] = lin
        self.cam_offset = math.log(math.expm1(cam_init_scale))
        self.joint_inputs = joint_inputs

    @property
    def segm_source(self) -> str:
        """The fused map the segmentation branch reads: the F + LF one whenever it exists."""
        return "lf" if self.fuse_lf is not None else "f"

    def fuse(self, feat: Tensor, lf: Tensor) -> dict[str, Tensor]:
        out: dict[str, Tensor] = {}
        if self.fuse_lf is not None:
            out["lf"] = self.fuse_lf(torch.cat((feat, lf), 1))  # (B, hidden, H, W)
        if self.fuse_f is not None:
            out["f"] = self.fuse_f(feat)  # (B, hidden, H, W)
        return out

    def predict(
        self, fused: dict[str, Tensor], joints: Tensor | None = None
    ) -> tuple[dict[str, Tensor], Tensor | None]:
        """joints: (B, J, 3) soft-argmax joints, read only with ``joint_inputs`` (appended to
        every pooled feature vector, before the MLP when there is one)."""
        pooled = {k: v.mean((2, 3)) for k, v in fused.items()}  # (B, hidden)
        if self.joint_inputs:
            if joints is None or joints[0].numel() != self.joint_inputs:
                raise ShapeError(
                    f"the regressor reads {self.joint_inputs} joint coordinates; got "
                    f"{None if joints is None else tuple(joints.shape)}"
                )
            flat = joints.flatten(1)
            pooled = {k: torch.cat((v, flat), 1) for k, v in pooled.items()}
        if len(self.mlps):
            pooled = {k: self.mlps[k](v) for k, v in pooled.items()}
        params: dict[str, Tensor] = {}
        for g in self.groups:
            x = self.linears[g.name](pooled[self.source[g.name]])
            if g.kind == "rotation":
                params[f"{g.name}_rotmat"] = rot6d_to_matrix(x.reshape(-1, g.size, 6))
            else:
                params[g.name] = x  # (B, size)
        cam = None
        if CAM in self.linears:
            raw = self.linears[CAM](pooled[self.source[CAM]])  # (B, 3)
            cam = torch.cat((F.softplus(raw[:, :1] + self.cam_offset), raw[:, 1:]), -1)
        return params, cam
