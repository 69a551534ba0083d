"""One synthetic sample: scene -> image (uint8 RGB), part maps and ground truth.

Per sample: draw the main person (and for whole-body and body scenes sometimes one or two more),
choose the task's camera (:mod:`robosmplx.synth.scene`), z-buffer rasterize every person at the
output size with the project's hard rasterizer, shade per pixel over a procedural background,
add occluders and camera noise. Ground truth: parameters with the global orientation and
translation in the camera frame, 3D keypoints (camera frame), 2D keypoints whose confidence is
their visibility (inside the image, not behind the z-buffer's nearer surface, not under an
occluder), part boxes from keypoints, and part maps of the main person alone (self-occlusion
only, so they agree with rendering the ground-truth mesh, as the part-mask loss does).
Everything is drawn from ``SeedSequence((seed, task, index))``: a sample depends on nothing
else.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch

from robosmplx.data.augment import STAGE_AUGMENT
from robosmplx.data.crop import invert_affine
from robosmplx.geometry.rotations import matrix_to_axis_angle
from robosmplx.render import rasterize
from robosmplx.synth import scene as S
from robosmplx.synth.appearance import sample_lighting, shade_pixels
from robosmplx.synth.backgrounds import background, occluders
from robosmplx.synth.config import PART_BOX_SCALE, TASKS, SynthConfig
from robosmplx.synth.people import ModelTables, Person, camera_view, sample_person

MAX_ATTEMPTS = 4
MIN_SEEN = {"hand": 8, "face": 20}  # keypoints of the crop's part the body must not hide
TOL_ANY = 0.025  # m: a keypoint this close behind the visible surface counts as seen
TOL_PART = {"body": 0.15, "hand": 0.04, "face": 0.03}  # m, when its own part is in front
MIN_IN_IMAGE = {"lhand": 11, "rhand": 11, "face": 36, "body": 4}


@dataclass
class SynthSample:
    """image (S, S, 3) uint8 RGB; parts {body|hand|face: (S, S) uint8, 0 = background};
    record: flat per-sample annotation arrays (see docs/synth.md); jpeg_quality."""

    image: np.ndarray
    parts: dict[str, np.ndarray]
    record: dict[str, np.ndarray]
    jpeg_quality: int


def sample_seed(seed: int, task: str, index: int, attempt: int = 0) -> np.random.SeedSequence:
    """Seed of sample ``index``: (seed, task number, index), plus the attempt for redraws.
    The task is part of it so that body, hand and face sets of one seed show other people."""
    key = [seed, TASKS.index(task), index]
    return np.random.SeedSequence(key + ([attempt] if attempt else []))


def tight_box(points: np.ndarray, scale: float) -> np.ndarray:
    """(N, 2) -> (4,) xywh of their bounding box enlarged by ``scale`` about its centre."""
    lo, hi = points.min(0), points.max(0)
    c, half = (lo + hi) / 2.0, (hi - lo) / 2.0 * scale
    return np.concatenate((c - half, 2.0 * half))


def part_box(
    kp2d: np.ndarray, inside: np.ndarray, idx: np.ndarray, name: str, scale: float
) -> np.ndarray:
    """(5,) xywh + confidence: tight box of the subset's keypoints inside the image (all of
    them when too few are), confidence 1 when enough are inside."""
    ok = inside[idx]
    enough = int(ok.sum()) >= min(MIN_IN_IMAGE[name], len(idx))
    pts = kp2d[idx][ok] if enough else kp2d[idx]
    return np.concatenate((tight_box(pts, scale), [1.0 if enough else 0.0]))


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
        k, r, t = S.close_up(
            rng, main.verts, kp[idx].mean(0), normal, (0.25, 0.7), 45.0, tables.arm_end(side)
        )
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
    k_img, a = S.crop_camera(
        k, tight_box(uv, PART_BOX_SCALE[cfg.task]), STAGE_AUGMENT[cfg.task].box_scale, size
    )
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
    band = cv2.dilate(m, np.ones((3, 3), np.uint8)) != cv2.erode(m, np.ones((3, 3), np.uint8))
    blur = cv2.blur(img, (3, 3))
    img[band] = 0.5 * img[band] + 0.5 * blur[band]
    return img


def _visibility(kp_cam, kp2d, inside, fidx, depth, nf, tables: ModelTables, occ):
    """(K,) bool visible: inside the image, not under an occluder, and no surface nearer than
    the tolerances covers it (a keypoint inside a limb is seen when its own limb is in front,
    up to ``TOL_PART``; any other surface may be at most ``TOL_ANY`` in front)."""
    size = fidx.shape[0]
    ix = np.clip(np.round(kp2d[:, 0]).astype(int), 0, size - 1)
    iy = np.clip(np.round(kp2d[:, 1]).astype(int), 0, size - 1)
    f, z = fidx[iy, ix], depth[iy, ix]
    ahead = (f >= 0) & (z < kp_cam[:, 2] - TOL_ANY)
    part = np.where((f >= 0) & (f < nf), tables.face_body[np.clip(f, 0, nf - 1)], -1)
    own = (part >= 0) & tables.kp_parts[np.arange(len(kp2d)), np.maximum(part, 0)]
    tol = np.array([TOL_PART[k] for k in tables.kp_kind])
    vis = inside & ~(ahead & ~(own & (z >= kp_cam[:, 2] - tol)))
    return vis if occ is None else vis & ~occ[iy, ix]


def _render(tables, cam, main_cam, albedo, extras, rng):
    """Rasterize and shade every person over a background: image (S, S, 3) float in [0, 1],
    the scene's face index and depth (S, S), and the main person's own face index (S, S)."""
    size, faces = cam.size, tables.faces_np
    nv = main_cam.shape[0]
    verts = np.concatenate([main_cam] + [v for _, v in extras])
    faces_all = np.concatenate([faces + i * nv for i in range(1 + len(extras))])
    albedo = np.concatenate([albedo] + [p.albedo for p, _ in extras])
    cull = tables.cull_backfaces
    fidx, bary, depth = _raster(verts, torch.as_tensor(faces_all), cam.K, size, cull)
    own = _raster(main_cam, tables.faces, cam.K, size, cull)[0] if extras else fidx
    light = sample_lighting(rng)
    img = background(rng, size).reshape(-1, 3).copy()
    normals = np.concatenate([tables.vertex_normals(v) for v in np.split(verts, 1 + len(extras))])
    colours, pix = _shade(normals, faces_all, albedo, fidx, bary, cam.K, light)
    img[pix] = colours
    img = _antialias(img.reshape(size, size, 3).astype(np.float32), fidx >= 0)
    return img, fidx, depth, own


def _boxes(cfg, tables, kp2d, inside, meta) -> dict[str, np.ndarray]:
    """Person and part boxes (5,) each; hand and face crops use their part box as the person
    box, and switch off the other part boxes (only the crop's own part is meant)."""
    n = len(kp2d)
    boxes = {"body": part_box(kp2d, inside, np.arange(n), "body", PART_BOX_SCALE["body"])}
    for name in ("lhand", "rhand", "face"):
        if name in tables.subsets:
            scale = PART_BOX_SCALE["face" if name == "face" else "hand"]
            boxes[name] = part_box(kp2d, inside, tables.subsets[name], name, scale)
    if cfg.task in ("hand", "face"):
        boxes["body"] = boxes[meta["part"]].copy()
        for name in ("lhand", "rhand"):
            if name != meta["part"] and name in boxes:
                boxes[name][4] = 0.0
    return boxes


def _part_maps(tables, own_fidx, frame) -> dict[str, np.ndarray]:
    """Body, hand and face part maps (S, S) uint8 of the main person: label + 1, 0 elsewhere."""
    parts = {}
    for name, lab in (
        ("body", tables.face_body),
        ("hand", tables.face_hand),
        ("face", tables.face_face),
    ):
        m = np.where(own_fidx >= 0, lab[np.maximum(own_fidx, 0)] + 1, 0).astype(np.uint8)
        if frame is not None:
            m[~frame] = 0
        parts[name] = m
    return parts


def _camera_noise(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Float image in [0, 1] -> uint8, sometimes slightly blurred, with sensor noise."""
    img = img * 255.0
    if rng.uniform() < 0.25:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 1.2) * img.shape[0] / 256)
    img = img + rng.normal(0.0, rng.uniform(0.0, 5.0), img.shape)
    return np.clip(img + 0.5, 0, 255).astype(np.uint8)


def make_sample(cfg: SynthConfig, tables: ModelTables, index: int) -> SynthSample:
    """Generate sample ``index`` of the dataset ``cfg`` describes.

    A hand or face crop whose part the body itself hides (an arm across the face, a hand
    inside a thigh) is drawn again from the next attempt's seed, at most ``MAX_ATTEMPTS`` times.
    """
    for attempt in range(MAX_ATTEMPTS):
        sample = _attempt(cfg, tables, index, attempt, last=attempt == MAX_ATTEMPTS - 1)
        if sample is not None:
            return sample
    raise AssertionError("the last attempt always returns a sample")


def _attempt(cfg, tables, index, attempt, last) -> SynthSample | None:
    streams = [
        np.random.default_rng(s) for s in sample_seed(cfg.seed, cfg.task, index, attempt).spawn(5)
    ]
    rng_person, rng_cam, rng_extra, rng_look, rng_post = streams
    size = cfg.size
    main = sample_person(tables, rng_person)
    cam, meta = task_camera(cfg, tables, main, rng_cam)
    main_cam, kp_cam, go, transl = camera_view(tables, main, cam.R, cam.t)  # (V, 3), (K, 3)
    extras = _extras(cfg, tables, cam.t, cam, rng_extra)
    img, fidx, depth, own = _render(tables, cam, main_cam, main.albedo, extras, rng_look)

    kp2d = S.project(kp_cam, cam.K)  # (K, 2)
    frame = _frame_mask(cam)
    inside = (kp_cam[:, 2] > 0) & ((kp2d >= -0.5) & (kp2d <= size - 0.5)).all(1)
    if frame is not None:
        ix = np.clip(np.round(kp2d).astype(int), 0, size - 1)
        inside &= frame[ix[:, 1], ix[:, 0]]
    boxes = _boxes(cfg, tables, kp2d, inside, meta)
    if cfg.task in ("hand", "face") and not last:
        seen = _visibility(kp_cam, kp2d, inside, fidx, depth, len(tables.faces_np), tables, None)
        if seen[tables.subsets[meta["part"]]].sum() < MIN_SEEN[cfg.task]:
            return None
    occ = None
    if rng_post.uniform() < cfg.occluder_prob:
        occ_img, occ = occluders(rng_post, size, boxes["body"][:4])
        img[occ] = occ_img[occ]
    vis = _visibility(kp_cam, kp2d, inside, fidx, depth, tables.faces_np.shape[0], tables, occ)
    parts = _part_maps(tables, own, frame)
    if frame is not None:
        img[~frame] = 0.0
    image = _camera_noise(img, rng_post)
    quality = int(rng_post.integers(cfg.jpeg_quality[0], cfg.jpeg_quality[1] + 1))
    meta["attempt"] = attempt
    record = _record(tables, main, cam, (go, transl), (kp_cam, kp2d, vis, inside), boxes,
                     index, meta, len(extras), occ is not None)  # fmt: skip
    return SynthSample(image, parts, record, quality)


def _record(tables, main, cam, go_transl, keypoints, boxes, index, meta, n_extra, occluded):
    """Flat per-sample arrays: parameters in the camera frame, keypoints, boxes, camera, meta."""
    go, transl = go_transl
    kp_cam, kp2d, vis, inside = keypoints
    go_aa = matrix_to_axis_angle(torch.from_numpy(go)).numpy()
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
        "meta.num_people": np.array(1 + n_extra, np.int64),
        "meta.occluded": np.array(int(occluded), np.uint8),
        "meta.truncated": np.array(meta["truncated"], np.uint8),
        "meta.hand_side": np.array(meta["hand_side"]),
        "meta.frame_xyxy": _frame_xyxy(cam).astype(np.float32),
        "meta.attempt": np.array(meta["attempt"], np.uint8),
    })  # fmt: skip
    for name in ("lhand", "rhand", "face"):
        if name in boxes:
            rec[f"{name}_bbox_xywh"] = boxes[name].astype(np.float32)
    return rec
