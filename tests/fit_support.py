"""Helpers of the fit tests: a start far from the truth and PA-MPJPE of the body joints."""

import torch

from robosmplx.geometry.camera import CANONICAL_TO_CAMERA
from robosmplx.geometry.procrustes import procrustes_align


def rest_start(body, n: int, distance: float = 5.0):
    """Rest pose facing the camera, ``distance`` metres away: (params, transl)."""
    params = body.neutral_params(n)
    params.pop("transl")
    params["global_orient_rotmat"] = CANONICAL_TO_CAMERA.expand(n, 1, 3, 3).clone()
    return params, torch.tensor([[0.0, 0.0, distance]]).expand(n, 3).clone()


def pa_mpjpe_mm(body, params, truth) -> torch.Tensor:
    """(B,) PA-MPJPE in mm over the first 14 body keypoints (pelvis, hips, knees, ankles, neck,
    shoulders, elbows, wrists)."""
    idx = torch.tensor(body.keypoint_layout.subsets["body"][:14])
    with torch.no_grad():
        a = body(**params).keypoints[:, idx]
        b = body(**truth).keypoints[:, idx]
    return (procrustes_align(a, b) - b).norm(dim=-1).mean(1) * 1000.0
