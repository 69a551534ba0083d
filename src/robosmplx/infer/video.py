"""Videos: frame reading that survives broken frames, per-frame prediction with identities and
One-Euro smoothing, and an overlay video written atomically.

The frames of a video share one camera (one size, one focal length: the predictor gives every
person of a frame the frame's intrinsics), so parameters and translation are smoothed per track
directly in it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch

from robosmplx.errors import InputError, RoboSMPLXError
from robosmplx.infer.images import MAX_SIDE, LoadedImage, check_readable
from robosmplx.io import partial_prefix

MAX_CONSECUTIVE_FAILURES = 30  # unreadable frames in a row before the video counts as ended
DEFAULT_FPS = 30.0


@dataclass
class VideoInfo:
    path: Path
    fps: float
    width: int
    height: int
    frame_count: int  # -1 when the container does not say
    notes: list[str] = field(default_factory=list)


def open_capture(path: Path) -> cv2.VideoCapture:
    """An OpenCV capture with FFmpeg's own decoder messages off (broken frames and unreadable
    files are reported per input instead)."""
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    return cv2.VideoCapture(str(path))


class VideoReader:
    """Iterate ``(index, rgb or None)`` over a video; None marks a broken frame (unreadable in
    the middle, or a different size). Frames larger than ``max_side`` are downscaled."""

    def __init__(self, path: str | Path, max_side: int = MAX_SIDE):
        self.path = check_readable(path, "video")
        self.cap = open_capture(self.path)
        if not self.cap.isOpened():
            raise InputError(
                f"{self.path}: cannot be opened as a video (unsupported codec, or not a video)"
            )
        fps = float(self.cap.get(cv2.CAP_PROP_FPS) or 0.0)
        count = int(self.cap.get(cv2.CAP_PROP_FRAME_COUNT) or -1)
        w = int(self.cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        h = int(self.cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        notes = []
        if not np.isfinite(fps) or fps <= 0 or fps > 1000:
            notes.append(f"frame rate unknown, assuming {DEFAULT_FPS:g} fps")
            fps = DEFAULT_FPS
        self.scale = min(1.0, max_side / max(w, h, 1))
        if self.scale < 1.0:
            notes.append(f"frames downscaled from {w}x{h} by {self.scale:.3f}")
        self.info = VideoInfo(self.path, fps, w, h, count if count > 0 else -1, notes)
        self.broken: list[int] = []

    def __iter__(self) -> Iterator[tuple[int, np.ndarray | None]]:
        index, pending, shape, good = 0, [], None, 0
        try:
            while len(pending) < MAX_CONSECUTIVE_FAILURES:
                if 0 < self.info.frame_count <= index and pending:
                    break
                ok, frame = self.cap.read()
                if not ok or frame is None or frame.ndim != 3 or frame.shape[2] != 3:
                    if not ok and 0 < self.info.frame_count <= index:
                        break  # the end
                    pending.append(index)
                    index += 1
                    continue
                if shape is not None and frame.shape != shape:
                    pending.append(index)
                    index += 1
                    continue
                shape = frame.shape
                for p in pending:
                    self.broken.append(p)
                    yield p, None
                pending = []
                rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
                if self.scale < 1.0:
                    size = (round(rgb.shape[1] * self.scale), round(rgb.shape[0] * self.scale))
                    rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
                good += 1
                yield index, rgb
                index += 1
            for p in pending:  # trailing failures count only inside the announced length
                if p < self.info.frame_count:
                    self.broken.append(p)
                    yield p, None
        finally:
            self.cap.release()
        if good == 0:
            raise InputError(f"{self.path}: no readable frame (corrupt or unsupported video)")


class VideoWriter:
    """Overlay video (mp4v) written to a temporary file and renamed on :meth:`close`."""

    def __init__(self, path: str | Path, fps: float, size: tuple[int, int]):
        self.path = Path(path)
        fd, self.tmp = tempfile.mkstemp(
            dir=self.path.parent, prefix=partial_prefix(self.path.name), suffix=".mp4"
        )
        os.close(fd)
        self.size = size  # (width, height)
        self.writer = cv2.VideoWriter(self.tmp, cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
        if not self.writer.isOpened():
            self.abort()
            raise RoboSMPLXError(
                f"{self.path}: cannot write video: this OpenCV build has no mp4v encoder"
            )
        self.frames = 0

    def write(self, rgb: np.ndarray) -> None:
        if (rgb.shape[1], rgb.shape[0]) != self.size:
            rgb = cv2.resize(rgb, self.size, interpolation=cv2.INTER_AREA)
        self.writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        self.frames += 1

    def close(self) -> Path:
        self.writer.release()
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        self.writer.release() if hasattr(self, "writer") else None
        if os.path.exists(self.tmp):
            os.unlink(self.tmp)


@dataclass
class FramePrediction:
    """One frame: its people (track ids set, smoothed if asked), or ``broken`` when unreadable."""

    index: int
    people: list
    image: np.ndarray | None
    scale: float = 1.0  # image pixels per original video pixel
    broken: bool = False
    skipped: list[str] = field(default_factory=list)


@dataclass
class Track:
    """One identity over the video, in its fixed camera ``K``: per-frame arrays."""

    track_id: int
    K: np.ndarray
    frames: list[int] = field(default_factory=list)
    params: dict[str, list[np.ndarray]] = field(default_factory=dict)
    transl: list[np.ndarray] = field(default_factory=list)
    bbox: list[np.ndarray] = field(default_factory=list)
    score: list[float] = field(default_factory=list)
    vertices: list[np.ndarray] = field(default_factory=list)

    def add(self, person, keep_vertices: bool) -> None:
        self.frames.append(int(person.frame_index))
        for k, v in person.params.items():
            self.params.setdefault(k, []).append(np.asarray(v, np.float32))
        self.transl.append(np.asarray(person.transl, np.float32))
        self.bbox.append(np.asarray(person.keypoint_box, np.float32))
        self.score.append(float(person.score))
        if keep_vertices and person.vertices is not None:
            self.vertices.append(person.vertices)

    def record(self, image_size: tuple[int, int], body_model: str, fps: float) -> dict:
        """Flat record for .npz/.json: per-frame arrays (T, ...) plus the track's camera."""
        from robosmplx.infer.export import person_record

        params = {k: np.stack(v) for k, v in self.params.items()}
        extra = {
            "frame_index": np.asarray(self.frames, np.int32),
            "keypoint_box_xywh": np.stack(self.bbox),
            "score": np.asarray(self.score, np.float32),
            "track_id": np.int32(self.track_id),
            "fps": np.float32(fps),
        }
        rec = person_record({}, np.zeros(3), self.K, image_size, body_model, extra)
        rec.update({k: v.reshape(len(self.frames), -1) for k, v in params.items()})
        rec["transl"] = np.stack(self.transl)
        return rec


@dataclass
class VideoPrediction:
    info: VideoInfo
    frames: list[FramePrediction]
    tracks: dict[int, Track]
    broken_frames: list[int]


def tracking_box(person) -> np.ndarray:
    """The box a person is tracked by: the detector's or the box file's when there is one
    (steadier than the prediction's), else the predicted keypoints' box."""
    return person.bbox if person.box_source in ("given", "detector") else person.keypoint_box


class TrackSmoother:
    """Tracking and One-Euro smoothing over a stream of frames."""

    def __init__(self, predictor, fps: float, smooth: bool = True, min_cutoff=1.0, beta=0.05):
        from robosmplx.infer.tracking import Tracker

        self.p, self.fps, self.smooth = predictor, fps, smooth
        self.min_cutoff, self.beta = min_cutoff, beta
        self.tracker = Tracker()
        self.filters: dict[int, object] = {}
        self.last: dict[int, int] = {}

    def __call__(self, index: int, people: list) -> list:
        from robosmplx.infer.smoothing import ParamSmoother

        if not people:
            return people
        ids = self.tracker.update(
            np.stack([tracking_box(p) for p in people]), index, [p.keypoints2d for p in people]
        )
        states = []
        for pid, person in zip(ids, people):
            person.track_id, person.frame_index = int(pid), index
            state = {f"{g}_rotmat": person.rotmats[g] for g in person.rotmats}
            state.update({k: v for k, v in person.params.items() if k not in person.rotmats})
            state["transl"] = np.asarray(person.transl, np.float32)
            if self.smooth:
                f = self.filters.setdefault(
                    pid, ParamSmoother(self.fps, self.min_cutoff, self.beta)
                )
                gap = index - self.last.get(pid, index - 1)
                state = f(state, dt=max(gap, 1) / self.fps)
            self.last[pid] = index
            states.append((person, state))
        self._pose(states)
        return people

    @torch.inference_mode()
    def _pose(self, states: list) -> None:
        """Run the body model on the (smoothed) states and write them into the people."""
        from robosmplx.geometry.camera import project
        from robosmplx.geometry.rotations import matrix_to_axis_angle

        dev = self.p.device
        keys = [k for k in states[0][1] if k != "transl"]
        batch = {
            k: torch.as_tensor(np.stack([s[k] for _, s in states]), device=dev).float()
            for k in keys
        }
        transl = torch.as_tensor(np.stack([s["transl"] for _, s in states]), device=dev).float()
        out = self.p.body(**batch)
        k = torch.as_tensor(np.stack([p.K for p, _ in states]), device=dev).float()
        verts = out.vertices + transl[:, None]
        kp3 = out.keypoints + transl[:, None]
        uv = project(kp3, k)
        for i, (person, _) in enumerate(states):
            for g in person.rotmats:
                m = batch[f"{g}_rotmat"][i]
                person.rotmats[g] = m.cpu().numpy()
                person.params[g] = matrix_to_axis_angle(m).reshape(-1).cpu().numpy()
            for name in person.params:
                if name not in person.rotmats:
                    person.params[name] = batch[name][i].cpu().numpy()
            person.transl = transl[i].cpu().numpy()
            person.vertices = verts[i].cpu().numpy()
            person.keypoints3d = kp3[i].cpu().numpy()
            person.keypoints2d = uv[i].cpu().numpy()


def iter_video(
    predictor, path, boxes=None, smooth: bool = True, reader=None
) -> Iterator[FramePrediction]:
    """Predict frame by frame (``predictor.batch_size`` frames per network batch).

    boxes: {frame index: (N, 4|5) xywh in original pixels}; a frame missing from a given dict
    has nobody in it. Broken frames come out with ``broken=True`` and no people.
    """
    reader = reader or VideoReader(path, predictor.max_side)
    smoother = TrackSmoother(predictor, reader.info.fps, smooth)
    batch: list[tuple[int, np.ndarray]] = []

    def flush():
        frames = [LoadedImage(f, reader.path, (), reader.scale) for _, f in batch]
        bxs = None
        if boxes is not None:
            bxs = [boxes.get(i, np.zeros((0, 4))) for i, _ in batch]
        for (i, _), pred in zip(batch, predictor.predict_frames(frames, bxs)):
            people = smoother(i, pred.people)
            yield FramePrediction(i, people, pred.image, reader.scale, skipped=pred.skipped)
        batch.clear()

    for index, frame in reader:
        if frame is None:
            yield from flush()
            yield FramePrediction(index, [], None, reader.scale, broken=True)
            continue
        batch.append((index, frame))
        if len(batch) >= predictor.batch_size:
            yield from flush()
    yield from flush()


def collect_video(predictor, path, boxes=None, smooth=True, keep_vertices=False) -> VideoPrediction:
    """Run :func:`iter_video` to the end and gather frames and tracks."""
    reader = VideoReader(path, predictor.max_side)
    frames, tracks = [], {}
    for fr in iter_video(predictor, path, boxes, smooth, reader):
        for p in fr.people:
            tracks.setdefault(p.track_id, Track(p.track_id, p.K)).add(p, keep_vertices)
            if not keep_vertices:
                p.vertices = None
        fr.image = None
        frames.append(fr)
    return VideoPrediction(reader.info, frames, tracks, list(reader.broken))
