"""Running a :class:`Predictor` over inputs and writing each input's folder atomically: what
``robosmplx predict`` and ``robosmplx demo`` do for every file, one bad file never stopping
the others."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from robosmplx.errors import RoboSMPLXError
from robosmplx.infer.images import is_video
from robosmplx.infer.writer import (
    PICTURE_MAX_SIDE,
    OutputFolder,
    fit_picture,
    render_overlay_image,
    unique_names,
    write_image_outputs,
    write_json,
)
from robosmplx.io import sweep_leftovers


@dataclass(frozen=True)
class WriteOptions:
    """mesh_formats: any of obj/ply/glb (empty: no meshes). render: overlay and side view.
    smooth: One-Euro on video tracks. video_meshes: one mesh per person per video frame.
    frame: the mesh files' frame, ``world`` (Y up) or ``camera`` (see infer/export.py)."""

    mesh_formats: tuple[str, ...] = ("obj",)
    render: bool = True
    smooth: bool = True
    video_meshes: bool = False
    frame: str = "world"


@dataclass
class InputReport:
    """How one input went: ``ok`` with its folder, or ``failed`` with a one-line error.
    people: distinct people (a video's tracks); person_frames: people summed over frames."""

    input: str
    kind: str
    status: str = "ok"
    error: str | None = None
    folder: str | None = None
    people: int = 0
    person_frames: int = 0
    frames: int = 0
    broken_frames: int = 0
    tracks: int = 0
    seconds: float = 0.0
    outputs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _error_line(path: Path, e: BaseException) -> str:
    msg = str(e) if isinstance(e, RoboSMPLXError) else f"{type(e).__name__}: {e}"
    msg = " ".join(msg.split())
    return msg if str(path) in msg else f"{path}: {msg}"


def process_inputs(
    predictor,
    files: list[Path],
    out_dir: Path,
    boxes=None,
    options: WriteOptions = WriteOptions(),
    on_start: Callable[[Path, str, int | None], None] | None = None,
    on_frame: Callable[[], None] | None = None,
    on_result: Callable[[Path, object], None] | None = None,
) -> list[InputReport]:
    """One report per file; each file's results go to ``out_dir/<unique stem>/``.
    ``on_result(path, ImagePrediction)`` sees every image's prediction once it is written."""
    sweep_leftovers(out_dir)  # what a killed run left half-written
    reports = []
    for path, name in zip(files, unique_names(files)):
        kind = "video" if is_video(path) else "image"
        rep = InputReport(str(path), kind)
        t0 = time.perf_counter()
        folder = OutputFolder(out_dir, name)
        try:
            with folder as tmp:
                if on_start:
                    on_start(path, kind, _frame_count(path) if kind == "video" else None)
                if kind == "video":
                    table = boxes.for_video(path) if boxes is not None else None
                    _video(predictor, path, tmp, table, options, rep, on_frame)
                else:
                    table = boxes.for_image(path) if boxes is not None else None
                    pred = _image(predictor, path, tmp, table, options, rep)
            if on_result and kind == "image":
                on_result(path, pred)
            rep.folder = str(folder.final)
            rep.outputs = [str(folder.final / f) for f in rep.outputs]
        except Exception as e:  # one bad input must not stop the others; reported in one line
            rep.status, rep.error, rep.outputs = "failed", _error_line(path, e), []
        rep.seconds = time.perf_counter() - t0
        reports.append(rep)
    return reports


def _frame_count(path: Path) -> int | None:
    import cv2

    from robosmplx.infer.video import open_capture

    cap = open_capture(path)
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0) if cap.isOpened() else 0
    cap.release()
    return n if n > 0 else None


def _image(predictor, path: Path, folder: Path, boxes, options: WriteOptions, rep: InputReport):
    pred = predictor.predict(path, boxes)
    doc = write_image_outputs(
        folder, pred, predictor.faces, options.mesh_formats, options.render, options.frame
    )
    rep.people = rep.person_frames = len(pred.people)
    rep.notes = list(pred.notes) + list(pred.skipped)
    if not pred.people:
        rep.notes.append("no person found")
    rep.outputs = [f for p in doc["people"] for f in p["files"]] + doc["pictures"] + ["result.json"]
    return pred


def _video(
    predictor, path: Path, folder: Path, boxes, options: WriteOptions, rep, on_frame
) -> None:
    from robosmplx.infer.export import save_mesh, save_params
    from robosmplx.infer.video import Track, VideoReader, VideoWriter, iter_video

    reader = VideoReader(path, predictor.max_side)
    info = reader.info
    size = (info.width, info.height)
    writer, last = None, None
    tracks: dict[int, Track] = {}
    per_frame = []
    try:
        for fr in iter_video(predictor, path, boxes, options.smooth, reader):
            if on_frame:
                on_frame()
            per_frame.append(
                {"frame": fr.index, "broken": fr.broken, "people": [p.track_id for p in fr.people],
                 "skipped": fr.skipped}
            )  # fmt: skip
            for p in fr.people:
                tracks.setdefault(p.track_id, Track(p.track_id, p.K)).add(p, False)
                if options.video_meshes and options.mesh_formats:
                    for fmt in options.mesh_formats:
                        stem = f"frame_{fr.index:06d}_track_{p.track_id}.{fmt}"
                        path = folder / "meshes" / stem
                        save_mesh(p.vertices, predictor.faces, path, None, False, options.frame)
            if not options.render:
                continue
            if fr.broken:
                frame = last
            elif fr.people:
                frame = render_overlay_image(fr.image, fr.scale, fr.people, predictor.faces)
            else:
                frame = fit_picture(fr.image, PICTURE_MAX_SIDE)[0]
            if frame is None:
                continue
            if writer is None:
                writer = VideoWriter(
                    folder / "overlay.mp4", info.fps, (frame.shape[1], frame.shape[0])
                )
            writer.write(frame)
            last = frame
        outputs = []
        if writer is not None:
            outputs.append(writer.close().name)
            writer = None
    finally:
        if writer is not None:
            writer.abort()
    for tid, tr in sorted(tracks.items()):
        rec = tr.record(size, predictor.body_model_name, info.fps)
        outputs += [p.name for p in save_params(rec, folder / f"track_{tid}", atomic=False)]
    doc = {
        "input": str(path),
        "fps": info.fps,
        "image_size": list(size),
        "frames_read": len(per_frame),
        "frame_count": info.frame_count,
        "broken_frames": list(reader.broken),
        "smoothed": options.smooth,
        "notes": info.notes,
        "tracks": {str(t): {"frames": len(tr.frames), "first": tr.frames[0], "last": tr.frames[-1]}
                   for t, tr in sorted(tracks.items())},
        "frames": per_frame,
    }  # fmt: skip
    write_json(folder / "result.json", doc)
    outputs.append("result.json")
    if options.video_meshes and options.mesh_formats and (folder / "meshes").is_dir():
        outputs += [f"meshes/{m.name}" for m in sorted((folder / "meshes").iterdir())]
    rep.frames, rep.broken_frames, rep.tracks = len(per_frame), len(reader.broken), len(tracks)
    rep.people = len(tracks)
    rep.person_frames = sum(len(f["people"]) for f in per_frame)
    rep.notes = list(info.notes)
    if reader.broken:
        rep.notes.append(f"{len(reader.broken)} broken frame(s) skipped: {reader.broken[:10]}")
    rep.outputs = outputs
