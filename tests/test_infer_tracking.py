"""Identities through a synthetic clip of two people crossing: zero id switches, with the
people given in a different order every frame; the predict summary counts people, not
person-frames."""

import json

import numpy as np
import pytest

from infer_support import small_checkpoint
from robosmplx.cli import main
from robosmplx.infer.tracking import Tracker, iou_matrix
from robosmplx.synth.clip import couple_clip, id_switches

FRAMES = 8


@pytest.fixture(scope="module")
def clip():
    return couple_clip(frames=FRAMES, size=128, seed=0)


@pytest.fixture(scope="module")
def order():
    return np.random.default_rng(1).permuted(np.tile([0, 1], (FRAMES, 1)), axis=1)


def test_clip_people_cross(clip):
    x = clip.boxes[..., 0] + clip.boxes[..., 2] / 2  # (T, 2) box centres
    assert np.all(np.diff(x[:, 0]) > 0) and np.all(np.diff(x[:, 1]) < 0)
    overlap = iou_matrix(clip.boxes[:, 0], clip.boxes[:, 1]).diagonal()
    assert overlap.max() > 0.3  # they overlap in the middle frames


def test_tracker_keeps_both_identities_across_the_crossing(clip, order):
    tracker = Tracker()
    truth, ids = [], []
    for t, boxes in enumerate(clip.boxes):
        truth.append(list(order[t]))
        ids.append(tracker.update(boxes[order[t]], t))
    assert id_switches(truth, ids) == 0 and tracker.next_id == 2


def test_tracker_bridges_a_gap_and_starts_new_people():
    tr = Tracker()
    assert tr.update(np.array([[0, 0, 10, 10], [50, 50, 10, 10]]), 0) == [0, 1]
    assert tr.update(np.array([[53, 50, 10, 10], [3, 0, 10, 10]]), 1) == [1, 0]
    # frames 2-4 unseen: the tracks move on by their velocity and are found again
    assert tr.update(np.array([[15, 0, 10, 10], [65, 50, 10, 10]]), 5) == [0, 1]
    assert tr.update(np.array([[200, 200, 10, 10]]), 6) == [2]


def test_id_switches_counts_changes():
    assert id_switches([[0, 1], [0, 1], [1, 0]], [[5, 6], [6, 5], [5, 6]]) == 2


def test_video_keeps_the_couple_and_counts_people(clip, order, tmp_path, capsys):
    path = clip.write(tmp_path / "couple.avi")
    boxes = tmp_path / "boxes.json"
    boxes.write_text(json.dumps(clip.box_document(str(path), order)))
    ckpt = small_checkpoint(tmp_path)
    rc = main([
        "predict", str(path), "--out", str(tmp_path / "out"), "--boxes", str(boxes),
        "--checkpoint", str(ckpt), "--rounds", "1", "--no-render", "--mesh-format", "none",
        "--json",
    ])  # fmt: skip
    assert rc == 0
    rep = json.loads(capsys.readouterr().out)["inputs"][0]
    assert rep["tracks"] == 2 and rep["people"] == 2 and rep["person_frames"] == 2 * FRAMES
    frames = json.loads((tmp_path / "out" / "couple" / "result.json").read_text())["frames"]
    ids = [f["people"] for f in frames]  # track ids, in the box file's order
    assert [len(i) for i in ids] == [2] * FRAMES
    assert id_switches([list(o) for o in order], ids) == 0


def test_linear_assignment_is_optimal():
    from itertools import permutations

    from robosmplx.infer.tracking import linear_assignment

    rng = np.random.default_rng(0)
    for shape in [(1, 1), (3, 3), (2, 4), (4, 2), (5, 5)]:
        cost = rng.random(shape)
        pairs = linear_assignment(cost)
        assert len(pairs) == min(shape) and len({c for _, c in pairs}) == min(shape)
        n, m = shape
        if n <= m:
            best = min(sum(cost[i, p[i]] for i in range(n)) for p in permutations(range(m), n))
        else:
            best = min(sum(cost[p[j], j] for j in range(m)) for p in permutations(range(n), m))
        assert sum(cost[r, c] for r, c in pairs) == pytest.approx(best)


def test_track_bench_reports_switches():
    import argparse

    from robosmplx.bench import track

    args = argparse.Namespace(
        seeds=[0], frames=[6], size=64, orders=1, drop=0.0, predict=False, body="anny-small"
    )
    out = track.run(args)
    assert out["id_switches"] == 0 and out["clips"][0]["tracks"] == 2
    assert out["id_switches_with_drops"] == 0 and out["tracker_ms_per_frame"] > 0
