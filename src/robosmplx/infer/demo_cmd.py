"""``robosmplx demo``: the bundled model on the bundled example images; writes the usual
outputs to ./robosmplx_demo/ (or --out), says where the pictures are and how far the meshes
are from the ground truth (PA-PVE and PVE in mm, whole body)."""

from __future__ import annotations

import argparse
import math
import sys

from robosmplx import argtypes


def add_arguments(p: argparse.ArgumentParser) -> None:
    from robosmplx.infer.predict_cmd import add_common_arguments

    p.add_argument(
        "--out",
        default="robosmplx_demo",
        type=argtypes.out_folder,
        help="output folder (default ./robosmplx_demo)",
    )
    p.add_argument("--examples", default=None, help=argparse.SUPPRESS)  # other example folder
    add_common_arguments(p)


def _mean(values: list[float]) -> float | None:
    good = [v for v in values if not math.isnan(v)]
    return sum(good) / len(good) if good else None


def run(args) -> int:
    from pathlib import Path

    from robosmplx.infer.examples import EXAMPLES_DIR, load_examples, score_people
    from robosmplx.infer.predict_cmd import Progress, build_predictor, mesh_formats
    from robosmplx.infer.runner import WriteOptions, process_inputs

    examples = load_examples(args.examples or EXAMPLES_DIR)
    predictor = build_predictor(args)
    by_path = {e.image: e for e in examples}
    gt_spec = set(examples[0].params) if examples else set()
    comparable = gt_spec == {g.name for g in predictor.body.spec.groups}
    scores: dict[str, dict] = {}

    def on_result(path, pred) -> None:
        if comparable:
            scores[str(path)] = score_people(predictor.body, by_path[path], pred.people)

    options = WriteOptions(
        mesh_formats=mesh_formats(args.mesh_format), render=not args.no_render, frame=args.camera
    )
    out_dir = Path(args.out)
    with Progress(len(examples), not (args.quiet or args.json)) as bar:
        reports = process_inputs(
            predictor, [e.image for e in examples], out_dir, None, options,
            on_start=bar.start, on_result=on_result,
        )  # fmt: skip
    failed = [r for r in reports if r.status != "ok"]
    pictures = [o for r in reports for o in r.outputs if o.endswith(".png")]
    per_example = []
    for r in reports:
        s = scores.get(r.input, {})
        per_example.append({"input": r.input, "folder": r.folder, "people": r.people, **s})
    pa = _mean([s["pa_pve_mm"] for s in scores.values()])
    pv = _mean([s["pve_mm"] for s in scores.values()])
    note = None
    if not comparable:
        note = (
            f"the examples are annotated for {examples[0].body_model!r}; body model "
            f"{predictor.body_model_name!r} has other parameters, so no error is computed"
        )
    result = {
        "out": str(out_dir),
        "checkpoint": str(predictor.info.weights),
        "body_model": predictor.body_model_name,
        "outputs": [o for r in reports for o in r.outputs],
        "pictures": pictures,
        "pa_pve_mm": pa,
        "pve_mm": pv,
        "per_example": per_example,
        "failed": [r.error for r in failed],
        "note": note,
    }
    if args.json:
        from robosmplx.cli import print_json

        print_json(result)
    else:
        print(f"robosmplx demo: {len(examples)} example images -> {out_dir}/")
        for e in per_example:
            err = (
                f"PA-PVE {e['pa_pve_mm']:.1f} mm, PVE {e['pve_mm']:.1f} mm"
                if e.get("matched") else "no person matched"
            )  # fmt: skip
            print(
                f"  {Path(e['input']).name}: {e['people']} person(s), {err if comparable else '-'}"
            )
        if pictures:
            print(f"pictures (overlay and side view): {Path(pictures[0]).parent.parent}/*/*.png")
        if pa is not None:
            print(f"whole body, mean over examples: PA-PVE {pa:.1f} mm, PVE {pv:.1f} mm")
        if note:
            print(f"note: {note}")
    for r in failed:
        print(f"robosmplx demo: error: {r.error}", file=sys.stderr)
    return 1 if failed else 0
