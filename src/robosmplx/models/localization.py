"""Localization Module (paper Section 4.2): 3D joint heatmaps LF, soft-argmax joints, part masks.

Normalised crop coordinates: a crop of side S maps to [-1, 1] with pixel centres at
``(u + 0.5) * 2 / S - 1`` (the convention of ``grid_sample(align_corners=False)``), so -1 and 1
are the crop's outer edges and pixel (0, 0) is the centre of the top-left pixel, as in
docs/contracts.md. Heatmap cells use the same rule, so a cell's coordinate is its centre.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F


def cell_centers(n: int, device=None, dtype=None) -> Tensor:
    """(n,) normalised coordinates of the centres of ``n`` cells spanning [-1, 1]."""
    return (torch.arange(n, device=device, dtype=dtype) + 0.5) * (2.0 / n) - 1.0


def soft_argmax_3d(heatmaps: Tensor) -> Tensor:
    """Softmax over each joint's volume, then the expected cell centre.

    heatmaps: (B, J, D, H, W) logits -> (B, J, 3) (x, y, z) in [-1, 1]: x over W, y over H,
    z over depth D. Differentiable; a volume with one dominant logit returns that cell's centre.
    """
    b, j, d, h, w = heatmaps.shape
    prob = heatmaps.reshape(b, j, -1).softmax(-1).reshape(b, j, d, h, w)
    dt, dev = heatmaps.dtype, heatmaps.device
    x = (prob.sum((2, 3)) * cell_centers(w, dev, dt)).sum(-1)  # (B, J)
    y = (prob.sum((2, 4)) * cell_centers(h, dev, dt)).sum(-1)  # (B, J)
    z = (prob.sum((3, 4)) * cell_centers(d, dev, dt)).sum(-1)  # (B, J)
    return torch.stack((x, y, z), -1)


class LocalizationModule(nn.Module):
    """A 1x1 conv F (B, C, H, W) -> LF (B, J*D, H, W), read as J volumes of depth D.

    Returns ``(lf, joints)`` with joints (B, J, 3) from :func:`soft_argmax_3d`.
    """

    def __init__(self, in_channels: int, num_joints: int, depth: int):
        super().__init__()
        self.num_joints, self.depth = num_joints, depth
        self.heatmap = nn.Conv2d(in_channels, num_joints * depth, 1)
        nn.init.normal_(self.heatmap.weight, std=1e-3)
        nn.init.zeros_(self.heatmap.bias)

    @property
    def out_channels(self) -> int:
        return self.num_joints * self.depth

    def volume(self, lf: Tensor) -> Tensor:
        """LF (B, J*D, H, W) read as J heatmap volumes (B, J, D, H, W)."""
        b, _, h, w = lf.shape
        return lf.reshape(b, self.num_joints, self.depth, h, w)

    def forward(self, feat: Tensor) -> tuple[Tensor, Tensor]:
        lf = self.heatmap(feat)  # (B, J*D, H, W)
        return lf, soft_argmax_3d(self.volume(lf))  # (B, J, 3)


class PartSegmentationHead(nn.Module):
    """Dense branch: bilinear upsample, 3x3 conv to ``mid`` + BN + ReLU, three more such
    blocks, 1x1 conv to P + 1 logits (background first). Output stride 8 input -> S/4 masks."""

    def __init__(self, in_channels: int, num_parts: int, mid: int = 128, upsample: int = 2):
        super().__init__()
        self.upsample = upsample
        blocks: list[nn.Module] = []
        cin = in_channels
        for _ in range(4):
            blocks += [nn.Conv2d(cin, mid, 3, padding=1, bias=False), nn.BatchNorm2d(mid)]
            blocks.append(nn.ReLU(inplace=True))
            cin = mid
        self.blocks = nn.Sequential(*blocks)
        self.classifier = nn.Conv2d(mid, num_parts + 1, 1)

    def forward(self, feat: Tensor) -> Tensor:
        if self.upsample != 1:
            feat = F.interpolate(feat, scale_factor=self.upsample, mode="bilinear")
        return self.classifier(self.blocks(feat))  # (B, P+1, S/4, S/4)
