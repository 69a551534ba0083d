"""People close together, behind one another, upside down: how detections become people.

The rules are tested on hand-built bodies (no model files) and, where the models are present,
on the bundled synthetic photos.
"""

from pathlib import Path

import numpy as np
import pytest

from robosmplx.landmarks import detector as D
from robosmplx.landmarks import landmarks_available
from robosmplx.landmarks.runners import Detection, PoseLandmarks
from robosmplx.landmarks.types import BODY_INDEX

DATA = Path(__file__).parent / "data" / "landmarks"
needs_models = pytest.mark.skipif(
    landmarks_available() is not None, reason=f"landmark models absent: {landmarks_available()}"
)


def _body(nose, torso=100.0, flag=1.0, head_down=False, mask_everywhere=True) -> PoseLandmarks:
    """A stick person: nose at ``nose``, shoulders 0.3 torso below it, hips a torso below
    those, legs another torso; every landmark visible; a segmentation covering its ROI."""
    s = -1.0 if head_down else 1.0
    nx, ny = nose
    lm = np.zeros((39, 5))
    lm[:, 3:5] = 1.0
    pts = {
        "nose": (0, 0), "left_eye": (0.05, -0.05), "right_eye": (-0.05, -0.05),
        "left_ear": (0.1, 0), "right_ear": (-0.1, 0),
        "left_shoulder": (0.2, 0.3), "right_shoulder": (-0.2, 0.3),
        "left_elbow": (0.25, 0.7), "right_elbow": (-0.25, 0.7),
        "left_wrist": (0.25, 1.1), "right_wrist": (-0.25, 1.1),
        "left_hip": (0.12, 1.3), "right_hip": (-0.12, 1.3),
        "left_knee": (0.12, 1.8), "right_knee": (-0.12, 1.8),
        "left_ankle": (0.12, 2.3), "right_ankle": (-0.12, 2.3),
    }  # fmt: skip
    for name, (x, y) in pts.items():
        lm[BODY_INDEX[name], :2] = (nx + torso * x, ny + s * torso * y)
    rest = [i for i in range(39) if i not in {BODY_INDEX[n] for n in pts}]
    lm[rest, :2] = lm[BODY_INDEX["nose"], :2]
    lm[rest, 3] = 0.0
    side = 4.0 * torso  # the ROI: a square around the body, 256 px tensor
    x0, y0 = nx - side / 2, ny - side / 4 if not head_down else ny - 3 * side / 4
    r = 256.0 / side
    to_tensor = np.array([[r, 0.0, -x0 * r], [0.0, r, -y0 * r]])
    mask = np.ones((256, 256), np.float32) if mask_everywhere else np.zeros((256, 256), np.float32)
    from robosmplx.landmarks.ops import Roi

    return PoseLandmarks(lm, np.zeros((39, 3)), flag, Roi(nx, ny, side, side), mask, to_tensor)


def _load(name: str) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(DATA / name).convert("RGB"))


def _face_box(centre, size=40.0) -> Detection:
    c = np.asarray(centre, float)
    return Detection(np.concatenate([c - size / 2, c + size / 2]), np.zeros((4, 2)), 0.9)


def test_a_second_head_beside_a_body_is_a_new_person():
    a = _body((200.0, 100.0))
    # a hit on the body's own belly: its segmentation explains it (no landmark call)
    assert D._explains(a, _face_box((200.0, 180.0)))
    # a head at a's head level, a head's width away, on a's segmentation (a dancing couple)
    assert not D._explains(a, _face_box((270.0, 110.0)))
    # the same hit on a's own face is a
    assert D._explains(a, _face_box((205.0, 100.0)))


def test_a_person_standing_behind_another_is_not_a_pattern_on_them():
    front = _body((300.0, 300.0))
    behind = _body((300.0, 120.0))  # their legs behind front's head: their boxes overlap
    assert not D.seen_on_body(front, behind)
    assert not D.seen_on_body(behind, front)
    pattern = _body((300.0, 170.0), torso=20.0)  # a small "person" on behind's shirt
    assert D.seen_on_body(pattern, behind)
    kept = D.dedupe_bodies([behind, front, pattern])
    assert len(kept) == 2 and all(k is not pattern for k in kept)


def test_two_readings_of_one_head_are_one_person():
    big = _body((400.0, 200.0), torso=150.0)
    small = _body((405.0, 203.0), torso=90.0)  # the same head, a body of another size
    assert D.same_person(big.landmarks, small.landmarks)
    beside = _body((470.0, 200.0), torso=150.0)  # another head half a torso away
    assert not D.same_person(big.landmarks, beside.landmarks)


def test_upside_down_readings_need_to_be_clearly_better():
    up, down = _body((100.0, 100.0)), _body((100.0, 400.0), head_down=True)
    assert not D._head_down(up.landmarks) and D._head_down(down.landmarks)
    assert D.upright_quality(down) == pytest.approx(D.HEAD_DOWN_PRIOR * D.body_quality(down))
    assert D.upright_quality(up) == pytest.approx(D.body_quality(up))


def test_upright_seed_puts_the_hips_below_the_face():
    det = Detection(np.array([90.0, 90.0, 110.0, 110.0]), np.zeros((4, 2)), 0.7)
    hip, top = D.upright(det).keypoints[:2]
    assert hip[1] > 100.0 > top[1] and hip[0] == top[0] == 100.0


@needs_models
def test_a_detection_aligned_upside_down_still_gives_the_upright_person():
    from robosmplx.landmarks import LandmarkDetector

    det = LandmarkDetector(hands=False, face=False, segmentation=False)
    image = _load("synth_0004.jpg")
    (person,) = det(image)
    hit = det.detect_people(image)[0]
    flipped = Detection(hit.box, hit.keypoints[[1, 0, 3, 2]], hit.score)  # head <-> hips
    body = det.settle_person(image, flipped)
    assert body is not None and not D._head_down(body.landmarks)
    err = np.linalg.norm(body.landmarks[:25, :2] - (person.body2d[:25, :2] + 0.5), axis=1)
    assert np.median(err) < 0.1 * person.box[3], err.round(1)


@needs_models
def test_an_upside_down_person_is_still_found():
    from robosmplx.landmarks import LandmarkDetector

    det = LandmarkDetector(hands=False, face=False, segmentation=False)
    image = np.ascontiguousarray(_load("synth_0004.jpg")[::-1, ::-1])  # a handstand
    people = det(image)
    assert len(people) == 1
    lm = people[0].body2d
    assert D._head_down(lm)


@needs_models
def test_hits_on_a_portraits_own_face_are_not_second_heads():
    """Tile hits on parts of a big face lie at head level, but within a head's width of the
    nose: the person found explains them (no landmark call), and no second person appears."""
    from matplotlib import cbook
    from PIL import Image

    from robosmplx.landmarks import LandmarkDetector

    det = LandmarkDetector(hands=False, face=False, segmentation=False)
    calls = []
    model = det.pose_landmark.model
    det.pose_landmark.model = lambda t: calls.append(1) or model(t)
    path = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    image = np.asarray(Image.open(path).convert("RGB"))
    assert len(det(image)) == 1
    assert len(det.detect_people(image, tiled=True)) >= 3  # the tiles see parts of her face
    assert len(calls) <= 3, len(calls)


class _Readings:
    """A stand-in for the heavy pose model: returns the queued bodies in turn."""

    def __init__(self, *bodies):
        self.bodies, self.calls = list(bodies), 0

    def __call__(self, image, roi):
        self.calls += 1
        return self.bodies.pop(0)


def _heavy_detector(*readings):
    det = D.LandmarkDetector.__new__(D.LandmarkDetector)  # no model files needed
    det.min_score, det.pose_heavy = 0.5, _Readings(*readings)
    return det


def test_the_heavy_reading_replaces_the_full_one_when_stable_and_the_same_person():
    full = _body((200.0, 100.0))
    turned = _body((203.0, 101.0))
    turned.landmarks[[11, 12]] = turned.landmarks[[12, 11]]  # sides read the other way
    det = _heavy_detector(turned, turned)
    assert det.read_heavy(None, full) is turned and det.pose_heavy.calls == 2
    # one unsure pass is averaged with the other, as the full model's passes are
    det = _heavy_detector(_body((203.0, 101.0), flag=0.95), _body((203.0, 101.0), flag=0.3))
    assert det.read_heavy(None, full) is not full


def test_the_full_reading_stays_when_the_heavy_one_drifts_flips_or_doubts():
    full = _body((200.0, 100.0))
    image = None
    # drifted to a neighbour: the nose moved by most of a torso
    assert _heavy_detector(*[_body((280.0, 100.0))] * 2).read_heavy(image, full) is full
    # unstable: its own ROI moves the landmarks by a fifth of the torso
    det = _heavy_detector(_body((200.0, 100.0)), _body((220.0, 100.0)))
    assert det.read_heavy(image, full) is full
    # unsure on average, or nobody there on the first pass (no second call then)
    det = _heavy_detector(_body((200.0, 100.0), flag=0.6), _body((200.0, 100.0), flag=0.3))
    assert det.read_heavy(image, full) is full
    det = _heavy_detector(_body((200.0, 100.0), flag=0.1))
    assert det.read_heavy(image, full) is full and det.pose_heavy.calls == 1
    # without the heavy model the body is returned as it is
    det.pose_heavy = None
    assert det.read_heavy(image, full) is full


@needs_models
def test_heavy_and_full_models_agree_on_a_clear_person():
    from robosmplx.landmarks import LandmarkDetector

    image = _load("synth_0001.jpg")
    with_heavy = LandmarkDetector(hands=False, face=False, segmentation=False)
    full_only = LandmarkDetector(hands=False, face=False, segmentation=False, heavy=False)
    (a,), (b,) = with_heavy(image), full_only(image)
    assert "pose_landmark_heavy" in with_heavy.timings
    assert "pose_landmark_heavy" not in full_only.timings
    seen = (a.body2d[:25, 2] > 0.5) & (b.body2d[:25, 2] > 0.5)
    err = np.linalg.norm(a.body2d[:25, :2] - b.body2d[:25, :2], axis=1)[seen]
    assert np.median(err) < 0.05 * max(a.box[2:]), err.round(1)
    assert a.body3d.shape == (33, 3) and np.isfinite(a.body3d).all()
