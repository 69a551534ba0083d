"""HumanData files (mmhuman3d's ``.npz`` annotation layout): read, validate, write.

mmhuman3d stores dict-valued keys (``smplx``, ``meta``, ...) as pickled 0-d object arrays;
unpickling runs code from the file, so :func:`load_humandata` refuses them unless the caller
passes ``trusted=True``. Our writer stores dicts flattened (``smplx.body_pose``), so our own
files never need pickles. In memory every dict is flattened the same way. See docs/data.md.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from robosmplx.errors import DataError

BOX_KEYS = ("bbox_xywh", "lhand_bbox_xywh", "rhand_bbox_xywh", "face_bbox_xywh")
PARAM_GROUPS = ("smplx", "smpl", "mano", "flame", "anny")
DICT_KEYS = PARAM_GROUPS + ("meta", "cam_param", "misc")
FLAG_KEYS = ("__key_strict__", "__data_len__", "__keypoints_compressed__")
# Per-sample string keys; everything else that starts with a letter and has N rows is data.
PATH_KEYS = ("image_path", "segm_path")


def _flatten(prefix: str, value, out: dict[str, np.ndarray]) -> None:
    """Flatten nested mappings into dotted keys of numpy arrays."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}", v, out)
    elif isinstance(value, np.ndarray) and value.dtype == object and value.shape == ():
        _flatten(prefix, value.item(), out)
    else:
        arr = np.asarray(value)
        if arr.dtype == object and arr.ndim > 0 and all(isinstance(x, str) for x in arr.flat):
            arr = arr.astype(str)  # lists of paths pickled by mmhuman3d
        out[prefix] = arr


def _member_dtypes(path: Path) -> dict[str, np.dtype]:
    """Dtype of every array in an .npz, read from the .npy headers without unpickling."""
    out: dict[str, np.dtype] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if not info.filename.endswith(".npy"):
                    continue
                with zf.open(info) as f:
                    version = np.lib.format.read_magic(f)
                    if version == (1, 0):
                        _, _, dtype = np.lib.format.read_array_header_1_0(f)
                    else:
                        _, _, dtype = np.lib.format.read_array_header_2_0(f)
                out[info.filename[: -len(".npy")]] = dtype
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        raise DataError(f"{path}: not a readable .npz HumanData file ({e})") from None
    return out


class HumanData:
    """Annotations of N samples as flat ``{key: ndarray}`` with dotted keys for groups.

    ``hd["bbox_xywh"]`` (N, 5); ``hd.group("smplx")`` -> ``{"body_pose": (N, 21, 3), ...}``.
    Build one from a dict (nested dicts allowed) or with :func:`load_humandata`.
    """

    def __init__(self, data: Mapping, path: str | Path | None = None):
        flat: dict[str, np.ndarray] = {}
        for k, v in data.items():
            _flatten(k, v, flat)
        self.path = Path(path) if path is not None else None
        self._data = flat
        self.data_len = self._infer_len()
        self._decompress_keypoints()
        validate(self)

    # -- mapping access ---------------------------------------------------------------
    def __len__(self) -> int:
        return self.data_len

    def __contains__(self, key: str) -> bool:
        return key in self._data

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self._data:
            raise DataError(f"{self.where}: missing key {key!r}; present: {sorted(self._data)}")
        return self._data[key]

    def get(self, key: str, default=None):
        return self._data.get(key, default)

    def keys(self) -> Iterator[str]:
        return iter(self._data)

    def items(self):
        return self._data.items()

    @property
    def where(self) -> str:
        return str(self.path) if self.path is not None else "<HumanData in memory>"

    def group(self, name: str) -> dict[str, np.ndarray]:
        """Sub-keys of a dict group (``smplx``, ``meta``, ``cam_param``...); empty if absent."""
        pre = name + "."
        return {k[len(pre) :]: v for k, v in self._data.items() if k.startswith(pre)}

    def has_group(self, name: str) -> bool:
        return any(k.startswith(name + ".") for k in self._data)

    @property
    def config(self) -> str | None:
        c = self._data.get("config")
        return None if c is None else str(c.reshape(-1)[0] if c.ndim else c)

    @property
    def body_model(self) -> str | None:
        c = self._data.get("body_model")
        return None if c is None else str(c.reshape(-1)[0] if c.ndim else c)

    # -- keypoints --------------------------------------------------------------------
    def keypoint_keys(self, dim: int) -> list[str]:
        """Keys holding (N, K, 3) 2D (dim=2) or (N, K, 4) 3D keypoints, plain key first."""
        base = f"keypoints{dim}d"
        keys = [
            k for k in self._data if k == base or (k.startswith(base + "_") and "mask" not in k)
        ]
        return sorted(keys, key=lambda k: (k != base, k))

    def keypoint_convention(self, key: str) -> str | None:
        """Convention of a keypoint key: its suffix, else ``keypoint_convention``, else config."""
        for base in ("keypoints2d_", "keypoints3d_"):
            if key.startswith(base):
                return key[len(base) :]
        conv = self._data.get("keypoint_convention")
        if conv is not None:
            return str(conv.reshape(-1)[0] if conv.ndim else conv)
        return None

    def keypoint_names(self, key: str) -> tuple[str, ...] | None:
        """Names stored beside ``key`` (``keypoint_names`` or ``keypoint_names_<conv>``)."""
        conv = self.keypoint_convention(key)
        for k in (f"keypoint_names_{conv}", "keypoint_names"):
            if k in self._data:
                return tuple(str(n) for n in self._data[k])
        return None

    def keypoints(self, key: str) -> np.ndarray:
        """(N, K, 3|4) keypoints with the (K,) mask folded into the confidence."""
        kp = self[key].astype(np.float32, copy=True)
        mask = self._data.get(f"{key}_mask")
        if mask is not None and mask.shape == (kp.shape[1],):
            kp[..., -1] *= mask.astype(np.float32)
        return kp

    # -- internals --------------------------------------------------------------------
    def _infer_len(self) -> int:
        n = self._data.get("__data_len__")
        if n is not None and int(n) >= 0:
            return int(n)
        for k in ("image_path", "bbox_xywh"):
            if k in self._data:
                return int(self._data[k].shape[0])
        raise DataError(
            f"{self.where}: cannot tell the number of samples: no __data_len__, image_path "
            "or bbox_xywh key"
        )

    def _decompress_keypoints(self) -> None:
        """mmhuman3d may store only the keypoints whose mask is 1; expand them back."""
        flag = self._data.get("__keypoints_compressed__")
        if flag is None or not bool(flag):
            return
        for dim in (2, 3):
            for key in self.keypoint_keys(dim):
                mask = self._data.get(f"{key}_mask")
                if mask is None:
                    raise DataError(
                        f"{self.where}: __keypoints_compressed__ is set but {key}_mask is missing; "
                        "the full keypoint count cannot be restored"
                    )
                kp = self._data[key]
                valid = np.flatnonzero(mask)
                if kp.shape[1] == mask.shape[0]:
                    continue
                if kp.shape[1] != valid.size:
                    raise DataError(
                        f"{self.where}: {key}: compressed to {kp.shape[1]} keypoints but its mask "
                        f"has {valid.size} ones"
                    )
                full = np.zeros((kp.shape[0], mask.shape[0], kp.shape[2]), kp.dtype)
                full[:, valid] = kp
                self._data[key] = full
        self._data["__keypoints_compressed__"] = np.asarray(False)


def _fail(hd: HumanData, key: str, expected: str, got) -> None:
    raise DataError(f"{hd.where}: key {key!r}: expected {expected}, got {got}")


def _check_rows(hd: HumanData, key: str, arr: np.ndarray, tail: tuple | None, what: str) -> None:
    """arr must be (N, *tail); ``None`` entries in tail match any size."""
    n = hd.data_len
    if arr.ndim == 0 or arr.shape[0] != n:
        _fail(hd, key, f"{n} rows (one per sample, __data_len__ = {n})", f"shape {arr.shape}")
    if tail is None:
        return
    if arr.ndim != 1 + len(tail) or any(
        t is not None and t != s for t, s in zip(tail, arr.shape[1:])
    ):
        shown = ", ".join(
            "N" if i == 0 else ("*" if t is None else str(t)) for i, t in enumerate((0, *tail))
        )
        _fail(hd, key, f"shape ({shown}) {what}", f"shape {arr.shape}")


def validate(hd: HumanData) -> None:
    """Check keys and shapes; raise :class:`DataError` naming file, key, expected and got."""
    d = hd._data
    if "image_path" not in d:
        raise DataError(f"{hd.where}: missing key 'image_path' (N,) of image file paths")
    if "bbox_xywh" not in d:
        raise DataError(f"{hd.where}: missing key 'bbox_xywh' (N, 5): x, y, w, h, confidence")
    for key in PATH_KEYS:
        if key in d:
            if d[key].dtype.kind not in "UOS":
                _fail(hd, key, "an array of path strings", f"dtype {d[key].dtype}")
            _check_rows(hd, key, d[key], (), "of strings")
    for key in BOX_KEYS:
        if key in d:
            arr = d[key]
            if arr.ndim != 2 or arr.shape[1] not in (4, 5):
                _fail(hd, key, "shape (N, 5): x, y, w, h, confidence", f"shape {arr.shape}")
            _check_rows(hd, key, arr, None, "")
    for dim, width in ((2, 3), (3, 4)):
        for key in hd.keypoint_keys(dim):
            _check_rows(hd, key, d[key], (None, width), f"(x, y{', z' if dim == 3 else ''}, conf)")
            mask = d.get(f"{key}_mask")
            if mask is not None and mask.shape != (d[key].shape[1],):
                _fail(hd, f"{key}_mask", f"shape ({d[key].shape[1]},)", f"shape {mask.shape}")
            names = hd.keypoint_names(key)
            if names is not None and len(names) != d[key].shape[1]:
                _fail(hd, "keypoint_names", f"{d[key].shape[1]} names for {key}", f"{len(names)}")
    for group in PARAM_GROUPS:
        for sub, arr in hd.group(group).items():
            key = f"{group}.{sub}"
            _check_rows(hd, key, arr, None, "")
            if arr.dtype.kind not in "fiu":
                _fail(hd, key, "a numeric array", f"dtype {arr.dtype}")
            if sub.endswith("_pose") or sub == "global_orient":
                if int(np.prod(arr.shape[1:])) % 3:
                    _fail(hd, key, "axis-angle triplets (N, J, 3) or (N, 3J)", f"shape {arr.shape}")
            elif sub == "transl":
                _check_rows(hd, key, arr, (3,), "")
            elif sub in ("betas", "expression") and arr.ndim != 2:
                _fail(hd, key, "shape (N, n)", f"shape {arr.shape}")
    if "K" in d:
        _check_rows(hd, "K", d["K"], (3, 3), "camera intrinsics")
    cam = hd.group("cam_param")
    for sub in ("focal", "principal_point", "princpt"):
        if sub in cam:
            arr = cam[sub]
            if arr.ndim == 1 and sub == "focal":
                _check_rows(hd, f"cam_param.{sub}", arr, (), "")
            else:
                _check_rows(hd, f"cam_param.{sub}", arr, (2,), "(x, y) pixels")
    if "root_cam" in d:
        _check_rows(hd, "root_cam", d["root_cam"], (3,), "camera-frame metres")
    for key in d:
        if key.startswith("has_"):
            _check_rows(hd, key, d[key], (), "0/1 flags")


def intrinsics_of(hd: HumanData) -> np.ndarray | None:
    """(N, 3, 3) full-image intrinsics from ``K`` or ``cam_param.focal``/``principal_point``."""
    if "K" in hd:
        return hd["K"].astype(np.float32)
    cam = hd.group("cam_param")
    pp = cam.get("principal_point", cam.get("princpt"))
    if "focal" not in cam or pp is None:
        return None
    f = cam["focal"].astype(np.float32)
    f = np.stack((f, f), -1) if f.ndim == 1 else f
    k = np.zeros((hd.data_len, 3, 3), np.float32)
    k[:, 0, 0], k[:, 1, 1] = f[:, 0], f[:, 1]
    k[:, :2, 2] = pp
    k[:, 2, 2] = 1.0
    return k


@dataclass(frozen=True)
class Remedies:
    """How the caller's user allows pickled keys and skips bad samples: the words error
    messages suggest (the API's by default; commands and the trainer give their own)."""

    trust: str = "pass trusted=True (CLI: --trust-pickle)"
    skip: str = "pass on_bad='skip' (CLI: --skip-bad)"


def load_humandata(
    path: str | Path, trusted: bool = False, remedies: Remedies = Remedies()
) -> HumanData:
    """Read a HumanData ``.npz``. Pickled dict keys load only with ``trusted=True``."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: HumanData file not found")
    dtypes = _member_dtypes(path)
    pickled = sorted(k for k, dt in dtypes.items() if dt.hasobject)
    if pickled and not trusted:
        raise DataError(
            f"{path}: keys {pickled} are stored as pickled Python objects (mmhuman3d's layout for "
            "dicts); loading them runs code from the file. If you trust where the file comes "
            f"from, {remedies.trust}; save_humandata() then re-writes it "
            "in robosmplx's pickle-free layout"
        )
    try:
        with np.load(path, allow_pickle=bool(pickled)) as z:
            data = {k: z[k] for k in z.files}
    except (ValueError, OSError, zipfile.BadZipFile) as e:
        raise DataError(f"{path}: could not read the HumanData arrays ({e})") from None
    hd = HumanData(data, path=path)
    if hd.data_len == 0:
        raise DataError(
            f"{path}: holds no samples (__data_len__ = 0); point at a file with samples, or "
            "remake it (robosmplx synth ... --count N)"
        )
    return hd


def save_humandata(path: str | Path, data: HumanData | Mapping, compress: bool = False) -> Path:
    """Write HumanData without pickles (dicts flattened to dotted keys), atomically."""
    from robosmplx.io import atomic_write

    hd = data if isinstance(data, HumanData) else HumanData(data, path=path)
    out: dict[str, np.ndarray] = {}
    for k, v in hd.items():
        if v.dtype.hasobject:
            try:
                v = v.astype(str)
            except (TypeError, ValueError):
                raise DataError(
                    f"{path}: key {k!r} holds Python objects that are not strings; convert it to "
                    "a numeric or string array before saving"
                ) from None
        out[k] = v
    out["__data_len__"] = np.asarray(hd.data_len)
    out["__key_strict__"] = np.asarray(bool(out.get("__key_strict__", False)))
    out["__keypoints_compressed__"] = np.asarray(False)
    saver = np.savez_compressed if compress else np.savez
    return atomic_write(path, lambda tmp: saver(tmp, **out), suffix=".npz")
