"""One synthetic person: pose, shape and clothes drawn, posed in the world by the body model.

:class:`ModelTables` holds what every sample of one body model reuses (faces, per-face part
labels, the rest surface that clothing patterns are drawn on, which body parts may show each
keypoint); :func:`sample_person` draws a :class:`Person` from a generator.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch

from robosmplx.body.parts import BODY_PARTS
from robosmplx.render import face_labels_from_vertex_labels
from robosmplx.synth.appearance import sample_outfit, vertex_colours, vertex_regions
from robosmplx.synth.pose import RefPose, sample_pose
from robosmplx.synth.retarget import Retarget
from robosmplx.synth.shape import sample_shape


def keypoint_parts(names: tuple[str, ...]) -> np.ndarray:
    """(K, 24) bool: the body parts whose surface may show keypoint k (its limb's, around it)."""
    table = np.zeros((len(names), len(BODY_PARTS)), bool)
    idx = {p: i for i, p in enumerate(BODY_PARTS)}

    def allow(k: int, *parts: str) -> None:
        for p in parts:
            table[k, idx[p]] = True

    for k, n in enumerate(names):
        s = n[:2] if n[:2] in ("L_", "R_") else ""
        base = n[len(s) :]
        if base == "Pelvis":
            allow(k, "pelvis", "spine1", "L_thigh", "R_thigh")
        elif base == "Hip":
            allow(k, "pelvis", s + "thigh")
        elif base == "Knee":
            allow(k, s + "thigh", s + "calf")
        elif base in ("Ankle", "Heel", "Big_toe", "Small_toe"):
            allow(k, s + "calf", s + "foot", s + "toes")
        elif base == "Neck":
            allow(k, "neck", "spine3", "L_collar", "R_collar", "head")
        elif base == "Shoulder":
            allow(k, s + "collar", s + "upperarm", "spine3")
        elif base == "Elbow":
            allow(k, s + "upperarm", s + "forearm")
        elif base == "Wrist":
            allow(k, s + "forearm", s + "wrist", s + "hand")
        elif s and base.split("_")[0] in ("Thumb", "Index", "Middle", "Ring", "Pinky"):
            allow(k, s + "wrist", s + "hand")
        else:  # eyes, ears, nose, face landmarks
            allow(k, "head", "neck")
    return table


class ModelTables:
    """Per-model constants for synthesis (numpy unless noted)."""

    def __init__(self, model):
        self.model = model
        self.retarget = Retarget(model)
        self.faces = model.faces.long()  # (F, 3) torch
        self.faces_np = self.faces.numpy()
        self.body_labels = model.body_part_labels.numpy()  # (V,)
        self.hand_labels = model.hand_part_labels.numpy()
        self.face_labels = model.face_part_labels.numpy()
        fl = lambda lab: face_labels_from_vertex_labels(lab, self.faces).numpy()  # noqa: E731
        self.face_body = fl(model.body_part_labels)  # (F,) per-face labels, -1 outside
        self.face_hand = fl(model.hand_part_labels)
        self.face_face = fl(model.face_part_labels)
        with torch.no_grad():
            self.rest = model(**model.neutral_params(1)).vertices[0].double().numpy()  # (V, 3)
        lay = model.keypoint_layout
        self.names = tuple(lay.names)
        self.kp_parts = keypoint_parts(self.names)
        self.subsets = {k: np.asarray(v) for k, v in lay.subsets.items()}
        self.kp_kind = np.full(len(self.names), "body", dtype=object)  # body / hand / face
        for name, idx in self.subsets.items():
            if name in ("lhand", "rhand"):
                self.kp_kind[idx[1:]] = "hand"  # the wrist stays a body joint
            elif name == "face":
                self.kp_kind[idx] = "face"
        self.normal_matrix = _incidence(self.faces, len(self.body_labels))
        self.cull_backfaces = _culling_is_safe(self.rest, self.faces)
        self.group = "anny" if model.family == "anny" else model.name
        self.expression_labels = tuple(getattr(model, "expression_labels", ()))
        self.is_anny = model.family == "anny"

    def arm_end(self, side: str) -> np.ndarray:
        """(V,) bool: the forearm, wrist and hand of ``side`` ('L' or 'R')."""
        parts = [BODY_PARTS.index(f"{side}_{p}") for p in ("forearm", "wrist", "hand")]
        return np.isin(self.body_labels, parts)

    def vertex_normals(self, verts: np.ndarray) -> np.ndarray:
        """(V, 3) unit vertex normals (area-weighted sums of the face normals) of one person."""
        v = torch.as_tensor(verts, dtype=torch.float32)
        tri = v[self.faces]  # (F, 3, 3)
        fn = torch.linalg.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])  # (F, 3)
        return torch.nn.functional.normalize(self.normal_matrix @ fn, dim=-1).numpy()


def _culling_is_safe(rest: np.ndarray, faces: torch.Tensor) -> bool:
    """True when skipping back faces leaves the rest-pose silhouettes from four sides unchanged
    (a closed mesh with outward winding); culling then halves the rasterizer's work."""
    from robosmplx.render import rasterize

    v = torch.as_tensor(rest - rest.mean(0), dtype=torch.float32)
    k = torch.tensor([[120.0, 0.0, 63.5], [0.0, 120.0, 63.5], [0.0, 0.0, 1.0]])
    for yaw in (0.0, 0.5 * np.pi, np.pi, 1.5 * np.pi):
        c, s = float(np.cos(yaw)), float(np.sin(yaw))
        r = torch.tensor(
            [[c, 0.0, s], [0.0, -1.0, 0.0], [s, 0.0, -c]]
        )  # turn, then face the camera
        vc = (v @ r.T + torch.tensor([0.0, 0.0, 3.0]))[None]
        full = rasterize(vc, faces, k, (128, 128)).mask
        culled = rasterize(vc, faces, k, (128, 128), cull_backfaces=True).mask
        if not torch.equal(full, culled):
            return False
    return True


def _incidence(faces: torch.Tensor, num_vertices: int) -> torch.Tensor:
    """(V, F) sparse CSR matrix with a 1 where vertex v is a corner of face f."""
    flat = faces.reshape(-1)
    order = torch.argsort(flat, stable=True)
    cols = torch.div(order, 3, rounding_mode="floor")
    crow = torch.zeros(num_vertices + 1, dtype=torch.long)
    crow[1:] = torch.cumsum(torch.bincount(flat, minlength=num_vertices), 0)
    with warnings.catch_warnings():  # CSR support is flagged beta; this use is plain
        warnings.simplefilter("ignore")
        return torch.sparse_csr_tensor(
            crow, cols, torch.ones(len(flat)), (num_vertices, len(faces))
        )


@dataclass
class Person:
    """A drawn person posed in the world: ``params`` (numpy, the model's groups without
    ``global_orient``/``transl``), ``world`` (3, 3) orientation, ``pivot`` (3,) the centre of
    the global rotation, ``verts`` (V, 3) and ``keypoints`` (K, 3) world metres, ``albedo``
    (V, 3), and what was drawn (``pose``, ``age``)."""

    params: dict[str, np.ndarray]
    world: np.ndarray
    pivot: np.ndarray
    verts: np.ndarray
    keypoints: np.ndarray
    albedo: np.ndarray
    pose: RefPose
    age: str


def to_torch(params: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """Numpy parameter groups -> (1, ...) float32 tensors."""
    return {k: torch.as_tensor(np.asarray(v, np.float32))[None] for k, v in params.items()}


def sample_person(tables: ModelTables, rng: np.random.Generator) -> Person:
    """Draw pose, shape and outfit; pose the model in the world frame (root at the origin)."""
    model = tables.model
    pose = sample_pose(rng, tables.expression_labels)
    betas, age = sample_shape(rng, model)
    params = tables.retarget.params(pose, betas, rng)
    outfit = sample_outfit(rng)
    regions = vertex_regions(tables.body_labels, tables.face_labels, outfit)
    albedo = vertex_colours(outfit, regions, tables.rest, rng)
    tp = to_torch(params)
    go = torch.as_tensor(pose.world_orient, dtype=torch.float32)[None, None]  # (1, 1, 3, 3)
    with torch.no_grad():
        out = model(global_orient_rotmat=go, **tp)
    # Anny turns rigidly about its origin; other models about their pelvis, with landmarks
    # that depend on the orientation (see camera_view)
    pivot = np.zeros(3) if tables.is_anny else model.rotation_center(**tp).numpy()
    return Person(
        params=params,
        world=pose.world_orient,
        pivot=pivot,
        verts=out.vertices[0].double().numpy(),
        keypoints=out.keypoints[0].double().numpy(),
        albedo=albedo,
        pose=pose,
        age=age,
    )


def camera_view(tables: ModelTables, p: Person, r: np.ndarray, t: np.ndarray):
    """The person seen by the camera ``x_cam = r x_world + t``: vertices (V, 3), keypoints
    (K, 3), and the camera-frame ``global_orient`` (3, 3) and ``transl`` (3,) that give them.

    For Anny this is a rigid motion of the world pose; other models are posed again, since
    their face-contour landmarks follow the head's orientation.
    """
    go = r @ p.world
    transl = t + (r - np.eye(3)) @ p.pivot
    if tables.is_anny:
        return p.verts @ r.T + t, p.keypoints @ r.T + t, go, transl
    params = to_torch(p.params)
    with torch.no_grad():
        out = tables.model(
            global_orient_rotmat=torch.as_tensor(go, dtype=torch.float32)[None, None],
            transl=torch.as_tensor(transl, dtype=torch.float32)[None],
            **params,
        )
    return out.vertices[0].double().numpy(), out.keypoints[0].double().numpy(), go, transl
