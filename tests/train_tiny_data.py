"""A tiny HumanData set for the training tests: Anny-small people rendered as part-coloured
silhouettes, with complete ground truth (parameters, 2D/3D keypoints, boxes, part maps, K).

Poses are small random perturbations of the rest pose under a camera-frame global orientation,
so a tiny network can fit them in a few hundred steps.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch

from robosmplx.data.humandata import save_humandata
from robosmplx.geometry.camera import CANONICAL_TO_CAMERA, project
from robosmplx.geometry.rotations import axis_angle_to_matrix, matrix_to_axis_angle
from robosmplx.render.raster import part_map

IMAGE = 96


def _box(uv: np.ndarray, pad: float = 1.1) -> np.ndarray:
    lo, hi = uv.min(0), uv.max(0)
    c, s = (lo + hi) / 2, (hi - lo).max() * pad + 2.0
    return np.array([c[0] - s / 2, c[1] - s / 2, s, s, 1.0], np.float32)


def write_tiny_set(out: str | Path, model, count: int = 8, seed: int = 0, pose_scale: float = 0.15) -> Path:
    """Render ``count`` people into ``out``; returns the HumanData path."""
    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    g = torch.Generator().manual_seed(seed)
    spec = {gr.name: gr for gr in model.spec.groups}
    params_aa: dict[str, list] = {k: [] for k in spec}
    rows = {k: [] for k in ("image_path", "segm_path", "segm_hand_path", "segm_face_path")}
    kp2s, kp3s, boxes, transls, ks = [], [], [], [], []
    part_boxes = {"lhand": [], "rhand": [], "face": []}
    palette = np.random.default_rng(seed).uniform(40, 230, (64, 3))
    focal = 200.0
    kmat = torch.tensor([[focal, 0, (IMAGE - 1) / 2], [0, focal, (IMAGE - 1) / 2], [0, 0, 1.0]])
    layout = model.keypoint_layout
    for i in range(count):
        p = {}
        for name, gr in spec.items():
            if gr.kind == "rotation":
                aa = torch.randn(1, gr.size, 3, generator=g) * pose_scale
                if name == "global_orient":
                    yaw = axis_angle_to_matrix(torch.tensor([[0.0, float(torch.randn(1, generator=g)) * 0.6, 0.0]]))
                    aa = matrix_to_axis_angle(CANONICAL_TO_CAMERA @ yaw)[:, None]
                p[f"{name}_rotmat"] = axis_angle_to_matrix(aa)
                params_aa[name].append(aa[0].numpy())
            else:
                v = model.vector_default(name)[None] + torch.randn(1, gr.size, generator=g) * 0.05
                p[name] = v
                params_aa[name].append(v[0].numpy())
        transl = torch.tensor([[0.05 * float(torch.randn(1, generator=g)), 0.0, 4.5]])
        with torch.no_grad():
            o = model(transl=transl, **p)
        verts, kp3 = o.vertices, o.keypoints  # (1, V, 3), (1, K, 3)
        uv = project(kp3, kmat[None])[0].numpy()  # (K, 2)
        maps = {}
        for part in ("body", "hand", "face"):
            labels = getattr(model, f"{part}_part_labels")
            n = model.part_layout.counts[part]
            maps[part] = part_map(verts, model.faces, kmat, (IMAGE, IMAGE), labels, n)[0].numpy()
        img = palette[maps["body"]].astype(np.float32)
        noise = 20.0 + 10.0 * np.random.default_rng(seed + i).random((IMAGE, IMAGE, 1))
        img = np.where(maps["body"][..., None] == 0, noise, img)
        name = f"images/{i:04d}.png"
        cv2.imwrite(str(out / name), cv2.cvtColor(img.astype(np.uint8), cv2.COLOR_RGB2BGR))
        rows["image_path"].append(name)
        for part, key in (("body", "segm_path"), ("hand", "segm_hand_path"), ("face", "segm_face_path")):
            seg = f"images/{i:04d}_{part}.png"
            cv2.imwrite(str(out / seg), maps[part].astype(np.uint8))
            rows[key].append(seg)
        kp2s.append(np.concatenate((uv, np.ones((len(uv), 1))), 1))
        kp3s.append(np.concatenate((kp3[0].numpy(), np.ones((len(uv), 1))), 1))
        boxes.append(_box(project(verts, kmat[None])[0].numpy()))
        for k in part_boxes:
            part_boxes[k].append(_box(uv[list(layout.subsets[k])], pad=1.3))
        transls.append(transl[0].numpy())
        ks.append(kmat.numpy())
    data = {
        "image_path": np.array(rows["image_path"]),
        "segm_path": np.array(rows["segm_path"]),
        "segm_hand_path": np.array(rows["segm_hand_path"]),
        "segm_face_path": np.array(rows["segm_face_path"]),
        "bbox_xywh": np.stack(boxes),
        "lhand_bbox_xywh": np.stack(part_boxes["lhand"]),
        "rhand_bbox_xywh": np.stack(part_boxes["rhand"]),
        "face_bbox_xywh": np.stack(part_boxes["face"]),
        "keypoints2d": np.stack(kp2s).astype(np.float32),
        "keypoints3d": np.stack(kp3s).astype(np.float32),
        "keypoint_convention": np.array("anny"),
        "K": np.stack(ks).astype(np.float32),
        "body_model": np.array("anny"),
        "anny": {k: np.stack(v).astype(np.float32) for k, v in params_aa.items()},
    }
    data["anny"]["transl"] = np.stack(transls).astype(np.float32)
    return save_humandata(out / "annotations.npz", data)
