"""``robosmplx bench predict``: end-to-end seconds per image of ``robosmplx predict``, and the
share of it spent outside the network.

For the ``paper`` preset and the default model (the bundled checkpoint; without one, the
``small`` preset, said so in ``default_source``), on ``--images`` synthetic JPEGs of
``--size`` px: decode, whole-image mode (``--rounds`` network passes), body model, parameter
files and one .obj per person, written as the CLI does; then again with the overlay and side
view. Weights do not change the cost: presets are built with random weights. The paper
architecture is sized for Anny (SMPL-X's files are not bundled; its heads differ by well under
one percent of the compute). One image is run first, untimed (allocations, kernel choice);
the numbers are medians over the timed images.
"""

from __future__ import annotations

import argparse

from robosmplx.errors import RoboSMPLXError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--images", type=int, default=4, help="timed images per model")
    parser.add_argument("--size", type=int, default=512, help="image side in pixels")
    parser.add_argument("--rounds", type=int, default=2, help="network passes per image")
    parser.add_argument(
        "--models", nargs="+", default=["paper", "default"], help="'default' and/or presets"
    )


def _images(folder, count: int, size: int) -> list:
    """``count + 1`` synthetic whole-body JPEGs (one for warm-up)."""
    import io

    from PIL import Image

    from robosmplx.io import atomic_write_bytes
    from robosmplx.synth.config import SynthConfig
    from robosmplx.synth.generate import build_tables
    from robosmplx.synth.render_sample import make_sample

    cfg = SynthConfig(task="wholebody", size=size, seed=11, body_model="anny")
    tables = build_tables(cfg)
    paths = []
    for i in range(count + 1):
        buf = io.BytesIO()
        Image.fromarray(make_sample(cfg, tables, i).image).save(buf, format="JPEG", quality=90)
        paths.append(atomic_write_bytes(folder / f"bench_{i}.jpg", buf.getvalue()))
    return paths


def _model(name: str):
    """(network, body model, where it came from)."""
    from robosmplx.body import load_body_model
    from robosmplx.infer.loading import DEFAULT_CHECKPOINT, load_for_inference
    from robosmplx.models import build_model

    if name == "default":
        if DEFAULT_CHECKPOINT.is_file():
            net, body, info = load_for_inference(DEFAULT_CHECKPOINT)
            return net, body, f"bundled checkpoint ({info.body_model})"
        name, source = "small", "no bundled default checkpoint yet: the small preset (anny)"
    else:
        source = f"{name} preset sized for anny"
    body = load_body_model("anny")
    return build_model(name, body=body).eval(), body, source


def _time(predictor, files, out, render: bool) -> dict:
    """Per image: wall time of the whole CLI path and the network's part of it; medians (the
    machine may be shared, and a median ignores the odd stall). The overhead share is the
    median of the per-image shares (a stall slows both parts of an image alike)."""
    import statistics
    import time

    from robosmplx.infer.runner import WriteOptions, process_inputs

    totals, nets, parts = [], [], {}
    for f in files:
        predictor.timings.clear()
        t0 = time.perf_counter()
        reports = process_inputs(predictor, [f], out, None, WriteOptions(render=render))
        totals.append(time.perf_counter() - t0)
        if reports[0].status != "ok":
            raise RoboSMPLXError(f"bench predict: {reports[0].error}")
        nets.append(predictor.timings["network"])
        for k, v in predictor.timings.items():
            parts.setdefault(k, []).append(v)
    total, net = statistics.median(totals), statistics.median(nets)
    shares = [(t - n) / t for t, n in zip(totals, nets)]
    return {
        "s_per_image": total,
        "min_s_per_image": min(totals),
        "network_s_per_image": net,
        "outside_network_s_per_image": total - net,
        "overhead_share": statistics.median(shares),
        "breakdown_s_per_image": {k: statistics.median(v) for k, v in sorted(parts.items())},
    }


def run(args: argparse.Namespace) -> dict:
    import platform
    import tempfile
    from pathlib import Path

    import torch

    from robosmplx.infer.predictor import Predictor
    from robosmplx.infer.runner import WriteOptions, process_inputs

    threads = getattr(args, "threads", 2)
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    result: dict = {"images": args.images, "image_size": args.size, "rounds": args.rounds}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        files = _images(tmp, args.images, args.size)
        warm, timed = files[:1], files[1:]
        models = {}
        for name in args.models:
            net, body, source = _model(name)
            pred = Predictor.from_network(net, body, rounds=args.rounds, batch_size=8)
            pred.sync_timings = True  # per-stage timings are what this benchmark reports
            process_inputs(pred, warm, tmp / "warm", None, WriteOptions(render=True))
            plain = _time(pred, timed, tmp / f"{name}_plain", render=False)
            drawn = _time(pred, timed, tmp / f"{name}_render", render=True)
            models[name] = {
                "source": source,
                "body_model": body.name,
                **plain,
                "with_rendering_s_per_image": drawn["s_per_image"],
                "rendering_s_per_image": drawn["s_per_image"] - plain["s_per_image"],
            }
    result["models"] = models
    for key in ("paper", "default"):
        if key in models:
            result[f"{key}_s_per_image"] = models[key]["s_per_image"]
    if "default" in models:
        result["default_source"] = models["default"]["source"]
    result["overhead_share"] = max(m["overhead_share"] for m in models.values())
    result["overhead_target"] = 0.15
    result["device"] = "cpu"
    result["threads"] = threads
    result["cpu"] = platform.processor() or platform.machine()
    return result
