"""``robosmplx bench render``: soft part masks (forward + backward) and a shaded overlay.

The body model (default Anny, full mesh) at rest is placed 2.5 m in front of a camera whose
focal length is 1.2 x the image side (the person spans about 3/4 of the image height), a batch
of copies shifted by a few centimetres. Timed: ``soft_part_masks`` at 64 and 128 px with a
cross-entropy loss against the hard part map of a slightly moved mesh, through ``backward``;
one 512 x 512 ``render_overlay`` (hard rasterization, shading, alpha blend); the hard
``rasterize`` alone. Each number is the median of ``--runs`` runs after ``--warmup``; the
machine's load average is reported beside them, since other work on the CPU slows every run.
"""

from __future__ import annotations

import argparse

DISTANCE_M = 2.5
FOCAL_PER_PIXEL = 1.2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--body", default="anny", help="body model to render (default anny)")
    parser.add_argument("--batch", type=int, default=8, help="meshes per soft render")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per measurement")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs first")


def run(args: argparse.Namespace) -> dict:
    import os
    import statistics
    import time

    import numpy as np
    import torch

    from robosmplx.body import load_body_model
    from robosmplx.geometry.camera import CANONICAL_TO_CAMERA
    from robosmplx.render import (
        DEFAULT_GAMMA,
        DEFAULT_SIGMA,
        part_map,
        rasterize,
        render_overlay,
        soft_part_masks,
    )

    torch.manual_seed(0)
    model = load_body_model(args.body)
    with torch.no_grad():
        rest = model(**model.neutral_params(1)).vertices[0]  # (V, 3) canonical
    verts = rest @ CANONICAL_TO_CAMERA.T + torch.tensor([0.0, 0.0, DISTANCE_M])  # (V, 3) camera
    faces = model.faces
    labels = model.body_part_labels
    num_parts = len(model.part_layout.body_parts)
    jitter = torch.randn(args.batch, 1, 3) * torch.tensor([0.03, 0.03, 0.05])
    batch_verts = verts[None] + jitter  # (B, V, 3)

    def camera(size: int, batch: int) -> torch.Tensor:
        f = FOCAL_PER_PIXEL * size
        k = torch.tensor([[f, 0.0, (size - 1) / 2], [0.0, f, (size - 1) / 2], [0.0, 0.0, 1.0]])
        return k.expand(batch, 3, 3)

    def timed(fn) -> dict:
        times = []
        for i in range(args.warmup + args.runs):
            t0 = time.perf_counter()
            fn()
            if i >= args.warmup:
                times.append(time.perf_counter() - t0)
        return {"median": statistics.median(times), "min": min(times), "max": max(times)}

    result: dict = {"load_average_1min_before": os.getloadavg()[0]}
    for size in (64, 128):
        k = camera(size, args.batch)
        target = part_map(
            batch_verts + torch.tensor([0.02, 0.0, 0.0]), faces, k, (size, size), labels, num_parts
        )  # (B, S, S) long

        def soft_step(k=k, size=size, target=target):
            v = batch_verts.clone().requires_grad_(True)
            probs = soft_part_masks(v, faces, k, (size, size), labels, num_parts)
            loss = torch.nn.functional.nll_loss(torch.log(probs.clamp_min(1e-8)), target)
            loss.backward()

        t = timed(soft_step)
        result[f"soft_{size}_fwd_bwd_s"] = t["median"]
        result[f"soft_{size}_fwd_bwd_min_max_s"] = [t["min"], t["max"]]

    k512 = camera(512, 1)[0]
    image = (np.random.default_rng(0).random((512, 512, 3)) * 255).astype(np.uint8)
    t = timed(lambda: render_overlay(image, [(verts, faces)], k512))
    result["overlay_512_s"] = t["median"]
    result["overlay_512_min_max_s"] = [t["min"], t["max"]]
    t = timed(lambda: rasterize(verts[None], faces, k512[None], (512, 512)))
    result["rasterize_512_s"] = t["median"]
    result.update(
        {
            "body_model": args.body,
            "num_vertices": int(verts.shape[0]),
            "num_faces": int(faces.shape[0]),
            "batch": args.batch,
            "num_parts": num_parts,
            "sigma_px2": DEFAULT_SIGMA,
            "gamma_m": DEFAULT_GAMMA,
            "distance_m": DISTANCE_M,
            "focal_per_image_side": FOCAL_PER_PIXEL,
            "runs": args.runs,
            "torch_threads": torch.get_num_threads(),
            "load_average_1min_after": os.getloadavg()[0],
        }
    )
    return result
