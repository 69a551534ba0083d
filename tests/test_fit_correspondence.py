"""The MediaPipe -> body-model correspondence: complete, on the right side, hips handled."""

import torch

from robosmplx.fit.correspondence import BODY_TABLE, FACE_TABLE, correspondence
from robosmplx.landmarks.types import BODY33, HAND21


def _rest_points(body, group):
    corr = correspondence(body)
    with torch.no_grad():
        out = body(**body.neutral_params(1))
    return corr.groups[group], corr.points(out, group)[0]


def test_tables_name_only_mediapipe_landmarks():
    assert set(BODY_TABLE) == set(BODY33)
    assert all(0 <= i < 468 for i in FACE_TABLE)


def test_anny_resolves_every_landmark(anny_small):
    corr = correspondence(anny_small)
    assert len(corr.groups["body"]) == len(BODY33)
    assert len(corr.groups["lhand"]) == len(corr.groups["rhand"]) == len(HAND21)
    assert len(corr.groups["face"]) == len(FACE_TABLE)
    g = corr.groups["body"]
    assert torch.allclose(g.blend.sum(1), torch.ones(len(g)))
    nose = g.names[g.landmark.tolist().index(BODY33.index("nose"))]
    assert nose == "Nose"


def test_sides_follow_the_person(anny_small):
    """The person's left is +X in the canonical frame: every left landmark lies there."""
    for group, names in (("body", BODY33), ("lhand", None), ("face", None)):
        g, pts = _rest_points(anny_small, group)
        for row, lm in enumerate(g.landmark.tolist()):
            name = names[lm] if names else g.names[row]
            if name.startswith(("left", "L_")) or "mouth_left" in name:
                assert pts[row, 0] > 0.005, (group, name, pts[row])
            if name.startswith(("right", "R_")) or "mouth_right" in name:
                assert pts[row, 0] < -0.005, (group, name, pts[row])


def test_hips_sit_outside_the_joint_centre(anny_small):
    """BlazePose hips are blended toward the lateral surface: further out than the joint."""
    g, pts = _rest_points(anny_small, "body")
    lay = anny_small.keypoint_layout
    with torch.no_grad():
        kp = anny_small(**anny_small.neutral_params(1)).keypoints[0]
    for side, sgn in (("left", 1.0), ("right", -1.0)):
        row = g.landmark.tolist().index(BODY33.index(f"{side}_hip"))
        joint = kp[lay.index(f"{side[0].upper()}_Hip")]
        assert "Hip_Surface" in g.names[row]
        assert sgn * (pts[row, 0] - joint[0]) > 0.01
        assert float(g.weight[row]) < 1.0
    assert torch.equal(
        torch.tensor(correspondence(anny_small).hips),
        torch.tensor(
            [g.landmark.tolist().index(BODY33.index(h)) for h in ("left_hip", "right_hip")]
        ),
    )


def test_shoulders_sit_above_the_joint_centre(anny_small):
    """BlazePose shoulders are blended toward the top of the shoulder: above the joint, by
    SHOULDER_BLEND of the way to that surface point, on the joint's side."""
    from robosmplx.fit.correspondence import SHOULDER_BLEND

    g, pts = _rest_points(anny_small, "body")
    lay = anny_small.keypoint_layout
    with torch.no_grad():
        kp = anny_small(**anny_small.neutral_params(1)).keypoints[0]
    for side, sgn in (("left", 1.0), ("right", -1.0)):
        row = g.landmark.tolist().index(BODY33.index(f"{side}_shoulder"))
        joint = kp[lay.index(f"{side[0].upper()}_Shoulder")]
        assert "Shoulder_Top" in g.names[row]
        rise = float(pts[row, 1] - joint[1])
        assert 0.5 * SHOULDER_BLEND * 0.04 < rise < SHOULDER_BLEND * 0.1, rise  # top: 4-10 cm up
        assert sgn * float(pts[row, 0]) > 0.1 and abs(float(pts[row, 0] - joint[0])) < 0.03


def test_a_blend_partner_the_model_lacks_drops_out():
    from robosmplx.fit.correspondence import _group

    class _Res:
        def index(self, name):
            return {"A": 0, "B": 1}.get(name)

    g = _group(_Res(), [(0, (("A", 0.6), ("Missing", 0.4)), 1.0), (1, (("Missing", 1.0),), 1.0),
                        (2, (("A", 0.5), ("B", 0.5)), 0.5)])  # fmt: skip
    assert g.landmark.tolist() == [0, 2]  # a landmark with no point at all is not matched
    assert torch.allclose(g.blend, torch.tensor([[1.0, 0.0], [0.5, 0.5]]))
    assert g.names == ("A", "A+B")


def test_face_points_form_a_face(anny_small):
    """Eyes above the mouth above the chin; mouth corners symmetric about the midline."""
    g, pts = _rest_points(anny_small, "face")
    at = {n: pts[i] for i, n in enumerate(g.names)}
    assert at["L_Eye_Outer"][1] > at["L_Mouth_Corner"][1] > at["Chin"][1]
    assert at["Upper_Lip_Mid"][1] > at["Lower_Lip_Mid"][1]
    assert abs(float(at["L_Mouth_Corner"][0] + at["R_Mouth_Corner"][0])) < 0.005


def test_smplx_standin_resolves_through_the_same_tables(tmp_path):
    from robosmplx.body import load_body_model
    from support.standin import write_standin_model_files

    write_standin_model_files(tmp_path, names=("smplx",))
    body = load_body_model("smplx", model_dir=tmp_path)
    corr = correspondence(body)
    assert len(corr.groups["body"]) == len(BODY33)
    assert torch.allclose(corr.groups["body"].blend.sum(1), torch.ones(len(BODY33)))
    assert len(corr.groups["face"]) == len(FACE_TABLE)
    assert corr.groups["face"].names[list(FACE_TABLE).index(263)] == "L_Eye_Outer"
