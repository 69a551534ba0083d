"""The training losses of eq. 1, one module per term; weights and options in ``weights``.

Every function takes predictions, ground truth and ``has_*`` flags or confidences, returns a
scalar, and leaves missing ground truth out (0 with zero gradient when nothing is valid).
See docs/losses.md for formulas, masking, and where the defaults come from.
"""

from robosmplx.losses.box import box_loss, part_box_losses
from robosmplx.losses.contrastive import (
    build_representation,
    contrastive_loss,
    keypoint_representation,
    pairwise_distance,
    pose_representation,
)
from robosmplx.losses.keypoints2d import (
    heatmap_distribution_loss,
    heatmap_keypoints_loss,
    project_keypoints,
    projected_keypoints_loss,
)
from robosmplx.losses.keypoints3d import keypoints3d_local_loss, keypoints3d_loss
from robosmplx.losses.masking import masked_mean
from robosmplx.losses.params import (
    param_losses,
    rotation_loss,
    shape_prior_loss,
    vector_loss,
    vertices_loss,
)
from robosmplx.losses.proj import proj_loss_from_mesh, projected_mask_loss, rescale_intrinsics
from robosmplx.losses.segm import segmentation_loss
from robosmplx.losses.weights import (
    STAGE_OPTIONS,
    STAGE_WEIGHTS,
    LossOptions,
    LossWeights,
    stage_losses,
)

__all__ = [
    "STAGE_OPTIONS",
    "STAGE_WEIGHTS",
    "LossOptions",
    "LossWeights",
    "box_loss",
    "build_representation",
    "contrastive_loss",
    "heatmap_distribution_loss",
    "heatmap_keypoints_loss",
    "keypoint_representation",
    "keypoints3d_local_loss",
    "keypoints3d_loss",
    "masked_mean",
    "pairwise_distance",
    "param_losses",
    "part_box_losses",
    "pose_representation",
    "proj_loss_from_mesh",
    "project_keypoints",
    "projected_keypoints_loss",
    "projected_mask_loss",
    "rescale_intrinsics",
    "rotation_loss",
    "segmentation_loss",
    "shape_prior_loss",
    "stage_losses",
    "vector_loss",
    "vertices_loss",
]
