"""A short synthetic clip of two people walking past each other, with their true boxes: what
identity tracking is measured on (``robosmplx bench track``, tests).

Two drawn people (:func:`robosmplx.synth.people.sample_person`) cross the image in opposite
directions, one a metre behind the other, in front of one fixed camera over a fixed background;
in the middle frames the nearer one hides part of the other. Every frame is rendered by the
synthesis renderer, so the people look as in the training data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from robosmplx.synth import scene as S

DISTANCE_M = 5.0  # camera to the nearer person's path
GAP_M = 1.0  # the farther person walks this much behind
SPAN_M = 1.6  # each walks from -SPAN to +SPAN (or back) across the frame
FOV_WIDTH_M = 3.6  # scene width seen at DISTANCE_M
# world (y up, people facing +z) -> camera (x right, y down, looking along +z at the people)
CAMERA_R = np.diag([1.0, -1.0, -1.0])


@dataclass
class CoupleClip:
    """frames: T RGB uint8 (S, S, 3); boxes (T, 2, 4) xywh of person 0 and 1 (their rendered
    silhouettes); K (3, 3) the camera."""

    frames: list[np.ndarray]
    boxes: np.ndarray
    K: np.ndarray

    def write(self, path: str | Path, fps: float = 10.0) -> Path:
        """The clip as an MJPG ``.avi`` (lossless enough for tracking, readable everywhere)."""
        import cv2

        path = Path(path)
        size = self.frames[0].shape[1], self.frames[0].shape[0]
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
        for f in self.frames:
            writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
        writer.release()
        return path

    def box_document(self, name: str, order=None) -> dict:
        """A ``--boxes`` file's content for this clip under input key ``name``; ``order``
        (T, 2) permutes each frame's two boxes (a detector lists people in no fixed order)."""
        frames = {}
        for t, b in enumerate(self.boxes):
            idx = range(2) if order is None else order[t]
            frames[str(t)] = [[round(float(v), 2) for v in b[i]] for i in idx]
        return {"format": "xywh", "images": {name: frames}}


def _silhouette_box(fidx: np.ndarray, face_lo: int, face_hi: int) -> np.ndarray:
    """xywh of the pixels whose face index is in [face_lo, face_hi) (the person's own)."""
    ys, xs = np.nonzero((fidx >= face_lo) & (fidx < face_hi))
    if len(xs) == 0:
        return np.zeros(4)
    return np.array([xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1], float)


def couple_clip(
    frames: int = 8, size: int = 128, seed: int = 0, body_model: str = "anny-small"
) -> CoupleClip:
    """Render ``frames`` frames of ``size`` x ``size`` pixels of two people crossing."""
    import torch

    from robosmplx.body import load_body_model
    from robosmplx.synth.appearance import sample_lighting
    from robosmplx.synth.backgrounds import background
    from robosmplx.synth.people import ModelTables, sample_person
    from robosmplx.synth.render_sample import _antialias, _raster, _shade

    tables = ModelTables(load_body_model(body_model))
    rng = np.random.default_rng(seed)
    people = [sample_person(tables, rng) for _ in range(2)]
    focal = size * DISTANCE_M / FOV_WIDTH_M
    k = S.intrinsics(focal, size, size)
    light = sample_lighting(rng)
    back = background(rng, size).reshape(-1, 3)
    faces, nf = tables.faces_np, len(tables.faces_np)
    out_frames, out_boxes = [], []
    for t in np.linspace(0.0, 1.0, frames):
        verts, albedo = [], []
        for i, p in enumerate(people):
            x = (-SPAN_M + 2 * SPAN_M * t) * (1 if i == 0 else -1)
            v = p.verts - (p.verts.max(0) + p.verts.min(0)) / 2  # centred on the body
            v = v + np.array([x, 0.0, -GAP_M * i])
            verts.append(v @ CAMERA_R.T + np.array([0.0, 0.0, DISTANCE_M]))
            albedo.append(p.albedo)
        allv = np.concatenate(verts)
        allf = np.concatenate([faces, faces + len(verts[0])])
        fidx, bary, _ = _raster(allv, torch.as_tensor(allf), k, size, tables.cull_backfaces)
        normals = np.concatenate([tables.vertex_normals(v) for v in verts])
        colours, pix = _shade(normals, allf, np.concatenate(albedo), fidx, bary, k, light)
        img = back.copy()
        img[pix] = colours
        img = _antialias(img.reshape(size, size, 3).astype(np.float32), fidx >= 0)
        out_frames.append(np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8))
        out_boxes.append([_silhouette_box(fidx, 0, nf), _silhouette_box(fidx, nf, 2 * nf)])
    return CoupleClip(out_frames, np.asarray(out_boxes), k)


def id_switches(truth: list[list[int]], ids: list[list[int]]) -> int:
    """Identity switches (the MOT definition): how often a true person's track id differs from
    the one they had when last seen. ``truth[t]`` and ``ids[t]``: per frame, the true person
    and the track id of each detection."""
    last: dict[int, int] = {}
    switches = 0
    for who, got in zip(truth, ids):
        for person, tid in zip(who, got):
            if person in last and last[person] != tid:
                switches += 1
            last[person] = tid
    return switches
