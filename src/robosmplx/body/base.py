"""The one body-model interface every part of robosmplx talks to.

A body model maps named parameter groups (the field's words: ``global_orient``, ``body_pose``,
``left_hand_pose``, ``right_hand_pose``, ``jaw_pose``, ``expression``, ``betas``, ``transl``) to a
mesh, model joints and named keypoint sets. Rotation groups are passed either as axis-angle
(``body_pose``: (B, N*3) or (B, N, 3)) or as rotation matrices (``body_pose_rotmat``:
(B, N, 3, 3)); the format lives in the argument name. Networks read every size from
:class:`ParamSpec`, :class:`KeypointLayout` and :class:`PartLayout`, never from constants.

Canonical frame of every backend: metres, Y up, the body facing +Z, left side at +X (SMPL-X's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import Tensor, nn

from robosmplx.errors import ShapeError

ROTATION_GROUPS = (
    "global_orient",
    "body_pose",
    "left_hand_pose",
    "right_hand_pose",
    "jaw_pose",
)
VECTOR_GROUPS = ("betas", "expression")


@dataclass(frozen=True)
class ParamGroup:
    """One named parameter group. ``size`` is a joint count for rotations, a length for vectors."""

    name: str
    kind: Literal["rotation", "vector"]
    size: int
    part: Literal["body", "hand", "face"] = "body"

    @property
    def dim_aa(self) -> int:
        """Flat axis-angle (or vector) length."""
        return self.size * 3 if self.kind == "rotation" else self.size

    @property
    def dim_6d(self) -> int:
        """Flat 6D-rotation (or vector) length, what networks regress."""
        return self.size * 6 if self.kind == "rotation" else self.size


@dataclass(frozen=True)
class ParamSpec:
    """Ordered parameter groups of a body model (``transl`` is implicit: always 3)."""

    groups: tuple[ParamGroup, ...]

    def __getitem__(self, name: str) -> ParamGroup:
        for g in self.groups:
            if g.name == name:
                return g
        raise KeyError(f"no parameter group {name!r}; have {[g.name for g in self.groups]}")

    def __contains__(self, name: str) -> bool:
        return any(g.name == name for g in self.groups)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(g.name for g in self.groups)

    def to_dict(self) -> dict[str, dict]:
        return {g.name: {"kind": g.kind, "size": g.size, "part": g.part} for g in self.groups}


@dataclass(frozen=True)
class KeypointLayout:
    """The whole-body keypoint set the networks use, and its named subsets.

    ``names`` is the whole-body set (the paper's 137 for SMPL-X). ``subsets`` maps ``body``,
    ``lhand``, ``rhand`` (21 each: wrist then 4 per finger, thumb first, tips included) and
    ``face`` to index tuples into ``names``. ``flip`` is the permutation that swaps left and
    right names. ``roots`` names the alignment root per subset (pelvis, wrists, neck).
    """

    names: tuple[str, ...]
    subsets: dict[str, tuple[int, ...]]
    flip: tuple[int, ...]
    roots: dict[str, int]

    def __len__(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        return self.names.index(name)

    def to_dict(self) -> dict:
        return {
            "num_keypoints": len(self.names),
            "subsets": {k: len(v) for k, v in self.subsets.items()},
            "roots": {k: self.names[v] for k, v in self.roots.items()},
        }


@dataclass(frozen=True)
class PartLayout:
    """Part label counts. Labels live as (V,) long buffers on the model, -1 where undefined."""

    body_parts: tuple[str, ...]
    hand_parts: tuple[str, ...]
    face_parts: tuple[str, ...]

    @property
    def counts(self) -> dict[str, int]:
        return {
            "body": len(self.body_parts),
            "hand": len(self.hand_parts),
            "face": len(self.face_parts),
        }


@dataclass(frozen=True)
class PartView:
    """What belongs to one part subnetwork (right hand, left hand, face).

    ``param_groups``: the groups this subnetwork predicts in whole-body use.
    ``keypoints``: indices into the whole-body keypoint set. ``vertices``: vertex indices of
    the part (for part PVE). ``root``: whole-body keypoint index used for alignment.
    """

    name: str
    param_groups: tuple[str, ...]
    keypoints: tuple[int, ...]
    vertices: tuple[int, ...]
    root: int
    mirrored: bool = False


@dataclass
class BodyOutput:
    """Output of a body model forward. All in the canonical frame, metres, ``transl`` applied.

    vertices: (B, V, 3); joints: (B, J, 3) the model's own joints; keypoints: (B, K, 3) the
    whole-body keypoint set of :class:`KeypointLayout`.
    """

    vertices: Tensor
    joints: Tensor
    keypoints: Tensor
    extras: dict[str, Tensor] = field(default_factory=dict)

    def subset(self, layout: KeypointLayout, name: str) -> Tensor:
        """(B, K_sub, 3) keypoints of one named subset."""
        idx = torch.as_tensor(layout.subsets[name], device=self.keypoints.device)
        return self.keypoints.index_select(1, idx)


class BodyModel(nn.Module):
    """Base class: subclasses implement :meth:`_forward_rotmat` and fill the layouts.

    Subclasses set ``family``, ``name``, ``spec``, ``keypoint_layout``, ``part_layout``,
    ``part_views`` and register buffers ``faces`` (F, 3) long, ``body_part_labels``,
    ``hand_part_labels``, ``face_part_labels`` (V,) long (-1 outside the part).
    """

    family: str = ""
    name: str = ""
    spec: ParamSpec
    keypoint_layout: KeypointLayout
    part_layout: PartLayout
    part_views: dict[str, PartView]

    faces: Tensor
    body_part_labels: Tensor
    hand_part_labels: Tensor
    face_part_labels: Tensor

    @property
    def num_vertices(self) -> int:
        return int(self.body_part_labels.shape[0])

    @property
    def num_faces(self) -> int:
        return int(self.faces.shape[0])

    @property
    def device(self) -> torch.device:
        return self.faces.device

    def describe(self) -> dict:
        """JSON-able summary (what ``robosmplx info`` prints)."""
        return {
            "family": self.family,
            "name": self.name,
            "num_vertices": self.num_vertices,
            "num_faces": self.num_faces,
            "params": self.spec.to_dict(),
            "keypoints": self.keypoint_layout.to_dict(),
            "parts": self.part_layout.counts,
            "part_views": {
                k: {"param_groups": list(v.param_groups), "num_vertices": len(v.vertices)}
                for k, v in self.part_views.items()
            },
        }

    def neutral_params(self, batch_size: int = 1) -> dict[str, Tensor]:
        """Rest-pose parameters in rotation-matrix form (identity rotations, zero/mean vectors)."""
        out: dict[str, Tensor] = {}
        dev = self.device
        for g in self.spec.groups:
            if g.kind == "rotation":
                eye = torch.eye(3, device=dev).expand(batch_size, g.size, 3, 3)
                out[f"{g.name}_rotmat"] = eye.clone()
            else:
                out[g.name] = self.vector_default(g.name).to(dev).expand(batch_size, g.size).clone()
        out["transl"] = torch.zeros(batch_size, 3, device=dev)
        return out

    def vector_default(self, name: str) -> Tensor:
        """(size,) neutral value of a vector group (zeros unless a backend says otherwise)."""
        return torch.zeros(self.spec[name].size)

    def canonicalize(self, params: dict[str, Tensor]) -> tuple[dict[str, Tensor], int]:
        """Validate ``params`` and convert every rotation group to ``<name>_rotmat``.

        Missing groups default to the neutral value. Raises :class:`ShapeError` with the group,
        the shape received and the shape expected.
        """
        from robosmplx.geometry.rotations import axis_angle_to_matrix

        batch = None
        for v in params.values():
            if isinstance(v, Tensor) and v.dim() > 0:
                batch = v.shape[0]
                break
        if batch is None:
            batch = 1
        known = set()
        out: dict[str, Tensor] = {}
        for g in self.spec.groups:
            if g.kind == "rotation":
                known |= {g.name, f"{g.name}_rotmat"}
                if f"{g.name}_rotmat" in params:
                    r = params[f"{g.name}_rotmat"]
                    if r.shape[1:] != (g.size, 3, 3) and not (
                        g.size == 1 and r.shape[1:] == (3, 3)
                    ):
                        raise ShapeError(
                            f"{g.name}_rotmat: got shape {tuple(r.shape)}, expected "
                            f"(B, {g.size}, 3, 3) rotation matrices"
                        )
                    out[f"{g.name}_rotmat"] = r.reshape(r.shape[0], g.size, 3, 3)
                elif g.name in params:
                    a = params[g.name]
                    if a.shape[1:] not in ((g.size * 3,), (g.size, 3)):
                        raise ShapeError(
                            f"{g.name}: got shape {tuple(a.shape)}, expected (B, {g.size * 3}) "
                            f"or (B, {g.size}, 3) axis-angle; pass {g.name}_rotmat for matrices"
                        )
                    out[f"{g.name}_rotmat"] = axis_angle_to_matrix(a.reshape(a.shape[0], g.size, 3))
            else:
                known.add(g.name)
                if g.name in params:
                    v = params[g.name]
                    if v.dim() != 2 or v.shape[1] != g.size:
                        raise ShapeError(
                            f"{g.name}: got shape {tuple(v.shape)}, expected (B, {g.size})"
                        )
                    out[g.name] = v
        known.add("transl")
        unknown = set(params) - known
        if unknown:
            raise ShapeError(
                f"unknown parameter groups {sorted(unknown)} for body model {self.name!r}; "
                f"accepted: {sorted(known)}"
            )
        if "transl" in params:
            t = params["transl"]
            if t.shape[1:] != (3,):
                raise ShapeError(f"transl: got shape {tuple(t.shape)}, expected (B, 3)")
            out["transl"] = t
        for k, v in out.items():
            if v.shape[0] != batch:
                raise ShapeError(f"{k}: batch size {v.shape[0]} differs from {batch}")
        neutral = self.neutral_params(batch)
        for k, v in neutral.items():
            if k not in out:
                ref = next(iter(out.values()), None)
                out[k] = v if ref is None else v.to(ref.dtype)
        return out, batch

    def rotation_center(self, **params: Tensor) -> Tensor:
        """(3,) the fixed point ``c`` of ``global_orient`` for these (batch-1) shape, pose and
        expression values: every backend poses as ``V(G) = G (V(I) - c) + c + transl``.

        Found from the model's joints (rigid under the global rotation, unlike pose-dependent
        landmarks such as SMPL-X's face contour) at the identity and two quarter turns, by
        least squares. Data loaders and the synthetic engine use it to rotate ground truth.
        """
        rots = torch.tensor(
            [[[1.0, 0, 0], [0, 1, 0], [0, 0, 1]], [[1, 0, 0], [0, 0, -1], [0, 1, 0]],
             [[0, 0, 1], [0, 1, 0], [-1, 0, 0]]],
            device=self.device,
        )  # fmt: skip
        batch = {k: v.expand(3, *v.shape[1:]) for k, v in params.items()}
        with torch.no_grad():
            j = self(global_orient_rotmat=rots[:, None], **batch).joints.double()  # (3, J, 3)
        r = rots.double()
        eye = torch.eye(3, dtype=torch.float64, device=r.device)
        a = torch.cat([(eye - r[g]).repeat(j.shape[1], 1) for g in (1, 2)])  # (2J*3, 3)
        b = torch.cat([(j[g] - j[0] @ r[g].T).reshape(-1, 1) for g in (1, 2)])  # (2J*3, 1)
        return torch.linalg.lstsq(a.cpu(), b.cpu()).solution[:, 0]

    def part_global_orient(self, view: str, **params: Tensor) -> Tensor:
        """(B, 3, 3) the part-frame global orientation of part ``view`` (``rhand``, ``lhand``,
        ``face``): the ``global_orient`` that, with every other body rotation at rest and the
        part's own groups (``part_views[view].param_groups``) as given, turns the part the way
        the whole-body ``params`` do. This is what a part subnetwork (hand, face) predicts as
        its global orientation, so whole-body annotations can supervise it.

        Found by a rigid fit (Kabsch) of the part's vertices (keypoints for a model without
        part vertices) at rest to the same points posed by ``params``; exact where the part is
        rigid w.r.t. its root joint, the best rotation in least squares where skinning blends
        it with the limb (wrist, neck): on Anny hands 0.1 mm mean residual, faces ~2 mm.
        """
        from robosmplx.geometry.procrustes import similarity_transform

        pv = self.part_views[view]
        canon, b = self.canonicalize(params)
        keep = set(pv.param_groups) | {g.name for g in self.spec.groups if g.kind == "vector"}
        rest = self.neutral_params(b)
        for g in self.spec.groups:
            key = f"{g.name}_rotmat" if g.kind == "rotation" else g.name
            if g.name in keep and key in canon:
                rest[key] = canon[key]
        canon["transl"] = torch.zeros_like(rest["transl"])
        use_vertices = len(pv.vertices) >= 3  # else the part's keypoints (coarse stand-ins)
        idx = torch.as_tensor(
            pv.vertices if use_vertices else pv.keypoints, dtype=torch.long, device=self.device
        )

        def points(p: dict[str, Tensor]) -> Tensor:
            out = self._forward_rotmat(p)
            return (out.vertices if use_vertices else out.keypoints).index_select(1, idx).double()

        with torch.no_grad():
            posed, at_rest = points(canon), points(rest)
        _, r, _ = similarity_transform(at_rest, posed)  # R does not depend on the scale
        return r.to(canon["global_orient_rotmat"].dtype)

    def forward(self, **params: Tensor) -> BodyOutput:
        """Pose the model. See the module docstring for the argument forms."""
        canon, _ = self.canonicalize(params)
        return self._forward_rotmat(canon)

    def _forward_rotmat(self, params: dict[str, Tensor]) -> BodyOutput:
        raise NotImplementedError
