#!/usr/bin/env python
"""Reference outputs of the landmark models computed by the mediapipe package itself, for the
tests of robosmplx.landmarks (tests/data/landmarks/reference.json).

Run it in a throwaway environment, never in the project's (mediapipe pins numpy<2):

    python3 -m venv /tmp/mpref && /tmp/mpref/bin/pip install mediapipe==0.10.21
    /tmp/mpref/bin/python scripts/landmark_reference.py tests/data/landmarks/*.jpg \
        --out tests/data/landmarks/reference.json

Images: the ones given plus matplotlib's sample grace_hopper.jpg (BSD-licensed sample data).
Recorded per image (pixel coordinates are mediapipe's normalised values times the image size,
i.e. corner-based pixels):
- pose_by_roi: the pose graph's detector output (boxes, keypoints, scores), the ROI it gives
  the landmark model, and the landmarks (33 + 2 auxiliary) and world landmarks on that ROI;
- pose: static image mode, full model, segmentation on: 33 landmarks (x, y, z, visibility),
  world landmarks, and the mask (> 0.5) sampled every 4th pixel as packed bits;
- hands: static image mode (palm detection -> landmarks), up to 2 hands: 21 landmarks and the
  handedness score; then video mode with one hand, two identical frames: the second frame's
  landmarks come from the ROI of the first frame's landmarks;
- face mesh (468 points, no attention model), video mode, two identical frames, as for hands.
"""

from __future__ import annotations

import argparse
import base64
import json
from pathlib import Path

import mediapipe as mp
import numpy as np
from google.protobuf import text_format
from mediapipe.framework import calculator_pb2
from mediapipe.python.solution_base import SolutionBase
from PIL import Image

# The pose graph's own pieces, wired so the detector's output, the ROI it gives and the
# landmark model's output on exactly that ROI come out side by side.
POSE_BY_ROI = """
input_stream: "image"
output_stream: "detections"
output_stream: "roi"
output_stream: "landmarks"
output_stream: "aux"
output_stream: "world"
node { calculator: "PoseDetectionCpu" input_stream: "IMAGE:image"
       output_stream: "DETECTIONS:detections" }
node { calculator: "SplitDetectionVectorCalculator" input_stream: "detections"
       output_stream: "detection"
       options: { [mediapipe.SplitVectorCalculatorOptions.ext] {
                  ranges: { begin: 0 end: 1 } element_only: true } } }
node { calculator: "ImagePropertiesCalculator" input_stream: "IMAGE:image"
       output_stream: "SIZE:image_size" }
node { calculator: "PoseDetectionToRoi" input_stream: "DETECTION:detection"
       input_stream: "IMAGE_SIZE:image_size" output_stream: "ROI:roi" }
node { calculator: "PoseLandmarkByRoiCpu"
       input_side_packet: "MODEL_COMPLEXITY:model_complexity"
       input_side_packet: "ENABLE_SEGMENTATION:enable_segmentation"
       input_stream: "IMAGE:image" input_stream: "ROI:roi"
       output_stream: "LANDMARKS:landmarks" output_stream: "AUXILIARY_LANDMARKS:aux"
       output_stream: "WORLD_LANDMARKS:world" }
"""


def _pts(landmarks, w: int, h: int, vis: bool = False) -> list:
    out = []
    for lm in landmarks.landmark:
        row = [lm.x * w, lm.y * h, lm.z * w]
        if vis:
            row.append(lm.visibility)
        out.append([round(float(v), 4) for v in row])
    return out


def _world(landmarks) -> list:
    return [[round(float(v), 5) for v in (lm.x, lm.y, lm.z)] for lm in landmarks.landmark]


def reference(image: np.ndarray) -> dict:
    h, w = image.shape[:2]
    rec: dict = {"size": [w, h]}
    with mp.solutions.pose.Pose(
        static_image_mode=True, model_complexity=1, enable_segmentation=True, smooth_landmarks=False
    ) as pose:
        r = pose.process(image)
        if r.pose_landmarks:
            mask = np.asarray(r.segmentation_mask)[::4, ::4] > 0.5
            rec["pose"] = {
                "landmarks": _pts(r.pose_landmarks, w, h, vis=True),
                "world": _world(r.pose_world_landmarks),
                "mask_stride": 4,
                "mask_shape": list(mask.shape),
                "mask_bits": base64.b64encode(np.packbits(mask.ravel())).decode(),
            }
    with mp.solutions.hands.Hands(
        static_image_mode=True, max_num_hands=2, model_complexity=1
    ) as hands:
        r = hands.process(image)
        rec["hands"] = [
            {
                "landmarks": _pts(lm, w, h),
                "label": hd.classification[0].label,
                "score": round(float(hd.classification[0].score), 5),
            }
            for lm, hd in zip(r.multi_hand_landmarks or [], r.multi_handedness or [])
        ]
    graph = text_format.Parse(POSE_BY_ROI, calculator_pb2.CalculatorGraphConfig())
    with SolutionBase(
        graph_config=graph, side_inputs={"model_complexity": 1, "enable_segmentation": False}
    ) as sol:
        r = sol.process({"image": image})
        if r.landmarks is not None:
            roi = r.roi
            rec["pose_by_roi"] = {
                "detections": [
                    {
                        "box_xyxy": [
                            b.xmin * w,
                            b.ymin * h,
                            (b.xmin + b.width) * w,
                            (b.ymin + b.height) * h,
                        ],
                        "keypoints": [
                            [k.x * w, k.y * h] for k in d.location_data.relative_keypoints
                        ],
                        "score": d.score[0],
                    }
                    for d in r.detections
                    for b in [d.location_data.relative_bounding_box]
                ],
                "roi": [
                    roi.x_center * w,
                    roi.y_center * h,
                    roi.width * w,
                    roi.height * h,
                    roi.rotation,
                ],
                "landmarks": _pts(r.landmarks, w, h, vis=True),
                "auxiliary": _pts(r.aux, w, h),
                "world": _world(r.world),
            }
    for key, make in (
        (
            "hand_tracking",
            lambda: mp.solutions.hands.Hands(
                static_image_mode=False, max_num_hands=1, model_complexity=1
            ),
        ),
        (
            "face_tracking",
            lambda: mp.solutions.face_mesh.FaceMesh(
                static_image_mode=False, max_num_faces=1, refine_landmarks=False
            ),
        ),
    ):
        with make() as model:
            frames = []
            for _ in range(2):
                r = model.process(image)
                found = (
                    r.multi_hand_landmarks if key == "hand_tracking" else (r.multi_face_landmarks)
                )
                frames.append(_pts(found[0], w, h) if found else None)
            if all(frames):
                rec[key] = frames
    return rec


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("images", nargs="*", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    from matplotlib import cbook

    sources = {"grace_hopper.jpg": cbook.get_sample_data("grace_hopper.jpg")}
    sources.update({p.name: p for p in a.images})
    doc = {"mediapipe": mp.__version__, "images": {}}
    for name, src in sources.items():
        image = np.asarray(Image.open(src).convert("RGB"))
        doc["images"][name] = reference(image)
        print(
            name,
            {
                k: (len(v) if isinstance(v, list) else "yes")
                for k, v in doc["images"][name].items()
                if k != "size"
            },
        )
    a.out.write_text(json.dumps(doc, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
