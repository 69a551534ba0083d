"""Model-file errors of the SMPL-X family: missing, malformed and unsafe files, bad inputs."""

import os
import pickle
import sys
import types

import numpy as np
import pytest
import torch

from robosmplx.body.smplx_family import check_model_files, load_smplx_family
from robosmplx.errors import ModelFileError, ShapeError
from support.standin import write_standin_model_files

URLS = {
    "smplx": "https://smpl-x.is.tue.mpg.de",
    "smpl": "https://smpl.is.tue.mpg.de",
    "mano": "https://mano.is.tue.mpg.de",
    "flame": "https://flame.is.tue.mpg.de",
}
FILES = {
    "smplx": "SMPLX_NEUTRAL.npz",
    "smpl": "SMPL_NEUTRAL.pkl",
    "mano": "MANO_RIGHT.pkl",
    "flame": "FLAME_NEUTRAL.pkl",
}


@pytest.mark.parametrize("name", list(URLS))
def test_missing_folder_and_missing_file_messages(tmp_path, name):
    msg = check_model_files(name, None)
    assert "ROBOSMPLX_MODEL_DIR" in msg and "--model-dir" in msg
    assert URLS[name] in msg and FILES[name] in msg
    msg = check_model_files(name, tmp_path)
    assert str(tmp_path / name / FILES[name]) in msg and URLS[name] in msg
    with pytest.raises(ModelFileError, match=FILES[name]):
        load_smplx_family(name, tmp_path)


def test_complete_standin_folder_is_usable(tmp_path):
    write_standin_model_files(tmp_path)
    assert all(check_model_files(n, tmp_path) is None for n in URLS)


def test_missing_flame_landmark_file(tmp_path):
    write_standin_model_files(tmp_path, names=("flame",))
    (tmp_path / "flame" / "flame_dynamic_embedding.npy").unlink()
    msg = check_model_files("flame", tmp_path)
    assert "flame_dynamic_embedding.npy" in msg and "FLAME_PyTorch" in msg


def _rewrite_npz(path, **changes):
    with np.load(path, allow_pickle=True) as z:
        data = {k: z[k] for k in z.files}
    for k, v in changes.items():
        if v is None:
            del data[k]
        else:
            data[k] = v
    np.savez(path, **data)


def test_npz_missing_key(tmp_path):
    path = write_standin_model_files(tmp_path, names=("smplx",))["smplx"]
    _rewrite_npz(path, weights=None)
    with pytest.raises(ModelFileError, match=r"no 'weights' entry") as e:
        load_smplx_family("smplx", tmp_path)
    assert str(path) in str(e.value)


def test_npz_wrong_shape(tmp_path):
    path = write_standin_model_files(tmp_path, names=("smplx",))["smplx"]
    with np.load(path) as z:
        posedirs = z["posedirs"]
    _rewrite_npz(path, posedirs=posedirs[:, :, :207])
    with pytest.raises(ModelFileError, match=r"'posedirs' has shape .*expected"):
        load_smplx_family("smplx", tmp_path)


def test_not_an_npz(tmp_path):
    path = tmp_path / "smplx" / "SMPLX_NEUTRAL.npz"
    path.parent.mkdir()
    path.write_bytes(b"this is not a zip archive")
    with pytest.raises(ModelFileError, match="not a readable .npz"):
        load_smplx_family("smplx", tmp_path)


def test_other_topology_needs_vertex_id_file(tmp_path):
    write_standin_model_files(tmp_path, names=("smplx",))
    (tmp_path / "smplx" / "SMPLX_NEUTRAL.vertex_ids.json").unlink()
    with pytest.raises(ModelFileError, match=r"not the official 10475.*vertex_ids.json"):
        load_smplx_family("smplx", tmp_path)


class _RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_pickle_with_code_is_refused_unexecuted(tmp_path):
    marker = tmp_path / "was_executed"
    path = tmp_path / "smpl" / "SMPL_NEUTRAL.pkl"
    path.parent.mkdir()
    path.write_bytes(pickle.dumps({"v_template": _RunsCode(marker)}, protocol=2))
    with pytest.raises(ModelFileError, match="refuses to unpickle"):
        load_smplx_family("smpl", tmp_path)
    assert not marker.exists()


def _fake_modules(monkeypatch, dotted: str) -> types.ModuleType:
    """Register empty modules for ``dotted`` and its parents so pickle can name classes."""
    parts = dotted.split(".")
    for i in range(1, len(parts) + 1):
        monkeypatch.setitem(sys.modules, ".".join(parts[:i]), types.ModuleType(".".join(parts[:i])))
    return sys.modules[dotted]


def test_chumpy_arrays_are_decoded_and_other_chumpy_objects_refused(tmp_path, monkeypatch):
    """Official MANO/FLAME pickles hold chumpy ``Ch`` arrays (state ``x``); no chumpy needed."""
    path = write_standin_model_files(tmp_path, names=("mano",))["mano"]
    plain = load_smplx_family("mano", tmp_path)
    with open(path, "rb") as f:
        data = pickle.load(f)
    mod = _fake_modules(monkeypatch, "chumpy.ch")
    mod.Ch = type("Ch", (), {"__module__": "chumpy.ch"})
    leaf, computed, flat = mod.Ch(), mod.Ch(), mod.Ch()
    leaf.__dict__.update(x=data["shapedirs"], _itr=0, _dirty_vars=set())
    computed.__dict__.update(a=1)
    reo = _fake_modules(monkeypatch, "chumpy.reordering")
    reo.Select = type("Select", (), {"__module__": "chumpy.reordering"})
    reo.Sort = type("Sort", (), {"__module__": "chumpy.reordering"})
    sel = reo.Select()  # an official file's shapedirs may be a Select of a flat Ch array
    flat.__dict__.update(x=data["shapedirs"].ravel()[::-1].copy())
    n = data["shapedirs"].size
    sel.__dict__.update(a=flat, idxs=np.arange(n)[::-1], preferred_shape=data["shapedirs"].shape)
    files = [
        pickle.dumps(dict(data, shapedirs=v), protocol=2) for v in (leaf, sel, computed, reo.Sort())
    ]
    monkeypatch.undo()
    assert b"c__builtin__\nset" in files[0]  # protocol 2 names Python 2's builtins
    for good in files[:2]:
        path.write_bytes(good)
        torch.testing.assert_close(load_smplx_family("mano", tmp_path).shapedirs, plain.shapedirs)
    for bad, msg in zip(files[2:], ("chumpy expressions", "chumpy Sort objects")):
        path.write_bytes(bad)
        with pytest.raises(ModelFileError, match=msg):
            load_smplx_family("mano", tmp_path)


@pytest.mark.parametrize("core", [b"numpy.core", b"numpy._core"])
def test_numpy_1_and_2_module_names_both_load(tmp_path, core):
    """A pickle names numpy's helpers by the writer's numpy: numpy.core (1.x) or numpy._core
    (2.x); either loads under either numpy."""
    path = write_standin_model_files(tmp_path, names=("smpl",))["smpl"]
    plain = load_smplx_family("smpl", tmp_path)
    with open(path, "rb") as f:
        data = pickle.load(f)
    raw = pickle.dumps(data, protocol=2)
    other = b"numpy._core" if core == b"numpy.core" else b"numpy.core"
    raw = raw.replace(other + b".multiarray", core + b".multiarray")
    assert core + b".multiarray\n_reconstruct" in raw
    path.write_bytes(raw)
    torch.testing.assert_close(load_smplx_family("smpl", tmp_path).v_template, plain.v_template)


def test_pickled_sparse_regressor_is_decoded_without_scipy(tmp_path, monkeypatch):
    """Official pickles hold J_regressor as a scipy.sparse csc_matrix; no scipy is needed."""
    path = write_standin_model_files(tmp_path, names=("smpl",))["smpl"]
    dense_model = load_smplx_family("smpl", tmp_path)
    with open(path, "rb") as f:
        data = pickle.load(f)
    mod = _fake_modules(monkeypatch, "scipy.sparse._csc")
    csc = type("csc_matrix", (), {"__module__": "scipy.sparse._csc"})
    mod.csc_matrix = csc
    jreg = data["J_regressor"]
    sparse = csc()
    cols = [np.nonzero(jreg[:, c])[0] for c in range(jreg.shape[1])]
    sparse.__dict__.update(
        _shape=jreg.shape,
        indptr=np.concatenate([[0], np.cumsum([len(c) for c in cols])]),
        indices=np.concatenate(cols),
        data=np.concatenate([jreg[c, i] for i, c in enumerate(cols)]),
    )
    data["J_regressor"] = sparse
    path.write_bytes(pickle.dumps(data, protocol=2))
    monkeypatch.undo()
    sparse_model = load_smplx_family("smpl", tmp_path)
    torch.testing.assert_close(sparse_model.J_regressor, dense_model.J_regressor)


def test_pickle_that_is_not_a_dict(tmp_path):
    path = tmp_path / "smpl" / "SMPL_NEUTRAL.pkl"
    path.parent.mkdir()
    path.write_bytes(pickle.dumps([1, 2, 3], protocol=2))
    with pytest.raises(ModelFileError, match="not the dictionary"):
        load_smplx_family("smpl", tmp_path)


def test_unknown_name_and_gender(tmp_path):
    with pytest.raises(ModelFileError, match="unknown SMPL-X family model"):
        load_smplx_family("smplh", tmp_path)
    with pytest.raises(ModelFileError, match="unknown gender"):
        load_smplx_family("smplx", tmp_path, gender="other")


def test_wrong_tensor_shapes(tmp_path):
    write_standin_model_files(tmp_path, names=("smplx",))
    model = load_smplx_family("smplx", tmp_path)
    with pytest.raises(ShapeError, match=r"body_pose: got shape \(2, 62\)"):
        model(body_pose=torch.zeros(2, 62))
    with pytest.raises(ShapeError, match=r"right_hand_pose_rotmat"):
        model(right_hand_pose_rotmat=torch.eye(3).expand(2, 14, 3, 3))
    with pytest.raises(ShapeError, match=r"expression: got shape \(2, 50\)"):
        model(expression=torch.zeros(2, 50))
    with pytest.raises(ShapeError, match="unknown parameter groups"):
        model(neck_pose=torch.zeros(2, 3))
