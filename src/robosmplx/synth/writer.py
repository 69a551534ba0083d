"""On-disk layout of a synthetic dataset: per-sample files written atomically, resumable, and
the final HumanData file assembled from the per-sample records.

``OUT/images/0000012.jpg``, ``OUT/parts/{body,hand,face}/0000012.png`` (label ids, 0 background)
and ``OUT/records/0000012.npz`` (that sample's annotation arrays) are each written to a temporary
name and renamed into place; the record goes last, so a sample exists exactly when its record
does. A rerun skips the complete samples (the record reads back and the files it names exist;
an incomplete one is made again), and ``OUT/humandata.npz`` is assembled
(atomically) once all records exist. ``OUT/synth_config.json`` pins the settings: a rerun with
other settings is refused rather than mixing two datasets in one folder.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import cv2
import numpy as np

from robosmplx.config import to_dict
from robosmplx.data.humandata import save_humandata
from robosmplx.errors import DataError
from robosmplx.io import atomic_write, atomic_write_bytes, atomic_write_text
from robosmplx.synth.config import SynthConfig
from robosmplx.synth.render_sample import SynthSample

FINAL_NAME = "humandata.npz"
CONFIG_NAME = "synth_config.json"
PART_SETS = ("body", "hand", "face")
SUBDIRS = ("images", "records", "parts/body", "parts/hand", "parts/face")


def record_path(out: Path, index: int) -> Path:
    return Path(out) / "records" / f"{index:07d}.npz"


def _encode(ext: str, image: np.ndarray, params: list[int]) -> bytes:
    ok, buf = cv2.imencode(ext, image, params)
    if not ok:
        raise DataError(f"could not encode a {ext} image of shape {image.shape}")
    return buf.tobytes()


def write_sample(out: Path, index: int, sample: SynthSample) -> None:
    """Write one sample's image, part maps and (last) record, each atomically."""
    out = Path(out)
    rec = sample.record
    jpg = _encode(".jpg", sample.image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, sample.jpeg_quality])
    atomic_write_bytes(out / str(rec["image_path"]), jpg)
    for name, key in zip(PART_SETS, ("segm_path", "segm_hand_path", "segm_face_path")):
        png = _encode(".png", sample.parts[name], [cv2.IMWRITE_PNG_COMPRESSION, 3])
        atomic_write_bytes(out / str(rec[key]), png)
    atomic_write(record_path(out, index), lambda tmp: np.savez(tmp, **rec), suffix=".npz")


FILE_KEYS = ("image_path", "segm_path", "segm_hand_path", "segm_face_path")


def done_indices(out: Path, count: int) -> set[int]:
    """Indices below ``count`` whose sample is complete: its record reads back and the files
    it names exist. An incomplete sample's record is deleted, so the sample is made again."""
    folder = Path(out) / "records"
    if not folder.is_dir():
        return set()
    got = set()
    for p in folder.glob("*.npz"):
        if p.stem.isdigit() and int(p.stem) < count and _complete(Path(out), p):
            got.add(int(p.stem))
    return got


def _complete(out: Path, record: Path) -> bool:
    try:
        with np.load(record, allow_pickle=False) as z:
            files = [str(z[k]) for k in FILE_KEYS if k in z.files]
            ok = "image_path" in z.files
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        ok, files = False, []
    ok = ok and all((out / f).is_file() and (out / f).stat().st_size > 0 for f in files)
    if not ok:
        record.unlink(missing_ok=True)
    return ok


def _settings(cfg: SynthConfig) -> dict:
    return to_dict(cfg)


def prepare_output(out: Path, cfg: SynthConfig) -> None:
    """Create the folders, pin the settings (or check them against a previous run), and remove
    temporary files a killed run left behind."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise DataError(f"--out {out} exists and is not a folder; choose a folder path")
    for sub in SUBDIRS:
        (out / sub).mkdir(parents=True, exist_ok=True)
    cfg_path = out / CONFIG_NAME
    want = _settings(cfg)
    if cfg_path.is_file():
        try:
            have = json.loads(cfg_path.read_text())
        except (OSError, ValueError) as e:
            raise DataError(
                f"{cfg_path}: unreadable ({e}); delete it only if {out} is empty"
            ) from None
        if have != json.loads(json.dumps(want)):
            diff = sorted(
                k
                for k in set(have) | set(want)
                if have.get(k) != json.loads(json.dumps(want)).get(k)
            )
            raise DataError(
                f"{out} holds a synthetic dataset made with other settings ({', '.join(diff)} "
                f"differ: {cfg_path}); use another --out, or the same settings to resume or extend it"
            )
    else:
        atomic_write_text(cfg_path, json.dumps(want, indent=2) + "\n")
    for sub in ("", *SUBDIRS):
        for p in (out / sub).glob(".*"):
            if p.is_file():
                p.unlink()


def _load_record(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (OSError, ValueError) as e:
        raise DataError(
            f"{path}: unreadable sample record ({e}); delete it and rerun to redo that sample"
        ) from None


def assemble(
    out: Path,
    count: int,
    cfg: SynthConfig,
    keypoint_names: tuple[str, ...],
    group: str,
    body_model: str,
) -> Path:
    """Stack the records 0..count-1 into ``OUT/humandata.npz`` (HumanData, no pickles)."""
    out = Path(out)
    missing = sorted(set(range(count)) - done_indices(out, count))
    if missing:
        raise DataError(
            f"{out}: {len(missing)} samples have no record yet (first {missing[0]}); rerun to finish them"
        )
    records = [_load_record(record_path(out, i)) for i in range(count)]
    data: dict[str, np.ndarray] = {k: np.stack([r[k] for r in records]) for k in records[0]}
    k = data["K"]
    data["cam_param.focal"] = np.stack((k[:, 0, 0], k[:, 1, 1]), 1)
    data["cam_param.principal_point"] = k[:, :2, 2].copy()
    data["keypoint_names"] = np.array(keypoint_names)
    data["keypoint_convention"] = np.array(group)
    data["body_model"] = np.array(body_model)
    data["config"] = np.array(f"robosmplx_synth_{cfg.task}")
    data["synth_settings"] = np.array(json.dumps(_settings(cfg), sort_keys=True))
    return save_humandata(out / FINAL_NAME, data)
