"""Find, read and check the SMPL-X family's model files: the user's own licensed copies.

Layout (``smplx.create``'s): ``<model_dir>/smplx/SMPLX_<GENDER>.npz`` (or ``.pkl``),
``<model_dir>/smpl/SMPL_<GENDER>.pkl``, ``<model_dir>/mano/MANO_RIGHT.pkl``,
``<model_dir>/flame/FLAME_<GENDER>.pkl`` with ``flame_static_embedding.pkl`` and
``flame_dynamic_embedding.npy`` beside it. The files come from the official sites (free
registration, licence terms apply); robosmplx never ships or downloads them.

A pickle runs code when it is loaded, so ``.pkl`` files (and object ``.npy`` files) are read with
an unpickler that builds only numpy arrays, plain containers, sparse matrices and the chumpy
objects the official files hold (``Ch`` arrays and ``Select``/``Reshape``/``transpose`` of them),
all decoded from their stored arrays, so neither scipy nor chumpy is needed and no code runs;
it refuses anything else. Python-2 pickles (``__builtin__`` names, latin-1 strings) and the
numpy module names of numpy 1 and 2 are both read. ``.npz`` archives are read with pickles off.
"""

from __future__ import annotations

import json
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from robosmplx.errors import ModelFileError

GENDERS = ("neutral", "male", "female")
# Vertex counts of the official meshes: their keypoint vertices are smplx's VERTEX_IDS.
OFFICIAL_VERTEX_COUNTS = {"smplx": 10475, "smpl": 6890, "mano": 778, "flame": 5023}
# Which smplx.vertex_ids table holds a family's keypoint vertices (FLAME needs none).
VERTEX_ID_TABLE = {"smplx": "smplx", "smpl": "smplh", "mano": "mano"}


@dataclass(frozen=True)
class FamilyFiles:
    """Where one model's files live and where to get them."""

    title: str
    url: str
    folder: str
    main: tuple[str, ...]  # candidate names of the main file, ``{G}`` = upper-case gender
    extra: tuple[str, ...] = ()
    extra_source: str = ""
    num_joints: int = 0
    betas: int = 10
    expression: int = 0


FAMILIES = {
    "smplx": FamilyFiles(
        "SMPL-X", "https://smpl-x.is.tue.mpg.de", "smplx", ("SMPLX_{G}.npz", "SMPLX_{G}.pkl"),
        num_joints=55, betas=10, expression=10,
    ),
    "smpl": FamilyFiles(
        "SMPL", "https://smpl.is.tue.mpg.de", "smpl", ("SMPL_{G}.pkl",), num_joints=24,
    ),
    "mano": FamilyFiles(
        "MANO", "https://mano.is.tue.mpg.de", "mano", ("MANO_RIGHT.pkl",), num_joints=16,
    ),
    "flame": FamilyFiles(
        "FLAME", "https://flame.is.tue.mpg.de", "flame", ("FLAME_{G}.pkl",),
        extra=("flame_static_embedding.pkl", "flame_dynamic_embedding.npy"),
        extra_source="https://github.com/soubhiksanyal/FLAME_PyTorch (its model/ folder)",
        num_joints=5, betas=100, expression=50,
    ),
}  # fmt: skip


def _spec(name: str) -> FamilyFiles:
    if name not in FAMILIES:
        raise ModelFileError(
            f"unknown SMPL-X family model {name!r}; choose one of {list(FAMILIES)}"
        )
    return FAMILIES[name]


def _main_names(name: str, gender: str) -> tuple[str, ...]:
    if gender not in GENDERS:
        raise ModelFileError(f"unknown gender {gender!r}; choose one of {', '.join(GENDERS)}")
    return tuple(n.replace("{G}", gender.upper()) for n in _spec(name).main)


def model_paths(name: str, model_dir: Path, gender: str = "neutral") -> tuple[Path, list[Path]]:
    """(main file, extra files) for ``name``; the main file is the first candidate that exists."""
    spec = _spec(name)
    folder = Path(model_dir) / spec.folder
    cands = [folder / n for n in _main_names(name, gender)]
    main = next((p for p in cands if p.is_file()), cands[0])
    return main, [folder / n for n in spec.extra]


def check_model_files(
    name: str, model_dir: str | Path | None, gender: str = "neutral"
) -> str | None:
    """None when every file ``name`` needs exists, else one sentence saying what to do.

    Only existence is checked (cheap); :func:`read_family_arrays` checks the contents.
    """
    try:
        spec = _spec(name)
        first = _main_names(name, gender)[0]
    except ModelFileError as e:
        return str(e)
    where = "pass --model-dir or set the environment variable ROBOSMPLX_MODEL_DIR"
    if model_dir is None:
        return (
            f"no folder for the {spec.title} model files: {where} to a folder holding "
            f"{spec.folder}/{first} (download {spec.title} from {spec.url}, licence required)"
        )
    main, extra = model_paths(name, Path(model_dir), gender)
    what = "right-hand" if name == "mano" else gender
    if not main.is_file():
        return (
            f"{spec.title} model file {main} not found: download {spec.title} from {spec.url} "
            f"(free registration, licence terms apply), save its {what} model as "
            f"{main.parent}/{first}, and {where} to {model_dir}"
        )
    for p in extra:
        if not p.is_file():
            return (
                f"{spec.title} landmark file {p} not found: get {p.name} from "
                f"{spec.extra_source} and put it beside {main.name} in {p.parent}"
            )
    return None


# -- safe reading -------------------------------------------------------------------------------
class _Sparse:
    """Stands in for a pickled scipy.sparse matrix so no scipy is needed; densified on load."""

    fmt = "csr"
    state: dict = {}

    def __setstate__(self, state: Any) -> None:
        self.state = state if isinstance(state, dict) else {}

    def toarray(self) -> np.ndarray:
        s = self.state
        shape = tuple(int(x) for x in s.get("_shape", s.get("shape", ())))
        if len(shape) != 2:
            raise ValueError("sparse matrix without a 2-D shape")
        out = np.zeros(shape, dtype=np.float64)
        data = np.asarray(s["data"], dtype=np.float64)
        if self.fmt == "coo":
            rows, cols = s["coords"] if "coords" in s else (s["row"], s["col"])
        else:
            ptr, idx = np.asarray(s["indptr"]), np.asarray(s["indices"])
            major = np.repeat(np.arange(len(ptr) - 1), np.diff(ptr))
            rows, cols = (idx, major) if self.fmt == "csc" else (major, idx)
        np.add.at(out, (np.asarray(rows), np.asarray(cols)), data)
        return out


class _NotAnArray(Exception):
    """A chumpy object that is not a plain array (a computed expression)."""


class _Chumpy:
    """Stands in for a pickled chumpy object: keeps its state (chumpy pickles its ``__dict__``,
    terms by name) and computes the value of the kinds the official files hold, from the
    state only: ``Ch`` (the array ``x``), ``Select`` (``a.ravel()[idxs]``, reshaped to
    ``preferred_shape``), ``Reshape`` (``a`` to ``newshape``) and ``transpose`` (``a`` by
    ``axes``)."""

    kind = "Ch"
    state: dict = {}

    def __setstate__(self, state: Any) -> None:
        self.state = state if isinstance(state, dict) else {}

    def _term(self, name: str) -> np.ndarray:
        v = self.state.get(name)
        if isinstance(v, _Chumpy):
            return v.toarray()
        if isinstance(v, np.ndarray):
            return v
        raise _NotAnArray(self.kind)

    def toarray(self) -> np.ndarray:
        s = self.state
        if self.kind == "Ch":
            return self._term("x")
        a = self._term("a")
        if self.kind == "Select":
            out = a.ravel()[np.asarray(s.get("idxs"), np.int64)]
            shape = s.get("preferred_shape")
            return out if shape is None else out.reshape(tuple(int(d) for d in shape))
        if self.kind == "Reshape":
            return a.reshape(tuple(int(d) for d in np.atleast_1d(s.get("newshape"))))
        axes = s.get("axes")
        return a.transpose(None if axes is None else tuple(int(d) for d in axes))


def _chumpy_class(kind: str) -> type:
    return type(f"_Chumpy{kind}", (_Chumpy,), {"kind": kind})


_CHUMPY = {
    ("chumpy.ch", "Ch"): _chumpy_class("Ch"),
    ("chumpy.reordering", "Select"): _chumpy_class("Select"),
    ("chumpy.reordering", "Reshape"): _chumpy_class("Reshape"),
    ("chumpy.reordering", "transpose"): _chumpy_class("transpose"),
}


class _Csc(_Sparse):
    fmt = "csc"


class _Csr(_Sparse):
    fmt = "csr"


class _Coo(_Sparse):
    fmt = "coo"


def _numpy_global(name: str) -> Any:
    """numpy's pickle helpers, by the module names of numpy 2 (``numpy._core``) or 1
    (``numpy.core``; numpy 1.26 has a ``numpy._core`` without ``multiarray``)."""
    import importlib

    for module in ("numpy._core.multiarray", "numpy.core.multiarray"):
        try:
            return getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            continue
    raise pickle.UnpicklingError(f"numpy has no multiarray.{name}")


_ALLOWED = {
    ("numpy", "ndarray"): lambda: np.ndarray,
    ("numpy", "dtype"): lambda: np.dtype,
    ("numpy.core.multiarray", "_reconstruct"): lambda: _numpy_global("_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"): lambda: _numpy_global("_reconstruct"),
    ("numpy.core.multiarray", "scalar"): lambda: _numpy_global("scalar"),
    ("numpy._core.multiarray", "scalar"): lambda: _numpy_global("scalar"),
    ("copy_reg", "_reconstructor"): lambda: __import__("copyreg")._reconstructor,
    ("copyreg", "_reconstructor"): lambda: __import__("copyreg")._reconstructor,
    ("_codecs", "encode"): lambda: __import__("codecs").encode,  # bytes in protocol-2 pickles
}
# Python-2 pickles name builtins ``__builtin__`` (chumpy's state holds a set); constructors only
for _t in (object, set, frozenset, list, tuple, dict, int, float, complex, bool, bytearray):
    _ALLOWED[("__builtin__", _t.__name__)] = _ALLOWED[("builtins", _t.__name__)] = lambda t=_t: t
_SPARSE = {"csc_matrix": _Csc, "csr_matrix": _Csr, "coo_matrix": _Coo}


class _BodyModelUnpickler(pickle.Unpickler):
    """Builds numpy arrays, containers, sparse and chumpy stand-ins; refuses other globals."""

    def __init__(self, f, path: Path):
        super().__init__(f, encoding="latin1")
        self.path = path

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]()
        if module.startswith("scipy.sparse") and name in _SPARSE:
            return _SPARSE[name]
        if (module, name) in _CHUMPY:
            return _CHUMPY[(module, name)]
        if module.split(".")[0] == "chumpy":
            raise ModelFileError(
                f"{self.path} stores chumpy {name} objects, which robosmplx does not load; use "
                "the chumpy-free release of this model (or convert its entries to numpy arrays)"
            )
        raise ModelFileError(
            f"{self.path} refers to {module}.{name}, which no body-model file contains; "
            "robosmplx refuses to unpickle it (use the file from the official site)"
        )


def _densify(obj: Any, path: Path) -> Any:
    """Sparse and chumpy stand-ins -> numpy arrays, recursively through dicts."""
    if isinstance(obj, (_Sparse, _Chumpy)):
        try:
            return obj.toarray()
        except _NotAnArray:
            raise ModelFileError(
                f"{path} stores chumpy expressions, not plain arrays; use the chumpy-free "
                "release of this model (or convert its entries to numpy arrays)"
            ) from None
    if isinstance(obj, dict):
        return {k: _densify(v, path) for k, v in obj.items()}
    return obj


def read_model_file(path: Path, url: str = "the official site") -> dict[str, Any]:
    """A model file's entries as a dict: ``.npz`` (pickles off), ``.pkl`` or ``.npy`` (safe)."""
    path = Path(path)
    try:
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                out = {}
                for k in z.files:
                    try:
                        out[k] = z[k]
                    except ValueError:  # object entries (e.g. joint2num): not needed, not read
                        continue
                return out
        with open(path, "rb") as f:
            if path.suffix == ".npy":
                version = np.lib.format.read_magic(f)
                read_header = (
                    np.lib.format.read_array_header_1_0
                    if version == (1, 0)
                    else np.lib.format.read_array_header_2_0
                )
                _, _, dtype = read_header(f)
                if not dtype.hasobject:
                    return {"array": np.load(path, allow_pickle=False)}
            obj = _densify(_BodyModelUnpickler(f, path).load(), path)
        if isinstance(obj, np.ndarray) and obj.dtype.hasobject and obj.shape == ():
            obj = _densify(obj.item(), path)
        if not isinstance(obj, dict):
            raise ModelFileError(
                f"{path} holds a {type(obj).__name__}, not the dictionary of arrays a body-model "
                f"file holds; download it again from {url}"
            )
        return obj
    except ModelFileError:
        raise
    except (OSError, EOFError, ValueError, KeyError, TypeError, IndexError, AttributeError,
            zipfile.BadZipFile, pickle.UnpicklingError) as e:  # fmt: skip
        raise ModelFileError(
            f"{path} is not a readable {path.suffix} body-model file ({type(e).__name__}: {e}); "
            f"download it again from {url}"
        ) from e


def take(data: dict, key: str, shape: tuple, path: Path, dims: dict[str, int]) -> np.ndarray:
    """``data[key]`` as an array matching ``shape``: ints are fixed sizes, strings are named
    sizes bound in ``dims`` on first use, None is any size. Raises a ModelFileError otherwise."""
    if key not in data:
        raise ModelFileError(
            f"{path} has no {key!r} entry, so it is not an official body-model file "
            f"(entries found: {sorted(data)[:20]}); download it again"
        )
    try:
        a = np.asarray(data[key])
    except (TypeError, ValueError) as e:
        raise ModelFileError(f"{path}: entry {key!r} is not an array ({e})") from e
    want = tuple(dims.get(s, s) if isinstance(s, str) else s for s in shape)
    ok = a.ndim == len(shape) and a.dtype.kind in "biuf"
    if ok:
        for s, n in zip(shape, a.shape):
            if isinstance(s, int) and n != s:
                ok = False
            elif isinstance(s, str):
                if dims.setdefault(s, n) != n:
                    ok = False
    if not ok:
        raise ModelFileError(
            f"{path}: entry {key!r} has shape {a.shape} ({a.dtype}), expected "
            f"{tuple('*' if s is None else s for s in want)}; the file is damaged or not the "
            "model it is named after"
        )
    return a


def read_vertex_ids(name: str, main: Path, num_vertices: int) -> dict[str, int]:
    """Keypoint vertex ids: smplx's official table for the official mesh, or a JSON file
    ``<main stem>.vertex_ids.json`` beside the model (custom or stand-in topologies)."""
    if name not in VERTEX_ID_TABLE:
        return {}
    from smplx.vertex_ids import vertex_ids as official

    keys = tuple(official[VERTEX_ID_TABLE[name]])
    side = main.with_name(main.stem + ".vertex_ids.json")
    if side.is_file():
        try:
            ids = json.loads(side.read_text())
            out = {k: int(ids[k]) for k in keys}
        except (ValueError, KeyError, TypeError) as e:
            raise ModelFileError(
                f"{side} must be a JSON object mapping each of {list(keys)} to a vertex index "
                f"({type(e).__name__}: {e})"
            ) from e
    elif num_vertices == OFFICIAL_VERTEX_COUNTS[name]:
        out = {k: int(official[VERTEX_ID_TABLE[name]][k]) for k in keys}
    else:
        raise ModelFileError(
            f"{main} has {num_vertices} vertices, not the official "
            f"{OFFICIAL_VERTEX_COUNTS[name]}; use the official file, or name the keypoint "
            f"vertices {list(keys)} in {side}"
        )
    bad = {k: v for k, v in out.items() if not 0 <= v < num_vertices}
    if bad:
        raise ModelFileError(f"{side}: vertex ids {bad} are outside 0..{num_vertices - 1}")
    return out


@dataclass
class ModelArrays:
    """The checked contents of one model, in smplx's conventions (float32, int64 indices).

    ``shapedirs`` (V, 3, n_betas) and ``exprdirs`` (V, 3, n_expr) follow smplx's split: with the
    full space (300 shape + 100 expression components) expression starts at 300, otherwise
    (10 + 10) at 10. ``posedirs`` is (V, 3, (J-1)*9), ``j_regressor`` (J, V), ``weights`` (V, J).
    """

    path: Path
    v_template: np.ndarray
    faces: np.ndarray
    shapedirs: np.ndarray
    exprdirs: np.ndarray
    posedirs: np.ndarray
    j_regressor: np.ndarray
    parents: np.ndarray
    weights: np.ndarray
    hand_means: dict[str, np.ndarray]
    landmarks: dict[str, np.ndarray]
    vertex_ids: dict[str, int]


def _split_shape_space(
    shapedirs: np.ndarray, spec: FamilyFiles, path: Path
) -> tuple[np.ndarray, np.ndarray]:
    total = shapedirs.shape[2]
    if spec.expression:
        if total >= 400:
            nb, ne, e0 = min(spec.betas, 300), min(spec.expression, 100), 300
        elif total >= 20:
            nb, ne, e0 = min(spec.betas, 10), min(spec.expression, 10), 10
        else:
            raise ModelFileError(
                f"{path}: shapedirs has {total} components; a {spec.title} file has 20 "
                "(10 shape + 10 expression) or 400 (300 + 100)"
            )
        return shapedirs[:, :, :nb], shapedirs[:, :, e0 : e0 + ne]
    if total < spec.betas:
        raise ModelFileError(
            f"{path}: shapedirs has {total} components, a {spec.title} file has at least "
            f"{spec.betas}"
        )
    nb = min(spec.betas, 300 if total >= 300 else 10)
    return shapedirs[:, :, :nb], shapedirs[:, :, :0]


def _check_index(a: np.ndarray, hi: int, what: str, path: Path) -> np.ndarray:
    a = a.astype(np.int64)
    if a.size and (a.min() < 0 or a.max() >= hi):
        raise ModelFileError(f"{path}: {what} indices fall outside 0..{hi - 1}")
    return a


def read_family_arrays(name: str, model_dir: Path | None, gender: str = "neutral") -> ModelArrays:
    """Read and check every file of ``name``; raise ModelFileError saying what is wrong."""
    msg = check_model_files(name, model_dir, gender)
    if msg is not None:
        raise ModelFileError(msg)
    spec = FAMILIES[name]
    main, extra = model_paths(name, Path(model_dir), gender)  # type: ignore[arg-type]
    data = read_model_file(main, spec.url)
    j = spec.num_joints
    dims: dict[str, int] = {}
    v_template = take(data, "v_template", ("V", 3), main, dims)
    faces = take(data, "f", ("F", 3), main, dims)
    shapedirs = take(data, "shapedirs", ("V", 3, None), main, dims)
    posedirs = take(data, "posedirs", ("V", 3, (j - 1) * 9), main, dims)
    j_regressor = take(data, "J_regressor", (j, "V"), main, dims)
    kintree = take(data, "kintree_table", (2, j), main, dims)
    weights = take(data, "weights", ("V", j), main, dims)
    nv, nf = dims["V"], dims["F"]
    parents = kintree[0].astype(np.int64)
    parents[0] = -1
    if any(not 0 <= parents[i] < i for i in range(1, j)):
        raise ModelFileError(f"{main}: kintree_table is not a tree ordered parents-first")
    hand_means: dict[str, np.ndarray] = {}
    if name == "smplx":
        hand_means["left_hand_pose"] = take(data, "hands_meanl", (45,), main, dims)
        hand_means["right_hand_pose"] = take(data, "hands_meanr", (45,), main, dims)
    elif name == "mano":
        hand_means["right_hand_pose"] = take(data, "hands_mean", (45,), main, dims)
    landmarks: dict[str, np.ndarray] = {}
    if name in ("smplx", "flame"):
        # 51 static landmarks and a 79-row table of 17 contour landmarks (one row per degree
        # of head yaw in -39..39), as (face index, barycentric coordinates) pairs.
        if name == "smplx":
            names = ("lmk_faces_idx", "lmk_bary_coords", "dynamic_lmk_faces_idx")
            src = [(data, main, k) for k in (*names, "dynamic_lmk_bary_coords")]
        else:
            static, dynamic = (read_model_file(p, spec.extra_source) for p in extra)
            src = [(static, extra[0], "lmk_face_idx"), (static, extra[0], "lmk_b_coords")]
            src += [(dynamic, extra[1], "lmk_face_idx"), (dynamic, extra[1], "lmk_b_coords")]
        shapes = ((51,), (51, 3), (79, 17), (79, 17, 3))
        out = [take(d, k, s, p, {}) for (d, p, k), s in zip(src, shapes)]
        landmarks = {
            "lmk_faces_idx": _check_index(out[0], nf, "landmark face", src[0][1]),
            "lmk_bary_coords": out[1].astype(np.float32),
            "dynamic_lmk_faces_idx": _check_index(out[2], nf, "contour face", src[2][1]),
            "dynamic_lmk_bary_coords": out[3].astype(np.float32),
        }
    shape_part, expr_part = _split_shape_space(shapedirs, spec, main)
    f32 = np.float32
    return ModelArrays(
        path=main,
        v_template=v_template.astype(f32),
        faces=_check_index(faces, nv, "face vertex", main),
        shapedirs=shape_part.astype(f32),
        exprdirs=expr_part.astype(f32),
        posedirs=posedirs.astype(f32),
        j_regressor=j_regressor.astype(f32),
        parents=parents,
        weights=weights.astype(f32),
        hand_means={k: v.astype(f32) for k, v in hand_means.items()},
        landmarks=landmarks,
        vertex_ids=read_vertex_ids(name, main, nv),
    )
