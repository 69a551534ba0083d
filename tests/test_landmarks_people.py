"""Every person of an image with their own hands, face and mask (needs the model files)."""

from pathlib import Path

import numpy as np
import pytest

from robosmplx.landmarks import BODY33, PersonEvidence, landmarks_available
from robosmplx.landmarks.layout import WHOLEBODY65, wholebody_keypoints

DATA = Path(__file__).parent / "data" / "landmarks"
needs_models = pytest.mark.skipif(
    landmarks_available() is not None, reason=f"landmark models absent: {landmarks_available()}"
)


def _load(name: str) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(DATA / name).convert("RGB"))


@pytest.fixture(scope="module")
def detector():
    from robosmplx.landmarks import LandmarkDetector

    return LandmarkDetector()


@needs_models
def test_two_people_left_to_right_with_their_own_hands(detector):
    a, b = _load("synth_0004.jpg"), _load("synth_0005.jpg")
    image = np.concatenate([a, b], axis=1)  # two people side by side, 1024 x 512
    people = detector(image)
    assert len(people) == 2
    centres = [p.box[0] + p.box[2] / 2 for p in people]
    assert centres[0] < 512 < centres[1]
    alone = detector(a)[0]
    err = np.linalg.norm(people[0].body2d[:, :2] - alone.body2d[:, :2], axis=1)
    assert np.median(err) < 1.5, err.round(1)
    for p in people:
        assert p.body2d.shape == (33, 3) and p.body3d.shape == (33, 3)
        assert p.mask.shape == image.shape[:2] and p.mask.dtype == np.float32
        for side, hand in p.hands.items():
            wrist = p.body2d[BODY33.index(f"{side}_wrist"), :2]
            assert np.linalg.norm(hand[0, :2] - wrist) < 0.3 * p.box[3], side
            assert f"{side[0]}hand" in p.part_boxes
    assert set(people[0].hands) == {"left", "right"}
    # the mask of each person lies on that person
    assert people[0].mask[:, :512].sum() > 10 * people[0].mask[:, 512:].sum()


@needs_models
def test_face_mesh_from_the_pose(detector):
    from matplotlib import cbook
    from PIL import Image

    image = np.asarray(Image.open(cbook.get_sample_data("grace_hopper.jpg")).convert("RGB"))
    (person,) = detector(image)
    assert person.face2d.shape == (468, 3)
    x, y, w, h = person.part_boxes["face"]
    nose = person.body2d[0, :2]
    assert x < nose[0] < x + w and y < nose[1] < y + h
    assert 0.15 * image.shape[1] < w < 0.6 * image.shape[1]


@needs_models
def test_nobody_gives_an_empty_list(detector):
    image = np.full((240, 320, 3), 90, np.uint8)
    image[::16] = 200
    assert detector(image) == []


@needs_models
def test_bad_image_is_an_input_error(detector):
    from robosmplx.errors import InputError

    with pytest.raises(InputError, match="RGB uint8"):
        detector(np.zeros((10, 10), np.float32))


def test_wholebody_layout_maps_by_meaning():
    body = np.zeros((33, 3))
    body[:, 0] = np.arange(33)
    body[:, 2] = 1.0
    hand = np.zeros((21, 3))
    hand[:, 0] = 100 + np.arange(21)
    hand[:, 2] = 0.9
    p = PersonEvidence(box=np.zeros(4), score=1.0, body2d=body, hands={"right": hand})
    k = wholebody_keypoints(p, WHOLEBODY65)
    at = {n: k[i] for i, n in enumerate(WHOLEBODY65)}
    assert at["L_Shoulder"][0] == BODY33.index("left_shoulder")
    assert at["Pelvis"][0] == (BODY33.index("left_hip") + BODY33.index("right_hip")) / 2
    assert at["L_Big_toe"][0] == BODY33.index("left_foot_index")
    assert at["L_Small_toe"][2] == 0.0  # no counterpart
    assert at["R_Thumb_1"][0] == 101 and at["R_Pinky_4"][0] == 120
    assert at["R_Index_1"][0] == 105 and at["R_Index_1"][2] == pytest.approx(0.9)
    assert at["L_Index_1"][2] == 0.0  # no left hand found


def test_wholebody_names_are_the_body_models():
    from robosmplx.body.smplx_family import BODY25, FINGERS

    names = BODY25 + tuple(f"{s}_{f}_{k}" for s in "LR" for f in FINGERS for k in range(1, 5))
    assert names == WHOLEBODY65
