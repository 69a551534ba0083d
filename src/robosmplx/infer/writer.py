"""Writing one input's results: a folder built under a temporary name and renamed into place,
so an input either has its complete folder or none. Pictures: overlay and side view.

Files inside the folder are written in place (no per-file fsync); the folder's rename is what
makes the result appear whole. Layout for ``photo.jpg`` (``OUT/photo/``): ``person_<i>.npz``
and ``.json`` (parameters, camera), ``person_<i>.<obj|ply|glb>`` (meshes, world frame by
default), ``camera.json`` (the image's one camera and its pose in the world frame),
``overlay.png``, ``side.png``, ``result.json``.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import cv2
import numpy as np

from robosmplx.geometry.pixels import scale_intrinsics
from robosmplx.infer.export import write_bytes
from robosmplx.io import commit_folder, make_partial_folder

PICTURE_MAX_SIDE = 1280  # overlays are drawn at most this large (the input keeps its size up to it)


class OutputFolder:
    """``with OutputFolder(out, name) as tmp: ...`` writes into a hidden temporary folder in
    ``out``, renamed to ``out/name`` (replacing an older one) when the block ends normally and
    deleted when it raises."""

    def __init__(self, out_dir: Path, name: str):
        self.out_dir, self.name = Path(out_dir), name
        self.final = self.out_dir / name
        self.tmp: Path | None = None

    def __enter__(self) -> Path:
        self.tmp = make_partial_folder(self.out_dir, self.name)
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        _readable(self.tmp)
        commit_folder(self.tmp, self.final)


def _readable(folder: Path) -> None:
    """Give the folder and its files the usual permissions (temporary files are private)."""
    umask = os.umask(0)
    os.umask(umask)
    for p in [folder, *folder.rglob("*")]:
        os.chmod(p, (0o777 if p.is_dir() else 0o666) & ~umask)


def unique_names(paths: list[Path]) -> list[str]:
    """A distinct folder name per input: the file stem, then stem_ext, then numbered."""
    names, used = [], set()
    stems = [p.stem for p in paths]
    for p in paths:
        name = p.stem if stems.count(p.stem) == 1 else f"{p.stem}_{p.suffix.lstrip('.')}"
        base, n = name, 1
        while name in used or name.startswith("."):
            name = f"{base.lstrip('.')}_{n}"
            n += 1
        used.add(name)
        names.append(name)
    return names


def person_color(i: int) -> tuple[float, float, float]:
    from robosmplx.render.shading import person_colors

    return person_colors(i + 1)[i]


def fit_picture(image: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    image = np.array(image, dtype=np.uint8)  # a writable copy
    h, w = image.shape[:2]
    r = min(1.0, max_side / max(h, w))
    if r < 1.0:
        image = cv2.resize(image, (round(w * r), round(h * r)), interpolation=cv2.INTER_AREA)
    return image, r


def _depth_key(person) -> float:
    """How far a person is, comparable across people with different focal lengths."""
    return float(person.transl[2] / person.K[0, 0])


def render_overlay_image(image, scale: float, people, faces, max_side: int = PICTURE_MAX_SIDE):
    """People drawn over ``image`` (loaded pixels; ``scale`` = loaded per original pixel),
    each with its own camera, farthest first."""
    from robosmplx.render import render_overlay

    canvas, r = fit_picture(image, max_side)
    order = sorted(range(len(people)), key=lambda i: -_depth_key(people[i]))
    for i in order:
        p = people[i]
        k = scale_intrinsics(np.asarray(p.K, np.float64), scale * r)
        color = person_color(p.track_id if p.track_id is not None else i)
        canvas = render_overlay(canvas, [(p.vertices, faces)], k, colors=[color])
    return canvas


def render_side_image(image, scale: float, people, faces, max_side: int = PICTURE_MAX_SIDE):
    """The people turned 90 degrees in the photo's one camera (every person of an image shares
    its intrinsics), on a white canvas of the overlay's size."""
    from robosmplx.render import render_side_view

    canvas, r = fit_picture(image, max_side)
    meshes = [(np.asarray(p.vertices, np.float64), faces) for p in people]
    colors = [
        person_color(p.track_id if p.track_id is not None else i) for i, p in enumerate(people)
    ]
    k_img = scale_intrinsics(np.asarray(people[0].K, np.float64), scale * r)
    return render_side_view(canvas.shape[:2], meshes, k_img, colors=colors)


def write_png(path: Path, rgb: np.ndarray) -> Path:
    """A PNG written in place (inside an :class:`OutputFolder`)."""
    ok, data = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise OSError(f"cannot encode {path} as PNG")
    return write_bytes(path, data.tobytes(), atomic=False)


def write_json(path: Path, doc: dict, atomic: bool = False) -> Path:
    """Indented JSON (numpy arrays as lists); in place unless ``atomic``."""
    text = json.dumps(doc, indent=1, default=_jsonable)
    return write_bytes(path, text.encode("utf-8"), atomic)


def _jsonable(x):
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, Path):
        return str(x)
    raise TypeError(f"not JSON-serialisable: {type(x).__name__}")


def write_image_outputs(
    folder: Path,
    pred,
    faces: np.ndarray,
    mesh_formats: tuple[str, ...] = ("obj",),
    render: bool = True,
    frame: str = "world",
) -> dict:
    """Write everything for one :class:`ImagePrediction` into ``folder``; returns the
    ``result.json`` document (file names relative to the folder). ``frame``: the meshes'
    frame (``world`` or ``camera``, see :mod:`robosmplx.infer.export`)."""
    from robosmplx.infer.export import WORLD_FROM_CAMERA, save_mesh, save_params

    camera = camera_doc(pred, frame)
    people_doc = []
    for i, p in enumerate(pred.people):
        stem = folder / f"person_{i}"
        rec = p.record()
        rec["world_from_camera"] = WORLD_FROM_CAMERA.astype(np.float32)
        rec["focal_source"] = pred.focal_source
        files = [f.name for f in save_params(rec, stem, atomic=False)]
        for fmt in mesh_formats:
            path = stem.with_suffix(f".{fmt}")
            files.append(save_mesh(p.vertices, faces, path, _rgb(i), False, frame).name)
        people_doc.append(
            {
                "index": i,
                "score": p.score,
                "box_source": p.box_source,
                "bbox_xywh": p.bbox,
                "keypoint_box_xywh": p.keypoint_box,
                "fit": p.fit,
                "files": files,
            }
        )
    pictures = []
    if render and pred.people:
        overlay = render_overlay_image(pred.image, pred.scale, pred.people, faces)
        pictures.append(write_png(folder / "overlay.png", overlay).name)
        side = render_side_image(pred.image, pred.scale, pred.people, faces)
        pictures.append(write_png(folder / "side.png", side).name)
    if camera is not None and pred.people:
        write_json(folder / "camera.json", camera)
    doc = {
        "input": str(pred.path) if pred.path else None,
        "image_size": [
            round(pred.image.shape[1] / pred.scale),
            round(pred.image.shape[0] / pred.scale),
        ],
        "notes": pred.notes,
        "camera": "camera.json" if camera is not None and pred.people else None,
        "people": people_doc,
        "skipped": pred.skipped,
        "pictures": pictures,
    }
    write_json(folder / "result.json", doc)
    return doc


def camera_doc(pred, frame: str = "world") -> dict | None:
    """The image's one camera as written to ``camera.json``: intrinsics (original pixels),
    where the focal length came from, the diagonal field of view, the camera's pose in the
    world frame and the frame the mesh files are in."""
    from robosmplx.infer.cropping import field_of_view
    from robosmplx.infer.export import CAMERA_NOTE, WORLD_FROM_CAMERA

    if pred.K is None:
        return None
    w, h = round(pred.image.shape[1] / pred.scale), round(pred.image.shape[0] / pred.scale)
    return {
        "K": np.asarray(pred.K, np.float64),
        "image_size": [w, h],
        "focal_source": pred.focal_source,
        "fov_diagonal_deg": field_of_view(pred.K, w, h),
        "world_from_camera": WORLD_FROM_CAMERA,
        "mesh_frame": frame,
        "convention": CAMERA_NOTE,
    }


def _rgb(i: int) -> tuple[int, int, int]:
    return tuple(int(round(c * 255)) for c in person_color(i))
