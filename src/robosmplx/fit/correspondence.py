"""Which body-model point each MediaPipe landmark is, once per body family.

Every landmark maps to a *model point*: a keypoint of the model's own layout by name
(``L_Wrist``), a named surface point found on the rest mesh by a stated rule (below), or a fixed
blend of two of them. The tables are written in names; :func:`correspondence` resolves them for
one body model into indices into ``cat(keypoints, vertices)`` and blend weights, so the fit
gathers every model point in one ``index_select``.

- BlazePose-33 -> the body layout (Hand4Whole's 25 names exist in both families): eyes, ears,
  nose, shoulders, elbows, wrists, knees, ankles, heels directly; the mouth corners and eye
  corners are face points (below); ``*_pinky``/``*_index``/``*_thumb`` are the pinky and index
  knuckles and the thumb's second joint, at a low weight (BlazePose places them loosely; the hand
  landmarks do the fingers); ``*_foot_index`` is 0.7 big toe + 0.3 small toe.
- Hips: BlazePose's hip landmarks sit higher and further out than a body model's hip joint
  centre (near the greater trochanter, on the surface). The model point is 0.6 hip joint +
  0.4 the hip surface point ``*_Hip_Surface`` (the outermost thigh/pelvis vertex at the hip
  joint's height at rest), weighted 0.5. The world-landmark root (origin between MediaPipe's
  hips) is the mean of these two points, so both agree on where the root is.
- Shoulders: BlazePose's shoulder landmarks sit above a body model's shoulder joint centre
  (toward the top of the shoulder). On the synthetic engine's Anny renders (55 people, the
  detector on the rendered photos against the true joints) they lie 0.043-0.054 torso lengths
  (about 2 cm) above the joint; the top-of-shoulder surface point ``*_Shoulder_Top`` (the
  highest upper-arm/collar vertex within 3 cm of the joint's vertical line at rest) is 6 cm
  above it, so the model point is 0.65 joint + 0.35 that point. Matching the joint itself made
  the fit squeeze the torso (fitted hips a few centimetres high on real photos).
- A blend partner a model cannot place drops out (the rest renormalised).
- Hand-21 -> the ``lhand``/``rhand`` subsets (wrist, then 4 points per finger, thumb first:
  MediaPipe's CMC/MCP/IP/tip and MCP/PIP/DIP/tip in the same order). MediaPipe's ``left`` is
  the person's left, as ``L_`` is here.
- Face: a small subset of the 468-point mesh with a clear meaning: nose tip, chin, eye corners,
  mouth corners, lip mid points, brow ends. SMPL-X has them as 300-W landmarks (keypoints by
  name). Anny has no named face points: they are the rest-mesh vertices nearest to the
  positions in :data:`ANNY_FACE_POINTS` (measured on Anny's neutral mesh where its facial
  actions move the lips, lids and brows most), so every Anny topology resolves them alike.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
from torch import Tensor

from robosmplx.body.base import BodyModel, BodyOutput
from robosmplx.errors import ConfigError
from robosmplx.landmarks.types import BODY33, HAND21

HIP_BLEND = 0.4  # share of the surface point in a BlazePose hip
HIP_WEIGHT = 0.5
SHOULDER_BLEND = 0.35  # share of the shoulder's top surface point in a BlazePose shoulder
HAND_POINT_WEIGHT = 0.3  # BlazePose's own pinky/index/thumb points

# BlazePose name -> ((model point, blend), ...), weight. ``L``/``R``: the person's side.
_BODY_SIDED = {
    "eye_inner": ((("{S}_Eye_Inner", 1.0),), 0.5),
    "eye": ((("{S}_Eye", 1.0),), 1.0),
    "eye_outer": ((("{S}_Eye_Outer", 1.0),), 0.5),
    "ear": ((("{S}_Ear", 1.0),), 0.5),
    "shoulder": (
        (("{S}_Shoulder", 1.0 - SHOULDER_BLEND), ("{S}_Shoulder_Top", SHOULDER_BLEND)),
        1.0,
    ),
    "elbow": ((("{S}_Elbow", 1.0),), 1.0),
    "wrist": ((("{S}_Wrist", 1.0),), 1.0),
    "pinky": ((("{S}_Pinky_1", 1.0),), HAND_POINT_WEIGHT),
    "index": ((("{S}_Index_1", 1.0),), HAND_POINT_WEIGHT),
    "thumb": ((("{S}_Thumb_2", 1.0),), HAND_POINT_WEIGHT),
    "hip": ((("{S}_Hip", 1.0 - HIP_BLEND), ("{S}_Hip_Surface", HIP_BLEND)), HIP_WEIGHT),
    "knee": ((("{S}_Knee", 1.0),), 1.0),
    "ankle": ((("{S}_Ankle", 1.0),), 1.0),
    "heel": ((("{S}_Heel", 1.0),), 0.7),
    "foot_index": ((("{S}_Big_toe", 0.7), ("{S}_Small_toe", 0.3)), 0.7),
}


def _body_table() -> dict[str, tuple[tuple[tuple[str, float], ...], float]]:
    table = {"nose": ((("Nose", 1.0),), 1.0)}
    table["mouth_left"] = ((("L_Mouth_Corner", 1.0),), 0.5)
    table["mouth_right"] = ((("R_Mouth_Corner", 1.0),), 0.5)
    for side, s in (("left", "L"), ("right", "R")):
        for part, (src, w) in _BODY_SIDED.items():
            table[f"{side}_{part}"] = (tuple((n.format(S=s), b) for n, b in src), w)
    missing = set(table) - set(BODY33)
    assert not missing, missing
    return table


BODY_TABLE = _body_table()

# MediaPipe face-mesh index -> model point (300-W names; the person's left is L_).
FACE_TABLE: dict[int, str] = {
    1: "Nose", 152: "Chin",
    33: "R_Eye_Outer", 133: "R_Eye_Inner", 362: "L_Eye_Inner", 263: "L_Eye_Outer",
    61: "R_Mouth_Corner", 291: "L_Mouth_Corner", 0: "Upper_Lip_Mid", 17: "Lower_Lip_Mid",
    70: "R_Brow_1", 107: "R_Brow_5", 300: "L_Brow_1", 336: "L_Brow_5",
}  # fmt: skip

# Anny's face points, left side and midline, canonical rest frame (metres); right = x mirrored.
ANNY_FACE_POINTS = {
    "L_Eye_Inner": (0.0165, 0.647, 0.117),
    "L_Eye_Outer": (0.0455, 0.650, 0.110),
    "L_Mouth_Corner": (0.025, 0.585, 0.117),
    "L_Brow_1": (0.0476, 0.662, 0.120),  # outer end
    "L_Brow_5": (0.0153, 0.665, 0.134),  # inner end
    "Upper_Lip_Mid": (0.0, 0.586, 0.142),
    "Lower_Lip_Mid": (0.0, 0.563, 0.131),
    "Chin": (0.0, 0.537, 0.115),
}


@dataclass(frozen=True)
class PointGroup:
    """Resolved correspondences of one evidence group (``body``, ``lhand``, ``rhand``, ``face``).

    landmark: (M,) indices into the evidence array; index: (M, 2) into ``cat(keypoints,
    vertices)``; blend: (M, 2) weights of the two sources (sum 1); weight: (M,) per landmark.
    names: the model point names (for reports and tests).
    """

    landmark: Tensor
    index: Tensor
    blend: Tensor
    weight: Tensor
    names: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.landmark.shape[0])


@dataclass(frozen=True)
class Correspondence:
    """All groups for one body model; groups the model cannot place are absent."""

    groups: dict[str, PointGroup]
    hips: tuple[int, int]  # rows of the body group that are the left and right hip

    def points(self, out: BodyOutput, group: str) -> Tensor:
        """(B, M, 3) model points of ``group`` from a body-model output."""
        return gather_points(out.keypoints, out.vertices, self.groups[group])


def gather_points(keypoints: Tensor, vertices: Tensor, g: PointGroup) -> Tensor:
    """(B, M, 3) blended model points from (B, K, 3) keypoints and (B, V, 3) vertices."""
    src = torch.cat((keypoints, vertices), 1)  # (B, K+V, 3)
    flat = src.index_select(1, g.index.reshape(-1)).view(src.shape[0], -1, 2, 3)  # (B, M, 2, 3)
    return (flat * g.blend.to(src.dtype)[None, :, :, None]).sum(2)


class _Resolver:
    """Names -> indices into ``cat(keypoints, vertices)`` for one body model."""

    def __init__(self, body: BodyModel):
        self.body = body
        self.names = body.keypoint_layout.names
        with torch.no_grad():
            out = body(**body.neutral_params(1))
        self.kp = out.keypoints[0].float().cpu()  # (K, 3)
        self.verts = out.vertices[0].float().cpu()  # (V, 3)
        self.surface: dict[str, int] = {}
        if body.family == "anny":
            self._anny_face()
        for s in "LR":
            self._hip_surface(s)
            self._shoulder_top(s)

    def _anny_face(self) -> None:
        head = self.body.face_part_labels.cpu() >= 0
        dom = getattr(self.body, "_dom", None)
        if dom is not None:
            eyes = [i for i, b in enumerate(self.body.bone_labels) if b.startswith("eye.")]
            head &= ~torch.isin(dom.cpu(), torch.tensor(eyes))
        cand = torch.nonzero(head)[:, 0]
        for name, xyz in ANNY_FACE_POINTS.items():
            for side, sgn in (("L", 1.0), ("R", -1.0)):
                if not name.startswith("L_") and side == "R":
                    continue
                p = torch.tensor(xyz) * torch.tensor([sgn, 1.0, 1.0])
                n = name if not name.startswith("L_") else f"{side}_{name[2:]}"
                here = cand
                if name.startswith("L_"):  # stay on the point's side on coarse topologies
                    here = cand[sgn * self.verts[cand, 0] >= 0.5 * abs(xyz[0])]
                d = (self.verts[here] - p).norm(dim=1)
                self.surface[n] = int(here[d.argmin()])

    def _hip_surface(self, s: str) -> None:
        if f"{s}_Hip" not in self.names:
            return
        from robosmplx.body.parts import BODY_PARTS

        hip = self.kp[self.names.index(f"{s}_Hip")]
        labels = self.body.body_part_labels.cpu()
        parts = torch.tensor([BODY_PARTS.index(f"{s}_thigh"), BODY_PARTS.index("pelvis")])
        near = torch.isin(labels, parts) & ((self.verts[:, 1] - hip[1]).abs() < 0.03)
        cand = torch.nonzero(near)[:, 0]
        if cand.numel() == 0:
            return
        sgn = 1.0 if s == "L" else -1.0  # the person's left is +X
        self.surface[f"{s}_Hip_Surface"] = int(cand[(sgn * self.verts[cand, 0]).argmax()])

    def _shoulder_top(self, s: str) -> None:
        if f"{s}_Shoulder" not in self.names:
            return
        from robosmplx.body.parts import BODY_PARTS

        sh = self.kp[self.names.index(f"{s}_Shoulder")]
        labels = self.body.body_part_labels.cpu()
        parts = torch.tensor([BODY_PARTS.index(f"{s}_upperarm"), BODY_PARTS.index(f"{s}_collar")])
        near = torch.isin(labels, parts) & ((self.verts[:, [0, 2]] - sh[[0, 2]]).norm(dim=1) < 0.03)
        cand = torch.nonzero(near)[:, 0]
        if cand.numel() == 0:
            return
        self.surface[f"{s}_Shoulder_Top"] = int(cand[self.verts[cand, 1].argmax()])

    def index(self, name: str) -> int | None:
        if name in self.names:
            return self.names.index(name)
        if name in self.surface:
            return len(self.names) + self.surface[name]
        return None


def _group(resolver: _Resolver, rows: list[tuple[int, tuple[tuple[str, float], ...], float]]):
    lm, idx, blend, weight, names = [], [], [], [], []
    for landmark, sources, w in rows:
        # a blend partner this model cannot place (a surface point on an unusual mesh) drops
        # out and the rest is renormalised; no point at all: the landmark is not matched
        found = [(resolver.index(n), b, n) for n, b in sources if resolver.index(n) is not None]
        total = sum(b for _, b, _ in found)
        if not found or total <= 0:
            continue
        sources = tuple((n, b) for _, b, n in found)
        pairs = [(i, b / total) for i, b, _ in found]
        if len(pairs) == 1:
            pairs.append((pairs[0][0], 0.0))
        lm.append(landmark)
        idx.append([p[0] for p in pairs])
        blend.append([p[1] for p in pairs])
        weight.append(w)
        names.append("+".join(n for n, _ in sources))
    if not lm:
        return None
    return PointGroup(
        torch.tensor(lm), torch.tensor(idx), torch.tensor(blend), torch.tensor(weight),
        tuple(names),
    )  # fmt: skip


@functools.lru_cache(maxsize=8)
def correspondence(body: BodyModel) -> Correspondence:
    """The resolved landmark -> model point mapping of ``body`` (cached per model)."""
    res = _Resolver(body)
    body_rows = [(BODY33.index(k), src, w) for k, (src, w) in BODY_TABLE.items()]
    groups = {"body": _group(res, body_rows)}
    lay = body.keypoint_layout
    for side in ("lhand", "rhand"):
        if side in lay.subsets and len(lay.subsets[side]) == len(HAND21):
            rows = [(i, ((lay.names[k], 1.0),), 1.0) for i, k in enumerate(lay.subsets[side])]
            groups[side] = _group(res, rows)
    groups["face"] = _group(res, [(i, ((n, 1.0),), 1.0) for i, n in FACE_TABLE.items()])
    groups = {k: v for k, v in groups.items() if v is not None}
    if "body" not in groups:
        raise ConfigError(
            f"body model {body.name!r} has no body keypoints the landmarks can match; "
            f"fit a whole-body model (anny, smplx, smpl)"
        )
    g = groups["body"]
    rows = g.landmark.tolist()
    hips = (BODY33.index("left_hip"), BODY33.index("right_hip"))
    if not all(h in rows for h in hips):
        raise ConfigError(f"body model {body.name!r} has no hip keypoints; fit anny or smplx")
    return Correspondence(
        device_groups(groups, body.device), (rows.index(hips[0]), rows.index(hips[1]))
    )


def device_groups(groups: dict[str, PointGroup], device) -> dict[str, PointGroup]:
    return {
        k: PointGroup(g.landmark.to(device), g.index.to(device), g.blend.to(device),
                      g.weight.to(device), g.names)
        for k, g in groups.items()
    }  # fmt: skip
