"""``robosmplx bench data``: augmented body samples per second from JPEG files.

Writes a temporary set of JPEG images and a HumanData file in the body model's layout (boxes,
keypoints, parameters, intrinsics), then times a seeded DataLoader over a body-stage dataset
with the training augmentation (crop, scale, rotation, flip, colour) and its workers.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--samples", type=int, default=600, help="samples to time (default 600)")
    parser.add_argument("--workers", type=int, default=2, help="DataLoader workers (default 2)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--images", type=int, default=48, help="distinct JPEG files (default 48)")
    parser.add_argument("--image-size", type=int, nargs=2, default=(640, 480), metavar=("W", "H"))
    parser.add_argument("--crop-size", type=int, default=256)
    parser.add_argument("--body-model", default="anny-small")
    parser.add_argument("--seed", type=int, default=0)


def write_bench_set(folder: Path, model, n: int, size: tuple[int, int], seed: int) -> Path:
    """``n`` JPEGs (a smooth random colour field plus mild pixel noise, quality 90: about the
    size of a photo of that resolution) and a HumanData file with one person per image."""
    import cv2
    import numpy as np

    from robosmplx.data.humandata import save_humandata
    from robosmplx.data.records import model_param_names

    rng = np.random.default_rng(seed)
    w, h = size
    k = len(model.keypoint_layout)
    names = []
    for i in range(n):
        small = rng.integers(0, 256, (h // 16 + 1, w // 16 + 1, 3), dtype=np.uint8)
        img = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
        img = np.clip(img.astype(np.int16) + rng.integers(-8, 9, img.shape), 0, 255).astype(
            np.uint8
        )
        name = f"bench_{i:04d}.jpg"
        cv2.imwrite(str(folder / name), img, [cv2.IMWRITE_JPEG_QUALITY, 90])
        names.append(name)
    bw = rng.uniform(0.25, 0.45, n) * w
    bh = rng.uniform(0.6, 0.9, n) * h
    x0 = rng.uniform(0, w - bw)
    y0 = rng.uniform(0, h - bh)
    boxes = np.stack((x0, y0, bw, bh, np.ones(n)), 1).astype(np.float32)
    kp2 = np.ones((n, k, 3), np.float32)
    kp2[..., 0] = x0[:, None] + rng.uniform(0, 1, (n, k)) * bw[:, None]
    kp2[..., 1] = y0[:, None] + rng.uniform(0, 1, (n, k)) * bh[:, None]
    kp3 = np.concatenate((rng.normal(0, 0.3, (n, k, 3)) + [0, 0, 4.0], np.ones((n, k, 1))), -1)
    params = {}
    for g in model.spec.groups:
        params[g.name] = rng.normal(0, 0.2, (n, g.dim_aa)).astype(np.float32)
    params["transl"] = np.stack(
        (rng.normal(0, 0.2, n), rng.normal(0, 0.2, n), rng.uniform(3, 6, n)), 1
    )
    kmat = np.tile(np.array([[1000.0, 0, w / 2], [0, 1000.0, h / 2], [0, 0, 1]]), (n, 1, 1))
    data = {
        "image_path": np.asarray(names),
        "bbox_xywh": boxes,
        "keypoints2d": kp2,
        "keypoints3d": kp3.astype(np.float32),
        "keypoint_names": np.asarray(model.keypoint_layout.names),
        "K": kmat.astype(np.float32),
        "root_cam": params["transl"].astype(np.float32),
        model_param_names(model)[0]: params,
    }
    return save_humandata(folder / "bench.npz", data)


def run(args) -> dict:
    import torch

    from robosmplx.body import load_body_model
    from robosmplx.data.augment import stage_augment
    from robosmplx.data.datasets import BodyDataset, MixedDataset
    from robosmplx.data.workers import make_loader

    torch.set_num_threads(1)
    model = load_body_model(args.body_model)
    with tempfile.TemporaryDirectory(prefix="robosmplx_bench_data_") as tmp:
        path = write_bench_set(Path(tmp), model, args.images, tuple(args.image_size), args.seed)
        jpeg_kb = sum(f.stat().st_size for f in Path(tmp).glob("*.jpg")) / args.images / 1024
        cfg = stage_augment("body", crop_size=args.crop_size)
        body = BodyDataset(path, model, augment=cfg, seed=args.seed)
        mix = MixedDataset([body], [1.0], length=args.samples + args.batch_size, seed=args.seed)
        loader = make_loader(mix, args.batch_size, num_workers=args.workers, seed=args.seed)
        t0 = time.perf_counter()
        it = iter(loader)
        first = next(it)  # worker start-up and the first batch, not timed
        t1 = time.perf_counter()
        count = 0
        for batch in it:
            count += int(batch["img"].shape[0])
        t2 = time.perf_counter()
    return {
        "body_samples_per_s": round(count / max(t2 - t1, 1e-9), 1),
        "samples_timed": count,
        "startup_s": round(t1 - t0, 3),
        "workers": args.workers,
        "batch_size": args.batch_size,
        "crop_size": args.crop_size,
        "image_size": list(args.image_size),
        "mean_jpeg_kb": round(jpeg_kb, 1),
        "body_model": args.body_model,
        "keypoints": int(first["gt_keypoints2d"].shape[1]),
    }
