"""``robosmplx annotate INPUT... --out data.npz``: pseudo ground truth from unlabelled photos and
videos, in the HumanData layout the training pipeline reads (the field's NeuralAnnot / EFT
practice: fit the body model to pretrained landmarks, then train on the fits).

Every person whose test-time fit succeeded becomes one sample: the fitted parameters in the
camera frame (``<group>.*``, axis-angle), the image's one camera ``K``, the body model's
keypoints (2D with visibility, 3D camera frame), body / hand / face boxes, and part maps rendered
from the fits with the project's rasteriser (people occlude each other; each sample's map holds
its own person only). Layout beside ``data.npz``: ``data_files/images/<n>.png`` (the decoded,
upright image: training readers ignore EXIF), ``data_files/parts/{body,hand,face}/<n>_<i>.png``.
Video frames are taken every ``--every`` frames.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

KEYPOINT_MARGIN = 0.5  # a keypoint counts as in the image up to half a pixel past the border


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, folders, videos")
    p.add_argument("--out", required=True, help="the HumanData file to write (.npz)")
    p.add_argument("--checkpoint", default=None, help="model (default: the bundled one)")
    p.add_argument("--every", type=int, default=10, help="videos: every N-th frame (default 10)")
    p.add_argument("--focal", type=float, default=None, help="focal length in pixels")
    p.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")


def _frames(path: Path, every: int, max_side: int):
    """(name, LoadedImage) of a photo, or of every ``every``-th good frame of a video."""
    from robosmplx.infer.images import LoadedImage, is_video, load_image
    from robosmplx.infer.video import VideoReader

    if not is_video(path):
        yield path.stem, load_image(path, max_side)
        return
    reader = VideoReader(path, max_side)
    for index, frame in reader:
        if frame is not None and index % every == 0:
            yield f"{path.stem}_f{index:06d}", LoadedImage(frame, path, (), reader.scale)


class Annotator:
    """Collects samples from predictions (fitted people only) and writes the HumanData file."""

    def __init__(self, predictor, out: Path):
        from robosmplx.synth.people import ModelTables

        self.p, self.out = predictor, Path(out)
        self.files = self.out.parent / f"{self.out.stem}_files"
        self.tables = ModelTables(predictor.body)
        self.rows: list[dict] = []
        self.count = 0

    def add(self, name: str, pred) -> int:
        """Samples from one image's prediction; returns how many were added."""
        import cv2

        fitted = [p for p in pred.people if p.fit is not None and p.fit["ok"]]
        if not fitted:
            return 0
        n = self.count
        self.count += 1
        h, w = round(pred.image.shape[0] / pred.scale), round(pred.image.shape[1] / pred.scale)
        image = pred.image
        if pred.scale != 1.0:
            image = cv2.resize(image, (w, h), interpolation=cv2.INTER_LINEAR)
        rel_image = f"images/{n:07d}.png"
        _write_png(self.files / rel_image, image[..., ::-1])
        maps = self._part_maps(fitted, pred.K, (h, w))
        for i, person in enumerate(fitted):
            row = self._row(person, pred, (w, h), name)
            row["image_path"] = f"{self.files.name}/{rel_image}"
            for part, key in (("body", "segm_path"), ("hand", "segm_hand_path"),
                              ("face", "segm_face_path")):  # fmt: skip
                rel = f"parts/{part}/{n:07d}_{i}.png"
                _write_png(self.files / rel, maps[part][i])
                row[key] = f"{self.files.name}/{rel}"
            self.rows.append(row)
        return len(fitted)

    def _part_maps(self, people, k, size) -> dict[str, list[np.ndarray]]:
        """Per part set, one (H, W) uint8 map per person: its visible part label + 1."""
        import torch

        from robosmplx.render.raster import rasterize

        verts = torch.as_tensor(np.concatenate([p.vertices for p in people]), dtype=torch.float32)
        faces = self.tables.faces
        nv, nf = people[0].vertices.shape[0], faces.shape[0]
        all_faces = torch.cat([faces + i * nv for i in range(len(people))])
        kt = torch.as_tensor(np.asarray(k), dtype=torch.float32)[None]
        frags = rasterize(verts[None], all_faces, kt, size)
        fidx = frags.face_idx[0].numpy()  # (H, W) face of the scene, -1 background
        owner = np.where(fidx >= 0, fidx // nf, -1)
        local = np.maximum(fidx, 0) % nf
        out = {}
        for part, labels in (("body", self.tables.face_body), ("hand", self.tables.face_hand),
                             ("face", self.tables.face_face)):  # fmt: skip
            lab = labels[local] + 1  # 0 where the face has no label of this set
            out[part] = [np.where(owner == i, lab, 0).astype(np.uint8) for i in range(len(people))]
        return out

    def _row(self, person, pred, size, name) -> dict[str, np.ndarray]:
        import torch

        from robosmplx.geometry.boxes import box_from_keypoints

        g = self.tables.group
        w, h = size
        row = {f"{g}.{k}": np.asarray(v, np.float32) for k, v in person.params.items()}
        row[f"{g}.transl"] = np.asarray(person.transl, np.float32)
        kp2 = np.asarray(person.keypoints2d, np.float32)
        inside = (
            (kp2[:, 0] >= -KEYPOINT_MARGIN) & (kp2[:, 0] <= w - 1 + KEYPOINT_MARGIN)
            & (kp2[:, 1] >= -KEYPOINT_MARGIN) & (kp2[:, 1] <= h - 1 + KEYPOINT_MARGIN)
            & (person.keypoints3d[:, 2] > 0)
        )  # fmt: skip
        row["keypoints2d"] = np.concatenate((kp2, inside[:, None]), 1).astype(np.float32)
        kp3 = np.asarray(person.keypoints3d, np.float32)
        row["keypoints3d"] = np.concatenate((kp3, np.ones((len(kp3), 1))), 1).astype(np.float32)
        row["keypoints_in_image"] = inside.astype(np.uint8)
        layout = self.p.body.keypoint_layout
        boxes = {"bbox_xywh": "body", "lhand_bbox_xywh": "lhand", "rhand_bbox_xywh": "rhand",
                 "face_bbox_xywh": "face"}  # fmt: skip
        scales = {"body": 1.0, "lhand": 2.0, "rhand": 2.0, "face": 1.5}
        for key, subset in boxes.items():
            idx = layout.subsets.get(subset)
            if idx is None:
                continue
            pts = torch.as_tensor(kp2[np.asarray(idx)])[None]
            valid = torch.as_tensor(inside[np.asarray(idx)])[None]
            aspect = None if subset == "body" else 1.0
            box = box_from_keypoints(pts, valid, scale=scales[subset], aspect=aspect)[0].numpy()
            conf = float(valid.float().mean() > 0.5)
            row[key] = np.append(box, conf).astype(np.float32)
        row["K"] = np.asarray(pred.K, np.float32)
        row["root_cam"] = np.asarray(person.keypoints3d[layout.roots["body"]], np.float32)
        row["meta.source"] = np.array(name)
        row["meta.fit_total"] = np.float32(person.fit["losses"].get("total", np.nan))
        return row

    def write(self) -> Path:
        """Stack the samples into the HumanData file (atomically)."""
        from robosmplx.data.humandata import save_humandata
        from robosmplx.errors import DataError

        if not self.rows:
            raise DataError(
                f"{self.out}: no person was fitted in any input, nothing to write; check that "
                "the landmark models are installed (robosmplx landmarks fetch)"
            )
        data = {k: np.stack([np.asarray(r[k]) for r in self.rows]) for k in self.rows[0]}
        k = data["K"]
        data["cam_param.focal"] = np.stack((k[:, 0, 0], k[:, 1, 1]), 1)
        data["cam_param.principal_point"] = k[:, :2, 2].copy()
        data["keypoint_names"] = np.array(self.p.body.keypoint_layout.names)
        data["keypoint_convention"] = np.array(self.tables.group)
        data["body_model"] = np.array(self.p.body_model_name)
        data["config"] = np.array("robosmplx_annotate")
        return save_humandata(self.out, data)


def _write_png(path: Path, array: np.ndarray) -> None:
    import cv2

    from robosmplx.io import atomic_write_bytes

    ok, buf = cv2.imencode(".png", np.ascontiguousarray(array))
    if not ok:
        raise OSError(f"cannot encode {path} as PNG")
    atomic_write_bytes(path, buf.tobytes())


def run(args) -> int:
    from robosmplx.errors import RoboSMPLXError
    from robosmplx.infer.images import expand_inputs
    from robosmplx.infer.predictor import Predictor

    out = Path(args.out)
    if out.suffix != ".npz":
        from robosmplx.errors import ConfigError

        raise ConfigError(f"--out {out}: give a .npz file name, e.g. --out data.npz")
    if args.every < 1:
        from robosmplx.errors import ConfigError

        raise ConfigError(f"--every must be >= 1 (got {args.every})")
    predictor = Predictor(args.checkpoint, device=args.device, rounds=1, focal=args.focal,
                          refine="landmarks")  # fmt: skip
    files, errors = expand_inputs(args.inputs)
    ann = Annotator(predictor, out)
    per_input = []
    for path in files:
        got, frames = 0, 0
        try:
            for name, im in _frames(path, args.every, predictor.max_side):
                got += ann.add(name, predictor.predict(im))
                frames += 1
        except RoboSMPLXError as e:
            errors.append(str(e) if str(path) in str(e) else f"{path}: {e}")
        per_input.append({"input": str(path), "images": frames, "samples": got})
    written = ann.write() if ann.rows else None
    summary = {
        "out": str(written) if written else None,
        "samples": len(ann.rows),
        "images": ann.count,
        "inputs": per_input,
        "errors": errors,
    }
    if args.json:
        from robosmplx.cli import print_json

        print_json(summary)
    else:
        print(f"robosmplx annotate: {len(ann.rows)} people from {ann.count} images -> {written}")
    for line in errors:
        print(f"robosmplx annotate: error: {line}", file=sys.stderr)
    if written is None:
        print("robosmplx annotate: error: no person was fitted; nothing written", file=sys.stderr)
    return 1 if errors or written is None else 0
