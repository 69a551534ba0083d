"""The one subnetwork design shared by Body, Hand and Face (paper Figure 6).

image (B, 3, S, S) -> backbone F (B, C, S/8, S/8) -> Localization Module (LF heatmaps,
soft-argmax joints (B, J, 3)) -> regressor (parameters, camera) and part segmentation
(B, P+1, S/4, S/4). What a subnetwork predicts and how many joints and parts it has come from
the body model's signature (:func:`subnetwork_config`), never from constants.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from torch import Tensor, nn

from robosmplx.body.base import ParamGroup
from robosmplx.config import require_positive
from robosmplx.errors import ConfigError, ShapeError
from robosmplx.models.backbones import Backbone, BackboneConfig
from robosmplx.models.heads import ParamRegressor
from robosmplx.models.kinds import register_kind
from robosmplx.models.localization import LocalizationModule, PartSegmentationHead
from robosmplx.models.outputs import Prediction
from robosmplx.models.signature import BodySignature, group_problems
from robosmplx.stage import STAGES

Part = Literal["body", "hand", "face"]

# Initial weak-perspective scale per part: a body filling its crop (HMR's 0.9); a hand
# (~0.19 m wrist to fingertip) in a box twice its extent (~2 / 0.38 m); a face (~0.16 m)
# in a box 1.5 times its extent (~2 / 0.24 m). Only the starting point of training.
CAM_INIT_SCALE = {"body": 0.9, "hand": 5.0, "face": 8.0}


@dataclass(frozen=True)
class SubNetworkConfig:
    """part: ``body``, ``hand`` (right hands; left ones arrive mirrored) or ``face``.
    groups: what the part predicts in whole-body use; global_groups: the orient/shape branch
    predicted (with the camera) only when ``with_global``. num_joints J and num_parts P size the
    Localization Module. heatmap_depth D is LF's depth bins (the paper's 32 = F's side at 256).
    hidden: width of the regressor's fused map (paper 512), also the segmentation input.
    vector_init: where vector outputs start (the body model's neutral values; zeros if absent).
    joint_inputs: also feed the regressor the Localization Module's soft-argmax joints (J x 3
    numbers) next to the pooled features; regressor_mlp: width of two FC-ReLU layers between
    the pooled features and the output Linears (0: none, the paper's design) - extensions beyond
    the paper, off by default (docs/models.md)."""

    part: Part
    groups: tuple[ParamGroup, ...]
    num_joints: int
    num_parts: int
    global_groups: tuple[ParamGroup, ...] = ()
    with_global: bool = True
    backbone: BackboneConfig = field(default_factory=BackboneConfig)
    input_size: int = 256
    heatmap_depth: int = 32
    lf_variant: Literal["none", "pose", "all"] = "all"
    hidden: int = 512
    segm_channels: int = 128
    cam_init_scale: float = 0.9
    vector_init: dict[str, tuple[float, ...]] = field(default_factory=dict)
    joint_inputs: bool = False
    regressor_mlp: int = 0

    def __post_init__(self) -> None:
        require_positive(self, "num_joints", "num_parts", "input_size", "heatmap_depth", "hidden",
                         "segm_channels")  # fmt: skip

    @property
    def predicted_groups(self) -> tuple[ParamGroup, ...]:
        """Every parameter group this network predicts."""
        return self.groups + (self.global_groups if self.with_global else ())

    @property
    def task(self) -> str:
        """The crops it reads: ``body``, ``hand`` or ``face``."""
        return self.part

    @property
    def crop_size(self) -> int:
        """Side of the dataset crop it reads (its input)."""
        return self.input_size

    def body_model_problems(self, body_model) -> list[str]:
        """How its groups disagree with ``body_model`` (empty when it fits)."""
        return group_problems(self.predicted_groups, body_model)


def _global_groups(sig: BodySignature) -> tuple[ParamGroup, ...]:
    """global_orient plus the shape vectors (vector groups of part ``body``)."""
    return tuple(
        g
        for g in sig.groups
        if g.name == "global_orient" or (g.kind == "vector" and g.part == "body")
    )


def subnetwork_config(
    signature: BodySignature,
    part: Part,
    *,
    with_global: bool = True,
    backbone: BackboneConfig | None = None,
    **options,
) -> SubNetworkConfig:
    """Config of the ``part`` subnetwork sized from ``signature``; ``options`` are the other
    :class:`SubNetworkConfig` fields (input_size, heatmap_depth, lf_variant, hidden, ...).

    Body: J = whole-body keypoints, P = body parts, groups = body groups that are not global.
    Hand: J, groups from the ``rhand`` part view, P = hand parts. Face: the ``face`` view.
    """
    glob = _global_groups(signature)
    glob_names = {g.name for g in glob}
    if part == "body":
        groups = tuple(g for g in signature.groups if g.part == "body" and g.name not in glob_names)
        joints = signature.num_keypoints
    elif part in ("hand", "face"):
        view = STAGES[part].view
        groups = tuple(signature.group(n) for n in signature.part_groups[view])
        joints = len(signature.part_keypoints[view])
    else:
        raise ConfigError(f"subnetwork part {part!r}: choose body, hand or face")
    options.setdefault("cam_init_scale", CAM_INIT_SCALE[part])
    options.setdefault("vector_init", dict(signature.vector_defaults))
    return SubNetworkConfig(
        part=part,
        groups=groups,
        num_joints=joints,
        num_parts=signature.part_counts[part],
        global_groups=glob,
        with_global=with_global,
        backbone=backbone or BackboneConfig(),
        **options,
    )


def check_image(img: Tensor, stride: int, what: str) -> None:
    """Raise :class:`ShapeError` unless ``img`` is (B, 3, H, W) with H, W multiples of stride."""
    if img.dim() != 4 or img.shape[1] != 3:
        raise ShapeError(f"{what}: expected an image batch (B, 3, H, W), got {tuple(img.shape)}")
    if img.shape[-1] % stride or img.shape[-2] % stride:
        raise ShapeError(
            f"{what}: image side {tuple(img.shape[-2:])} must be a multiple of the backbone's "
            f"output stride {stride}; resize or crop to e.g. {max(stride, img.shape[-1] // stride * stride)}"
        )


def check_source(img: Tensor, size: int, what: str) -> None:
    """Raise :class:`ShapeError` unless ``img`` is a batch of (3, size, size) crops."""
    if img.dim() != 4 or tuple(img.shape[1:]) != (3, size, size):
        raise ShapeError(
            f"{what}: expected crops (B, 3, {size}, {size}) (the config's crop_size), "
            f"got {tuple(img.shape)}"
        )


@register_kind("subnetwork", SubNetworkConfig)
class SubNetwork(nn.Module):
    """Backbone + Localization Module + regressor + part segmentation, configured by
    :class:`SubNetworkConfig`. forward(img (B, 3, S, S)) -> :class:`Prediction`."""

    def __init__(self, cfg: SubNetworkConfig):
        super().__init__()
        if cfg.num_joints < 1 or cfg.num_parts < 1 or cfg.heatmap_depth < 1:
            raise ConfigError(
                f"{cfg.part} subnetwork: num_joints, num_parts and heatmap_depth must be positive "
                f"(got {cfg.num_joints}, {cfg.num_parts}, {cfg.heatmap_depth})"
            )
        self.config = cfg
        self.backbone = Backbone(cfg.backbone)
        c = self.backbone.out_channels
        if cfg.backbone.output_stride < 4:
            raise ConfigError("subnetworks need a backbone output stride of at least 4")
        self.localization = LocalizationModule(c, cfg.num_joints, cfg.heatmap_depth)
        self.regressor = ParamRegressor(
            c,
            self.localization.out_channels,
            cfg.predicted_groups,
            variant=cfg.lf_variant,
            with_cam=cfg.with_global,
            cam_init_scale=cfg.cam_init_scale,
            hidden=cfg.hidden,
            vector_init=cfg.vector_init,
            joint_inputs=3 * cfg.num_joints if cfg.joint_inputs else 0,
            mlp_hidden=cfg.regressor_mlp,
        )
        self.segmentation = PartSegmentationHead(
            cfg.hidden, cfg.num_parts, cfg.segm_channels, upsample=cfg.backbone.output_stride // 4
        )

    def forward_features(self, img: Tensor) -> Tensor:
        """(B, 3, S, S) normalised crops -> F (B, C, S/8, S/8)."""
        check_image(img, self.backbone.output_stride, f"{self.config.part} subnetwork input")
        return self.backbone(img)

    def forward_head(self, feat: Tensor) -> Prediction:
        lf, joints = self.localization(feat)  # (B, J*D, h, w), (B, J, 3)
        fused = self.regressor.fuse(feat, lf)
        segm = self.segmentation(fused[self.regressor.segm_source])  # (B, P+1, S/4, S/4)
        params, cam = self.regressor.predict(fused, joints)
        return Prediction(
            pred_params=params, pred_cam=cam, pred_joints_hm=joints, pred_segm_logits=segm,
            pred_heatmaps=self.localization.volume(lf),
        )  # fmt: skip

    def forward(self, img: Tensor) -> Prediction:
        return self.forward_head(self.forward_features(img))

    def forward_source(self, img: Tensor) -> Prediction:
        """The one entry callers use: (B, 3, crop_size, crop_size) normalised dataset crops."""
        check_source(img, self.config.crop_size, f"{self.config.part} subnetwork")
        return self(img)
