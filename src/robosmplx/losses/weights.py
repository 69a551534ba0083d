"""Loss weights (the lambdas of eq. 1) and loss options, with per-stage defaults.

Defaults per stage follow the released configurations (docs UPSTREAM.md, loss table). Where that
table and the paper differ, the choice and its reason are noted in docs/losses.md. Both classes
are frozen dataclasses, so they load from YAML through :mod:`robosmplx.config` with unknown keys
rejected and are saved beside every checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from robosmplx.errors import ConfigError
from robosmplx.stage import get_stage

Stage = Literal["body", "hand", "face", "wholebody"]


@dataclass(frozen=True)
class LossWeights:
    """Multiplier per loss term; 0 switches a term off (it is then not computed)."""

    keypoints3d: float = 1.0  # L_3D
    keypoints3d_local: float = 0.0  # L_3D in the body frame (extension, docs/losses.md)
    keypoints2d: float = 1.0  # L_2D, projected joints
    heatmap_joints: float = 1.0  # L_2D, soft-argmax joints
    heatmap_dist: float = 0.0  # Gaussian target on the heatmaps' x-y marginal (extension)
    segm: float = 10.0  # L_segm
    proj: float = 10.0  # L_proj
    contrastive: float = 2.0  # L_con
    rotation: float = 1.0  # L_BM, all rotation groups
    betas: float = 0.0  # L_BM, shape against ground truth
    expression: float = 0.0  # L_BM
    vertices: float = 0.0  # L_BM, mesh vertices
    shape_prior: float = 0.0  # L_BM, L2 on predicted betas
    box: float = 0.0  # L_box (whole body)

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if value < 0:
                raise ConfigError(f"loss weight {name} = {value}: weights must be >= 0")


@dataclass(frozen=True)
class LossOptions:
    """How each term is computed (distance kinds, cameras, contrastive representation)."""

    rotation_kind: Literal["l1", "geodesic"] = "l1"
    betas_kind: Literal["l1", "mse"] = "l1"
    expression_kind: Literal["l1", "mse"] = "l1"
    projection_camera: Literal["weak", "perspective"] = "perspective"
    heatmap_depth: bool = True  # supervise soft-argmax depth with root-relative 3D depth
    depth_range: float = 2.0  # metres spanned by the heatmap depth axis
    heatmap_sigma: float = 1.0  # heatmap_dist target's standard deviation, in heatmap cells
    proj_kind: Literal["bce", "ce"] = "bce"
    contrastive_representation: Literal["keypoints", "pose", "go+pose"] = "keypoints"
    # keypoints' target p: "params" poses the ground-truth parameters (the paper's; samples
    # without them fall back to their 3D keypoints), "keypoints" reads the 3D keypoints only
    contrastive_target: Literal["params", "keypoints"] = "params"
    # shape prior: betas further than this from the model's mean shape are penalised (0: all;
    # the release's 1.0 suits SMPL-X's unit-variance betas, not Anny's 0..1 phenotype values)
    shape_prior_margin: float = 0.0
    contrastive_distance: Literal["l1", "smooth_l1", "mse"] = "l1"
    contrastive_rotation_form: Literal["6d", "rotmat"] = "6d"
    tau_pos: float = 1.0
    tau_neg: float = 1.0

    def __post_init__(self) -> None:
        if self.depth_range <= 0:
            raise ConfigError(f"depth_range = {self.depth_range}: must be > 0 (metres)")
        if self.heatmap_sigma <= 0:
            raise ConfigError(f"heatmap_sigma = {self.heatmap_sigma}: must be > 0 (cells)")
        if self.tau_pos < 0 or self.tau_neg < 0:
            raise ConfigError(f"tau_pos / tau_neg = {self.tau_pos} / {self.tau_neg}: must be >= 0")


STAGE_WEIGHTS: dict[str, LossWeights] = {
    "body": LossWeights(
        keypoints3d=100.0,
        keypoints2d=10.0,
        heatmap_joints=10.0,
        segm=10.0,
        proj=10.0,
        contrastive=2.0,
        rotation=3.0,
        betas=0.02,
        vertices=2.0,
    ),
    "hand": LossWeights(
        keypoints3d=1.0,
        keypoints2d=1.0,
        heatmap_joints=1.0,
        segm=10.0,
        proj=10.0,
        contrastive=2.0,
        rotation=1.0,
        shape_prior=1.0,
    ),
    "face": LossWeights(
        keypoints3d=0.0,
        keypoints2d=1.0,
        heatmap_joints=10.0,
        segm=10.0,
        proj=10.0,
        contrastive=2.0,
        rotation=1.0,
        expression=1.0,
        shape_prior=1.0,
    ),
    "wholebody": LossWeights(
        keypoints3d=1.0,
        keypoints2d=1.0,
        heatmap_joints=1.0,
        segm=0.0,
        proj=0.0,
        contrastive=0.0,
        rotation=1.0,
        betas=1.0,
        expression=1.0,
        box=1.0,
    ),
}

STAGE_OPTIONS: dict[str, LossOptions] = {
    "body": LossOptions(rotation_kind="l1", depth_range=2.0),
    "hand": LossOptions(rotation_kind="geodesic", depth_range=0.3),
    "face": LossOptions(rotation_kind="geodesic", expression_kind="mse", depth_range=0.3),
    "wholebody": LossOptions(rotation_kind="l1", expression_kind="l1", depth_range=2.0),
}


def stage_losses(stage: str) -> tuple[LossWeights, LossOptions]:
    """Default (weights, options) of a training stage: body, hand, face or wholebody."""
    name = get_stage(stage).name
    return STAGE_WEIGHTS[name], STAGE_OPTIONS[name]
