"""``robosmplx export-onnx --checkpoint P --out model.onnx``: the whole-body network as one ONNX
graph (source crop in, parameters out; signature in docs/inference.md), checked against PyTorch
with ONNX Runtime. Writes ``model.onnx.json`` beside it: sizes, normalisation, camera."""

from __future__ import annotations

import argparse

from robosmplx import argtypes


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", default=None, help="model to export (default: bundled default)")
    p.add_argument("--out", required=True, type=argtypes.out_file, help="the .onnx file to write")
    p.add_argument("--no-check", action="store_true", help="skip the ONNX Runtime comparison")
    p.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args) -> int:
    from pathlib import Path

    from robosmplx.infer.cropping import BOX_SCALE, virtual_focal
    from robosmplx.infer.loading import checkpoint_body_model, resolve_checkpoint
    from robosmplx.infer.onnx_export import _require_onnx, export_onnx
    from robosmplx.infer.writer import write_json
    from robosmplx.models.checkpoint import load_model, read_model_config

    _require_onnx()
    weights = resolve_checkpoint(args.checkpoint)
    kind, cfg = read_model_config(weights)
    net = load_model(weights).eval()
    report = export_onnx(net, Path(args.out), check=not args.no_check)
    body, _ = checkpoint_body_model(weights, cfg) if kind == "wholebody" else (None, None)
    s = cfg.body.input_size
    report.update(
        {
            "checkpoint": str(weights),
            "body_model": body,
            "normalisation": {"mean": list(cfg.mean), "std": list(cfg.std)},
            "crop": f"square region of {BOX_SCALE} x the person box's long side, resized to "
            f"{cfg.source_size}",
            "virtual_focal": virtual_focal(s),
            "camera": "transl = (tx, ty, 2 f / (S s)) with f = virtual_focal and S = body_input_size; "
            "full-image K: f * side / S, principal point at the region's centre",
        }
    )
    meta = write_json(Path(str(args.out) + ".json"), report, atomic=True)
    report["metadata"] = str(meta)
    if args.json:
        from robosmplx.cli import print_json

        print_json(report)
    else:
        print(f"wrote {report['onnx']} ({report['bytes'] / 1e6:.1f} MB) and {meta}")
        if "max_abs_diff" in report:
            worst = max(report["max_abs_diff"].values())
            print(f"ONNX Runtime vs PyTorch: max |difference| {worst:.2e} (passed)")
    return 0
