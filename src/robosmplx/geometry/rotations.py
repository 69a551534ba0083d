"""Rotation conversions (axis-angle, 6D, matrices) on top of ``roma``.

6D is the continuous representation of Zhou et al.: the first two columns of the matrix,
flattened as (a1, a2) with each column 3 values, Gram-Schmidt on the way back.
"""

from __future__ import annotations

import math

import roma
import torch
from torch import Tensor


def axis_angle_to_matrix(aa: Tensor) -> Tensor:
    """(..., 3) axis-angle -> (..., 3, 3)."""
    return roma.rotvec_to_rotmat(aa)


def matrix_to_axis_angle(m: Tensor) -> Tensor:
    """(..., 3, 3) -> (..., 3) axis-angle."""
    return roma.rotmat_to_rotvec(m)


def rot6d_to_matrix(x: Tensor) -> Tensor:
    """(..., 6) -> (..., 3, 3). Columns are Gram-Schmidt orthonormalised."""
    a1, a2 = x[..., 0:3], x[..., 3:6]
    b1 = torch.nn.functional.normalize(a1, dim=-1, eps=1e-8)
    b2 = a2 - (b1 * a2).sum(-1, keepdim=True) * b1
    b2 = torch.nn.functional.normalize(b2, dim=-1, eps=1e-8)
    b3 = torch.cross(b1, b2, dim=-1)
    return torch.stack((b1, b2, b3), dim=-1)


def matrix_to_rot6d(m: Tensor) -> Tensor:
    """(..., 3, 3) -> (..., 6): first two columns."""
    return torch.cat((m[..., :, 0], m[..., :, 1]), dim=-1)


def axis_angle_to_rot6d(aa: Tensor) -> Tensor:
    return matrix_to_rot6d(axis_angle_to_matrix(aa))


def rot6d_to_axis_angle(x: Tensor) -> Tensor:
    return matrix_to_axis_angle(rot6d_to_matrix(x))


def geodesic_distance(a: Tensor, b: Tensor) -> Tensor:
    """(..., 3, 3) x2 -> (...,) angle of a^T b in radians, from ||a - b||_F = 2 sqrt(2) sin(angle/2).

    Exact near zero (no floor from clamping an arccos) with a finite, zero gradient when
    a == b; the arcsine input stays just below 1 so the gradient stays finite near pi.
    """
    fro = ((a - b).square().sum((-1, -2)) + 1e-12).sqrt()  # (...,)
    return 2.0 * torch.asin((fro / (2.0 * math.sqrt(2.0))).clamp_max(1.0 - 1e-7))


def mirror_rotation(m: Tensor) -> Tensor:
    """Mirror rotation matrices across the YZ plane (x -> -x): M R M with M = diag(-1, 1, 1).

    This is how a left-hand pose becomes the equivalent right-hand pose and back.
    """
    s = torch.tensor([-1.0, 1.0, 1.0], dtype=m.dtype, device=m.device)
    return m * s[:, None] * s[None, :]


def mirror_axis_angle(aa: Tensor) -> Tensor:
    """(..., 3) axis-angle mirrored across the YZ plane: (x, y, z) -> (x, -y, -z)."""
    return aa * torch.tensor([1.0, -1.0, -1.0], dtype=aa.dtype, device=aa.device)
