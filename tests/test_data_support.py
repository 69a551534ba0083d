"""A tiny stand-in body model and scene writer for the data tests (plus checks of the stand-in).

The stand-in poses a mirror-symmetric stick figure rigidly: keypoints = G (P - c) + c + transl,
with rest points P and rotation centre c (the pelvis, off the origin) growing with betas[0], so
translation handling under rotations and mirrors is really exercised.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch

from robosmplx.body.base import (
    BodyModel,
    BodyOutput,
    KeypointLayout,
    ParamGroup,
    ParamSpec,
    PartLayout,
    PartView,
)
from robosmplx.data.conventions import flip_permutation
from robosmplx.data.humandata import save_humandata
from robosmplx.geometry.camera import CANONICAL_TO_CAMERA
from robosmplx.geometry.rotations import axis_angle_to_matrix

# name: rest position (canonical: metres, Y up, facing +Z, left at +X)
REST = {
    "pelvis": (0.0, 0.95, 0.0),
    "L_hip": (0.1, 0.9, 0.0),
    "R_hip": (-0.1, 0.9, 0.0),
    "spine": (0.0, 1.2, -0.02),
    "neck": (0.0, 1.5, 0.0),
    "nose": (0.0, 1.62, 0.1),
    "L_eye": (0.035, 1.66, 0.08),
    "R_eye": (-0.035, 1.66, 0.08),
    "jaw": (0.0, 1.56, 0.07),
    "L_shoulder": (0.2, 1.45, 0.0),
    "R_shoulder": (-0.2, 1.45, 0.0),
    "L_wrist": (0.45, 1.0, 0.15),
    "R_wrist": (-0.45, 1.0, 0.15),
    "L_thumb": (0.47, 0.95, 0.2),
    "R_thumb": (-0.47, 0.95, 0.2),
    "L_index": (0.5, 0.92, 0.15),
    "R_index": (-0.5, 0.92, 0.15),
    "L_ankle": (0.12, 0.08, 0.0),
    "R_ankle": (-0.12, 0.08, 0.0),
}
NAMES = tuple(REST)
EXPRESSION = ("smileLeft", "smileRight", "jawOpen", "tongueOut")


class TinyBody(BodyModel):
    """Stand-in body model with the real interface (spec, layouts, part views, forward)."""

    family = "smplx"

    def __init__(self):
        super().__init__()
        self.name = "tiny"
        idx = {n: i for i, n in enumerate(NAMES)}
        self.spec = ParamSpec(
            (
                ParamGroup("global_orient", "rotation", 1),
                ParamGroup("body_pose", "rotation", 3),
                ParamGroup("left_hand_pose", "rotation", 2, "hand"),
                ParamGroup("right_hand_pose", "rotation", 2, "hand"),
                ParamGroup("jaw_pose", "rotation", 1, "face"),
                ParamGroup("betas", "vector", 3),
                ParamGroup("expression", "vector", len(EXPRESSION), "face"),
            )
        )
        self.rotation_joint_names = {"body_pose": ("L_hip", "R_hip", "spine")}
        self.expression_names = EXPRESSION
        lh = tuple(idx[n] for n in ("L_wrist", "L_thumb", "L_index"))
        rh = tuple(idx[n] for n in ("R_wrist", "R_thumb", "R_index"))
        face = tuple(idx[n] for n in ("nose", "L_eye", "R_eye", "jaw"))
        self.keypoint_layout = KeypointLayout(
            names=NAMES,
            subsets={"body": tuple(range(len(NAMES))), "lhand": lh, "rhand": rh, "face": face},
            flip=flip_permutation(NAMES),
            roots={"body": idx["pelvis"], "lhand": lh[0], "rhand": rh[0], "face": idx["neck"]},
        )
        self.part_layout = PartLayout(
            ("torso", "L_arm", "R_arm"), ("palm", "thumb"), ("L_eye", "R_eye", "mouth")
        )
        self.part_views = {
            "rhand": PartView("rhand", ("right_hand_pose",), rh, (), rh[0]),
            "face": PartView("face", ("jaw_pose", "expression"), face, (), idx["neck"]),
        }
        k = len(NAMES)
        self.register_buffer("rest", torch.tensor([REST[n] for n in NAMES]))
        self.register_buffer("faces", torch.zeros(1, 3, dtype=torch.long))
        for name in ("body_part_labels", "hand_part_labels", "face_part_labels"):
            self.register_buffer(name, torch.zeros(k, dtype=torch.long))

    def _forward_rotmat(self, p: dict[str, torch.Tensor]) -> BodyOutput:
        g = p["global_orient_rotmat"][:, 0]  # (B, 3, 3)
        pts = self.rest[None] * (1.0 + 0.1 * p["betas"][:, :1, None])  # (B, K, 3)
        c = pts[:, :1]  # pelvis: the rotation centre
        kp = (pts - c) @ g.transpose(1, 2) + c + p["transl"][:, None]
        return BodyOutput(vertices=kp, joints=kp, keypoints=kp)


def camera(width: int, height: int, focal: float = 500.0) -> np.ndarray:
    return np.array([[focal, 0, (width - 1) / 2], [0, focal, (height - 1) / 2], [0, 0, 1]])


def project(points: np.ndarray, k: np.ndarray) -> np.ndarray:
    """(K, 3) camera points -> (K, 2) pixels."""
    uv = points @ k.T
    return uv[:, :2] / uv[:, 2:3]


def random_params(model: TinyBody, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Axis-angle parameters of one person facing the camera, ~4 m away."""
    tilt = rng.normal(0, 0.2, 3)
    go = (CANONICAL_TO_CAMERA.double() @ axis_angle_to_matrix(torch.from_numpy(tilt))).numpy()
    from robosmplx.geometry.rotations import matrix_to_axis_angle

    out = {"global_orient": matrix_to_axis_angle(torch.from_numpy(go)).numpy()}
    for g in model.spec.groups:
        if g.name == "global_orient":
            continue
        out[g.name] = rng.normal(0, 0.3, g.dim_aa)
    out["betas"] = rng.uniform(-1, 1, 3)
    out["transl"] = np.array(
        [rng.uniform(-0.2, 0.2), rng.uniform(-0.9, -0.7), rng.uniform(3.5, 4.5)]
    )
    return out


def pose_keypoints(model: TinyBody, params: dict[str, np.ndarray]) -> np.ndarray:
    """(K, 3) camera-frame keypoints of axis-angle ``params``."""
    t = {k: torch.as_tensor(v, dtype=torch.float32)[None] for k, v in params.items()}
    with torch.no_grad():
        return model(**t).keypoints[0].double().numpy()


def render_markers(size, points, colors, radius=4, background=0) -> np.ndarray:
    """(H, W, 3) uint8 image with a filled disc of ``colors[i]`` at each point."""
    w, h = size
    img = np.full((h, w, 3), background, np.uint8)
    for (x, y), c in zip(points, colors):
        cv2.circle(img, (round(x * 16), round(y * 16)), radius * 16, tuple(int(v) for v in c), -1, cv2.LINE_AA, 4)  # fmt: skip
    return img


def marker_centroid(img: np.ndarray, color) -> np.ndarray | None:
    """Intensity-weighted centroid (x, y) of pixels close to ``color``, or None."""
    d = np.abs(img.astype(np.float32) - np.asarray(color, np.float32)).sum(-1)
    wgt = np.clip(1.0 - d / 200.0, 0, None)
    if wgt.sum() < 1.0:
        return None
    ys, xs = np.mgrid[: img.shape[0], : img.shape[1]]
    return np.array([(wgt * xs).sum(), (wgt * ys).sum()]) / wgt.sum()


def write_scene(
    folder: Path,
    model: TinyBody,
    n: int = 4,
    size=(320, 240),
    seed: int = 0,
    markers: dict[str, tuple] | None = None,
    layout: str = "ours",
    segm: bool = False,
    root_cam: bool = False,
    ext: str = ".png",
) -> Path:
    """Write ``n`` images and a HumanData file describing them; return the file's path.

    ``markers`` maps keypoint names to colours drawn at their projections. ``layout``:
    ``ours`` (flattened dicts) or ``mmhuman3d`` (pickled dict object arrays).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    w, h = size
    k = camera(w, h)
    markers = markers or {"L_wrist": (255, 0, 0)}
    idx = {nm: i for i, nm in enumerate(NAMES)}
    rows = {key: [] for key in ("image_path", "bbox", "kp2", "kp3", "root", "segm")}
    params = {g: [] for g in ("global_orient", "body_pose", "left_hand_pose", "right_hand_pose", "jaw_pose", "betas", "expression", "transl")}  # fmt: skip
    for i in range(n):
        p = random_params(model, rng)
        kp3 = pose_keypoints(model, p)
        uv = project(kp3, k)
        img = render_markers(size, [uv[idx[m]] for m in markers], list(markers.values()))
        name = f"img_{i:03d}{ext}"
        cv2.imwrite(str(folder / name), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
        lo, hi = uv.min(0), uv.max(0)
        rows["image_path"].append(name)
        rows["bbox"].append([lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1], 1.0])
        rows["kp2"].append(np.concatenate((uv, np.ones((len(NAMES), 1))), 1))
        rows["kp3"].append(np.concatenate((kp3, np.ones((len(NAMES), 1))), 1))
        c = model.rest[0].double().numpy() * (1 + 0.1 * p["betas"][0])
        rows["root"].append(c + p["transl"])
        for g in params:
            params[g].append(p[g])
        if segm:
            lab = np.zeros((h, w), np.uint8)
            for part, kname in ((2, "L_wrist"), (3, "R_wrist")):
                x, y = uv[idx[kname]]
                cv2.circle(lab, (round(x), round(y)), 12, part, -1)
            sname = f"segm_{i:03d}.png"
            cv2.imwrite(str(folder / sname), lab)
            rows["segm"].append(sname)
    kp2 = np.asarray(rows["kp2"], np.float32)
    boxes = {}
    for part, names in (("lhand", ("L_wrist", "L_thumb", "L_index")), ("rhand", ("R_wrist", "R_thumb", "R_index")), ("face", ("nose", "L_eye", "R_eye", "jaw"))):  # fmt: skip
        pts = kp2[:, [idx[m] for m in names], :2]
        lo, hi = pts.min(1) - 6, pts.max(1) + 6
        boxes[f"{part}_bbox_xywh"] = np.concatenate((lo, hi - lo, np.ones((n, 1))), 1).astype(
            np.float32
        )
    smplx = {g: np.asarray(v, np.float32) for g, v in params.items()}
    data = {
        "image_path": np.asarray(rows["image_path"]),
        "bbox_xywh": np.asarray(rows["bbox"], np.float32),
        **boxes,
        "keypoints2d_tiny": kp2,
        "keypoints3d_tiny": np.asarray(rows["kp3"], np.float32),
        "keypoint_names": np.asarray(NAMES),
        "K": np.repeat(k[None], n, 0).astype(np.float32),
        "config": np.asarray("tiny_synthetic"),
    }
    if root_cam:
        data["root_cam"] = np.asarray(rows["root"], np.float32)
    if segm:
        data["segm_path"] = np.asarray(rows["segm"])
    path = folder / "annot.npz"
    if layout == "ours":
        data["smplx"] = smplx
        data["meta"] = {"gender": np.asarray(["neutral"] * n)}
        save_humandata(path, data)
    else:
        obj = np.empty((), dtype=object)
        obj[()] = smplx
        meta = np.empty((), dtype=object)
        meta[()] = {"gender": ["neutral"] * n}
        np.savez(path, smplx=obj, meta=meta, __data_len__=n, __key_strict__=False, **data)
    return path


def test_tiny_body_poses_rigidly_about_the_pelvis():
    model = TinyBody()
    betas = torch.tensor([[0.5, 0.0, 0.0]])
    c = model.rotation_center(betas=betas).numpy()
    np.testing.assert_allclose(c, np.array(REST["pelvis"]) * 1.05, atol=1e-5)


def test_write_scene_projects_markers(tmp_path):
    model = TinyBody()
    path = write_scene(tmp_path, model, n=1)
    from robosmplx.data.humandata import load_humandata

    hd = load_humandata(path)
    img = cv2.cvtColor(cv2.imread(str(tmp_path / hd["image_path"][0])), cv2.COLOR_BGR2RGB)
    found = marker_centroid(img, (255, 0, 0))
    want = hd["keypoints2d_tiny"][0, NAMES.index("L_wrist"), :2]
    np.testing.assert_allclose(found, want, atol=0.3)
