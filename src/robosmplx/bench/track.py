"""``robosmplx bench track``: identity switches on synthetic clips of two people walking past
each other (:func:`robosmplx.synth.clip.couple_clip`), and the tracker's time per frame.

For every clip seed and length: the true boxes go to the tracker in a random order per frame
(``--orders`` orders), then again with ``--drop`` of the detections missing at random (a
detector's misses). With ``--predict`` each clip also runs through ``robosmplx predict``
(bundled model, the true boxes as a box file), which adds the predicted keypoints to the
association. Reports id switches (MOT definition) and tracks made; the ideal is 0 and 2.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3], help="clip seeds")
    parser.add_argument(
        "--frames", type=int, nargs="+", default=[8, 30], help="clip lengths (same path, so "
        "fewer frames means faster motion)",
    )  # fmt: skip
    parser.add_argument("--size", type=int, default=256, help="frame side in pixels")
    parser.add_argument("--orders", type=int, default=3, help="box orders per clip")
    parser.add_argument("--drop", type=float, default=0.15, help="share of detections missed")
    parser.add_argument("--predict", action="store_true", help="also run robosmplx predict")
    parser.add_argument("--body", default="anny", help="body model of the clips (default anny)")


def _track(boxes, order, keep) -> tuple[list, list, float]:
    import time

    from robosmplx.infer.tracking import Tracker

    tracker, truth, ids, t0 = Tracker(), [], [], time.perf_counter()
    for t, b in enumerate(boxes):
        who = [int(i) for i in order[t] if keep[t, i]]
        truth.append(who)
        ids.append(tracker.update(b[who], t))
    return truth, ids, (time.perf_counter() - t0) / len(boxes)


def run(args: argparse.Namespace) -> dict:
    import os

    import numpy as np

    from robosmplx.synth.clip import couple_clip, id_switches

    clips, per_frame = [], []
    for seed in args.seeds:
        for frames in args.frames:
            clip = couple_clip(frames, args.size, seed, args.body)
            rng = np.random.default_rng(seed)
            row = {"seed": seed, "frames": frames, "switches": 0, "switches_with_drops": 0,
                   "tracks": 0, "tracks_with_drops": 0}  # fmt: skip
            for _ in range(args.orders):
                order = rng.permuted(np.tile([0, 1], (frames, 1)), axis=1)
                for key, keep in (
                    ("", np.ones((frames, 2), bool)),
                    ("_with_drops", rng.random((frames, 2)) >= args.drop),
                ):
                    truth, ids, dt = _track(clip.boxes, order, keep)
                    row[f"switches{key}"] += id_switches(truth, ids)
                    row[f"tracks{key}"] = max(row[f"tracks{key}"], len({i for f in ids for i in f}))
                    per_frame.append(dt)
            if args.predict:
                row.update(_predict(clip, order))
            clips.append(row)
    out = {
        "clips": clips,
        "orders": args.orders,
        "drop": args.drop,
        "size": args.size,
        "id_switches": sum(c["switches"] for c in clips),
        "id_switches_with_drops": sum(c["switches_with_drops"] for c in clips),
        "tracker_ms_per_frame": round(1000 * float(np.median(per_frame)), 3),
        "load_average_1min_after": round(os.getloadavg()[0], 2),
    }
    if args.predict:
        out["id_switches_predict"] = sum(c["switches_predict"] for c in clips)
    return out


def _predict(clip, order) -> dict:
    """Switches and people counted by ``robosmplx predict`` on the clip with its true boxes."""
    import contextlib
    import io
    import json
    import tempfile
    from pathlib import Path

    from robosmplx.cli import main
    from robosmplx.synth.clip import id_switches

    with tempfile.TemporaryDirectory() as tmp:
        path = clip.write(Path(tmp) / "couple.avi")
        boxes = Path(tmp) / "boxes.json"
        boxes.write_text(json.dumps(clip.box_document(str(path), order)))
        argv = ["predict", str(path), "--boxes", str(boxes), "--out", str(Path(tmp) / "out"),
                "--no-render", "--mesh-format", "none", "--json"]  # fmt: skip
        with contextlib.redirect_stdout(io.StringIO()) as so:
            main(argv)
        rep = json.loads(so.getvalue())["inputs"][0]
        frames = json.loads((Path(tmp) / "out" / "couple" / "result.json").read_text())["frames"]
    ids = [f["people"] for f in frames]
    return {
        "switches_predict": id_switches([list(o) for o in order], ids),
        "people_predict": rep["people"],
        "person_frames_predict": rep["person_frames"],
    }
