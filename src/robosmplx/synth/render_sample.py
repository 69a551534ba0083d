"""One synthetic sample: scene -> image (uint8 RGB), part maps and ground truth.

Per sample: draw the main person (and for whole-body and body scenes sometimes one or two more),
choose the task's camera (:mod:`robosmplx.synth.scene`), z-buffer rasterize every person at the
output size with the project's hard rasterizer, shade per pixel over a procedural background,
add occluders and camera noise. Ground truth: parameters with the global orientation and
translation in the camera frame, 3D keypoints (camera frame), 2D keypoints whose confidence is
their visibility (inside the image, not behind the z-buffer's nearer surface, not under an
occluder), part boxes from keypoints, and part maps of the main person alone (self-occlusion
only, so they agree with rendering the ground-truth mesh, as the part-mask loss does).
Everything is drawn from ``SeedSequence((seed, index))``: a sample depends on nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch

from robosmplx.body.parts import BODY_PARTS
from robosmplx.data.augment import STAGE_AUGMENT
from robosmplx.data.crop import invert_affine
from robosmplx.geometry.rotations import matrix_to_axis_angle
from robosmplx.render import rasterize
from robosmplx.synth import scene as S
from robosmplx.synth.appearance import sample_lighting, shade_pixels
from robosmplx.synth.backgrounds import background, occluders
from robosmplx.synth.config import PART_BOX_SCALE, SynthConfig
from robosmplx.synth.people import ModelTables, Person, sample_person

TOL_ANY = 0.025  # m: a keypoint this close behind the visible surface counts as seen
TOL_PART = {"body": 0.15, "hand": 0.04, "face": 0.03}  # m, when its own part is in front
MIN_IN_IMAGE = {"lhand": 11, "rhand": 11, "face": 36, "body": 4}
BODY_INDEX = {n: i for i, n in enumerate(BODY_PARTS)}


@dataclass
class SynthSample:
    """image (S, S, 3) uint8 RGB; parts {body|hand|face: (S, S) uint8, 0 = background};
    record: flat per-sample annotation arrays (see docs/synth.md); jpeg_quality."""

    image: np.ndarray
    parts: dict[str, np.ndarray]
    record: dict[str, np.ndarray]
    jpeg_quality: int


def sample_seed(seed: int, index: int) -> np.random.SeedSequence:
    return np.random.SeedSequence([seed, index])


def tight_box(points: np.ndarray, scale: float) -> np.ndarray:
    """(N, 2) -> (4,) xywh of their bounding box enlarged by ``scale`` about its centre."""
    lo, hi = points.min(0), points.max(0)
    c, half = (lo + hi) / 2.0, (hi - lo) / 2.0 * scale
    return np.concatenate((c - half, 2.0 * half))


def part_box(kp2d: np.ndarray, inside: np.ndarray, idx: np.ndarray, name: str, scale: float) -> np.ndarray:
    """(5,) xywh + confidence: tight box of the subset's keypoints inside the image (all of
    them when too few are), confidence 1 when enough are inside."""
    ok = inside[idx]
    enough = int(ok.sum()) >= min(MIN_IN_IMAGE[name], len(idx))
    pts = kp2d[idx][ok] if enough else kp2d[idx]
    return np.concatenate((tight_box(pts, scale), [1.0 if enough else 0.0]))


def _world_to_cam(p: Person, cam: S.Camera) -> np.ndarray:
    return p.verts @ cam.R.T + cam.t


def task_camera(cfg: SynthConfig, tables: ModelTables, main: Person, rng: np.random.Generator):
    """(Camera, meta) for the task: framed person, body crop, hand or face close-up."""
    size = cfg.size
    meta = {"truncated": 0, "hand_side": ""}
    if cfg.task == "wholebody":
        k, r, t, trunc = S.frame_person(rng, main.verts, size, cfg.truncation_prob)
        meta["truncated"] = int(trunc)
        return S.Camera(k, r, t, size), meta
    if cfg.task == "body":
        f = cfg.frame_size
        k, r, t, trunc = S.frame_person(rng, main.verts, f, cfg.truncation_prob)
        uv = S.project(main.keypoints @ r.T + t, k)
        inside = ((uv >= -0.5) & (uv <= f - 0.5)).all(1)
        box = tight_box(uv[inside] if inside.sum() >= 2 else uv, PART_BOX_SCALE["body"])
        k_img, a = S.crop_camera(k, box, STAGE_AUGMENT["body"].box_scale, size)
        meta["truncated"] = int(trunc)
        return S.Camera(k_img, r, t, size, (f, f), a), meta
    kp = main.keypoints
    if cfg.task == "hand":
        side = "L" if rng.uniform() < 0.5 else "R"
        idx = tables.subsets[f"{side.lower()}hand"]
        n = tables.names.index
        fwd = kp[n(f"{side}_Middle_1")] - kp[n(f"{side}_Wrist")]
        across = kp[n(f"{side}_Pinky_1")] - kp[n(f"{side}_Index_1")]
        normal = np.cross(fwd, across)
        normal *= rng.choice([-1.0, 1.0]) / max(np.linalg.norm(normal), 1e-9)
        body = tables.body_labels
        near = np.isin(body, [BODY_INDEX[side + p] for p in ("_forearm", "_wrist", "_hand")])
        k, r, t = S.close_up(rng, main.verts, kp[idx].mean(0), normal, (0.25, 0.7), 45.0, near)
        meta["hand_side"] = side
        name = f"{side.lower()}hand"
    else:
        idx = tables.subsets["face"]
        n = tables.names.index
        ears = kp[n("L_Ear")] - kp[n("R_Ear")]
        fwd = kp[n("Nose")] - (kp[n("L_Ear")] + kp[n("R_Ear")]) / 2.0
        up = np.cross(fwd, ears)
        turn = S.axis_rotation(up, np.radians(rng.uniform(-80.0, 80.0)))
        nod = S.axis_rotation(ears, np.radians(rng.normal(0.0, 15.0)))
        k, r, t = S.close_up(rng, main.verts, kp[idx].mean(0), turn @ nod @ fwd, (0.35, 1.0), 10.0,
                             tables.face_labels >= 0)  # fmt: skip
        name = "face"
    uv = S.project(kp[idx] @ r.T + t, k)
    k_img, a = S.crop_camera(k, tight_box(uv, PART_BOX_SCALE[cfg.task]), STAGE_AUGMENT[cfg.task].box_scale, size)
    meta["part"] = name
    return S.Camera(k_img, r, t, size), meta


def _extras(cfg, tables, main_t, cam, rng) -> list[tuple[Person, np.ndarray]]:
    """Extra people (person, camera-frame vertices) for whole-body and body scenes."""
    if cfg.task not in ("wholebody", "body") or rng.uniform() >= cfg.extra_people_prob:
        return []
    out = []
    for _ in range(int(rng.integers(1, 3))):
        p = sample_person(tables, rng)
        v0 = p.verts @ cam.R.T
        t = S.place_extra(rng, main_t, v0)
        if t is not None:
            out.append((p, v0 + t))
    return out


def _frame_mask(cam: S.Camera) -> np.ndarray | None:
    """(S, S) bool, True where the output pixel comes from inside the virtual frame."""
    if cam.frame_affine is None:
        return None
    inv = invert_affine(cam.frame_affine)
    ys, xs = np.mgrid[0 : cam.size, 0 : cam.size].astype(np.float64)
    u = inv[0, 0] * xs + inv[0, 1] * ys + inv[0, 2]
    v = inv[1, 0] * xs + inv[1, 1] * ys + inv[1, 2]
    w, h = cam.frame_size
    return (u >= -0.5) & (u <= w - 0.5) & (v >= -0.5) & (v <= h - 0.5)


def _frame_xyxy(cam: S.Camera) -> np.ndarray:
    """(4,) the virtual frame's edges in output pixels (the whole output when there is none)."""
    if cam.frame_affine is None:
        return np.array([-0.5, -0.5, cam.size - 0.5, cam.size - 0.5])
    w, h = cam.frame_size
    a = cam.frame_affine
    corners = np.array([[-0.5, -0.5], [w - 0.5, h - 0.5]]) @ a[:, :2].T + a[:, 2]
    return corners.reshape(-1)


def _raster(verts: np.ndarray, faces: torch.Tensor, k: np.ndarray, size: int, cull: bool):
    v = torch.as_tensor(verts, dtype=torch.float32)[None]
    with torch.no_grad():
        kt = torch.as_tensor(k, dtype=torch.float32)
        fr = rasterize(v, faces, kt, (size, size), cull_backfaces=cull)
    return fr.face_idx[0].numpy(), fr.bary[0].numpy(), fr.depth[0].numpy()


def _shade(normals, faces, albedo, fidx, bary, k, light) -> tuple[np.ndarray, np.ndarray]:
    """Colours (N, 3) of the N covered pixels, and their flat indices."""
    pix = np.flatnonzero(fidx.reshape(-1) >= 0)
    corners = faces[fidx.reshape(-1)[pix]]  # (N, 3)
    w = bary.reshape(-1, 3)[pix][..., None]  # (N, 3, 1)
    n = (normals[corners] * w).sum(1)
    n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-9)
    alb = (albedo[corners] * w).sum(1)
    size = fidx.shape[1]
    xy = np.stack((pix % size, pix // size, np.ones_like(pix)), 1).astype(np.float64)
    rays = xy @ np.linalg.inv(k).T
    rays /= np.linalg.norm(rays, axis=1, keepdims=True)
    return shade_pixels(alb, n, rays, light), pix


def _antialias(img: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Soften the silhouette's stair steps: blend a blurred copy on a thin band at the edge."""
    m = mask.astype(np.uint8)
    band = (cv2.dilate(m, np.ones((3, 3), np.uint8)) != cv2.erode(m, np.ones((3, 3), np.uint8)))
    blur = cv2.blur(img, (3, 3))
    img[band] = 0.5 * img[band] + 0.5 * blur[band]
    return img


def _visibility(kp_cam, kp2d, inside, fidx, depth, owner_main, face_body, kp_parts, kp_kind, occ):
    """(K,) bool visible: inside, and nothing nearer than the tolerances covers it."""
    size = fidx.shape[0]
    vis = inside.copy()
    ix = np.clip(np.round(kp2d[:, 0]).astype(int), 0, size - 1)
    iy = np.clip(np.round(kp2d[:, 1]).astype(int), 0, size - 1)
    f = fidx[iy, ix]
    z = depth[iy, ix]
    covered = f >= 0
    ahead = z < kp_cam[:, 2] - TOL_ANY
    part = np.where(owner_main[iy, ix], face_body[np.maximum(f, 0)], -1)
    own = (part >= 0) & kp_parts[np.arange(len(kp2d)), np.maximum(part, 0)]
    tol = np.array([TOL_PART[k] for k in kp_kind])
    own_ok = own & (z >= kp_cam[:, 2] - tol)
    vis &= ~(covered & ahead & ~own_ok)
    if occ is not None:
        vis &= ~occ[iy, ix]
    return vis


def make_sample(cfg: SynthConfig, tables: ModelTables, index: int) -> SynthSample:
    """Generate sample ``index`` of the dataset ``cfg`` describes."""
    streams = [np.random.default_rng(s) for s in sample_seed(cfg.seed, index).spawn(5)]
    rng_person, rng_cam, rng_extra, rng_look, rng_post = streams
    size = cfg.size
    main = sample_person(tables, rng_person)
    cam, meta = task_camera(cfg, tables, main, rng_cam)
    main_cam = _world_to_cam(main, cam)  # (V, 3)
    extras = _extras(cfg, tables, cam.t, cam, rng_extra)
    faces = tables.faces_np
    nv, nf = main_cam.shape[0], faces.shape[0]
    verts_all = np.concatenate([main_cam] + [v for _, v in extras])
    faces_all = np.concatenate([faces + i * nv for i in range(1 + len(extras))])
    albedo = np.concatenate([main.albedo] + [p.albedo for p, _ in extras])
    cull = tables.cull_backfaces
    fidx, bary, depth = _raster(verts_all, torch.as_tensor(faces_all), cam.K, size, cull)
    if extras:
        mfidx = _raster(main_cam, tables.faces, cam.K, size, cull)[0]
    else:
        mfidx = fidx

    # image
    light = sample_lighting(rng_look)
    img = background(rng_look, size).reshape(-1, 3).copy()
    normals = np.concatenate([tables.vertex_normals(main_cam)] + [tables.vertex_normals(v) for _, v in extras])
    colours, pix = _shade(normals, faces_all, albedo, fidx, bary, cam.K, light)
    img[pix] = colours
    img = _antialias(img.reshape(size, size, 3).astype(np.float32), fidx >= 0)

    # keypoints
    kp_cam = main.keypoints @ cam.R.T + cam.t  # (K, 3)
    kp2d = S.project(kp_cam, cam.K)
    frame = _frame_mask(cam)
    inside = (kp_cam[:, 2] > 0) & ((kp2d >= -0.5) & (kp2d <= size - 0.5)).all(1)
    if frame is not None:
        ix = np.clip(np.round(kp2d).astype(int), 0, size - 1)
        inside &= frame[ix[:, 1], ix[:, 0]]
    boxes = {"body": part_box(kp2d, inside, np.arange(len(kp2d)), "body", PART_BOX_SCALE["body"])}
    for name in ("lhand", "rhand", "face"):
        if name in tables.subsets:
            kind = "face" if name == "face" else "hand"
            boxes[name] = part_box(kp2d, inside, tables.subsets[name], name, PART_BOX_SCALE[kind])
    if cfg.task == "hand":
        target = meta["part"]
        boxes["body"] = boxes[target].copy()
        for name in ("lhand", "rhand"):
            if name != target and name in boxes:
                boxes[name][4] = 0.0
    elif cfg.task == "face":
        boxes["body"] = boxes["face"].copy()
        for name in ("lhand", "rhand"):
            if name in boxes:
                boxes[name][4] = 0.0

    occ = None
    if rng_post.uniform() < cfg.occluder_prob:
        occ_img, occ = occluders(rng_post, size, boxes["body"][:4])
        img[occ] = occ_img[occ]
    owner_main = np.zeros_like(fidx, bool)
    owner_main[(fidx >= 0) & (fidx < nf)] = True
    kind = np.array(["body"] * len(kp2d), dtype=object)
    for name, subset in tables.subsets.items():
        if name in ("lhand", "rhand"):
            kind[subset[1:]] = "hand"
        elif name == "face":
            kind[subset] = "face"
    vis = _visibility(kp_cam, kp2d, inside, fidx, depth, owner_main, tables.face_body,
                      tables.kp_parts, kind, occ)  # fmt: skip

    # part maps of the main person alone
    parts = {}
    for name, lab in (("body", tables.face_body), ("hand", tables.face_hand), ("face", tables.face_face)):
        m = np.where(mfidx >= 0, lab[np.maximum(mfidx, 0)] + 1, 0)
        parts[name] = np.clip(m, 0, 255).astype(np.uint8)
    if frame is not None:
        img[~frame] = 0.0
        for m in parts.values():
            m[~frame] = 0

    # camera noise
    img = img * 255.0
    if rng_post.uniform() < 0.25:
        img = cv2.GaussianBlur(img, (0, 0), rng_post.uniform(0.4, 1.2) * size / 256)
    img = img + rng_post.normal(0.0, rng_post.uniform(0.0, 5.0), img.shape)
    image = np.clip(img + 0.5, 0, 255).astype(np.uint8)
    quality = int(rng_post.integers(cfg.jpeg_quality[0], cfg.jpeg_quality[1] + 1))

    record = _record(cfg, tables, main, cam, kp_cam, kp2d, vis, inside, boxes, index, meta, extras, occ)
    return SynthSample(image, parts, record, quality)


def _record(cfg, tables, main, cam, kp_cam, kp2d, vis, inside, boxes, index, meta, extras, occ):
    """Flat per-sample arrays: parameters in the camera frame, keypoints, boxes, camera, meta."""
    go = cam.R @ main.world
    go_aa = matrix_to_axis_angle(torch.from_numpy(go)).numpy()
    transl = cam.t + (cam.R - np.eye(3)) @ main.pivot
    g = tables.group
    rec: dict[str, np.ndarray] = {
        f"{g}.global_orient": go_aa.astype(np.float32),
        f"{g}.transl": transl.astype(np.float32),
    }
    for k, v in main.params.items():
        rec[f"{g}.{k}"] = np.asarray(v, np.float32)
    stem = f"{index:07d}"
    rec.update({
        "image_path": np.array(f"images/{stem}.jpg"),
        "segm_path": np.array(f"parts/body/{stem}.png"),
        "segm_hand_path": np.array(f"parts/hand/{stem}.png"),
        "segm_face_path": np.array(f"parts/face/{stem}.png"),
        "keypoints2d": np.concatenate((kp2d, vis[:, None]), 1).astype(np.float32),
        "keypoints3d": np.concatenate((kp_cam, np.ones((len(kp_cam), 1))), 1).astype(np.float32),
        "keypoints_in_image": inside.astype(np.uint8),
        "bbox_xywh": boxes["body"].astype(np.float32),
        "K": cam.K.astype(np.float32),
        "root_cam": (main.pivot + transl).astype(np.float32),
        "meta.index": np.array(index, np.int64),
        "meta.activity": np.array(main.pose.activity),
        "meta.grips": np.array("/".join(main.pose.grips)),
        "meta.age_group": np.array(main.age),
        "meta.num_people": np.array(1 + len(extras), np.int64),
        "meta.occluded": np.array(int(occ is not None), np.uint8),
        "meta.truncated": np.array(meta["truncated"], np.uint8),
        "meta.hand_side": np.array(meta["hand_side"]),
        "meta.frame_xyxy": _frame_xyxy(cam).astype(np.float32),
    })  # fmt: skip
    for name in ("lhand", "rhand", "face"):
        if name in boxes:
            rec[f"{name}_bbox_xywh"] = boxes[name].astype(np.float32)
    return rec
