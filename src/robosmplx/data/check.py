"""Which loss terms a dataset supervises: per term of a stage, the share of samples with the
ground truth it needs (``robosmplx data check``; training prints the same warnings at start).

The samples are the dataset's own (``HumanDataset[i]``), so what is counted is what training
sees: keypoints mapped to the body model, part maps read or rendered from parameters
(:mod:`robosmplx.data.segm_render`), parameter flags. A term whose weight is positive but that
no sample supervises is silently zero in training: :func:`supervision_warnings` names it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import torch

Sample = Mapping[str, torch.Tensor]


def _flag(s: Sample, key: str) -> bool:
    return key in s and float(s[key]) > 0


def _any_conf(s: Sample, key: str) -> bool:
    return bool((s[key][..., -1] > 0).any())


def _params_complete(s: Sample) -> bool:
    flags = [k for k in s if k.startswith("has_") and not _not_param(k)]
    return bool(flags) and all(_flag(s, k) for k in flags)


def _not_param(key: str) -> bool:
    return key in ("has_keypoints3d", "has_segm", "has_transl") or key.endswith("_bbox")


def _rotations(s: Sample) -> bool:
    return any(
        _flag(s, f"has_{k[3:-7]}") for k in s if k.startswith("gt_") and k.endswith("_rotmat")
    )


def _kp3(s: Sample) -> bool:
    return _flag(s, "has_keypoints3d") and _any_conf(s, "gt_keypoints3d")


def _contrastive(options) -> Callable[[Sample], bool]:
    def rule(s: Sample) -> bool:
        if options.contrastive_representation != "keypoints":
            return _flag(s, "has_global_orient") and _rotations(s)
        params = options.contrastive_target == "params" and _params_complete(s)
        return params or _kp3(s)

    return rule


def term_rules(options, stage: str = "body") -> dict[str, Callable[[Sample], bool]]:
    """Per loss term of ``stage``: whether one sample gives it ground truth."""
    rules = {
        "keypoints3d": _kp3,
        "keypoints3d_local": lambda s: _kp3(s) and _flag(s, "has_global_orient"),
        "keypoints2d": lambda s: _any_conf(s, "gt_keypoints2d"),
        "heatmap_joints": lambda s: _any_conf(s, "gt_keypoints2d"),
        "heatmap_dist": lambda s: _any_conf(s, "gt_keypoints2d"),
        "segm": lambda s: _flag(s, "has_segm"),
        "proj": lambda s: _flag(s, "has_segm"),
        "contrastive": _contrastive(options),
        "rotation": _rotations,
        "betas": lambda s: _flag(s, "has_betas"),
        "expression": lambda s: _flag(s, "has_expression"),
        "vertices": _params_complete,
        "shape_prior": lambda s: True,  # a prior on the prediction: needs no ground truth
        "box": lambda s: any(_flag(s, f"has_{p}_bbox") for p in ("lhand", "rhand", "face")),
    }
    if stage != "wholebody":
        del rules["box"]  # L_box is the whole-body stage's only
    return rules


def supervision(dataset, weights, options, max_samples: int | None = 200) -> dict:
    """``{"samples": n, "terms": {term: {"weight": w, "fraction": f}}}`` over up to
    ``max_samples`` samples spread evenly over ``dataset`` (all with None)."""
    n = len(dataset)
    count = n if max_samples is None else min(n, max_samples)
    picks = np.unique(np.linspace(0, n - 1, count).round().astype(int)) if n else []
    rules = term_rules(options, dataset.stage)
    hits = dict.fromkeys(rules, 0)
    for i in picks:
        s = dataset[int(i)]
        s = s[0] if isinstance(s, tuple) else s  # (anchor, twin): the anchor
        for name, rule in rules.items():
            hits[name] += int(rule(s))
    used = max(len(picks), 1)
    terms = {
        name: {"weight": float(getattr(weights, name)), "fraction": hits[name] / used}
        for name in rules
    }
    return {"samples": int(len(picks)), "terms": terms}


def supervision_warnings(report: Mapping, where: str = "") -> list[str]:
    """One line per term with a positive weight that no checked sample supervises."""
    at = f"{where}: " if where else ""
    return [
        f"{at}loss term {name!r} has weight {t['weight']:g} but none of the "
        f"{report['samples']} samples checked gives it ground truth: it stays 0 in training"
        for name, t in report["terms"].items()
        if t["weight"] > 0 and t["fraction"] == 0
    ]
