"""``robosmplx predict INPUT... --out DIR``: whole-body meshes and parameters for images,
folders and videos. A thin layer over :class:`robosmplx.infer.predictor.Predictor`; the output
layout and camera meaning are in docs/inference.md."""

from __future__ import annotations

import argparse
import sys

from robosmplx import argtypes


def add_common_arguments(p: argparse.ArgumentParser) -> None:
    """Options shared by ``predict`` and ``demo``."""
    p.add_argument(
        "--checkpoint",
        default=None,
        help="model: NAME.safetensors (+ NAME.yaml), a training checkpoint or run folder "
        "(default: the bundled default model)",
    )
    p.add_argument("--body-model", default=None, help="override the checkpoint's body model")
    p.add_argument(
        "--model-dir", default=None, help="SMPL-X family files (else $ROBOSMPLX_MODEL_DIR)"
    )
    p.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    p.add_argument(
        "--batch-size",
        type=argtypes.positive_int,
        default=8,
        help="crops per network call (default 8)",
    )
    p.add_argument(
        "--rounds",
        type=argtypes.positive_int,
        default=2,
        help="network passes without boxes: the whole image, then the box of the previous "
        "pass's body keypoints (default 2; 1: whole image only)",
    )
    p.add_argument(
        "--mesh-format",
        nargs="+",
        default=["obj"],
        choices=["obj", "ply", "glb", "none"],
        help="mesh files per person (default obj; 'none' for no meshes)",
    )
    p.add_argument(
        "--refine",
        default=None,
        choices=["none", "landmarks"],
        help="landmarks: person, hand and face boxes from pretrained landmark models, then each "
        "person's body model fitted to the landmarks (needs the landmarks extra); none: the "
        "network alone (default: landmarks when installed)",
    )
    p.add_argument(
        "--no-fit",
        action="store_true",
        help="with --refine landmarks: use the landmark boxes but skip the test-time fit",
    )
    p.add_argument(
        "--camera",
        default="world",
        choices=["world", "camera"],
        help="frame of the mesh files: world (metres, Y up, camera at the origin looking "
        "down -Z; default) or camera (OpenCV: Y down, Z forward); parameters are always in "
        "the camera frame",
    )
    p.add_argument(
        "--focal",
        type=float,
        default=None,
        help="the photos' focal length in pixels of the original image (default: from EXIF, "
        "else the image diagonal, a 53-degree diagonal field of view)",
    )
    p.add_argument("--no-render", action="store_true", help="skip overlay and side-view pictures")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--quiet", action="store_true", help="no progress bar")  # fmt: skip


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, folders, video files")
    p.add_argument(
        "--out", required=True, type=argtypes.out_folder,
        help="output folder (one sub-folder per input)",
    )  # fmt: skip
    p.add_argument("--boxes", default=None, help="JSON file of person boxes (docs/inference.md)")
    p.add_argument(
        "--detector",
        default=None,
        help="person-detector plugin: an entry-point name or package.module:Factory",
    )
    p.add_argument(
        "--detector-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="keyword argument for the detector factory (repeatable), e.g. weights=det.pt",
    )
    p.add_argument(
        "--det-threshold", type=argtypes.unit_interval, default=0.5, help="detector score threshold"
    )
    p.add_argument(
        "--min-score",
        type=argtypes.unit_interval,
        default=0.0,
        help="drop people whose keypoint agreement score is lower (0..1, default 0: keep all)",
    )
    p.add_argument("--no-smooth", action="store_true", help="videos: no One-Euro smoothing")
    p.add_argument(
        "--video-meshes", action="store_true", help="videos: a mesh per person per frame"
    )
    p.add_argument(
        "--max-side",
        type=argtypes.positive_int,
        default=4096,
        help="downscale larger inputs to this",
    )
    add_common_arguments(p)


def mesh_formats(values: list[str]) -> tuple[str, ...]:
    return () if "none" in values else tuple(dict.fromkeys(values))


def build_predictor(args, detector=None):
    from robosmplx.infer.predictor import Predictor

    return Predictor(
        args.checkpoint,
        device=args.device,
        body_model=args.body_model,
        model_dir=args.model_dir,
        rounds=args.rounds,
        batch_size=args.batch_size,
        min_score=getattr(args, "min_score", 0.0),
        detector=detector,
        detector_threshold=getattr(args, "det_threshold", 0.5),
        max_side=getattr(args, "max_side", 4096),
        focal=getattr(args, "focal", None),
        refine=getattr(args, "refine", None) or "auto",
        fit=not getattr(args, "no_fit", False),
    )


class Progress:
    """A rich progress bar over inputs (and the frames of a video) on stderr; off when silent."""

    def __init__(self, total: int, enabled: bool):
        self.bar, self.frames, self.started = None, None, 0
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress

            self.bar = RichProgress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), console=Console(stderr=True), transient=True,
            )  # fmt: skip
            self.files = self.bar.add_task("inputs", total=total)

    def __enter__(self):
        if self.bar:
            self.bar.__enter__()
        return self

    def __exit__(self, *exc):
        if self.bar:
            self.bar.__exit__(*exc)

    def start(self, path, kind: str, frames: int | None) -> None:
        """A new input begins (the previous one is done)."""
        if not self.bar:
            return
        if self.frames is not None:
            self.bar.remove_task(self.frames)
            self.frames = None
        if self.started:
            self.bar.advance(self.files)
        self.started += 1
        self.bar.update(self.files, description=path.name)
        if kind == "video":
            self.frames = self.bar.add_task("frames", total=frames)

    def frame(self) -> None:
        if self.bar and self.frames is not None:
            self.bar.advance(self.frames)


def print_summary(reports, out_dir, failures: list[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"robosmplx predict -> {out_dir}")
    for col in ("input", "kind", "people", "frames", "time", "status"):
        table.add_column(col, justify="right" if col in ("people", "frames", "time") else "left")
    for r in reports:
        status = "[green]ok[/]" if r.status == "ok" else "[red]failed[/]"
        frames = f"{r.frames} ({r.broken_frames} broken)" if r.kind == "video" else ""
        table.add_row(r.input, r.kind, str(r.people), frames, f"{r.seconds:.1f}s", status)
    Console().print(table)
    for line in failures:
        print(f"robosmplx predict: error: {line}", file=sys.stderr)


def run(args) -> int:
    from pathlib import Path

    from robosmplx.infer.boxes_io import load_boxes
    from robosmplx.infer.detector import load_detector, parse_options
    from robosmplx.infer.images import expand_inputs
    from robosmplx.infer.runner import WriteOptions, process_inputs

    out_dir = Path(args.out)
    files, input_errors = expand_inputs(args.inputs)
    boxes = load_boxes(args.boxes) if args.boxes else None
    detector = None
    if args.detector:
        detector = load_detector(args.detector, parse_options(args.detector_option))
    predictor = build_predictor(args, detector)
    if predictor.refine_note and not args.json:
        print(f"robosmplx predict: note: {predictor.refine_note}", file=sys.stderr)
    options = WriteOptions(
        mesh_formats=mesh_formats(args.mesh_format),
        render=not args.no_render,
        smooth=not args.no_smooth,
        video_meshes=args.video_meshes,
        frame=args.camera,
    )
    with Progress(len(files), not (args.quiet or args.json)) as bar:
        reports = process_inputs(
            predictor, files, out_dir, boxes, options, on_start=bar.start, on_frame=bar.frame
        )
    failures = input_errors + [r.error for r in reports if r.error]
    summary = {
        "out": str(out_dir),
        "checkpoint": str(predictor.info.weights),
        "body_model": predictor.body_model_name,
        "refine": predictor.refine,
        "inputs": [r.to_dict() for r in reports],
        "input_errors": input_errors,
        "failed": len(failures),
    }
    if reports:
        from robosmplx.infer.writer import write_json

        write_json(out_dir / "summary.json", summary, atomic=True)
    if args.json:
        from robosmplx.cli import print_json

        print_json(summary)
        for line in failures:
            print(f"robosmplx predict: error: {line}", file=sys.stderr)
    else:
        print_summary(reports, out_dir, failures)
    return 1 if failures else 0
