"""``robosmplx bench train``: training throughput (images per second) of the small and paper
whole-body presets on this machine's CPU.

One training step = forward, the stage's full objective (eq. 1 with its default weights, body
model posed on the predictions), backward and an Adam step, on a synthetic batch with complete
ground truth at the preset's input size (small: 256 source / 128 body crop, paper: 512 / 256).
Both networks are sized for the Anny body model (the paper preset's own SMPL-X needs licensed
files; the network cost differs only in the heads). Steps after ``--warmup`` are timed.
"""

from __future__ import annotations

import argparse
import time

import torch

PRESETS = {"small": "small", "paper": "paper"}
STAGE_PRESETS = {
    "wholebody": {"small": "small", "paper": "paper"},
    "body": {"small": "small-body", "paper": "paper-body"},
    "hand": {"small": "small-hand", "paper": "paper-hand"},
    "face": {"small": "small-face", "paper": "paper-face"},
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--stage",
        default="wholebody",
        choices=sorted(STAGE_PRESETS),
        help="training stage (default wholebody)",
    )
    p.add_argument(
        "--body-model", default="anny", help="body model the networks are sized for (default anny)"
    )
    p.add_argument(
        "--small-batch", type=int, default=4, help="batch of the small preset (default 4)"
    )
    p.add_argument(
        "--paper-batch", type=int, default=2, help="batch of the paper preset (default 2)"
    )
    p.add_argument("--steps", type=int, default=2, help="timed steps per preset (default 2)")
    p.add_argument("--warmup", type=int, default=1, help="untimed steps first (default 1)")


def synthetic_batch(
    body_model, stage: str, size: int, batch: int, seed: int = 0
) -> dict[str, torch.Tensor]:
    """A batch with complete ground truth: random images, slightly posed people in front of the
    virtual crop camera, keypoints, parameters, part maps and part boxes."""
    from robosmplx.geometry.camera import CANONICAL_TO_CAMERA, crop_intrinsics, project
    from robosmplx.geometry.rotations import axis_angle_to_matrix
    from robosmplx.train.objective import focal_for

    g = torch.Generator().manual_seed(seed)
    params = {}
    for gr in body_model.spec.groups:
        if gr.kind == "rotation":
            r = axis_angle_to_matrix(torch.randn(batch, gr.size, 3, generator=g) * 0.1)
            if gr.name == "global_orient":
                r = CANONICAL_TO_CAMERA @ r
            params[f"{gr.name}_rotmat"] = r
        else:
            params[gr.name] = body_model.vector_default(gr.name).expand(batch, gr.size).clone()
    focal = focal_for(size)
    transl = torch.tensor([0.0, 0.0, 2.0 * focal / (size * 0.9)]).expand(batch, 3)
    with torch.no_grad():
        out = body_model(transl=transl, **params)
    k = crop_intrinsics(focal, size, batch)
    uv = project(out.keypoints, k)  # (B, K, 2)
    ones = torch.ones(*uv.shape[:2], 1)
    out_b = {
        "img": torch.randn(batch, 3, size, size, generator=g),
        "gt_keypoints2d": torch.cat((uv, ones), -1),
        "gt_keypoints3d": torch.cat((out.keypoints, ones), -1),
        "gt_transl": transl.clone(),
        "gt_K": k,
        "has_keypoints3d": torch.ones(batch),
        "has_segm": torch.ones(batch),
        "has_transl": torch.ones(batch),
    }
    for name, v in params.items():
        group = name[: -len("_rotmat")] if name.endswith("_rotmat") else name
        out_b[f"gt_{name}"] = v
        out_b[f"has_{group}"] = torch.ones(batch)
    part = {"wholebody": "body"}.get(stage, stage)
    parts = body_model.part_layout.counts[part]
    out_b["gt_part_segm"] = torch.randint(0, parts + 1, (batch, size // 4, size // 4), generator=g)
    if stage == "wholebody":
        from robosmplx.geometry.boxes import box_from_keypoints

        for name in ("lhand", "rhand", "face"):
            idx = list(body_model.keypoint_layout.subsets[name])
            out_b[f"gt_{name}_bbox"] = box_from_keypoints(uv[:, idx], scale=1.5, aspect=1.0)
            out_b[f"has_{name}_bbox"] = torch.ones(batch)
    out_b["pair_index"] = torch.arange(batch).roll(batch // 2)
    return out_b


def _throughput(preset: str, stage: str, body_model, batch: int, steps: int, warmup: int) -> dict:
    from robosmplx.models.presets import preset_config
    from robosmplx.train.config import config_from_dict
    from robosmplx.train.module import TrainModule

    size = preset_config(preset, body_model).crop_size
    cfg = config_from_dict(
        {
            "stage": stage,
            "body_model": body_model.name,
            "model": {"preset": preset},
            "augment": {"crop_size": size},
        }
    )
    module = TrainModule(cfg, body_model)
    data = synthetic_batch(body_model, stage, size, batch)
    opt = torch.optim.Adam(module.net.parameters(), lr=1e-4)
    module.train()

    def step() -> float:
        pred = module(data)
        total, _ = module.objective(pred, data)
        opt.zero_grad(set_to_none=True)
        total.backward()
        opt.step()
        return float(total.detach())

    for _ in range(warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    dt = time.perf_counter() - t0
    return {
        "preset": preset,
        "input_size": size,
        "batch": batch,
        "seconds_per_step": round(dt / steps, 3),
        "images_per_s": round(batch * steps / dt, 3),
        "parameters_m": round(sum(p.numel() for p in module.net.parameters()) / 1e6, 2),
    }


def run(args) -> dict:
    from robosmplx.body import load_body_model

    body_model = load_body_model(args.body_model)
    presets = STAGE_PRESETS[args.stage]
    small = _throughput(
        presets["small"], args.stage, body_model, args.small_batch, args.steps, args.warmup
    )
    paper = _throughput(
        presets["paper"], args.stage, body_model, args.paper_batch, args.steps, args.warmup
    )
    return {
        "stage": args.stage,
        "body_model": args.body_model,
        "device": "cpu",
        "small_images_per_s": small["images_per_s"],
        "paper_images_per_s": paper["images_per_s"],
        "small": small,
        "paper": paper,
    }
