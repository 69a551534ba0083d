"""Test fixtures in mmhuman3d's own HumanData layout, written without mmhuman3d.

mmhuman3d's ``HumanData.dump`` calls ``np.savez_compressed`` on its dict: parameter groups
(``smpl``, ``smplx``, ...) and ``meta`` become pickled 0-d object arrays, keypoints are in the
190-point ``human_data`` convention with a (190,) ``keypoints2d_mask`` / ``keypoints3d_mask``,
and with ``__keypoints_compressed__`` only the masked-in columns are stored.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from robosmplx.data.conventions import map_keypoints
from robosmplx.data.human_data import human_data_names
from robosmplx.data.humandata import load_humandata


def to_mmhuman3d(src: Path, dst: Path, model, group: str = "anny", drop=(), compress=True) -> Path:
    """Rewrite a HumanData file of ``model``'s layout the way mmhuman3d writes one.

    drop: keys left out (e.g. ``segm_path``, ``K``, ``transl`` to mimic a real dataset).
    """
    hd = load_humandata(src)
    n = len(hd)
    names = human_data_names()
    layout = tuple(model.keypoint_layout.names)
    out: dict[str, object] = {
        "image_path": np.array([str(Path(src).parent / p) for p in hd["image_path"]]),
        "bbox_xywh": hd["bbox_xywh"].astype(np.float32),
        "config": np.array("fixture"),
        "__data_len__": np.array(n),
        "__key_strict__": np.array(False),
        "__keypoints_compressed__": np.array(bool(compress)),
    }
    for dim in (2, 3):
        kp = map_keypoints(hd[f"keypoints{dim}d"], layout, names)
        mask = (kp[..., -1] > 0).any(0).astype(np.uint8)  # (190,)
        out[f"keypoints{dim}d_mask"] = mask
        out[f"keypoints{dim}d"] = kp[:, mask > 0] if compress else kp
    params = {k: v for k, v in hd.group(group).items() if k not in drop}
    out[group] = params  # a dict: np.savez pickles it, as mmhuman3d's files hold it
    out["meta"] = {"gender": ["neutral"] * n}
    for key in ("K", "root_cam", "segm_path"):
        if key in hd and key not in drop:
            out[key] = hd[key]
    if "segm_path" in out:
        out["segm_path"] = np.array([str(Path(src).parent / p) for p in hd["segm_path"]])
    np.savez_compressed(dst, **out)
    return dst
