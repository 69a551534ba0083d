"""Anny backend: the open (Apache-2.0) default body model, wrapped in the common interface.

Parameters, in the field's words:
- ``global_orient`` (1 rotation) about the pelvis, ``body_pose`` (25 rotations, :data:`BODY_BONES`),
  ``left_hand_pose`` / ``right_hand_pose`` (15 rotations each: 3 per finger, thumb first),
  ``expression`` (Anny's 52 facial-action controls, jaw opening included: Anny has no jaw bone),
  ``betas`` (Anny's 6 phenotype controls, gender, age, muscle, weight, height, proportions, each
  in [0, 1], neutral 0.5).
Every rotation is expressed in the canonical world axes (X left, Y up, Z forward) at rest, the
SMPL convention, so a pose mirrors with ``M R M`` (M = diag(-1, 1, 1)) plus a left/right swap.
Bones not predicted (toes, metacarpals, twist bones, eyes) stay at rest.

Keypoints: a 137-point whole-body set laid out like Hand4Whole's (25 body + 2 x 20 hand + 72
face); see :func:`build_keypoints` for how each Anny point is made. The build writes Anny's
cache (about 800 MB, about a minute, once) under ``$ROBOSMPLX_CACHE_DIR/anny``
(default ``~/.cache/robosmplx/anny``).
"""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch
from torch import Tensor

from robosmplx.body import parts as P
from robosmplx.body.base import (
    BodyModel,
    BodyOutput,
    KeypointLayout,
    ParamGroup,
    ParamSpec,
    PartLayout,
    PartView,
)
from robosmplx.errors import ConfigError, ModelFileError

# Anny's frame (Z up, facing -Y, left at +X) -> canonical (Y up, facing +Z, left at +X).
ANNY_TO_CANONICAL = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])

BODY_BONES = (
    "upperleg01.L", "upperleg01.R", "spine05", "lowerleg01.L", "lowerleg01.R", "spine04",
    "foot.L", "foot.R", "spine03", "spine02", "spine01", "neck01", "neck02", "neck03",
    "clavicle.L", "clavicle.R", "head", "shoulder01.L", "shoulder01.R", "upperarm01.L",
    "upperarm01.R", "lowerarm01.L", "lowerarm01.R", "wrist.L", "wrist.R",
)  # fmt: skip
FINGERS = ("Thumb", "Index", "Middle", "Ring", "Pinky")  # Anny finger1..finger5
FACE_POINTS_PER_SIDE = 36  # face keypoints on each side (farthest-point sampled, mirrored)
NUM_KEYPOINTS = 25 + 2 * 20 + 2 * FACE_POINTS_PER_SIDE  # body, hands, face: 137


def hand_bones(side: str) -> tuple[str, ...]:
    return tuple(f"finger{f}-{s}.{side}" for f in range(1, 6) for s in range(1, 4))


# Dominant bone -> SMPL body part (robosmplx.body.parts.BODY_PARTS order).
def _body_part_of_bone(bone: str) -> str:
    side = "L_" if bone.endswith(".L") else "R_" if bone.endswith(".R") else ""
    base = bone.split(".")[0]
    if base in ("root", "pelvis"):
        return "pelvis"
    if base.startswith("upperleg"):
        return side + "thigh"
    if base.startswith("lowerleg"):
        return side + "calf"
    if base == "foot":
        return side + "foot"
    if base.startswith("toe"):
        return side + "toes"
    if base in ("spine05", "spine04"):
        return "spine1"
    if base == "spine03":
        return "spine2"
    if base in ("spine02", "spine01"):
        return "spine3"
    if base.startswith("neck"):
        return "neck"
    if base in ("clavicle", "shoulder01"):
        return side + "collar"
    if base in ("head", "eye"):
        return "head"
    if base.startswith("upperarm"):
        return side + "upperarm"
    if base.startswith("lowerarm"):
        return side + "forearm"
    if base in ("wrist",) or base.startswith("metacarpal"):
        return side + "wrist"
    if base.startswith("finger"):
        return side + "hand"
    raise ModelFileError(
        f"Anny bone {bone!r} maps to no body part: the installed anny package has a rig this "
        "version of robosmplx does not know; install the anny version pinned in pyproject.toml"
    )


def _hand_part_of_bone(bone: str) -> int:
    """0 palm (wrist + metacarpals), 1..15 finger segments, thumb first; -1 not a hand bone."""
    base = bone.split(".")[0]
    if base == "wrist" or base.startswith("metacarpal"):
        return 0
    if base.startswith("finger"):
        f, s = base[len("finger") :].split("-")
        return 1 + (int(f) - 1) * 3 + (int(s) - 1)
    return -1


def cache_dir() -> Path:
    root = os.environ.get("ROBOSMPLX_CACHE_DIR")
    base = Path(root) if root else Path.home() / ".cache" / "robosmplx"
    return base / "anny"


def _build_anny(topology: str):
    # Anny's import initialises Warp, which prints to stdout: keep stdout for our JSON.
    with contextlib.redirect_stdout(sys.stderr):
        return _build_anny_quiet(topology)


def _build_anny_quiet(topology: str):
    import anny
    import anny.paths

    cdir = cache_dir()
    cdir.mkdir(parents=True, exist_ok=True)
    anny.paths.set_anny_cache_path(cdir)
    if not any(cdir.rglob("*")):
        print(
            f"robosmplx: building the Anny body model once (about a minute, ~800 MB cache in {cdir})",
            file=sys.stderr,
        )
    topo = "notoes_collapse10pc" if topology == "small" else "anny"
    model = anny.Anny(
        facial_actions="all", topology=topo, local_changes="none", skinning_method="lbs"
    )
    return model.float().eval()


class AnnyBodyModel(BodyModel):
    """Anny in the common interface. ``topology``: ``default`` (13,718 vertices) or ``small``."""

    family = "anny"

    def __init__(self, topology: str = "default"):
        super().__init__()
        if topology not in ("default", "small"):
            raise ConfigError(f"Anny topology must be 'default' or 'small', got {topology!r}")
        self.name = "anny" if topology == "default" else "anny-small"
        self.anny = _build_anny(topology)
        for p in self.anny.parameters():
            p.requires_grad_(False)
        labels = list(self.anny.bone_labels)
        self.bone_labels = tuple(labels)
        self.phenotype_labels = tuple(self.anny.phenotype_labels)
        self.expression_labels = tuple(self.anny.facial_action_labels)
        self.spec = ParamSpec(
            (
                ParamGroup("global_orient", "rotation", 1),
                ParamGroup("body_pose", "rotation", len(BODY_BONES)),
                ParamGroup("left_hand_pose", "rotation", 15, "hand"),
                ParamGroup("right_hand_pose", "rotation", 15, "hand"),
                ParamGroup("expression", "vector", len(self.expression_labels), "face"),
                ParamGroup("betas", "vector", len(self.phenotype_labels)),
            )
        )
        idx = {n: i for i, n in enumerate(labels)}
        self.register_buffer("body_bone_idx", torch.tensor([idx[b] for b in BODY_BONES]))
        self.register_buffer("lhand_bone_idx", torch.tensor([idx[b] for b in hand_bones("L")]))
        self.register_buffer("rhand_bone_idx", torch.tensor([idx[b] for b in hand_bones("R")]))
        self.register_buffer("to_canonical", ANNY_TO_CANONICAL.clone())

        faces = self.anny.get_triangular_faces().long()
        self.register_buffer("faces", faces)
        rest = self._rest()
        self._init_parts(rest)
        self._init_keypoints(rest)
        self.expression_flip = self._name_flip(self.expression_labels)

    # -- construction helpers -------------------------------------------------------------
    def _rest(self) -> dict[str, Tensor]:
        with torch.no_grad():
            out = self.anny(pose_parameters=None, phenotype_kwargs=None, facial_actions=None)
        a = self.to_canonical
        verts = out["vertices"][0] @ a.T  # (V, 3)
        heads = out["bone_poses"][0, :, :3, 3] @ a.T  # (J, 3)
        return {"vertices": verts, "heads": heads}

    def _dominant_bone(self) -> Tensor:
        w = self.anny.vertex_bone_weights  # (V, 9)
        ids = self.anny.vertex_bone_indices  # (V, 9)
        return ids.gather(1, w.argmax(1, keepdim=True))[:, 0].long()

    def _init_parts(self, rest: dict[str, Tensor]) -> None:
        dom = self._dominant_bone()
        bones = self.bone_labels
        body = torch.tensor([P.BODY_PARTS.index(_body_part_of_bone(bones[b])) for b in dom])
        hand = torch.tensor([_hand_part_of_bone(bones[b]) for b in dom])
        # the wrist bone also skins the end of the forearm: the palm starts at the wrist joint
        for side in ("L", "R"):
            wrist = rest["heads"][bones.index(f"wrist.{side}")]
            axis = wrist - rest["heads"][bones.index(f"lowerarm01.{side}")]
            before = (rest["vertices"] - wrist) @ axis < 0
            hand = torch.where((dom == bones.index(f"wrist.{side}")) & before, -1, hand)
        head_names = {"neck01", "neck02", "neck03", "head", "eye.L", "eye.R"}
        head_mask = torch.tensor([bones[b] in head_names for b in dom])
        h = rest["heads"]
        neck_y = float(h[bones.index("head"), 1])
        head_center = rest["vertices"][torch.tensor([bones[b] in ("head",) for b in dom])].mean(0)
        face = P.face_parts_from_geometry(rest["vertices"], head_mask, neck_y, head_center)
        self.register_buffer("body_part_labels", body)
        self.register_buffer("hand_part_labels", hand)
        self.register_buffer("face_part_labels", face.long())
        self.part_layout = PartLayout(P.BODY_PARTS, P.HAND_PARTS, P.FACE_PARTS)
        self.vertex_bone = dom  # (V,) the bone that skins each vertex most

    def _init_keypoints(self, rest: dict[str, Tensor]) -> None:
        spec = build_keypoints(self, rest)
        # Each keypoint is a bone head or one vertex: an index into concat(heads, vertices).
        nb = len(self.bone_labels)
        index = [k.index if k.kind == "bone" else nb + k.index for k in spec.sources]
        self.register_buffer("kp_index", torch.tensor(index))
        self.keypoint_layout = spec.layout
        lay = self.keypoint_layout
        hand_v = self.hand_part_labels >= 0
        left = rest["vertices"][:, 0] > 0
        head_v = self.face_part_labels >= 0
        self.part_views = {
            "rhand": PartView(
                "rhand", ("right_hand_pose",), lay.subsets["rhand"],
                tuple(torch.nonzero(hand_v & ~left)[:, 0].tolist()), lay.roots["rhand"],
            ),
            "lhand": PartView(
                "lhand", ("left_hand_pose",), lay.subsets["lhand"],
                tuple(torch.nonzero(hand_v & left)[:, 0].tolist()), lay.roots["lhand"], True,
            ),
            "face": PartView(
                "face", ("expression",), lay.subsets["face"],
                tuple(torch.nonzero(head_v)[:, 0].tolist()), lay.roots["face"],
            ),
        }  # fmt: skip

    @staticmethod
    def _name_flip(names: tuple[str, ...]) -> tuple[int, ...]:
        out = []
        for n in names:
            m = n.replace("Left", "\0").replace("Right", "Left").replace("\0", "Right")
            out.append(names.index(m) if m in names else names.index(n))
        return tuple(out)

    def vector_default(self, name: str) -> Tensor:
        if name == "betas":
            return torch.full((len(self.phenotype_labels),), 0.5)
        return super().vector_default(name)

    def describe(self) -> dict:
        d = super().describe()
        d["betas_labels"] = list(self.phenotype_labels)
        d["expression_labels"] = list(self.expression_labels)
        d["cache_dir"] = str(cache_dir())
        return d

    # -- forward ---------------------------------------------------------------------------
    def _forward_rotmat(self, p: dict[str, Tensor]) -> BodyOutput:
        go = p["global_orient_rotmat"][:, 0]  # (B, 3, 3)
        b = go.shape[0]
        dtype = go.dtype
        a = self.to_canonical.to(dtype)
        nb = len(self.bone_labels)
        rot_c = torch.eye(3, dtype=dtype, device=go.device).expand(b, nb, 3, 3)
        idx = torch.cat((self.body_bone_idx, self.lhand_bone_idx, self.rhand_bone_idx))
        vals = torch.cat(
            (p["body_pose_rotmat"], p["left_hand_pose_rotmat"], p["right_hand_pose_rotmat"]), 1
        )  # (B, 55, 3, 3)
        rot_c = rot_c.index_copy(1, idx, vals.to(dtype))
        # Anny's "local-ref" rotations act in world axes at rest: only the axes change.
        local = a.T @ rot_c @ a
        pose = torch.zeros(b, nb, 4, 4, dtype=dtype, device=go.device)
        pose[..., :3, :3] = local
        pose[..., 3, 3] = 1.0
        out = self.anny(
            pose_parameters=pose,
            phenotype_kwargs=p["betas"].to(dtype),
            facial_actions=p["expression"].to(dtype),
        )
        rt = go @ a  # Anny -> canonical, then global orientation
        verts = out["vertices"] @ rt.transpose(1, 2) + p["transl"][:, None]  # (B, V, 3)
        heads = out["bone_poses"][:, :, :3, 3] @ rt.transpose(1, 2) + p["transl"][:, None]
        kps = torch.cat((heads, verts), 1)[:, self.kp_index]  # (B, K, 3)
        return BodyOutput(vertices=verts, joints=heads, keypoints=kps)


def _visible_from_front(verts: Tensor, cell: float = 0.004, depth_tol: float = 0.004) -> Tensor:
    """(V,) bool: vertices within ``depth_tol`` of the front-most vertex of their ``cell``-sized
    (x, y) bin, an orthographic visibility test from +Z (drops mouth and eye interiors)."""
    ij = torch.floor(verts[:, :2] / cell).long()
    ij = ij - ij.min(0).values
    key = ij[:, 0] * (int(ij[:, 1].max()) + 1) + ij[:, 1]
    front = torch.full((int(key.max()) + 1,), -1e9).scatter_reduce(
        0, key, verts[:, 2], reduce="amax"
    )
    return verts[:, 2] >= front[key] - depth_tol


def _fps(points: Tensor, k: int, start: int) -> list[int]:
    """Farthest-point sampling of ``k`` indices, deterministic from ``start``."""
    chosen = [start]
    d = (points - points[start]).norm(dim=1)
    for _ in range(k - 1):
        i = int(d.argmax())
        chosen.append(i)
        d = torch.minimum(d, (points - points[i]).norm(dim=1))
    return chosen


@dataclass(frozen=True)
class KeypointSource:
    """Where one keypoint sits: the head of bone ``index`` or vertex ``index``."""

    kind: Literal["bone", "vertex"]
    index: int


@dataclass(frozen=True)
class AnnyKeypoints:
    """The whole-body keypoint set: names, one source each, and the layout (subsets, flip)."""

    names: tuple[str, ...]
    sources: tuple[KeypointSource, ...]
    layout: KeypointLayout


def build_keypoints(model: AnnyBodyModel, rest: dict[str, Tensor]) -> AnnyKeypoints:
    """Anny's 137-point whole-body set, in Hand4Whole's layout.

    - body (25): joints are bone heads (pelvis = root, hips = upperleg01, knees = lowerleg01,
      ankles = foot, neck = neck01, shoulders = upperarm01, elbows = lowerarm01,
      wrists = wrist, eyes = eye bones); nose = the front-most head vertex, ears = the
      outermost head vertices at eye height, big/small toe = the front-most foot vertices
      nearest to / farthest from the midline, heels = the rearmost foot vertex below the
      ankle. Geometric rules, so every Anny topology gets the same points;
    - hands (2 x 20): three finger-bone heads per finger plus the fingertip, the finger-3
      vertex farthest along the last segment;
    - face (72): 36 left-side front-face vertices chosen by farthest-point sampling and their
      mirror vertices on the right, so the set is symmetric and moves with the expressions.
    """
    bones = model.bone_labels
    verts = rest["vertices"]
    heads = rest["heads"]
    dom = model.vertex_bone

    def on_bones(*names: str) -> Tensor:
        ids = torch.tensor([bones.index(n) for n in names])
        return torch.nonzero(torch.isin(dom, ids))[:, 0]

    def vert(i) -> KeypointSource:
        return KeypointSource("vertex", int(i))

    head_v = on_bones("head")
    geo: dict[str, KeypointSource] = {"Nose": vert(head_v[verts[head_v, 2].argmax()])}
    for side, lr, sgn in (("L", "L_", 1.0), ("R", "R_", -1.0)):
        eye_y = float(heads[bones.index(f"eye.{side}"), 1])
        band = head_v[(verts[head_v, 1] - eye_y).abs() < 0.03]
        geo[lr + "Ear"] = vert(band[(sgn * verts[band, 0]).argmax()])
        geo[lr + "Eye"] = KeypointSource("bone", bones.index(f"eye.{side}"))
        toes = [b for b in bones if b.startswith("toe") and b.endswith("." + side)]
        foot = on_bones(f"foot.{side}", *toes)
        fz = verts[foot, 2]
        tip = foot[fz > fz.max() - 0.02]
        geo[lr + "Big_toe"] = vert(tip[(sgn * verts[tip, 0]).argmin()])
        geo[lr + "Small_toe"] = vert(tip[(sgn * verts[tip, 0]).argmax()])
        low = foot[verts[foot, 1] < float(heads[bones.index(f"foot.{side}"), 1])]
        geo[lr + "Heel"] = vert(low[verts[low, 2].argmin()])

    def bone(name: str) -> KeypointSource:
        return KeypointSource("bone", bones.index(name))

    names: list[str] = []
    sources: list[KeypointSource] = []

    def add(n, s):
        names.append(n)
        sources.append(s)

    body = [
        ("Pelvis", bone("root")), ("L_Hip", bone("upperleg01.L")), ("R_Hip", bone("upperleg01.R")),
        ("L_Knee", bone("lowerleg01.L")), ("R_Knee", bone("lowerleg01.R")),
        ("L_Ankle", bone("foot.L")), ("R_Ankle", bone("foot.R")), ("Neck", bone("neck01")),
        ("L_Shoulder", bone("upperarm01.L")), ("R_Shoulder", bone("upperarm01.R")),
        ("L_Elbow", bone("lowerarm01.L")), ("R_Elbow", bone("lowerarm01.R")),
        ("L_Wrist", bone("wrist.L")), ("R_Wrist", bone("wrist.R")),
        ("L_Big_toe", geo["L_Big_toe"]), ("L_Small_toe", geo["L_Small_toe"]),
        ("L_Heel", geo["L_Heel"]), ("R_Big_toe", geo["R_Big_toe"]),
        ("R_Small_toe", geo["R_Small_toe"]), ("R_Heel", geo["R_Heel"]),
        ("L_Ear", geo["L_Ear"]), ("R_Ear", geo["R_Ear"]),
        ("L_Eye", geo["L_Eye"]), ("R_Eye", geo["R_Eye"]), ("Nose", geo["Nose"]),
    ]  # fmt: skip
    for n, s in body:
        add(n, s)
    body_range = range(0, len(names))
    for side, lr in (("L", "L_"), ("R", "R_")):
        for f, fname in enumerate(FINGERS, start=1):
            for s in range(1, 4):
                add(f"{lr}{fname}_{s}", bone(f"finger{f}-{s}.{side}"))
            last = bones.index(f"finger{f}-3.{side}")
            prev = bones.index(f"finger{f}-2.{side}")
            direction = heads[last] - heads[prev]
            cand = torch.nonzero(dom == last)[:, 0]
            proj = (verts[cand] - heads[last]) @ direction
            add(f"{lr}{fname}_4", vert(cand[proj.argmax()]))
    # face: symmetric FPS over front-face vertices of the head
    face_start = len(names)
    face_lab = model.face_part_labels
    eyes = torch.isin(dom, torch.tensor([bones.index("eye.L"), bones.index("eye.R")]))
    front = (face_lab >= 5) & (verts[:, 0] > 2e-3) & ~eyes & _visible_from_front(verts)
    cand = torch.nonzero(front)[:, 0]
    pts = verts[cand]
    start = int(pts[:, 2].argmax())
    left = cand[torch.tensor(_fps(pts, FACE_POINTS_PER_SIDE, start))]
    mirrored = verts[left] * torch.tensor([-1.0, 1.0, 1.0])
    right = torch.cdist(mirrored, verts).argmin(1)
    for i, v in enumerate(left.tolist()):
        add(f"L_Face_{i + 1}", vert(v))
    for i, v in enumerate(right.tolist()):
        add(f"R_Face_{i + 1}", vert(v))

    def flip_name(n: str) -> str:
        if n.startswith("L_"):
            return "R_" + n[2:]
        if n.startswith("R_"):
            return "L_" + n[2:]
        return n

    flip = tuple(names.index(flip_name(n)) for n in names)
    lh = ["L_Wrist"] + [f"L_{f}_{s}" for f in FINGERS for s in range(1, 5)]
    rh = ["R_Wrist"] + [f"R_{f}_{s}" for f in FINGERS for s in range(1, 5)]
    layout = KeypointLayout(
        names=tuple(names),
        subsets={
            "body": tuple(body_range),
            "lhand": tuple(names.index(n) for n in lh),
            "rhand": tuple(names.index(n) for n in rh),
            "face": tuple(range(face_start, len(names))),
        },
        flip=flip,
        roots={
            "body": names.index("Pelvis"),
            "lhand": names.index("L_Wrist"),
            "rhand": names.index("R_Wrist"),
            "face": names.index("Neck"),
        },
    )
    if len(names) != NUM_KEYPOINTS:
        raise ModelFileError(
            f"Anny keypoint rules gave {len(names)} points, not {NUM_KEYPOINTS}; the installed "
            "anny package differs from the one robosmplx was built for"
        )
    return AnnyKeypoints(tuple(names), tuple(sources), layout)
