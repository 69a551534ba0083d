"""Every person of an image with body, hand and face landmarks and a mask.

Pipeline per image: the pose detector on the whole (letterboxed) image and on overlapping tiles
finds people by their face/upper body; each detection gives a rotated body ROI for the pose
landmark model, which is run again on the ROI its own landmarks give until they settle (and,
where the detector's alignment was wrong, once more with the person upright), then read by
the heavy pose model. A general person detector (NanoDet) adds the people whose boxes nobody
covers, read from their boxes. People found twice are merged by landmark overlap; a second
head beside a body, or a person standing behind another, stays a person of their own
(docs/landmarks.md, "Every person"). Each person's hands come from ROIs built from that
person's own wrist/index/pinky landmarks (re-cropped by the hand re-crop model, then refined
from the hand's landmarks), the face from the person's face landmarks, refined from the mesh.
So hands and face belong to the right person and side by construction.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from robosmplx.landmarks import ops
from robosmplx.landmarks.models import open_graph, require_landmarks
from robosmplx.landmarks.ops import Roi
from robosmplx.landmarks.persons import PersonDetector
from robosmplx.landmarks.runners import (
    Detection,
    PointLandmarker,
    PointSet,
    PoseLandmarker,
    PoseLandmarks,
    SsdDetector,
    _Model,
)
from robosmplx.landmarks.types import BODY_INDEX, NUM_FACE, PersonEvidence

_SIDES = ("left", "right")
# Pose landmarks that define a hand region: wrist, pinky, index (per side).
_HAND_POSE = {s: tuple(BODY_INDEX[f"{s}_{n}"] for n in ("wrist", "pinky", "index")) for s in _SIDES}
# Face mesh points that set the face ROI's rotation: the outer eye corners.
_FACE_EYES = (33, 263)


class LandmarkDetector:
    """Run the landmark models on RGB uint8 images: ``detector(image) -> [PersonEvidence]``."""

    def __init__(
        self,
        model_dir: str | Path | None = None,
        max_people: int = 32,
        min_score: float = 0.5,
        detection_score: float = 0.5,
        faces_as_people: bool = True,
        hands: bool = True,
        face: bool = True,
        segmentation: bool = True,
        tiles: tuple[float, ...] = (0.6, 0.35),
        threads: int | None = None,
        proposal_score: float = 0.1,
        heavy: bool = True,
        person_boxes: bool = True,
    ):
        folder = require_landmarks(model_dir)
        self.max_people, self.min_score = max_people, min_score
        self.proposal_score = min(proposal_score, detection_score)
        self.hands, self.face, self.segmentation, self.tiles = hands, face, segmentation, tiles
        self.timings: dict[str, float] = {}
        m = lambda name: _Model(name, folder, self.timings, threads)  # noqa: E731
        self.pose_detector = SsdDetector(
            m("pose_detector"), 224, (8, 16, 32, 32, 32), 4, (-1.0, 1.0), detection_score
        )
        self.pose_landmark = PoseLandmarker(m("pose_landmark"))
        self.pose_heavy = PoseLandmarker(m("pose_landmark_heavy")) if heavy else None
        self.person_detector = None
        if person_boxes:
            self.person_detector = PersonDetector(
                open_graph("person_detector", folder), self.timings
            )
        self.face_detector = None
        if faces_as_people:
            self.face_detector = SsdDetector(
                m("face_detector"), 192, (4,), 6, (-1.0, 1.0), 0.6, interpolated=False
            )
        if hands:
            self.palm_detector = SsdDetector(
                m("palm_detector"), 192, (8, 16, 16, 16), 7, (0.0, 1.0), 0.5
            )
            self.hand_recrop = PointLandmarker(m("hand_recrop"), 256, 2, 2)
            # the hand graph divides z by 0.4 (its normalize_z)
            self.hand_landmark = PointLandmarker(m("hand_landmark"), 224, 21, 3, z_scale=0.4)
        if face:
            self.face_landmark = PointLandmarker(
                m("face_landmark"), 192, NUM_FACE, 3, flag_sigmoid=True
            )

    # ---------------------------------------------------------------- people
    def detect_people(self, image: np.ndarray, tiled: bool = False) -> list[Detection]:
        """Pose-detector hits on the whole image (down to ``proposal_score``: the landmark model
        then verifies each) or, with ``tiled``, on overlapping tiles for small people."""
        h, w = image.shape[:2]
        if not tiled:
            found = self.pose_detector.detect(image, min_score=self.proposal_score)
        else:
            found = []
            for roi in _tiles(w, h, self.tiles, self.pose_detector.size):
                found += self.pose_detector.detect(image, roi)
        if not found:
            return []
        boxes = np.stack([d.box for d in found])
        kps = np.stack([d.keypoints for d in found])
        scores = np.array([d.score for d in found])
        merged = ops.weighted_nms(boxes, kps, scores, 0.3)
        return [Detection(b, k, s) for b, k, s in merged]

    def body_from_detection(
        self, image: np.ndarray, det: Detection, model: PoseLandmarker | None = None
    ) -> PoseLandmarks:
        """A pose landmark model (default: the full one) on the detection's ROI (hip centre,
        full-body circle)."""
        roi = ops.alignment_roi(det.keypoints[0], det.keypoints[1], 90.0)
        return (model or self.pose_landmark)(image, ops.transform_roi(roi, 1.25, 1.25))

    def read_heavy(self, image: np.ndarray, body: PoseLandmarks, max_nose: float = 0.25):
        """The settled body read again by BlazePose GHUM Heavy (more accurate than the full
        model on hard poses: people seen from behind, lying or crouching, small and blurred
        people): :meth:`settle_body` with the heavy model, two passes from the full model's
        alignment points. The heavy reading is kept only when it settles (stable, confident,
        as any body) and is about the same person (nose within ``max_nose`` torso lengths of
        the full model's): in a crowd the heavier model can drift to a neighbour, or flip
        between readings; the full model's body stays then."""
        if self.pose_heavy is None:
            return body
        lm = body.landmarks
        seed = Detection(_seen_box(body), np.stack([lm[33, :2], lm[34, :2]]), body.flag)
        heavy = self.settle_body(image, seed, passes=2, model=self.pose_heavy)
        if heavy is None:
            return body
        nose = np.hypot(*(heavy.landmarks[0, :2] - lm[0, :2]))
        return heavy if nose / max(_torso(lm), 1e-6) < max_nose else body

    def settle_body(
        self,
        image: np.ndarray,
        det: Detection,
        passes: int = 3,
        max_shift: float = 0.15,
        model: PoseLandmarker | None = None,
    ) -> PoseLandmarks | None:
        """The body of one detection, re-run on the ROI of its own landmarks until they stop
        moving; None when the model says nobody is there (its presence score, averaged over
        the ROIs it saw: one ROI's score is noisy for a half-hidden person), or when the
        landmarks keep moving (median shift above ``max_shift`` torso lengths) or are far too
        small for their ROI: the detector's false alarms (a hand, a torso seen as a person)
        behave like that. ``model``: the pose landmark model (the full one by default; person
        boxes try the heavy one too)."""
        model = model or self.pose_landmark
        body = self.body_from_detection(image, det, model)
        if body.flag < 0.5 * self.min_score:
            return None
        flags, shift = [body.flag], np.inf
        for _ in range(passes - 1):
            nxt = model(image, _body_roi(body.landmarks))
            flags.append(nxt.flag)
            if nxt.flag < 0.5 * self.min_score:
                return None
            scale = max(_torso(body.landmarks), _torso(nxt.landmarks), 1e-6)
            d = np.linalg.norm(nxt.landmarks[:25, :2] - body.landmarks[:25, :2], axis=1)
            shift = float(np.median(d)) / scale
            body = nxt
            if shift < 0.05:
                break
        if float(np.mean(flags)) < self.min_score:
            return None
        if shift > max_shift or _torso(body.landmarks) < 0.1 * body.roi.w:
            return None
        return body

    def settle_person(self, image: np.ndarray, det: Detection) -> PoseLandmarks | None:
        """The body of a detection, as :meth:`settle_body`; where that fails or ends upside
        down, the person is also tried upright (the detector's alignment points can point
        anywhere for people seen from above, seated or bent over, while its box still
        surrounds a head): seeded from the detection's box and from the upside-down body's
        own head. The best by :func:`upright_quality` is kept."""
        body = self.settle_body(image, det)
        if body is not None and not _head_down(body.landmarks):
            return self.read_heavy(image, body)
        seeds = [upright(det)]
        if body is not None:
            nose, side = body.landmarks[0, :2], _torso(body.landmarks)
            head = Detection(np.concatenate([nose - side / 2, nose + side / 2]), det.keypoints,
                             det.score)  # fmt: skip
            seeds.append(upright(head))
        for seed in seeds:
            alt = self.settle_body(image, seed)
            if alt is not None and (body is None or upright_quality(alt) > upright_quality(body)):
                body = alt
        return None if body is None else self.read_heavy(image, body)

    def bodies_from_faces(self, image: np.ndarray, bodies: list[PoseLandmarks]):
        """A second opinion for crowds: faces (full-range face detector, whole image: small
        people are the pose detector's tiles' job) that no body found so far explains each give a body ROI below the face, which
        must then settle like any detection (and is read by the heavy model, as every body)."""
        faces = self.face_detector.detect(image)
        if not faces:
            return []
        merged = ops.weighted_nms(np.stack([f.box for f in faces]),
                                  np.stack([f.keypoints for f in faces]),
                                  np.array([f.score for f in faces]), 0.3)  # fmt: skip
        out: list[PoseLandmarks] = []
        for box, kps, score in merged:
            size = float(max(box[2] - box[0], box[3] - box[1]))
            centre = (box[:2] + box[2:]) / 2
            known = [b.landmarks[0, :2] for b in bodies + out]
            if any(np.all(np.abs(n - centre) < size) for n in known):
                continue
            down = kps[3] - (kps[0] + kps[1]) / 2  # eyes -> mouth
            down = down / max(float(np.linalg.norm(down)), 1e-6)
            hip = centre + 3.5 * size * down  # an upright adult: hips 3.5 faces below
            top = hip - 4.5 * size * down
            det = Detection(np.concatenate([box[:2], box[2:]]), np.stack([hip, top, hip, top]),
                            score)  # fmt: skip
            body = self.settle_body(image, det)
            if body is not None and np.all(np.abs(body.landmarks[0, :2] - centre) < size):
                out.append(self.read_heavy(image, body))
        return out

    def bodies_from_boxes(self, image: np.ndarray, bodies: list[PoseLandmarks]):
        """The second opinion of a general person detector (NanoDet): person boxes that no
        body found so far covers are read by the pose landmark model from an upright square
        around the box (1.25x, then 1.6x its long side), settled like any detection (by the
        full model, else by the heavy one from the 1.6x square, which reads people seen from
        above or seated in a wheelchair from a box more often), and kept when the body lies
        in the box, most of its upper-body and leg landmarks are visible (mean visibility of
        the first 25 at least 0.5: the box detector's false alarms, slivers at the image's
        edge, read as people with most landmarks hidden or outside) and it is nobody found
        before."""
        out: list[PoseLandmarks] = []
        size = image.shape[1::-1]
        for det in self.person_detector(image):
            if any(_box_overlap(b, det.box, size) > 0.4 for b in bodies + out):
                continue
            lo = np.maximum(det.box[:2], 0.0)
            hi = np.minimum(det.box[2:], [size[0], size[1]])
            side = np.clip(hi - lo, 0.0, None)
            if side.min() < 16.0 or side.max() > 4.0 * side.min():
                continue  # a sliver in view: too little of anyone to read
            tries = [(self.pose_landmark, 1.25), (self.pose_landmark, 1.6)]
            if self.pose_heavy is not None:  # the heavy model from the wider square only
                tries.append((self.pose_heavy, 1.6))
            for model, grow in tries:
                body = self.settle_body(image, box_seed(det, grow), model=model)
                if body is None or _box_overlap(body, det.box, size) <= 0.3:
                    continue
                # a second opinion adds people, never replaces one found before (checked
                # before the heavy reading: most repeats cost no heavy call), and only people
                # mostly in view (a sliver at the image's edge, a chair)
                if not any(_same_or_seen(body, k) for k in bodies + out):
                    if model is self.pose_landmark:
                        body = self.read_heavy(image, body)
                    seen = float(np.mean(body.landmarks[:25, 3]))
                    if seen >= 0.5 and not any(_same_or_seen(body, k) for k in bodies + out):
                        out.append(body)
                break
        return out

    # ---------------------------------------------------------------- parts
    def hand_from_pose(self, image: np.ndarray, body: np.ndarray, side: str) -> PointSet | None:
        """Hand landmarks for one side of a person, from that person's pose landmarks."""
        wrist, pinky, index = (body[i, :2] for i in _HAND_POSE[side])
        middle = (2.0 * index + pinky) / 3.0
        size = 2.0 * float(np.hypot(*(middle - wrist)))
        if not size > 1.0:
            return None
        roi = Roi(
            float(middle[0]), float(middle[1]), size, size, ops.rotation_from(wrist, middle, 90.0)
        )
        roi = ops.transform_roi(roi, 2.7, 2.7, shift_y=-0.1)
        rec = self.hand_recrop(image, roi).points
        roi = ops.alignment_roi(rec[0, :2], rec[1, :2], -90.0)
        roi = ops.transform_roi(roi, 1.0, 1.0, shift_y=-0.1)
        if not roi.w > 1.0:
            return None
        return _settle(self.hand_landmark, image, roi, hand_roi)

    def person_hand(self, image: np.ndarray, body: np.ndarray, side: str) -> PointSet | None:
        """One side's hand of a person: from the pose's hand landmarks, else (a second opinion)
        from the palm detector in a square around the wrist, accepting only a hand of that side
        whose wrist lies near the pose's wrist."""
        wrist_i, _, index_i = _HAND_POSE[side]
        if body[wrist_i, 3] < 0.1:
            return None
        hand = self.hand_from_pose(image, body, side)
        if hand is not None and hand.flag >= 0.5:
            return hand
        wrist, elbow = body[wrist_i, :2], body[BODY_INDEX[f"{side}_elbow"], :2]
        reach = max(
            float(np.hypot(*(wrist - elbow))), 2.0 * float(np.hypot(*(body[index_i, :2] - wrist)))
        )
        if not reach > 4.0:
            return None
        region = Roi(float(wrist[0]), float(wrist[1]), 2.0 * reach, 2.0 * reach)
        best = None
        for cand in self.hands_from_palms(image, region):
            is_right = cand.extra > 0.5
            dist = float(np.hypot(*(cand.points[0, :2] - wrist)))
            if is_right == (side == "right") and dist < 0.5 * reach:
                if best is None or dist < best[0]:
                    best = (dist, cand)
        return None if best is None else best[1]

    def hands_from_palms(
        self, image: np.ndarray, roi: Roi | None = None, max_hands: int | None = None
    ) -> list[PointSet]:
        """Hand landmarks for every palm the palm detector finds (in ``roi``, or the image),
        on the ROI each palm defines (wrist centre -> middle-finger knuckle upright)."""
        out = []
        for det in self.palm_detector.detect(image, roi)[:max_hands]:
            box_roi = ops.box_roi(det.box, det.keypoints[0], det.keypoints[2], 90.0)
            hand = self.hand_landmark(image, ops.transform_roi(box_roi, 2.6, 2.6, shift_y=-0.5))
            if hand.flag >= 0.5:
                out.append(hand)
        return out

    def face_from_pose(self, image: np.ndarray, body: np.ndarray) -> PointSet | None:
        """Face mesh for a person: a ROI from the pose's face landmarks, then from the mesh."""
        pts = body[:11, :2]
        rot = ops.rotation_from(
            body[BODY_INDEX["right_eye"], :2], body[BODY_INDEX["left_eye"], :2], 0.0
        )
        roi = ops.transform_roi(ops.points_roi(pts, 0.0), 2.0, 2.0)
        roi = Roi(roi.cx, roi.cy, roi.w, roi.h, rot)
        if not roi.w > 1.0:
            return None
        return _settle(self.face_landmark, image, roi, face_roi)

    # ---------------------------------------------------------------- all
    def __call__(self, image: np.ndarray) -> list[PersonEvidence]:
        """Every person found, in a stable order (left to right by box centre x)."""
        image = _check_image(image)
        h, w = image.shape[:2]
        bodies: list[PoseLandmarks] = []
        # the whole image first (it sees big people whole), then tiles for what it could not
        # see; a hit that a person found so far explains costs no landmark call
        for tiled in (False, True)[: 1 + bool(self.tiles)]:
            for det in self.detect_people(image, tiled):  # best first
                if not any(_explains(b, det) for b in bodies):
                    body = self.settle_person(image, det)
                    if body is not None:
                        bodies.append(body)
        if self.face_detector is not None:
            bodies += self.bodies_from_faces(image, bodies)
        if self.person_detector is not None:
            bodies += self.bodies_from_boxes(image, bodies)
        bodies = dedupe_bodies(bodies)[: self.max_people]
        people = [self._person(image, b) for b in bodies]
        people.sort(key=lambda p: (p.box[0] + p.box[2] / 2, p.box[1]))
        return people

    def _person(self, image: np.ndarray, body: PoseLandmarks) -> PersonEvidence:
        h, w = image.shape[:2]
        lm = body.landmarks[:33]
        body2d = np.concatenate([lm[:, :2] - 0.5, lm[:, 3:4]], axis=1)  # pixel centres
        person = PersonEvidence(
            box=np.zeros(4), score=body.flag, body2d=body2d, body3d=body.world[:33].copy()
        )
        if self.hands:
            for side in _SIDES:
                hand = self.person_hand(image, lm, side)
                if hand is not None:
                    pts = np.concatenate(
                        [hand.points[:, :2] - 0.5, np.full((21, 1), hand.flag)], axis=1
                    )
                    person.hands[side] = pts
                    person.part_boxes[side[0] + "hand"] = _xywh(pts[:, :2], w, h)
        if self.face:
            face = self.face_from_pose(image, lm)
            if face is not None and face.flag >= 0.5:
                person.face2d = np.concatenate(
                    [face.points[:, :2] - 0.5, np.full((NUM_FACE, 1), face.flag)], axis=1
                )
                person.part_boxes["face"] = _xywh(person.face2d[:, :2], w, h)
        if self.segmentation:
            person.mask = body.mask(h, w)
        seen = body2d[body2d[:, 2] >= 0.5, :2]
        pts = [seen if len(seen) >= 2 else body2d[:, :2]]
        pts += [v[:, :2] for v in person.hands.values()]
        person.box = _xywh(np.concatenate(pts), w, h)
        return person


def box_seed(det: Detection, grow: float) -> Detection:
    """A person box as a pose-detector hit: hip centre at the box's centre, upright, the
    landmark model's ROI a square ``grow`` x the box's long side."""
    c = (det.box[:2] + det.box[2:]) / 2
    radius = grow * float(np.max(det.box[2:] - det.box[:2])) / 2.5  # ROI side = 2.5 radius
    top = c - np.array([0.0, radius])
    return Detection(det.box.copy(), np.stack([c, top, c, top]), det.score)


def _same_or_seen(a: PoseLandmarks, b: PoseLandmarks) -> bool:
    """Whether two bodies are one person, or one is seen on the other's silhouette."""
    return same_person(a.landmarks, b.landmarks) or seen_on_body(a, b) or seen_on_body(b, a)


def _box_overlap(body: PoseLandmarks, box: np.ndarray, size=None) -> float:
    """IoU of a body's whole extent (all 33 landmarks, hidden ones where the model puts them)
    and a person box (xyxy), both clipped to the image (``size`` (W, H)) where given: a person
    detector's box spans the whole person, hidden parts too."""
    lm = body.landmarks[:33, :2]
    a, b = np.concatenate([lm.min(0), lm.max(0)]), np.asarray(box, float)
    if size is not None:
        lim = np.array([size[0], size[1], size[0], size[1]], float)
        a, b = np.clip(a, 0.0, lim), np.clip(b, 0.0, lim)
    return float(ops.box_iou(a, b[None])[0])


def upright(det: Detection) -> Detection:
    """The detection re-seeded as an upright person: the detector's alignment keypoints (hip
    centre, a point above the head) can point anywhere for people seen from above, seated or
    bent over, while its box still surrounds a head. Hips two box sizes below the box centre,
    the top half a box size above it: the whole-body circle of a standing or seated person."""
    box = det.box
    size = float(max(box[2] - box[0], box[3] - box[1]))
    centre = (box[:2] + box[2:]) / 2
    hip = centre + np.array([0.0, 2.0 * size])
    top = centre - np.array([0.0, 0.5 * size])
    return Detection(box.copy(), np.stack([hip, top, hip, top]), det.score)


def hand_roi(points: np.ndarray) -> Roi:
    """The hand ROI that 21 hand landmarks define (palm-oriented, scale 2, shifted to the
    fingers), as the hand tracking graph builds it."""
    p = points[:, :2]
    mcp = (p[5] + p[13]) / 2
    mcp = (mcp + p[9]) / 2
    rot = ops.rotation_from(p[0], mcp, 90.0)
    partial = p[[0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18]]
    return ops.transform_roi(ops.points_roi(partial, rot), 2.0, 2.0, shift_y=-0.1)


def face_roi(points: np.ndarray) -> Roi:
    """The face ROI that the 468 mesh points define (eye-aligned, scale 1.5)."""
    p = points[:, :2]
    box = np.concatenate([p.min(0), p.max(0)])
    return ops.transform_roi(ops.box_roi(box, p[_FACE_EYES[0]], p[_FACE_EYES[1]], 0.0), 1.5, 1.5)


def body_quality(body: PoseLandmarks) -> float:
    """Presence times the mean visibility of the 25 upper-body-and-leg landmarks."""
    return body.flag * float(np.mean(body.landmarks[:25, 3]))


HEAD_DOWN_PRIOR = 0.5  # how much less an upside-down body is believed than an upright one


def upright_quality(body: PoseLandmarks) -> float:
    """:func:`body_quality` with a gravity prior: people in photos are far more often upright
    than upside down, so an upside-down reading counts :data:`HEAD_DOWN_PRIOR` as much."""
    return body_quality(body) * (HEAD_DOWN_PRIOR if _head_down(body.landmarks) else 1.0)


def same_person(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two landmark sets (39+, 5) describe one person: most points coincide, or the
    head and shoulders do, or the noses (two people never share a head: seeds from different
    detections can settle on one head with bodies of different sizes), relative to the torso
    length."""
    scale = max(_torso(a), _torso(b), 1e-6)
    d = np.linalg.norm(a[:25, :2] - b[:25, :2], axis=1) / scale
    return bool(np.median(d) < 0.2 or np.median(d[:13]) < 0.1 or d[0] < 0.15)


def seen_on_body(cand: PoseLandmarks, other: PoseLandmarks) -> bool:
    """Whether most of ``cand``'s visible landmarks (and its nose) lie on ``other``'s
    silhouette: a person whose visible points are someone else's pixels is the detector
    seeing a person in a pattern of that body (clothes, a face), not a person. (A person
    partly hidden behind another has their visible points on their own pixels.)"""
    seen = cand.landmarks[:25, 3] > 0.5
    seen[0] = True
    if _near_head(other, cand.landmarks[0, :2]):
        return False  # a head beside another head: two people close together
    if _inside_share(cand, other) < 0.8:
        return False  # reaches well beyond the other body: one person behind another
    on = _on_mask(other, cand.landmarks[:25][seen, :2])
    return bool(on[0]) and float(on.mean()) > 0.8


def _seen_box(body: PoseLandmarks) -> np.ndarray:
    """xyxy box of the body's visible landmarks (all of them when fewer than two are)."""
    lm = body.landmarks[:33]
    seen = lm[lm[:, 3] > 0.5, :2] if (lm[:, 3] > 0.5).sum() >= 2 else lm[:, :2]
    return np.concatenate([seen.min(0), seen.max(0)])


def _inside_share(cand: PoseLandmarks, other: PoseLandmarks) -> float:
    """The share of ``cand``'s visible-landmark box inside ``other``'s (grown by a fifth of
    its torso)."""
    a, b = _seen_box(cand), _seen_box(other)
    pad = 0.2 * _torso(other.landmarks)
    lo, hi = np.maximum(a[:2], b[:2] - pad), np.minimum(a[2:], b[2:] + pad)
    inter = float(np.prod(np.clip(hi - lo, 0, None)))
    return inter / max(float(np.prod(a[2:] - a[:2])), 1e-6)


def _on_mask(body: PoseLandmarks, points: np.ndarray) -> np.ndarray:
    """Which image points (N, 2) lie on the body's segmentation (> 0.5)."""
    t = ops.apply_affine(body.to_tensor, points)  # in the body's ROI crop
    n = body.mask_tensor.shape[0]
    ij = np.clip(np.floor(t).astype(int), 0, n - 1)
    inside = (t >= 0).all(1) & (t < n).all(1)
    return inside & (body.mask_tensor[ij[:, 1], ij[:, 0]] > 0.5)


def dedupe_bodies(bodies: list[PoseLandmarks], min_quality: float = 0.0) -> list[PoseLandmarks]:
    """Best first (by :func:`upright_quality`), drop a person that is a better one found again."""
    kept: list[PoseLandmarks] = []
    for b in sorted(bodies, key=upright_quality, reverse=True):
        if body_quality(b) < min_quality:
            continue
        if not any(same_person(b.landmarks, k.landmarks) or seen_on_body(b, k) for k in kept):
            kept.append(b)
    return kept


def _explains(body: PoseLandmarks, det: Detection) -> bool:
    """Whether a settled body already accounts for a detection: its nose lies in the
    detection's box (the detector's box surrounds the face) grown by half, or the detection's
    face centre lies on the body's silhouette (the detector seeing a person in a pattern of
    that body: the post-hoc test of :func:`seen_on_body`, before any landmark call), unless
    it is a second head beside this body's head."""
    lo, hi = det.box[:2], det.box[2:]
    pad = 0.25 * (hi - lo)
    nose = body.landmarks[0, :2]
    if np.all(nose >= lo - pad) and np.all(nose <= hi + pad):
        return True
    centre = (lo + hi) / 2
    apart = max(float(np.max(hi - lo)), _head_width(body.landmarks))
    if _near_head(body, centre) and np.hypot(*(nose - centre)) > apart:
        return False  # a second head at this body's head level, a head's width away
    return bool(_on_mask(body, centre[None])[0])


def _near_head(body: PoseLandmarks, point: np.ndarray) -> bool:
    """Whether an image point lies at the body's head level and within a torso length of its
    nose: where a second person's head can be (a couple dancing, a child held, people shoulder
    to shoulder) but no pattern of this body's clothes is (those lie below its shoulders)."""
    lm = body.landmarks
    torso = max(_torso(lm), 1e-6)
    shoulders = (lm[11, :2] + lm[12, :2]) / 2
    up = (shoulders - (lm[23, :2] + lm[24, :2]) / 2) / torso
    height = float(np.dot(point - shoulders, up)) / torso  # torso lengths above the shoulders
    near = float(np.hypot(*(point - lm[0, :2]))) < torso
    return near and height > -0.15


def _head_width(lm: np.ndarray) -> float:
    """About the width of a body's head: its ears apart, or 0.4 shoulder widths (ears turned
    away)."""
    ears = float(np.hypot(*(lm[7, :2] - lm[8, :2])))
    return max(ears, 0.4 * float(np.hypot(*(lm[11, :2] - lm[12, :2]))))


def _head_down(lm: np.ndarray) -> bool:
    """Whether a body's shoulders lie below its hips in the image (upside down)."""
    return float(lm[11, 1] + lm[12, 1]) > float(lm[23, 1] + lm[24, 1])


def _body_roi(lm: np.ndarray) -> Roi:
    """The pose landmark model's ROI from a body's landmarks (39, 5): its alignment points
    (hip centre, whole-body circle) rotated upright, grown by a quarter."""
    roi = ops.alignment_roi(lm[33, :2], lm[34, :2], 90.0)
    return ops.transform_roi(roi, 1.25, 1.25)


def _torso(lm: np.ndarray) -> float:
    sh = (lm[11, :2] + lm[12, :2]) / 2
    hip = (lm[23, :2] + lm[24, :2]) / 2
    return float(np.hypot(*(sh - hip)))


def _tiles(w: int, h: int, scales=(0.6, 0.35), min_side: float = 224.0) -> list[Roi]:
    """Overlapping square tiles for the detector's second pass (small people): per scale, tiles
    of that fraction of the short side, overlapping by half; none smaller than ``min_side``
    (the detector's input): an upsampled tile shows the detector no pixel the whole image did
    not, and makes it see people in patterns."""
    out = []
    for scale in scales:
        side = scale * min(w, h)
        if side < min_side:
            continue
        nx = max(2, math.ceil((w - side) / (0.5 * side)) + 1)
        ny = max(2, math.ceil((h - side) / (0.5 * side)) + 1)
        for j in range(ny):
            for i in range(nx):
                cx = side / 2 + i * (w - side) / (nx - 1)
                cy = side / 2 + j * (h - side) / (ny - 1)
                out.append(Roi(cx, cy, side, side))
    return out


def _xywh(points: np.ndarray, w: int, h: int) -> np.ndarray:
    lo = np.clip(points.min(0), -0.5, [w - 0.5, h - 0.5])
    hi = np.clip(points.max(0), -0.5, [w - 0.5, h - 0.5])
    return np.array([lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1]], np.float64)


def _check_image(image: np.ndarray) -> np.ndarray:
    from robosmplx.errors import InputError

    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise InputError(
            f"landmarks need an RGB uint8 image (H, W, 3), got {image.dtype} {image.shape}"
        )
    return np.ascontiguousarray(image)


def _settle(model, image: np.ndarray, roi: Roi, roi_from_points) -> PointSet:
    """Landmarks on ``roi``, then once more on the ROI their own points give (as MediaPipe's
    tracking does) when the first pass found the part."""
    first = model(image, roi)
    if first.flag < 0.5:
        return first
    return model(image, roi_from_points(first.points))
