"""Part label tables shared by every body model, and the generic face-part rule.

Body parts are SMPL's 24 (one per SMPL joint's region), hand parts are the palm plus the 15
finger segments (thumb first), face parts are the 15 regions of :func:`face_parts_from_geometry`.
"""

from __future__ import annotations

import torch
from torch import Tensor

BODY_PARTS = (
    "pelvis", "L_thigh", "R_thigh", "spine1", "L_calf", "R_calf", "spine2", "L_foot", "R_foot",
    "spine3", "L_toes", "R_toes", "neck", "L_collar", "R_collar", "head", "L_upperarm",
    "R_upperarm", "L_forearm", "R_forearm", "L_wrist", "R_wrist", "L_hand", "R_hand",
)  # fmt: skip

HAND_PARTS = ("palm",) + tuple(
    f"{f}_{s}" for f in ("thumb", "index", "middle", "ring", "pinky") for s in (1, 2, 3)
)

FACE_PARTS = (
    "neck", "back_of_head", "top_of_head", "L_side", "R_side",
    "L_forehead", "R_forehead", "L_eye", "R_eye", "L_nose_cheek", "R_nose_cheek",
    "L_mouth", "R_mouth", "L_chin", "R_chin",
)  # fmt: skip


def flip_permutation(names: tuple[str, ...]) -> tuple[int, ...]:
    """Index permutation swapping ``L_``/``R_`` prefixed names (others map to themselves)."""
    out = []
    for n in names:
        m = "R_" + n[2:] if n.startswith("L_") else "L_" + n[2:] if n.startswith("R_") else n
        out.append(names.index(m))
    return tuple(out)


def face_parts_from_geometry(
    vertices: Tensor, head_mask: Tensor, neck_y: float, head_center: Tensor
) -> Tensor:
    """15 face parts for the head vertices of a rest-pose mesh, -1 elsewhere.

    vertices: (V, 3) canonical frame (Y up, facing +Z, left at +X); head_mask: (V,) bool, the
    head and neck; neck_y: height of the skull base; head_center: (3,) head centroid.
    Rule: the face is what lies in front of the centre, down to the chin (the lowest vertex
    well in front of the centre); below the chin, or below the skull base behind the face ->
    neck; behind the centre -> back of head; the top fifth -> top; |x| beyond 70 % of the
    half-width -> left/right side (ears); the face is cut left/right and into five rows from
    its top to the chin: forehead, eyes, nose/cheeks, mouth, chin. The same rule serves Anny
    and the SMPL-X family.
    """
    v = vertices
    lab = torch.full((v.shape[0],), -1, dtype=torch.long)
    m = head_mask.bool()
    if not bool(m.any()):
        return lab
    x = v[:, 0] - head_center[0]
    y, z = v[:, 1], v[:, 2]
    zc = float(head_center[2])
    zmax = float(z[m].max())
    forward = m & (z > zc + 0.4 * (zmax - zc)) & (y > neck_y - 0.15)
    chin_y = float(y[forward].min()) if bool(forward.any()) else neck_y
    top = float(y[m].max())
    above = m & (y >= neck_y)
    half_w = float(x[above].abs().max()) if bool(above.any()) else 1.0
    left = x > 0
    front = z >= zc
    side = x.abs() > 0.7 * half_w
    rel = (top - y) / max(top - chin_y, 1e-6)  # 0 at the crown, 1 at the chin
    row = ((rel.clamp(0.2, 0.999) - 0.2) / 0.8 * 5).floor().long().clamp(0, 4)
    out = torch.where(front, 5 + row * 2 + (~left).long(), torch.ones_like(lab))
    out = torch.where(side, torch.where(left, 3, 4), out)
    out = torch.where(rel < 0.2, torch.full_like(out, 2), out)
    neck = (y < chin_y) | ((y < neck_y) & ~front)
    out = torch.where(neck, torch.zeros_like(out), out)
    return torch.where(m, out, lab)
