"""Baseline HMR (the paper's "Base" rows of Tables 11 and 12): backbone -> pooled feature ->
parameters, without the Localization Module.

``iterative`` is HMR's error feedback: starting from the mean parameters (identity rotations,
neutral vectors, scale ``cam_init_scale``), ``iterations`` times concat(feature, current estimate)
-> FC-ReLU-Dropout x 2 -> an update added to the estimate. ``direct`` is one Linear from the
pooled feature. Rotations are 6D, the camera scale goes through softplus as in the heads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from robosmplx.body.base import ParamGroup
from robosmplx.config import require_positive
from robosmplx.errors import ConfigError
from robosmplx.geometry.rotations import rot6d_to_matrix
from robosmplx.models.backbones import Backbone, BackboneConfig
from robosmplx.models.heads import rotation_init_6d
from robosmplx.models.kinds import register_kind
from robosmplx.models.outputs import Prediction
from robosmplx.models.signature import BodySignature, group_problems
from robosmplx.models.subnetwork import CAM_INIT_SCALE, check_image, check_source, subnetwork_config


def _hmr_backbone() -> BackboneConfig:
    return BackboneConfig(name="resnet50", out_channels=2048, output_stride=32)


@dataclass(frozen=True)
class HMRConfig:
    """groups: what to regress (plus the camera). backbone: usually a plain ResNet (stride 32)."""

    groups: tuple[ParamGroup, ...]
    backbone: BackboneConfig = field(default_factory=_hmr_backbone)
    input_size: int = 256
    regressor: Literal["iterative", "direct"] = "iterative"
    iterations: int = 3
    hidden: int = 1024
    dropout: float = 0.5
    cam_init_scale: float = 0.9
    vector_init: dict[str, tuple[float, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        require_positive(self, "input_size", "iterations", "hidden")

    @property
    def predicted_groups(self) -> tuple[ParamGroup, ...]:
        """Every parameter group this network predicts."""
        return tuple(self.groups)

    @property
    def task(self) -> str:
        """The crops it reads: ``hand`` when it predicts only hand groups (with the global
        orientation and vectors), else ``body``."""
        hand = all(
            g.part == "hand" or g.name == "global_orient" or g.kind == "vector" for g in self.groups
        )
        return "hand" if hand else "body"

    @property
    def crop_size(self) -> int:
        """Side of the dataset crop it reads (its input)."""
        return self.input_size

    def body_model_problems(self, body_model) -> list[str]:
        """How its groups disagree with ``body_model`` (empty when it fits)."""
        return group_problems(self.predicted_groups, body_model)


def hmr_config(signature: BodySignature, part: str = "body", **options) -> HMRConfig:
    """HMR config regressing the ``part`` subnetwork's groups including its global branch."""
    sub = subnetwork_config(signature, part, with_global=True)  # type: ignore[arg-type]
    options.setdefault("cam_init_scale", CAM_INIT_SCALE[part])
    options.setdefault("vector_init", dict(signature.vector_defaults))
    return HMRConfig(groups=sub.predicted_groups, **options)


@register_kind("hmr", HMRConfig)
class HMR(nn.Module):
    """forward(img (B, 3, S, S)) -> :class:`Prediction` (no heatmap joints, no masks)."""

    def __init__(self, cfg: HMRConfig):
        super().__init__()
        if cfg.iterations < 1:
            raise ConfigError(f"HMR iterations must be >= 1, got {cfg.iterations}")
        self.config = cfg
        self.backbone = Backbone(cfg.backbone)
        c = self.backbone.out_channels
        init = []
        for g in cfg.groups:
            if g.kind == "rotation":
                init += list(rotation_init_6d(g))
            else:
                init += list(cfg.vector_init.get(g.name, (0.0,) * g.size))
        init += [0.0, 0.0, 0.0]  # raw camera; the scale offset is added in decode
        self.register_buffer("init_theta", torch.tensor(init))
        n = len(init)
        if cfg.regressor == "iterative":
            self.mlp = nn.Sequential(
                nn.Linear(c + n, cfg.hidden),
                nn.ReLU(True),
                nn.Dropout(cfg.dropout),
                nn.Linear(cfg.hidden, cfg.hidden),
                nn.ReLU(True),
                nn.Dropout(cfg.dropout),
            )
            self.decoder = nn.Linear(cfg.hidden, n)
        else:
            self.mlp = None
            self.decoder = nn.Linear(c, n)
        nn.init.xavier_uniform_(self.decoder.weight, gain=0.01)
        nn.init.zeros_(self.decoder.bias)
        self.cam_offset = math.log(math.expm1(cfg.cam_init_scale))

    def forward_features(self, img: Tensor) -> Tensor:
        """(B, 3, S, S) -> pooled feature (B, C)."""
        check_image(img, self.backbone.output_stride, "HMR input")
        return self.backbone(img).mean((2, 3))

    def decode(self, theta: Tensor) -> tuple[dict[str, Tensor], Tensor]:
        """(B, n) flat estimate -> (params in rotmat form, cam (B, 3))."""
        params, i = {}, 0
        for g in self.config.groups:
            x = theta[:, i : i + g.dim_6d]
            i += g.dim_6d
            if g.kind == "rotation":
                params[f"{g.name}_rotmat"] = rot6d_to_matrix(x.reshape(-1, g.size, 6))
            else:
                params[g.name] = x
        raw = theta[:, i : i + 3]
        cam = torch.cat((F.softplus(raw[:, :1] + self.cam_offset), raw[:, 1:]), -1)
        return params, cam

    def forward_head(self, feat: Tensor) -> Prediction:
        theta = self.init_theta.expand(feat.shape[0], -1)  # (B, n)
        if self.mlp is None:
            theta = theta + self.decoder(feat)
        else:
            for _ in range(self.config.iterations):
                theta = theta + self.decoder(self.mlp(torch.cat((feat, theta), 1)))
        params, cam = self.decode(theta)
        return Prediction(pred_params=params, pred_cam=cam)

    def forward(self, img: Tensor) -> Prediction:
        return self.forward_head(self.forward_features(img))

    def forward_source(self, img: Tensor) -> Prediction:
        """The one entry callers use: (B, 3, crop_size, crop_size) normalised dataset crops."""
        check_source(img, self.config.crop_size, "HMR")
        return self(img)
