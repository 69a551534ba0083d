"""L_box known values and masking; loss weights per stage and their config round trip."""

import dataclasses

import pytest
import torch

from robosmplx.config import from_dict, to_dict
from robosmplx.errors import ConfigError
from robosmplx.losses import (
    STAGE_OPTIONS,
    STAGE_WEIGHTS,
    LossOptions,
    LossWeights,
    box_loss,
    part_box_losses,
    stage_losses,
)


def test_box_loss_known_value_normalised_by_crop():
    gt = torch.tensor([[100.0, 100.0, 40.0, 40.0]])  # centre (120, 120), size 40
    pred = torch.tensor([[110.0, 100.0, 40.0, 60.0]])  # centre (130, 130), size (40, 60)
    # |10| + |10| + 0 + |20| over 4 numbers, / 256
    assert box_loss(pred, gt, 256).item() == pytest.approx(40 / 4 / 256)
    assert box_loss(gt, gt, 256).item() == 0.0


def test_box_losses_per_part_with_flags():
    pred = {"lhand": torch.zeros(2, 4, requires_grad=True), "face": torch.zeros(2, 4)}
    batch = {
        "gt_lhand_bbox": torch.tensor([[8.0, 8.0, 8.0, 8.0], [float("nan")] * 4]),
        "has_lhand_bbox": torch.tensor([1.0, 0.0]),
        "gt_rhand_bbox": torch.ones(2, 4),
    }
    out = part_box_losses(pred, batch, 16)
    assert set(out) == {"box_lhand"}  # rhand not predicted, face has no ground truth
    assert out["box_lhand"].item() == pytest.approx((12 + 12 + 8 + 8) / 4 / 16)
    out["box_lhand"].backward()
    assert pred["lhand"].grad[1].abs().sum() == 0 and torch.isfinite(pred["lhand"].grad).all()


def test_stage_weights_follow_the_released_configs():
    body, hand, face, whole = (STAGE_WEIGHTS[s] for s in ("body", "hand", "face", "wholebody"))
    assert (body.keypoints3d, body.keypoints2d, body.heatmap_joints) == (100.0, 10.0, 10.0)
    assert (body.vertices, body.rotation, body.betas, body.contrastive) == (2.0, 3.0, 0.02, 2.0)
    assert (hand.rotation, hand.shape_prior, hand.proj, hand.betas) == (1.0, 1.0, 10.0, 0.0)
    assert (face.keypoints3d, face.heatmap_joints, face.expression) == (0.0, 10.0, 1.0)
    assert (whole.proj, whole.contrastive, whole.box, whole.betas) == (0.0, 0.0, 1.0, 1.0)
    assert STAGE_OPTIONS["body"].rotation_kind == "l1"
    assert STAGE_OPTIONS["hand"].rotation_kind == "geodesic"
    assert STAGE_OPTIONS["face"].expression_kind == "mse"
    assert stage_losses("hand") == (STAGE_WEIGHTS["hand"], STAGE_OPTIONS["hand"])


def test_weights_are_frozen_and_load_from_config_dicts():
    w = STAGE_WEIGHTS["body"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        w.proj = 1.0
    assert from_dict(LossWeights, to_dict(w)) == w
    assert from_dict(LossOptions, {"contrastive_distance": "mse"}).contrastive_distance == "mse"
    with pytest.raises(ConfigError, match="unknown key"):
        from_dict(LossWeights, {"keypoint3d": 1.0})
    with pytest.raises(ConfigError, match="must be >= 0"):
        LossWeights(proj=-1.0)
    with pytest.raises(ConfigError, match="not one of"):
        from_dict(LossOptions, {"rotation_kind": "quaternion"})
    with pytest.raises(ConfigError, match="unknown stage"):
        stage_losses("feet")
