"""The bundled example images: synthetic people from :mod:`robosmplx.synth` with their ground
truth (camera-frame parameters, translation, intrinsics, person box) in one small .npz.

``make_examples`` regenerates them (``python -m robosmplx.infer.examples OUT``); the package
ships the result in ``robosmplx/assets/examples/``. ``robosmplx demo`` reads them with
:func:`load_examples` and scores predictions with :func:`score_people`.
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from robosmplx.errors import DataError

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "assets" / "examples"
GT_FILE = "ground_truth.npz"
SEED, COUNT, SIZE = 2023, 4, 256


@dataclass
class Example:
    """One example: its image file and the true parameters (axis-angle, camera frame)."""

    image: Path
    params: dict[str, np.ndarray]
    transl: np.ndarray
    K: np.ndarray
    bbox: np.ndarray
    body_model: str


def make_examples(
    out: str | Path, count: int = COUNT, seed: int = SEED, size: int = SIZE
) -> list[Path]:
    """Render ``count`` whole-body examples (one fully visible person each, Anny) into ``out``:
    ``example_<i>.jpg`` and ``ground_truth.npz``. Returns the written paths."""
    from PIL import Image

    from robosmplx.io import atomic_write_bytes
    from robosmplx.synth.config import SynthConfig
    from robosmplx.synth.generate import build_tables
    from robosmplx.synth.render_sample import make_sample

    cfg = SynthConfig(
        task="wholebody", size=size, seed=seed, body_model="anny",
        extra_people_prob=0.0, occluder_prob=0.0, truncation_prob=0.0,
    )  # fmt: skip
    tables = build_tables(cfg)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    g = tables.group
    names, rows, written = [], {}, []
    for i in range(count):
        sample = make_sample(cfg, tables, i)
        rec = sample.record
        name = f"example_{i}.jpg"
        buf = io.BytesIO()
        Image.fromarray(sample.image).save(buf, format="JPEG", quality=88)
        written.append(atomic_write_bytes(out / name, buf.getvalue()))
        names.append(name)
        for k, v in rec.items():
            if k.startswith(f"{g}."):
                rows.setdefault(k[len(g) + 1 :], []).append(np.asarray(v, np.float32).reshape(-1))
        rows.setdefault("K", []).append(rec["K"].astype(np.float32))
        rows.setdefault("bbox_xywh", []).append(rec["bbox_xywh"][:4].astype(np.float32))
    arrays = {k: np.stack(v) for k, v in rows.items()}
    buf = io.BytesIO()
    np.savez_compressed(buf, image=np.array(names), body_model=np.array(cfg.body_model), **arrays)
    written.append(atomic_write_bytes(out / GT_FILE, buf.getvalue()))
    for path in written:  # package data: readable by everyone
        path.chmod(0o644)
    return written


def load_examples(folder: str | Path = EXAMPLES_DIR) -> list[Example]:
    """The examples of ``folder`` (default: the bundled ones)."""
    folder = Path(folder)
    gt = folder / GT_FILE
    if not gt.is_file():
        raise DataError(
            f"{gt}: the example images' ground truth is missing from this installation; "
            "regenerate with: python -m robosmplx.infer.examples FOLDER"
        )
    with np.load(gt, allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    body = str(data.pop("body_model"))
    images = [str(x) for x in data.pop("image")]
    transl, k, bbox = data.pop("transl"), data.pop("K"), data.pop("bbox_xywh")
    out = []
    for i, name in enumerate(images):
        path = folder / name
        if not path.is_file():
            raise DataError(f"{path}: example image missing (listed in {gt})")
        out.append(
            Example(path, {g: v[i] for g, v in data.items()}, transl[i], k[i], bbox[i], body)
        )
    return out


@torch.inference_mode()
def true_mesh(body, example: Example) -> tuple[np.ndarray, np.ndarray]:
    """Camera-frame (V, 3) vertices and (K, 3) keypoints of an example's person in ``body``
    (any model with the same parameter groups, e.g. anny-small for anny ground truth)."""
    params = {k: torch.as_tensor(v, device=body.device)[None] for k, v in example.params.items()}
    out = body(**params)
    t = torch.as_tensor(example.transl, device=body.device)
    return (out.vertices[0] + t).cpu().numpy(), (out.keypoints[0] + t).cpu().numpy()


def score_people(body, example: Example, people: list) -> dict:
    """PA-PVE and PVE (mm, whole body, root-aligned at the body root) of the predicted person
    whose keypoint box best overlaps the true box; NaN when nobody was found."""
    from robosmplx.eval.metrics import pa_pve, pve
    from robosmplx.infer.tracking import iou_matrix

    if not people:
        return {"pa_pve_mm": float("nan"), "pve_mm": float("nan"), "matched": False}
    gt_v, gt_k = true_mesh(body, example)
    boxes = np.stack([p.keypoint_box for p in people])
    best = int(iou_matrix(example.bbox[None].astype(np.float64), boxes)[0].argmax())
    p = people[best]
    root = body.keypoint_layout.roots["body"]
    return {
        "pa_pve_mm": float(pa_pve(p.vertices[None], gt_v[None])[0]),
        "pve_mm": float(
            pve(p.vertices[None], gt_v[None], p.keypoints3d[root][None], gt_k[root][None])[0]
        ),
        "matched": True,
    }


if __name__ == "__main__":  # pragma: no cover - asset regeneration
    for p in make_examples(sys.argv[1] if len(sys.argv) > 1 else EXAMPLES_DIR):
        print(p, p.stat().st_size)
