"""Keypoint sets, part labels and part views of the SMPL-X family, on stand-in files."""

import pytest
import torch

from robosmplx.body import available_body_models, load_body_model
from robosmplx.body.parts import BODY_PARTS, FACE_PARTS, HAND_PARTS
from robosmplx.body.smplx_family import load_smplx_family
from support.standin import write_standin_model_files

# Hand4Whole's published source indices of its 137 whole-body points in smplx's joint output
# (55 joints, 21 extra vertices, 51 + 17 landmarks).
H4W_JOINT_IDX = (
    0, 1, 2, 4, 5, 7, 8, 12, 16, 17, 18, 19, 20, 21, 60, 61, 62, 63, 64, 65, 59, 58, 57, 56, 55,
    37, 38, 39, 66, 25, 26, 27, 67, 28, 29, 30, 68, 34, 35, 36, 69, 31, 32, 33, 70,
    52, 53, 54, 71, 40, 41, 42, 72, 43, 44, 45, 73, 49, 50, 51, 74, 46, 47, 48, 75,
    22, 15, 57, 56, *range(76, 144),
)  # fmt: skip
# A sample of Hand4Whole's face flip pairs (eyeballs, brows, nose, eyes, mouth, lips, contour).
H4W_FACE_FLIPS = (
    (67, 68), (69, 78), (70, 77), (71, 76), (72, 75), (73, 74), (83, 87), (84, 86), (88, 97),
    (89, 96), (90, 95), (91, 94), (92, 99), (93, 98), (100, 106), (101, 105), (102, 104),
    (107, 111), (108, 110), (112, 116), (113, 115), (117, 119), (120, 136), (127, 129),
)  # fmt: skip


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("smplx_models")
    write_standin_model_files(d)
    return d


@pytest.fixture(scope="module")
def smplx_model(model_dir):
    return load_smplx_family("smplx", model_dir)


def test_smplx_keypoints_are_hand4whole_137(smplx_model):
    lay = smplx_model.keypoint_layout
    assert len(lay) == 137
    assert {k: len(v) for k, v in lay.subsets.items()} == {
        "body": 25, "lhand": 21, "rhand": 21, "face": 72,
    }  # fmt: skip
    assert lay.subsets["body"] == tuple(range(25))
    assert lay.subsets["face"] == tuple(range(65, 137))
    assert tuple(smplx_model.keypoint_sources.tolist()) == H4W_JOINT_IDX
    roots = {k: lay.names[v] for k, v in lay.roots.items()}
    assert roots == {"body": "Pelvis", "lhand": "L_Wrist", "rhand": "R_Wrist", "face": "Neck"}
    assert lay.names[lay.subsets["rhand"][0]] == "R_Wrist"
    assert lay.names[lay.subsets["rhand"][4]] == "R_Thumb_4"


def test_smplx_flip_matches_hand4whole(smplx_model):
    flip = smplx_model.keypoint_layout.flip
    assert sorted(flip) == list(range(137))
    assert all(flip[flip[i]] == i for i in range(137))
    for a, b in H4W_FACE_FLIPS:
        assert flip[a] == b and flip[b] == a
    names = smplx_model.keypoint_layout.names
    assert names[flip[names.index("L_Thumb_4")]] == "R_Thumb_4"
    assert flip[names.index("Nose")] == names.index("Nose")


def test_flip_mirrors_a_mirrored_rest_pose(model_dir):
    """The stand-in body and hands are mirror-symmetric in the flat-hand rest pose, so flipping
    the keypoint order equals mirroring their positions."""
    model = load_smplx_family("smplx", model_dir, flat_hand_mean=True)
    kp = model(**model.neutral_params(1)).keypoints[0]
    mirrored = kp[list(model.keypoint_layout.flip)] * torch.tensor([-1.0, 1.0, 1.0])
    torch.testing.assert_close(mirrored[:65], kp[:65], atol=1e-5, rtol=0)


def test_part_labels(smplx_model):
    m = smplx_model
    assert m.part_layout.counts == {"body": 24, "hand": 16, "face": 15}
    assert (len(BODY_PARTS), len(HAND_PARTS), len(FACE_PARTS)) == (24, 16, 15)
    v = m.num_vertices
    for lab in (m.body_part_labels, m.hand_part_labels, m.face_part_labels):
        assert lab.shape == (v,) and lab.dtype == torch.long
    assert int(m.body_part_labels.min()) >= 0 and int(m.body_part_labels.max()) < 24
    assert len(torch.unique(m.body_part_labels)) == 24
    hand = m.hand_part_labels
    assert int(hand.min()) >= -1 and int(hand.max()) < 16
    x = m.v_template[:, 0]
    left, right = (
        set(hand[(hand >= 0) & (x > 0)].tolist()),
        set(hand[(hand >= 0) & (x < 0)].tolist()),
    )
    assert left == right == set(range(16))
    face = m.face_part_labels
    assert int(face.min()) >= -1 and int(face.max()) < 15
    assert (face[m.body_part_labels == BODY_PARTS.index("L_thigh")] == -1).all()


def test_part_views(smplx_model):
    views = smplx_model.part_views
    assert set(views) == {"rhand", "lhand", "face"}
    lay = smplx_model.keypoint_layout
    assert views["rhand"].param_groups == ("right_hand_pose",)
    assert views["lhand"].mirrored and not views["rhand"].mirrored
    assert views["face"].param_groups == ("jaw_pose", "expression")
    assert lay.names[views["face"].root] == "Neck"
    x = smplx_model.v_template[:, 0]
    assert (x[list(views["rhand"].vertices)] < 0).all()
    assert (x[list(views["lhand"].vertices)] > 0).all()
    head = set(torch.nonzero(smplx_model.face_part_labels >= 0)[:, 0].tolist())
    assert set(views["face"].vertices) == head


@pytest.mark.parametrize(
    "name,num_kp,subsets,views",
    [
        ("smpl", 35, {"body": 25}, set()),
        ("mano", 21, {"rhand": 21}, {"rhand"}),
        ("flame", 73, {"face": 72}, {"face"}),
    ],
)
def test_other_models_layouts(model_dir, name, num_kp, subsets, views):
    m = load_smplx_family(name, model_dir)
    lay = m.keypoint_layout
    assert len(lay) == num_kp
    assert {k: len(v) for k, v in lay.subsets.items()} == subsets
    assert set(m.part_views) == views
    assert sorted(lay.flip) == list(range(num_kp))
    assert int(m.body_part_labels.min()) >= 0
    out = m(**m.neutral_params(2))
    assert out.keypoints.shape == (2, num_kp, 3)


def test_flame_spec_sizes(model_dir):
    spec = load_smplx_family("flame", model_dir).spec
    assert spec["betas"].size == 100 and spec["expression"].size == 50
    assert spec["jaw_pose"].part == "face"


def test_registry_builds_and_reports(model_dir):
    model = load_body_model("smplx", model_dir=model_dir)
    assert model.name == "smplx" and model.family == "smplx"
    status = available_body_models(model_dir)
    assert all(status[n]["available"] for n in ("smplx", "smpl", "mano", "flame"))
    desc = model.describe()
    assert desc["keypoints"]["num_keypoints"] == 137 and desc["parts"]["face"] == 15


def test_model_data_stays_out_of_state_dict(smplx_model):
    """The licensed arrays are non-persistent buffers: never written into checkpoints."""
    assert smplx_model.state_dict() == {}
