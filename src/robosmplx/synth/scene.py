"""Cameras for synthetic scenes: framing a person (with truncation), close-ups of a hand or the
face, the pipeline's crop as intrinsics, and where extra people stand.

Every camera is a pinhole with OpenCV axes: ``x_cam = R x_world + t``. A *frame* is the virtual
full image the person is placed in; task images that are crops of it (body, hand, face) are
rendered directly through ``K_image = A K_frame``, where ``A`` is the data pipeline's own crop
affine (:func:`robosmplx.data.crop.crop_affine` of the square box the pipeline would cut). For a
crop made of scale and shift only this is exactly the crop of the full render, minus the
resampling blur, at a fraction of the cost; pixels falling outside the frame are black, as the
pipeline's crop would leave them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from robosmplx.data.crop import crop_affine, square_box, to3x3
from robosmplx.synth.pose import rotation, rotvec_matrix

WORLD_UP = np.array([0.0, 1.0, 0.0])


@dataclass(frozen=True)
class Camera:
    """Intrinsics ``K`` (3, 3) of the ``size`` x ``size`` output image, rotation ``R`` (3, 3)
    world -> camera, translation ``t`` (3,); ``frame_affine`` (2, 3) maps pixels of a virtual
    ``frame_size`` (W, H) full image onto the output (None: the output is not a crop of one)."""

    K: np.ndarray
    R: np.ndarray
    t: np.ndarray
    size: int
    frame_size: tuple[int, int] | None = None
    frame_affine: np.ndarray | None = None


def axis_rotation(axis: np.ndarray, angle: float) -> np.ndarray:
    """(3, 3) rotation by ``angle`` radians about ``axis`` (3,) (Rodrigues)."""
    a = np.asarray(axis, np.float64)
    return rotvec_matrix(a / max(float(np.linalg.norm(a)), 1e-12) * angle)


def look_at(forward: np.ndarray, roll: float = 0.0, up: np.ndarray = WORLD_UP) -> np.ndarray:
    """(3, 3) world -> camera rotation looking along ``forward`` with world ``up`` at the top of
    the image, then turned by ``roll`` radians about the optical axis."""
    z = forward / np.linalg.norm(forward)
    y = -(up - (up @ z) * z)
    if np.linalg.norm(y) < 1e-6:  # looking straight up or down: any image "up" will do
        y = np.cross(z, [1.0, 0.0, 0.0])
    y = y / np.linalg.norm(y)
    r = np.stack((np.cross(y, z), y, z))
    return rotation("z", roll) @ r


def project(points_cam: np.ndarray, k: np.ndarray) -> np.ndarray:
    """(N, 3) camera-frame points -> (N, 2) pixels."""
    z = np.maximum(points_cam[:, 2:3], 1e-6)
    return points_cam[:, :2] / z * k[[0, 1], [0, 1]] + k[:2, 2]


def intrinsics(focal: float, width: float, height: float) -> np.ndarray:
    """(3, 3) pinhole intrinsics with the principal point at the image centre."""
    return np.array(
        [[focal, 0.0, (width - 1) / 2.0], [0.0, focal, (height - 1) / 2.0], [0.0, 0.0, 1.0]]
    )


def place(
    points: np.ndarray, k: np.ndarray, center: np.ndarray, extent: float, iters: int = 3
) -> np.ndarray:
    """(3,) translation t so that ``points + t`` (camera axes) project to a box centred at
    ``center`` (2,) px whose longer side is ``extent`` px."""
    f = float(k[0, 0])
    mid = (points.max(0) + points.min(0)) / 2.0
    size3 = float(max(np.ptp(points[:, 0]), np.ptp(points[:, 1]), 1e-3))
    tz = f * size3 / extent - mid[2]
    t = np.array([0.0, 0.0, tz])
    for _ in range(iters):
        depth = mid[2] + t[2]
        t[:2] = (center - k[:2, 2]) * depth / f - mid[:2]
        uv = project(points + t, k)
        side = float(max(np.ptp(uv[:, 0]), np.ptp(uv[:, 1])))
        t[2] = (t[2] + mid[2]) * side / extent - mid[2]
    uv = project(points + t, k)
    t[:2] += (center - (uv.max(0) + uv.min(0)) / 2.0) * (mid[2] + t[2]) / f
    return t


def frame_person(
    rng: np.random.Generator,
    verts_world: np.ndarray,
    frame: int,
    truncation_prob: float,
    min_depth: float = 0.4,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """A camera for a person in a ``frame`` x ``frame`` image: any field of view, camera a little
    above or below, the person 45 to 90 % of the frame, sometimes cut by the frame's edge.

    Returns K (3, 3), R (3, 3), t (3,), truncated flag.
    """
    fov = np.radians(rng.uniform(35.0, 70.0))
    k = intrinsics(frame / 2.0 / np.tan(fov / 2.0), frame, frame)
    elev = np.radians(np.clip(rng.normal(8.0, 10.0), -20.0, 45.0))
    r = look_at(np.array([0.0, -np.sin(elev), -np.cos(elev)]), rng.normal(0.0, np.radians(3.0)))
    pts = verts_world[::4] @ r.T  # a quarter of the vertices frame the person well enough
    extent = rng.uniform(0.45, 0.9) * frame
    center = frame / 2.0 + rng.uniform(-0.12, 0.12, 2) * frame
    truncated = bool(rng.uniform() < truncation_prob)
    if truncated:  # push the box 15..45 % of its size past one edge
        axis, sign = int(rng.integers(2)), rng.choice([-1.0, 1.0])
        edge = frame / 2.0 + sign * frame / 2.0
        center[axis] = edge - sign * extent * (0.5 - rng.uniform(0.15, 0.45))
    t = place(pts, k, center, extent)
    depth = (pts + t)[:, 2].min()
    if depth < min_depth:
        t[2] += min_depth - depth
    return k, r, t, truncated


def crop_camera(
    k_frame: np.ndarray, box_xywh: np.ndarray, box_scale: float, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """The pipeline's crop of ``box_xywh`` (frame pixels) as (K_image (3, 3), affine (2, 3))."""
    center, side = square_box(box_xywh, box_scale)
    a = crop_affine(center, max(side, 1.0), size)
    return to3x3(a) @ k_frame, a


def close_up(
    rng: np.random.Generator,
    verts_world: np.ndarray,
    target: np.ndarray,
    direction: np.ndarray,
    distance: tuple[float, float],
    roll_deg: float,
    exclude: np.ndarray,
    tries: int = 8,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A camera near ``target`` (3,) looking at it from about ``direction`` (3,), ``distance``
    metres (range) away: K of a 640 px frame, R, t.

    Directions that put part of the body closer than 8 cm (or behind the camera) are refused;
    among ``tries`` draws with growing spread the first whose line of sight to the target is
    clear of the body (vertices not in ``exclude`` (V,) bool within 3 cm of it) wins, else the
    least blocked one. When every draw is refused, the camera looks from the body's centre
    outwards through the target, backing off until the body is in front of it.
    """
    fov = np.radians(rng.uniform(30.0, 60.0))
    k = intrinsics(320.0 / np.tan(fov / 2.0), 640, 640)
    others = verts_world[~exclude]
    direction = direction / max(float(np.linalg.norm(direction)), 1e-12)

    def camera(d: np.ndarray, dist: float, roll: float):
        r = look_at(-d, roll)
        t = -r @ (target + dist * d)
        return r, t, float((verts_world @ r.T + t)[:, 2].min())

    best = None
    for attempt in range(tries):
        d = direction + rng.normal(0.0, 0.3 + 0.1 * attempt, 3)
        d = d / np.linalg.norm(d)
        dist = rng.uniform(*distance)
        r, t, near = camera(d, dist, rng.normal(0.0, np.radians(roll_deg)))
        if near < 0.08:
            continue
        eye = target + dist * d
        seg = target - eye
        s = np.clip((others - eye) @ seg / (seg @ seg), 0.0, 1.0)
        gap = np.linalg.norm(others - (eye + s[:, None] * seg), axis=1)
        blocked = int(np.sum((gap < 0.03) & (s < 0.9)))
        if best is None or blocked < best[0]:
            best = (blocked, r, t)
        if blocked == 0:
            break
    if best is not None:
        return k, best[1], best[2]
    d = target - verts_world.mean(0)
    d = d / max(float(np.linalg.norm(d)), 1e-9)
    dist = distance[0]
    r, t, near = camera(d, dist, 0.0)
    while near < 0.08 and dist < 10.0:
        dist *= 1.5
        r, t, near = camera(d, dist, 0.0)
    return k, r, t


def place_extra(
    rng: np.random.Generator, main_t: np.ndarray, verts_cam0: np.ndarray, min_depth: float = 0.5
) -> np.ndarray | None:
    """Translation for an extra person (vertices ``verts_cam0`` already rotated into camera
    axes) beside or behind the main one at ``main_t``; None if it would touch the camera."""
    side = rng.choice([-1.0, 1.0])
    t = main_t + np.array(
        [side * rng.uniform(0.55, 1.6), rng.normal(0.0, 0.08), rng.uniform(-0.6, 2.5)]
    )
    if (verts_cam0[:, 2] + t[2]).min() < min_depth:
        return None
    return t
