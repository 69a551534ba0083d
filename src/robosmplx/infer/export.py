"""Writing what users ask for: parameters (.npz + .json, smplx-style names, camera), meshes
(.obj / .ply / .glb). Every file is written atomically.

Camera meaning (also in the JSON): OpenCV camera of the *original* image, one per image and
shared by all its people, pixels with (0, 0) at the centre of the top-left pixel;
``vertices_cam = body_model(**params).vertices + transl`` and ``pixels = K @ vertices_cam``
(perspective divide). ``global_orient`` is in the camera frame.

Mesh files are in the *world* frame by default: metres, Y up, the camera at the origin looking
down -Z (the glTF / Blender camera convention), ``vertices_world = vertices_cam @ R.T`` with
``R = WORLD_FROM_CAMERA[:3, :3]`` (a 180-degree turn about X). ``frame="camera"`` writes .obj /
.ply in the camera frame instead (.glb is always Y up).
"""

from __future__ import annotations

import functools
import io
import json
from pathlib import Path

import numpy as np

from robosmplx.io import atomic_write, atomic_write_bytes

CAMERA_NOTE = (
    "OpenCV camera of the original image, one per image (x right, y down, z forward, metres); "
    "vertices_cam = body_model(**params).vertices + transl; pixels = K @ vertices_cam / z; "
    "global_orient is expressed in the camera frame; world (Y up, camera at the origin looking "
    "down -Z) = world_from_camera @ [vertices_cam, 1]"
)
MESH_FRAMES = ("world", "camera")


def person_record(
    params_aa: dict[str, np.ndarray],
    transl: np.ndarray,
    k: np.ndarray,
    image_size: tuple[int, int],
    body_model: str,
    extra: dict | None = None,
) -> dict[str, np.ndarray | str | float]:
    """Flat record of one person: axis-angle params, camera translation and intrinsics."""
    rec: dict = {k2: np.asarray(v, dtype=np.float32).reshape(-1) for k2, v in params_aa.items()}
    rec["transl"] = np.asarray(transl, dtype=np.float32).reshape(3)
    rec["K"] = np.asarray(k, dtype=np.float32).reshape(3, 3)
    rec["focal_length"] = np.array([k[0, 0], k[1, 1]], dtype=np.float32)
    rec["principal_point"] = np.array([k[0, 2], k[1, 2]], dtype=np.float32)
    rec["image_size"] = np.array(image_size, dtype=np.int32)  # (width, height)
    rec["body_model"] = body_model
    for k2, v in (extra or {}).items():
        rec[k2] = v
    return rec


def write_bytes(path: Path, data: bytes, atomic: bool = True) -> Path:
    """Atomic (temporary file, fsync, rename) or plain write. Plain is for files inside a
    folder that is itself renamed into place when complete (``infer.writer.OutputFolder``)."""
    if atomic:
        return atomic_write_bytes(path, data)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def save_params(record: dict, path_stem: Path, atomic: bool = True) -> list[Path]:
    """Write ``<stem>.npz`` and ``<stem>.json``; returns the paths."""
    npz_path = path_stem.with_suffix(".npz")
    buf = io.BytesIO()
    np.savez(buf, **{k: np.asarray(v) for k, v in record.items()})
    write_bytes(npz_path, buf.getvalue(), atomic)
    js = {
        k: (v.tolist() if isinstance(v, np.ndarray | np.generic) else v) for k, v in record.items()
    }
    js["camera_convention"] = CAMERA_NOTE
    json_path = path_stem.with_suffix(".json")
    write_bytes(json_path, json_text(js).encode("utf-8"), atomic)
    return [npz_path, json_path]


def json_text(doc: dict) -> str:
    """A JSON object with one top-level key per line and compact values (the fast C encoder;
    ``indent`` would switch to the pure-Python one, several times slower on keypoint arrays)."""
    body = ",\n".join(f" {json.dumps(str(k))}: {json.dumps(v)}" for k, v in doc.items())
    return "{\n" + body + "\n}\n"


def load_params(path: Path) -> dict[str, np.ndarray]:
    """Read a saved ``.npz`` record back (plain arrays, no pickles)."""
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


UPRIGHT = np.diag([1.0, -1.0, -1.0])  # camera frame (y down) -> glTF (y up)
WORLD_FROM_CAMERA = np.diag([1.0, -1.0, -1.0, 1.0])  # (4, 4) camera pose in the world frame


def to_world(vertices_cam: np.ndarray) -> np.ndarray:
    """(..., 3) camera-frame points -> the world frame of the mesh files."""
    return np.asarray(vertices_cam, np.float64) @ WORLD_FROM_CAMERA[:3, :3].T


@functools.lru_cache(maxsize=4)
def _faces_block(data: bytes) -> bytes:
    f = np.frombuffer(data, dtype=np.int64) + 1
    return (("f %d %d %d\n" * (len(f) // 3)) % tuple(f.tolist())).encode("ascii")


@functools.lru_cache(maxsize=1)
def _digit_words() -> tuple[np.ndarray, np.ndarray]:
    """Text pieces as 4-byte words (0 bytes are dropped later): for 0..999, its digits without
    leading zeros and the decimal point; and its three digits with leading zeros."""
    three = (np.arange(1000)[:, None] // np.array([100, 10, 1]) % 10 + 48).astype(np.uint8)
    whole = np.zeros((1000, 4), np.uint8)
    whole[:, :3] = three
    whole[:100, 0] = 0
    whole[:10, 1] = 0
    whole[:, 3] = 46  # "."
    frac = np.zeros((1000, 4), np.uint8)
    frac[:, :3] = three
    return whole.view(np.uint32)[:, 0].copy(), frac.view(np.uint32)[:, 0].copy()


def _vertex_lines(v: np.ndarray) -> bytes:
    """``b"v x y z\\n"`` lines of (V, 3) values below 1000 in magnitude with 6 decimals: the
    text ``"%.6f"`` gives (except that values rounding to zero print unsigned). Each line is
    laid out at fixed width from word-table look-ups on whole arrays, padded with 0 bytes
    that one ``bytes.translate`` drops: about four times as fast as Python's formatting."""
    whole_w, frac_w = _digit_words()
    n = len(v)
    q = np.rint(np.abs(v) * 1e6).astype(np.int64)  # micro-units, below 1e9
    whole, frac = np.divmod(q, 1_000_000)
    hi, lo = np.divmod(frac, 1000)
    line = np.zeros((n, 14), np.uint32)  # "v", 3 x (" -", "123.", "456", "789"), newline
    line[:, 0] = 118
    line[:, 13] = 10
    num = line[:, 1:13].reshape(n, 3, 4)
    head = num.view(np.uint8)  # (n, 3, 16): byte 0 of each number is the space, 1 the sign
    head[..., 0] = 32
    head[..., 1] = np.where((v < 0) & (q > 0), 45, 0)
    num[..., 1] = whole_w[whole]
    num[..., 2] = frac_w[hi]
    num[..., 3] = frac_w[lo]
    return line.tobytes().translate(None, b"\0")


def obj_bytes(vertices: np.ndarray, faces: np.ndarray) -> bytes:
    """Wavefront OBJ of a triangle mesh (geometry only, 6 decimals): vertices formatted on
    whole arrays, the faces' text cached per topology; several times faster than a general
    exporter for body meshes of 10k+ vertices."""
    v = np.asarray(vertices, dtype=np.float64).reshape(-1, 3)
    f = np.ascontiguousarray(faces, dtype=np.int64).reshape(-1, 3)
    if np.isfinite(v).all() and (np.abs(v) < 999.9999995).all():
        verts = _vertex_lines(v)
    else:  # far away, inf or nan: Python's formatting
        verts = (("v %.6f %.6f %.6f\n" * len(v)) % tuple(v.ravel().tolist())).encode("ascii")
    return verts + _faces_block(f.tobytes())


def save_mesh(
    vertices: np.ndarray,
    faces: np.ndarray,
    path: Path,
    color=None,
    atomic: bool = True,
    frame: str = "world",
) -> Path:
    """Write a mesh; format from the suffix (.obj, .ply, .glb). Vertices (V, 3) camera frame,
    written in ``frame`` (``world``: Y up, see the module docstring; ``camera``: as given,
    except .glb, which is always Y up). ``color`` (RGB 0..255) becomes vertex colours in .ply
    and .glb (.obj holds geometry only). ``atomic=False`` writes in place (see
    :func:`write_bytes`)."""
    import trimesh

    if frame not in MESH_FRAMES:
        raise ValueError(f"mesh frame {frame!r}: expected one of {MESH_FRAMES}")
    v = np.asarray(vertices, dtype=np.float64)
    if frame == "world" or path.suffix.lower() == ".glb":
        v = to_world(v)
    if path.suffix.lower() == ".obj":
        return write_bytes(path, obj_bytes(v, faces), atomic)
    mesh = trimesh.Trimesh(v, np.asarray(faces), process=False)
    if color is not None:
        rgba = np.array([*color[:3], 255], dtype=np.uint8)
        mesh.visual.vertex_colors = np.tile(rgba, (len(v), 1))
    fmt = path.suffix.lower().lstrip(".")
    if not atomic:
        path.parent.mkdir(parents=True, exist_ok=True)
        mesh.export(str(path), file_type=fmt)
        return path
    return atomic_write(path, lambda tmp: mesh.export(tmp, file_type=fmt))
