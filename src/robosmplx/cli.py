"""The ``robosmplx`` command. Each subcommand lives in its own module exposing
``add_arguments(parser)`` and ``run(args) -> int``; heavy imports happen inside ``run``."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import sys

from robosmplx import __version__
from robosmplx.errors import RoboSMPLXError

# name -> (module, one-line help, examples)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "demo": (
        "robosmplx.infer.demo_cmd",
        "run the bundled model on the bundled examples and report the error",
        "robosmplx demo\n  robosmplx demo --out /tmp/demo --json",
    ),
    "predict": (
        "robosmplx.infer.predict_cmd",
        "predict whole-body meshes and parameters for images, folders and videos",
        "robosmplx predict photo.jpg --out out/\n  robosmplx predict clip.mp4 --out out/ --boxes boxes.json",
    ),
    "annotate": (
        "robosmplx.infer.annotate",
        "pseudo ground truth (HumanData) from unlabelled photos and videos, by fitting to landmarks",
        "robosmplx annotate photos/ clip.mp4 --out data/mine.npz",
    ),
    "synth": (
        "robosmplx.synth.cli",
        "generate synthetic people with full ground truth (HumanData format)",
        "robosmplx synth --task body --count 100 --out data/synth_body --seed 0",
    ),
    "train": (
        "robosmplx.train.cli",
        "train a network from a YAML config with key=value overrides",
        "robosmplx train configs/cpu/hand.yaml trainer.max_steps=200",
    ),
    "data": (
        "robosmplx.data_cmd",
        "check a HumanData file: which loss terms of a stage it supervises",
        "robosmplx data check data.npz --stage body --json",
    ),
    "eval": (
        "robosmplx.eval.eval_cmd",
        "evaluate a checkpoint on a benchmark (HumanData file)",
        "robosmplx eval --checkpoint model/ --data test.npz --protocol synthetic",
    ),
    "robustness": (
        "robosmplx.eval.robustness_cmd",
        "sweep the ten perturbations and write tables and plots",
        "robosmplx robustness --checkpoint model/ --data test.npz --out robustness/",
    ),
    "ablate": (
        "robosmplx.ablate.cli",
        "the paper's module ablations on the Hand subnetwork (Tables 4, 9, 10, 11)",
        "robosmplx ablate --data data/synth/hand --test data/synth/hand_test --steps 300 --seeds 0 1",
    ),
    "export-onnx": (
        "robosmplx.infer.onnx_cmd",
        "export the whole-body network to ONNX and check it against PyTorch",
        "robosmplx export-onnx --checkpoint model/ --out model.onnx",
    ),
    "info": (
        "robosmplx.info_cmd",
        "body models available, parameter sizes, network parameter and FLOP counts",
        "robosmplx info --json\n  robosmplx info --model paper --json",
    ),
    "landmarks": (
        "robosmplx.landmarks.cli",
        "fetch the pretrained landmark models once; run them on images (JSON)",
        "robosmplx landmarks fetch\n  robosmplx landmarks run photo.jpg",
    ),
    "eval-real": (
        "robosmplx.eval.real",
        "score predict outputs against COCO-style 2D keypoints of real photos (JSON)",
        "robosmplx eval-real real-dev/ results/ --json",
    ),
    "bench": (
        "robosmplx.bench.cli",
        "performance benchmarks (JSON out)",
        "robosmplx bench render --json\n  robosmplx bench model --json",
    ),
}


def _available(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


class _Parser(argparse.ArgumentParser):
    """Usage errors (a bad option value, see robosmplx.argtypes) as one line, exit code 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="robosmplx",
        description="Robust whole-body 3D human pose and shape estimation from a single image.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Start with: robosmplx demo",
    )
    parser.add_argument("--version", action="version", version=f"robosmplx {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, helptext, examples) in COMMANDS.items():
        if not _available(module):
            continue
        p = sub.add_parser(
            name,
            help=helptext,
            description=helptext,
            epilog=f"examples:\n  {examples}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        importlib.import_module(module).add_arguments(p)
        p.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return int(importlib.import_module(args._module).run(args) or 0)
    except RoboSMPLXError as e:
        print(f"robosmplx {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"robosmplx {args.command}: interrupted", file=sys.stderr)
        return 130


def print_json(obj) -> None:
    """Print a JSON object on stdout (what ``--json`` commands emit)."""
    print(json.dumps(obj, indent=2, sort_keys=False, default=str))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
