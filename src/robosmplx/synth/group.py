"""Photos of several people in one real camera, for checking depth: people drawn by the synthetic
engine stand side by side at chosen distances in front of a camera of known focal length, and
are rendered together (they occlude each other) over a background.

The ground truth is what inference should recover with one camera per photo: the intrinsics
``K``, and per person the camera-frame ``global_orient`` / ``transl`` / parameters, the body
root's position (its depth is what ``robosmplx bench depth`` scores) and the person box.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from robosmplx.synth import scene as S
from robosmplx.synth.people import ModelTables, camera_view, sample_person
from robosmplx.synth.render_sample import _antialias, _render, tight_box


@dataclass
class GroupPerson:
    """One person of a group photo: parameters (numpy, the model's groups, ``global_orient``
    as a (1, 3, 3) camera-frame rotation), ``transl`` (3,), the body root (3,) camera frame and
    the person box (4,) xywh pixels (of the projected vertices)."""

    params: dict[str, np.ndarray]
    transl: np.ndarray
    root: np.ndarray
    box: np.ndarray


@dataclass
class GroupPhoto:
    """An RGB uint8 image (S, S, 3), its intrinsics ``K`` (3, 3) and the people, left to right."""

    image: np.ndarray
    K: np.ndarray
    people: list[GroupPerson]


def group_photo(
    tables: ModelTables,
    seed: int,
    count: int = 2,
    size: int = 512,
    fov_deg: float = float(np.degrees(2.0 * np.arctan(0.5))),
    depth: tuple[float, float] = (2.5, 7.0),
) -> GroupPhoto:
    """``count`` people at depths drawn from ``depth`` (metres), spread across the view of a
    ``size`` x ``size`` camera with diagonal field of view ``fov_deg`` (the default is the
    inference prior's, the image diagonal as focal length), seen from eye height."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, count, size]))
    diag = size * np.sqrt(2.0)
    k = S.intrinsics(diag / 2.0 / np.tan(np.radians(fov_deg) / 2.0), size, size)
    r = S.look_at(np.array([0.0, -np.sin(np.radians(5.0)), -np.cos(np.radians(5.0))]))
    cam = S.Camera(k, r, np.zeros(3), size)
    placed, people = [], []
    root_index = tables.model.keypoint_layout.roots["body"]
    slots = (np.arange(count) + 0.5) / count * 2.0 - 1.0  # -1..1 across the image
    for i in range(count):
        p = sample_person(tables, rng)
        z = rng.uniform(*depth)
        half_width = z * (size / 2.0) / k[0, 0]  # half the view's width at that depth, metres
        x = slots[i] * half_width * 0.75 + rng.normal(0.0, 0.05)
        v0 = p.verts @ r.T  # (V, 3) turned into camera axes, root near the origin
        root0 = p.keypoints[root_index] @ r.T
        y = 0.1 - (v0[:, 1].max() + v0[:, 1].min()) / 2.0  # the body's centre a little low
        t = np.array([x - root0[0], y, z - root0[2]])
        verts, kps, go, transl = camera_view(tables, p, r, t)
        placed.append((p, verts))
        root = kps[root_index]
        uv = S.project(verts, k)
        params = {**p.params, "global_orient": go[None].astype(np.float32)}
        people.append(GroupPerson(params, transl, root, tight_box(uv, 1.0)))
    (main, main_v), extras = placed[0], placed[1:]
    img, fidx, _, _ = _render(tables, cam, main_v, main.albedo, extras, rng)
    image = np.clip(_antialias(img, fidx >= 0) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return GroupPhoto(image, k, people)
