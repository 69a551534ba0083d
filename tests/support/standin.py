"""Stand-in SMPL-X / SMPL / MANO / FLAME files: the official formats with made-up geometry.

They let tests (and CI) run the SMPL-X family code path without the licensed files. Each body
is a few hundred vertices: one box per bone of the real kinematic tree (real joint counts and
``kintree_table``), a sphere for the head, landmarks laid out like the 68 300-W points on its
front. Blend shapes are smooth made-up fields of the right sizes. Nothing here resembles the
real models' shapes, and no number comes from them.

Entries written (what the official files hold and smplx reads, with their shapes):
- ``smplx/SMPLX_NEUTRAL.npz``: ``v_template`` (V, 3), ``f`` (F, 3) uint32, ``shapedirs``
  (V, 3, 400) (300 shape + 100 expression), ``posedirs`` (V, 3, 486), ``J_regressor`` (55, V),
  ``kintree_table`` (2, 55), ``weights`` (V, 55), ``hands_componentsl/r`` (45, 45),
  ``hands_meanl/r`` (45,), ``lmk_faces_idx`` (51,), ``lmk_bary_coords`` (51, 3),
  ``dynamic_lmk_faces_idx`` (79, 17), ``dynamic_lmk_bary_coords`` (79, 17, 3), and the pickled
  name tables ``joint2num``, ``part2num``;
- ``smpl/SMPL_NEUTRAL.pkl``: ``v_template``, ``f``, ``shapedirs`` (V, 3, 10), ``posedirs``
  (V, 3, 207), ``J_regressor`` and ``J_regressor_prior`` (24, V), ``kintree_table`` (2, 24),
  ``J`` (24, 3), ``weights`` and ``weights_prior`` (V, 24), ``vert_sym_idxs`` (V,),
  ``bs_style``, ``bs_type``;
- ``mano/MANO_RIGHT.pkl`` and ``MANO_LEFT.pkl``: as SMPL with 16 joints, ``posedirs``
  (V, 3, 135), plus ``hands_components`` (45, 45), ``hands_coeffs`` (N, 45), ``hands_mean`` (45,);
- ``flame/FLAME_NEUTRAL.pkl``: as SMPL with 5 joints, ``shapedirs`` (V, 3, 400), ``posedirs``
  (V, 3, 36); ``flame_static_embedding.pkl`` (``lmk_face_idx`` (51,), ``lmk_b_coords``
  (51, 3)); ``flame_dynamic_embedding.npy`` (a dict: ``lmk_face_idx`` (79, 17),
  ``lmk_b_coords`` (79, 17, 3)).
Pickles hold plain numpy objects only; ``J_regressor`` is a dense array where the official
pickles hold a scipy sparse matrix (both loaders accept either). Beside each main file,
``<stem>.vertex_ids.json`` names the keypoint vertices, which smplx hard-codes for the
official topologies.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np

from robosmplx.io import atomic_write, atomic_write_text

SMPL_PARENTS = (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21)
_HAND_PARENTS = tuple(j for f in range(5) for j in (0, 3 * f + 1, 3 * f + 2))  # wrist = 0
MANO_PARENTS = (-1,) + _HAND_PARENTS
SMPLX_PARENTS = SMPL_PARENTS[:22] + (15, 15, 15)
SMPLX_PARENTS += tuple(20 if p == 0 else p + 24 for p in _HAND_PARENTS)
SMPLX_PARENTS += tuple(21 if p == 0 else p + 39 for p in _HAND_PARENTS)
FLAME_PARENTS = (-1, 0, 1, 1, 1)

# Rest joints of a made-up body (metres, Y up, facing +Z, left at +X), SMPL's first 22.
_BODY = np.array([
    (0, 0, 0), (0.07, -0.08, -0.01), (-0.07, -0.08, -0.01), (0, 0.1, -0.02), (0.1, -0.45, 0),
    (-0.1, -0.45, 0), (0, 0.23, 0), (0.09, -0.85, -0.04), (-0.09, -0.85, -0.04), (0, 0.29, 0.02),
    (0.11, -0.91, 0.08), (-0.11, -0.91, 0.08), (0, 0.5, -0.02), (0.07, 0.42, 0),
    (-0.07, 0.42, 0), (0, 0.6, 0), (0.18, 0.44, -0.02), (-0.18, 0.44, -0.02),
    (0.44, 0.44, -0.03), (-0.44, 0.44, -0.03), (0.7, 0.44, -0.03), (-0.7, 0.44, -0.03),
], dtype=np.float64)  # fmt: skip
_HEAD_CENTER, _HEAD_RADIUS = np.array([0.0, 0.69, 0.02]), 0.1
_MIRROR = np.array([-1.0, 1.0, 1.0])


class _Rig:
    """Accumulates a skinned mesh: boxes along bones, a sphere, weights and a joint regressor."""

    def __init__(self, joints: np.ndarray, parents: tuple[int, ...]):
        self.joints, self.parents = joints, parents
        self.verts: list[np.ndarray] = []
        self.faces: list[np.ndarray] = []
        self.weights: list[np.ndarray] = []
        self.regress: dict[int, np.ndarray] = {}
        self.boxes: dict[int, np.ndarray] = {}

    def _add(self, pts: np.ndarray, w: np.ndarray, tris: np.ndarray) -> np.ndarray:
        start = sum(len(v) for v in self.verts)
        a, b, d = pts[tris[:, 0]], pts[tris[:, 1]], pts[tris[:, 2]]
        inward = np.einsum("fi,fi->f", np.cross(b - a, d - a), (a + b + d) / 3 - pts.mean(0)) < 0
        tris[inward] = tris[inward][:, [0, 2, 1]]  # every normal points away from the part
        self.verts.append(pts)
        self.weights.append(w)
        self.faces.append(tris + start)
        return np.arange(start, start + len(pts))

    def box(self, joint: int, p1, half: float, p0=None, blend: float = 0.3) -> np.ndarray:
        """A box from ``p0`` (default: the joint) to ``p1`` moved by ``joint``."""
        p0 = self.joints[joint] if p0 is None else np.asarray(p0, float)
        p1 = np.asarray(p1, float)
        d = (p1 - p0) / np.linalg.norm(p1 - p0)
        ref = np.array([0.0, 1.0, 0.0]) if abs(d[1]) < 0.9 else np.array([1.0, 0.0, 0.0])
        u = np.cross(d, ref)
        u /= np.linalg.norm(u)
        w = np.cross(d, u)
        ring = [half * (su * u + sw * w) for su, sw in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
        pts = np.array([p0 + r for r in ring] + [p1 + r for r in ring])
        tris = [(0, 1, 2), (0, 2, 3), (4, 5, 6), (4, 6, 7)]
        tris += [
            t
            for k in range(4)
            for t in ((k, (k + 1) % 4, 4 + (k + 1) % 4), (k, 4 + (k + 1) % 4, 4 + k))
        ]
        wts = np.zeros((8, len(self.parents)))
        wts[:, joint] = 1.0
        par = self.parents[joint]
        if par >= 0:
            wts[:4, joint], wts[:4, par] = 1.0 - blend, blend
        ids = self._add(pts, wts, np.array(tris))
        if np.abs(p0 - self.joints[joint]).max() < 1e-9:
            self.regress.setdefault(joint, ids[:4])
            self.boxes.setdefault(joint, ids)
        for j in np.nonzero(np.abs(self.joints - p1).max(1) < 1e-9)[0]:
            self.regress.setdefault(int(j), ids[4:])  # a joint no box starts at: this box's end
        return ids

    def sphere(self, center, radius: float, owner_of, n_lon: int = 16, n_lat: int = 10):
        """UV sphere (pole on +Y, seam at the back); ``owner_of(point)`` -> weight row."""
        pts = [center + radius * np.array([0.0, 1.0, 0.0])]
        for i in range(1, n_lat):
            th = np.pi * i / n_lat
            for j in range(n_lon):
                ph = 2 * np.pi * j / n_lon
                pts.append(
                    center
                    + radius
                    * np.array([np.sin(th) * np.sin(ph), np.cos(th), np.sin(th) * np.cos(ph)])
                )
        pts.append(center - radius * np.array([0.0, 1.0, 0.0]))
        pts = np.array(pts)
        ring = lambda i, j: 1 + (i - 1) * n_lon + j % n_lon  # noqa: E731
        tris = [(0, ring(1, j), ring(1, j + 1)) for j in range(n_lon)]
        for i in range(1, n_lat - 1):
            for j in range(n_lon):
                tris += [
                    (ring(i, j), ring(i + 1, j), ring(i + 1, j + 1)),
                    (ring(i, j), ring(i + 1, j + 1), ring(i, j + 1)),
                ]
        last = len(pts) - 1
        tris += [(last, ring(n_lat - 1, j + 1), ring(n_lat - 1, j)) for j in range(n_lon)]
        return self._add(pts, np.array([owner_of(p) for p in pts]), np.array(tris))

    def arrays(self) -> dict[str, np.ndarray]:
        v = np.concatenate(self.verts)
        jreg = np.zeros((len(self.parents), len(v)))
        for j, ids in self.regress.items():
            jreg[j, ids] = 1.0 / len(ids)
        missing = set(range(len(self.parents))) - set(self.regress)
        assert not missing, f"stand-in rig: joints {missing} have no regressor"
        kin = np.array([[2**32 - 1] + list(self.parents[1:]), list(range(len(self.parents)))])
        return {
            "v_template": v,
            "f": np.concatenate(self.faces).astype(np.uint32),
            "J_regressor": jreg,
            "kintree_table": kin.astype(np.int64),
            "weights": np.concatenate(self.weights),
            "J": jreg @ v,
        }


def _hand_joints(wrist: np.ndarray, side: float) -> tuple[np.ndarray, np.ndarray]:
    """15 finger joints (index, middle, pinky, ring, thumb; 3 each) and their 5 tips."""
    bases = {"index": (0.1, -0.005), "middle": (0.105, -0.025), "pinky": (0.09, -0.063),
             "ring": (0.1, -0.045)}  # fmt: skip
    joints, tips = [], []
    for f in ("index", "middle", "pinky", "ring", "thumb"):
        if f == "thumb":
            p, d = wrist + np.array([0.03 * side, -0.01, 0.03]), np.array([side, 0, 1]) / np.sqrt(2)
        else:
            dx, z = bases[f]
            p, d = wrist + np.array([dx * side, 0.0, z + 0.03]), np.array([side, 0.0, 0.0])
        for length in (0.035, 0.025, 0.022):
            joints.append(p)
            p = p + length * d
        tips.append(p)
    return np.array(joints), np.array(tips)


def _landmark_template() -> np.ndarray:
    """(68, 2) made-up frontal (x, y) offsets from the head centre, 300-W order."""
    t = np.pi * np.arange(17) / 16
    pts = list(np.stack([-0.085 * np.cos(t), -0.085 * np.sin(t)], 1))  # right ear to left ear
    pts += [
        (x, 0.035 + 0.005 * (2 - abs(i - 2))) for i, x in enumerate(np.linspace(-0.06, -0.015, 5))
    ]
    pts += [(-x, y) for x, y in pts[17:22][::-1]]
    pts += [(0.0, y) for y in np.linspace(0.02, -0.015, 4)]
    pts += [
        (x, -0.025 + 0.004 * (2 - abs(i - 2))) for i, x in enumerate(np.linspace(-0.015, 0.015, 5))
    ]
    eye = [
        (-0.02, 0),
        (-0.012, 0.006),
        (0.012, 0.006),
        (0.02, 0),
        (0.012, -0.006),
        (-0.012, -0.006),
    ]
    pts += [(-0.035 + x, 0.01 + y) for x, y in eye]  # right eye, outer corner first
    pts += [(0.035 + x, 0.01 + y) for x, y in eye]  # left eye, inner corner first
    a = np.linspace(np.pi, -np.pi, 13)[:-1]  # mouth: right corner, upper lip, left, lower lip
    pts += [(0.025 * np.cos(q), -0.05 + 0.012 * np.sin(q)) for q in a]
    pts += [
        (0.015 * np.cos(q), -0.05 + 0.005 * np.sin(q)) for q in np.linspace(np.pi, -np.pi, 9)[:-1]
    ]
    return np.array(pts)


def _embed(points: np.ndarray, verts: np.ndarray, faces: np.ndarray, cand: np.ndarray):
    """Nearest candidate face per 3D point and barycentric coordinates of its projection."""
    tri = verts[faces[cand]]  # (C, 3, 3)
    idx = np.linalg.norm(tri.mean(1)[None] - points[:, None], axis=2).argmin(1)
    t = tri[idx]  # (N, 3, 3)
    m = np.stack([t[:, 0] - t[:, 2], t[:, 1] - t[:, 2]], 2)  # (N, 3, 2)
    mt = m.transpose(0, 2, 1)
    ab = np.linalg.solve(mt @ m, (mt @ (points - t[:, 2])[..., None]))[..., 0]  # (N, 2)
    bary = np.clip(np.concatenate([ab, 1 - ab.sum(1, keepdims=True)], 1), 0.01, None)
    return cand[idx].astype(np.int64), bary / bary.sum(1, keepdims=True)


def _landmarks(verts, faces, head_ids, center, radius):
    """Static (51) and yaw-indexed dynamic (79, 17) landmark embeddings on the head sphere."""
    on_head = np.all(np.isin(faces, head_ids), 1)
    cand = np.nonzero(on_head)[0]
    xy = _landmark_template()
    z = np.sqrt(np.clip(radius**2 - (xy**2).sum(1), 1e-6, None))
    pts = center + np.stack([xy[:, 0], xy[:, 1], z], 1)
    static = _embed(pts[17:], verts, faces, cand)
    rows_f, rows_b = [], []
    for k in range(79):
        yaw = np.deg2rad(k if k <= 39 else 39 - k)
        c, s = np.cos(yaw), np.sin(yaw)
        rot = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
        f, b = _embed((pts[:17] - center) @ rot.T + center, verts, faces, cand)
        rows_f.append(f)
        rows_b.append(b)
    return static, (np.array(rows_f), np.array(rows_b))


def _blend_bases(verts, n, rng, scale, mask=None) -> np.ndarray:
    """(V, 3, n) smooth made-up displacement fields (height and girth first)."""
    c = verts.mean(0)
    out = np.zeros((len(verts), 3, n))
    for k in range(n):
        if k == 0 and mask is None:
            out[:, 1, k] = (verts[:, 1] - c[1]) * 0.06
        elif k == 1 and mask is None:
            out[:, 0, k], out[:, 2, k] = (verts[:, 0] - c[0]) * 0.08, (verts[:, 2] - c[2]) * 0.08
        else:
            freq = rng.normal(0.0, 6.0, (3, 3))
            phase = rng.uniform(0, 2 * np.pi, 3)
            out[:, :, k] = scale / (1 + k / 10) * np.sin(verts @ freq + phase)
    return out if mask is None else out * mask[:, None, None]


def _head(rig: _Rig, head: int, jaw: int, center: np.ndarray) -> np.ndarray:
    def owner(p):
        row = np.zeros(len(rig.parents))
        if jaw != head and p[1] < center[1] - 0.035 and p[2] > center[2] + 0.01:
            row[jaw], row[head] = 0.8, 0.2
        else:
            row[head] = 1.0
        return row

    return rig.sphere(center, _HEAD_RADIUS, owner)


def _body_rig(name: str) -> tuple[_Rig, dict[str, int], np.ndarray]:
    """SMPL-X or SMPL rig, its keypoint vertex ids, and the head-sphere vertex ids."""
    j = _BODY
    hands = [_hand_joints(j[20], 1.0), _hand_joints(j[21], -1.0)]
    if name == "smplx":
        eyes = [j[15] + (0.03, 0.1, 0.09), j[15] + (-0.03, 0.1, 0.09)]
        joints = np.concatenate([j, [j[15] + (0, 0.03, 0.03)], eyes, hands[0][0], hands[1][0]])
        rig = _Rig(joints, SMPLX_PARENTS)
    else:
        joints = np.concatenate([j, [j[20] + (0.08, 0, 0), j[21] - (0.08, 0, 0)]])
        rig = _Rig(joints, SMPL_PARENTS)
    bones = {  # joint: (end of its box, half width); the head (15) is the sphere
        0: ((0, -0.1, 0), 0.09), 1: (j[4], 0.06), 2: (j[5], 0.06), 3: (j[6], 0.09),
        4: (j[7], 0.045), 5: (j[8], 0.045), 6: (j[9], 0.09), 7: (j[10], 0.035),
        8: (j[11], 0.035), 9: (j[12], 0.08), 10: (j[10] + (0, 0, 0.07), 0.03),
        11: (j[11] + (0, 0, 0.07), 0.03), 12: (j[15], 0.045), 13: (j[16], 0.04),
        14: (j[17], 0.04), 16: (j[18], 0.045), 17: (j[19], 0.045), 18: (j[20], 0.035),
        19: (j[21], 0.035),
    }  # fmt: skip
    box = {k: rig.box(k, end, half) for k, (end, half) in bones.items()}
    tips = {}
    for s, (side, sgn) in enumerate((("l", 1.0), ("r", -1.0))):
        wrist = 20 + s
        if name == "smplx":
            rig.box(wrist, j[wrist] + (0.1 * sgn, 0, 0), 0.03)
            fj, ft = hands[s]
            for f in range(5):
                for k in range(3):
                    jid = 25 + 15 * s + 3 * f + k
                    end = fj[3 * f + k + 1] if k < 2 else ft[f]
                    ids = rig.box(jid, end, 0.007)
                tips[(side, f)] = ids[4:]
        else:
            rig.box(wrist, rig.joints[22 + s], 0.03)
            fj, ft = hands[s]
            for f in range(5):
                ids = rig.box(22 + s, ft[f], 0.007, p0=fj[3 * f])
                tips[(side, f)] = ids[4:]
    head = _head(rig, 15, 22 if name == "smplx" else 15, _HEAD_CENTER)
    if name == "smplx":
        rig.box(22, j[15] + (0, 0.02, 0.08), 0.015)
        for e in (23, 24):
            rig.box(e, rig.joints[e] + (0, 0, 0.03), 0.01)
    v = np.concatenate(rig.verts)

    def pick(cands, direction, sgn=1.0) -> int:
        """The candidate farthest along ``direction`` (x mirrored for the right side)."""
        return int(cands[(v[cands] @ (np.asarray(direction) * (sgn, 1, 1))).argmax()])

    eye_cands = [rig.boxes[23][4:], rig.boxes[24][4:]] if name == "smplx" else [head, head]
    ids = {
        "nose": pick(head, (0, 0, 1)),
        "leye": pick(eye_cands[0], (0.3, 0.3, 1)),
        "reye": pick(eye_cands[1], (0.3, 0.3, 1), -1.0),
        "lear": pick(head, (1, 0, 0)),
        "rear": pick(head, (1, 0, 0), -1.0),
    }
    for side, toe, ankle, sgn in (("L", 10, 7, 1.0), ("R", 11, 8, -1.0)):
        ids[f"{side}BigToe"] = pick(box[toe][4:], (-1, 1, 0.1), sgn)
        ids[f"{side}SmallToe"] = pick(box[toe][4:], (1, 1, 0.1), sgn)
        ids[f"{side}Heel"] = pick(box[ankle][:4], (-0.1, -1, -1), sgn)
    for (side, f), cands in tips.items():
        finger = ("index", "middle", "pinky", "ring", "thumb")[f]
        ids[side + finger] = pick(cands, (1, -0.1, 0.01), 1.0 if side == "l" else -1.0)
    return rig, ids, head


def _hand_rig() -> tuple[_Rig, dict[str, int]]:
    """Right MANO hand: wrist at the origin, fingers along -X."""
    fj, ft = _hand_joints(np.zeros(3), -1.0)
    rig = _Rig(np.concatenate([np.zeros((1, 3)), fj]), MANO_PARENTS)
    rig.box(0, (-0.1, 0, 0), 0.03)
    tips = {}
    for f, name in enumerate(("index", "middle", "pinky", "ring", "thumb")):
        for k in range(3):
            ids = rig.box(1 + 3 * f + k, fj[3 * f + k + 1] if k < 2 else ft[f], 0.007)
        tips[name] = int(ids[4])
    return rig, tips


def _mirror_vertex_ids(v: np.ndarray) -> np.ndarray:
    m = v * _MIRROR
    return np.linalg.norm(v[None] - m[:, None], axis=2).argmin(1)


def _dump_pickle(path: Path, obj) -> None:
    def w(tmp: str) -> None:
        with open(tmp, "wb") as f:
            pickle.dump(obj, f, protocol=2)

    atomic_write(path, w)


def _write_json(path: Path, ids: dict[str, int]) -> None:
    atomic_write_text(path, json.dumps(ids, indent=1))


def _hand_pca(rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    comps = np.linalg.qr(rng.normal(size=(45, 45)))[0].T
    mean = (np.tile([0.0, 0.0, 0.25], 15) + rng.normal(0, 0.05, 45)).astype(np.float64)
    return comps, mean, rng.normal(0, 0.5, (64, 45)) @ comps


def write_standin_model_files(
    model_dir: str | Path,
    names: tuple[str, ...] = ("smplx", "smpl", "mano", "flame"),
    seed: int = 0,
) -> dict[str, Path]:
    """Write stand-in files for ``names`` under ``model_dir`` (smplx.create's layout).

    Returns the main file per name. Deterministic for a given ``seed``.
    """
    root = Path(model_dir)
    out: dict[str, Path] = {}
    for name in names:
        rng = np.random.default_rng([seed, ("smplx", "smpl", "mano", "flame").index(name)])
        if name in ("smplx", "smpl"):
            rig, ids, head = _body_rig(name)
            a = rig.arrays()
            v, n_j = a["v_template"], len(rig.parents)
            head_mask = np.isin(np.arange(len(v)), head) & (v[:, 2] > _HEAD_CENTER[2])
            if name == "smplx":
                static, dynamic = _landmarks(v, a["f"], head, _HEAD_CENTER, _HEAD_RADIUS)
                shape = np.concatenate([_blend_bases(v, 300, rng, 0.006),
                                        _blend_bases(v, 100, rng, 0.004, head_mask)], 2)  # fmt: skip
                comps_l, mean_l, _ = _hand_pca(rng)
                flip = np.tile(
                    [1.0, -1.0, -1.0], 15
                )  # mirrors axis-angle: (x, y, z) -> (x, -y, -z)
                comps_r, mean_r = comps_l * flip, mean_l * flip
                names_tab = {f"joint_{i}": i for i in range(n_j)}
                a.pop("J")
                data = dict(a, shapedirs=shape, posedirs=rng.normal(0, 2e-4, (len(v), 3, 9 * (n_j - 1))),
                            hands_componentsl=comps_l, hands_componentsr=comps_r,
                            hands_meanl=mean_l, hands_meanr=mean_r,
                            lmk_faces_idx=static[0], lmk_bary_coords=static[1],
                            dynamic_lmk_faces_idx=dynamic[0], dynamic_lmk_bary_coords=dynamic[1],
                            joint2num=np.array(names_tab, dtype=object),
                            part2num=np.array(names_tab, dtype=object))  # fmt: skip
                path = root / "smplx" / "SMPLX_NEUTRAL.npz"
                atomic_write(path, lambda tmp, d=data: np.savez(tmp, **d))
            else:
                data = dict(a, shapedirs=_blend_bases(v, 10, rng, 0.006),
                            posedirs=rng.normal(0, 2e-4, (len(v), 3, 207)),
                            J_regressor_prior=a["J_regressor"], weights_prior=a["weights"],
                            vert_sym_idxs=_mirror_vertex_ids(v), bs_style="lbs", bs_type="lrotmin")  # fmt: skip
                path = root / "smpl" / "SMPL_NEUTRAL.pkl"
                _dump_pickle(path, data)
            _write_json(path.with_name(path.stem + ".vertex_ids.json"), ids)
        elif name == "mano":
            rig, tips = _hand_rig()
            a = rig.arrays()
            v = a["v_template"]
            comps, mean, coeffs = _hand_pca(rng)
            data = dict(a, shapedirs=_blend_bases(v, 10, rng, 0.002),
                        posedirs=rng.normal(0, 1e-4, (len(v), 3, 135)), hands_components=comps,
                        hands_coeffs=coeffs, hands_mean=mean, bs_style="lbs", bs_type="lrotmin")  # fmt: skip
            path = root / "mano" / "MANO_RIGHT.pkl"
            _dump_pickle(path, data)
            _write_json(path.with_name("MANO_RIGHT.vertex_ids.json"), tips)
            flip = np.tile([1.0, -1.0, -1.0], 15)
            left = dict(data, v_template=v * _MIRROR, J=a["J"] * _MIRROR,
                        f=a["f"][:, ::-1].copy(), shapedirs=data["shapedirs"] * _MIRROR[:, None],
                        posedirs=data["posedirs"] * _MIRROR[:, None], hands_mean=mean * flip,
                        hands_components=comps * flip, hands_coeffs=coeffs * flip)  # fmt: skip
            _dump_pickle(root / "mano" / "MANO_LEFT.pkl", left)
            _write_json(root / "mano" / "MANO_LEFT.vertex_ids.json", tips)
        elif name == "flame":
            path = _write_flame(root / "flame", rng)
        else:
            raise ValueError(f"no stand-in for {name!r}; choose from smplx, smpl, mano, flame")
        out[name] = path
    return out


def _write_flame(folder: Path, rng) -> Path:
    """FLAME: neck box, head sphere (with a jaw region), jaw and eye boxes."""
    c = np.zeros(3)
    joints = np.array([(0, -0.19, -0.02), (0, -0.09, -0.02), (0, -0.06, 0.01),
                       (0.03, 0.01, 0.07), (-0.03, 0.01, 0.07)])  # fmt: skip
    rig = _Rig(joints, FLAME_PARENTS)
    rig.box(0, joints[1], 0.045)
    head = _head(rig, 1, 2, c)
    rig.box(2, (0, -0.07, 0.08), 0.015)
    for e in (3, 4):
        rig.box(e, joints[e] + (0, 0, 0.03), 0.01)
    a = rig.arrays()
    v = a["v_template"]
    head_mask = np.isin(np.arange(len(v)), head) & (v[:, 2] > 0.0)
    static, dynamic = _landmarks(v, a["f"], head, c, _HEAD_RADIUS)
    shape = np.concatenate([_blend_bases(v, 300, rng, 0.004),
                            _blend_bases(v, 100, rng, 0.003, head_mask)], 2)  # fmt: skip
    data = dict(a, shapedirs=shape, posedirs=rng.normal(0, 2e-4, (len(v), 3, 36)),
                bs_style="lbs", bs_type="lrotmin")  # fmt: skip
    path = folder / "FLAME_NEUTRAL.pkl"
    _dump_pickle(path, data)
    _dump_pickle(folder / "flame_static_embedding.pkl",
                 {"lmk_face_idx": static[0], "lmk_b_coords": static[1]})  # fmt: skip
    dyn = np.array({"lmk_face_idx": dynamic[0], "lmk_b_coords": dynamic[1]}, dtype=object)
    atomic_write(
        folder / "flame_dynamic_embedding.npy", lambda tmp: np.save(tmp, dyn, allow_pickle=True)
    )
    return path


def write_standin_smplx(model_dir: str | Path, seed: int = 0) -> Path:
    """Stand-in SMPL-X file only (``<model_dir>/smplx/SMPLX_NEUTRAL.npz``); returns its path."""
    return write_standin_model_files(model_dir, ("smplx",), seed)["smplx"]
