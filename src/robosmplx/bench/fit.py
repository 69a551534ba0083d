"""``robosmplx bench fit``: seconds of the test-time fit per photo, by the number of people.

For each people count (``--people``, default 1,3,6) the synthetic engine draws that many
people (:mod:`robosmplx.fit.synthetic`: evidence made from their true pose with 1 px and 1 cm
noise, masks included) in a 512 px photo, and ``fit_people`` starts from a rest pose facing
the camera 5 m away (a worse start than a network's). Timed: the whole call, median of
``--runs`` after one warm-up (which builds the correspondences and the pose prior), and the
process's CPU seconds for it (``fit_cpu_s``: with one thread, about the wall time on an idle
core, whatever else runs on the machine). Reported
beside the times: the PA-MPJPE of the first 14 body joints before and after (mean over the
people of the last run), how many fits succeeded, the per-term losses of the first person,
and the machine's load average, since other work on the CPU slows every run.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--body", default="anny", help="body model (default anny, full mesh)")
    parser.add_argument("--people", default="1,3,6", help="comma-separated people counts")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per people count")
    parser.add_argument("--size", type=int, default=512, help="photo side in pixels")
    parser.add_argument("--no-silhouette", action="store_true", help="fit without the mask term")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic people")
    parser.add_argument(
        "--fit-threads", type=int, default=1,
        help="torch threads inside the fit (FitConfig.threads, default 1; 0: --threads)",
    )  # fmt: skip


def _pa_mpjpe_mm(body, params, truth) -> float:
    import torch

    from robosmplx.geometry.procrustes import procrustes_align

    idx = torch.tensor(body.keypoint_layout.subsets["body"][:14])
    with torch.no_grad():
        a = body(**params).keypoints[:, idx]
        b = body(**truth).keypoints[:, idx]
    return float((procrustes_align(a, b) - b).norm(dim=-1).mean() * 1000.0)


def run(args: argparse.Namespace) -> dict:
    import os
    import statistics
    import time

    import torch

    from robosmplx.body import load_body_model
    from robosmplx.config import to_dict
    from robosmplx.fit import FitConfig, fit_people
    from robosmplx.fit.synthetic import synthetic_people
    from robosmplx.geometry.camera import CANONICAL_TO_CAMERA

    body = load_body_model(args.body)
    cfg = FitConfig(
        silhouette=not args.no_silhouette, threads=args.fit_threads if args.fit_threads else None
    )
    out: dict = {"body_model": args.body, "load_average_1min_before": os.getloadavg()[0]}
    for n in [int(v) for v in args.people.split(",") if v]:
        syn = synthetic_people(body, n=n, seed=args.seed, image_size=(args.size, args.size))
        start = body.neutral_params(n)
        start.pop("transl")
        start["global_orient_rotmat"] = CANONICAL_TO_CAMERA.expand(n, 1, 3, 3).clone()
        transl = torch.tensor([[0.0, 0.0, 5.0]]).expand(n, 3).clone()
        times, cpu = [], []
        for i in range(args.runs + 1):
            c0 = time.process_time()
            res = fit_people(body, start, transl, syn.K, syn.evidence, syn.image_size, cfg)
            if i > 0:
                times.append(res.seconds)
                cpu.append(time.process_time() - c0)
        out[f"people_{n}"] = {
            "fit_s": round(statistics.median(times), 3),
            "fit_min_max_s": [round(min(times), 3), round(max(times), 3)],
            "fit_s_per_person": round(statistics.median(times) / n, 3),
            "fit_cpu_s": round(statistics.median(cpu), 3),
            "pa_mpjpe_mm_before": round(_pa_mpjpe_mm(body, start, syn.params), 1),
            "pa_mpjpe_mm_after": round(_pa_mpjpe_mm(body, res.params, syn.params), 1),
            "ok": sum(res.ok),
            "losses_first_person": {k: round(v, 4) for k, v in res.losses[0].items()},
        }
    out["load_average_1min_after"] = os.getloadavg()[0]
    out["fit_config"] = to_dict(cfg)
    out["image_size"] = args.size
    out["runs"] = args.runs
    return out
