"""Contact sheet of a synthetic dataset: images with keypoints and boxes, beside their part maps.

Visible keypoints are green, hidden ones (occluded or outside) red; boxes: person white, left
hand magenta, right hand cyan, face yellow. Read back through the data pipeline's HumanData
reader, so the sheet shows what training will see.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from robosmplx.data.humandata import load_humandata
from robosmplx.io import atomic_write_bytes
from robosmplx.render import part_palette
from robosmplx.synth.writer import FINAL_NAME

BOX_COLOURS = {"bbox_xywh": (255, 255, 255), "lhand_bbox_xywh": (255, 0, 255),
               "rhand_bbox_xywh": (0, 255, 255), "face_bbox_xywh": (255, 230, 0)}  # fmt: skip
PART_KEY = {
    "wholebody": "segm_path",
    "body": "segm_path",
    "hand": "segm_hand_path",
    "face": "segm_face_path",
}


def _cell(
    image: np.ndarray, kp: np.ndarray, boxes: dict[str, np.ndarray], parts: np.ndarray, cell: int
):
    """Two ``cell`` x ``cell`` panels (annotated image, part map over a dimmed image), RGB."""
    s = cell / image.shape[0]
    img = cv2.resize(image, (cell, cell), interpolation=cv2.INTER_AREA)
    for key, colour in BOX_COLOURS.items():
        b = boxes.get(key)
        if b is not None and b[4] > 0:
            p0 = (int(round(b[0] * s)), int(round(b[1] * s)))
            p1 = (int(round((b[0] + b[2]) * s)), int(round((b[1] + b[3]) * s)))
            cv2.rectangle(img, p0, p1, colour, 1)
    r = max(1, cell // 160)
    for x, y, v in kp:
        cv2.circle(
            img,
            (int(round(x * s)), int(round(y * s))),
            r,
            (40, 220, 40) if v > 0 else (230, 40, 40),
            -1,
        )
    pal = (part_palette(max(int(parts.max()), 1)).numpy() * 255).astype(np.uint8)
    lab = cv2.resize(parts, (cell, cell), interpolation=cv2.INTER_NEAREST)
    over = (cv2.resize(image, (cell, cell), interpolation=cv2.INTER_AREA) * 0.35).astype(np.uint8)
    m = lab > 0
    over[m] = pal[lab[m] - 1]
    return img, over


def contact_sheet(out: str | Path, count: int = 12, cols: int = 4, cell: int = 128) -> np.ndarray:
    """(H, W, 3) uint8 RGB sheet of the first ``count`` samples of the dataset in ``out``."""
    out = Path(out)
    hd = load_humandata(out / FINAL_NAME)
    task = str(hd["config"]).removeprefix("robosmplx_synth_")
    n = min(count, len(hd))
    panels = []
    for i in range(n):
        image = cv2.imread(str(out / str(hd["image_path"][i])))[..., ::-1]
        parts = cv2.imread(
            str(out / str(hd[PART_KEY.get(task, "segm_path")][i])), cv2.IMREAD_UNCHANGED
        )
        boxes = {k: hd[k][i] for k in BOX_COLOURS if k in hd}
        panels.append(np.concatenate(_cell(image, hd["keypoints2d"][i], boxes, parts, cell), 1))
    blank = np.zeros_like(panels[0])
    panels += [blank] * (-len(panels) % cols)
    rows = [np.concatenate(panels[i : i + cols], 1) for i in range(0, len(panels), cols)]
    return np.concatenate(rows, 0)


def write_preview(
    out: str | Path, count: int = 12, cols: int = 4, cell: int = 128, path: str | Path | None = None
) -> Path:
    """Write the contact sheet as a 256-colour PNG (default ``OUT/preview.png``, small enough to
    share) and return its path."""
    import io

    from PIL import Image

    sheet = Image.fromarray(contact_sheet(out, count, cols, cell))
    small = sheet.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    buf = io.BytesIO()
    small.save(buf, format="PNG", optimize=True)
    target = Path(path) if path is not None else Path(out) / "preview.png"
    return atomic_write_bytes(target, buf.getvalue())
