"""Parameter and FLOP counts per subnetwork (the paper's Table 17 columns).

FLOPs are counted by ``torch.utils.flop_counter.FlopCounterMode`` on a forward pass of batch 1
run on the ``meta`` device (shapes only, no arithmetic, so the paper preset counts in a second).
It counts convolutions and matrix products only, a multiply-add as 2 FLOPs; BatchNorm, ReLU,
softmax, pooling, interpolation and ``grid_sample`` are not counted (each well under 1% here).
``gmacs`` is the same count in multiply-adds (FLOPs / 2), the unit many papers call "FLOPs".
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

# Table 17 of the paper (RoboSMPLX row)
PAPER_TABLE17 = {"params_M": 120.68, "gflops": 29.66}


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def example_input(model: nn.Module) -> torch.Tensor:
    """A batch-1 input of the crop size the model's config names (whole-body: its source)."""
    size = model.config.crop_size
    return torch.zeros(1, 3, size, size)


class _SourceEntry(nn.Module):
    """Calls the network's ``forward_source`` through ``__call__``, so the counter records
    every module under the path ``_SourceEntry.net``."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor):
        return self.net.forward_source(x)


def _components(model: nn.Module) -> dict[str, tuple[nn.Module, int]]:
    """Rows of the table: name -> (module, crops it runs on per image)."""
    if model.kind == "wholebody":
        return {"body": (model.body, 1), "hand": (model.hand, 2), "face": (model.face, 1)}
    rows = {"backbone": (model.backbone, 1)}
    for name in ("localization", "regressor", "segmentation", "mlp", "decoder"):
        mod = getattr(model, name, None)
        if isinstance(mod, nn.Module):
            rows[name] = (mod, 1)
    return rows


def _module_flops(counts: dict[str, int], module: nn.Module, path: str) -> int:
    """FLOPs under ``path``; modules used through methods other than ``__call__`` (so not
    recorded themselves) are summed over their children."""
    if path in counts:
        return counts[path]
    return sum(_module_flops(counts, m, f"{path}.{n}") for n, m in module.named_children())


def flop_report(model: nn.Module) -> dict:
    """Params and FLOPs of ``model`` for one image, per component and in total. The forward
    runs on the model's device; build it under ``torch.device("meta")`` to count for free."""
    model = model.eval()
    device = next(model.parameters()).device
    x = example_input(model).to(device)
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        _SourceEntry(model)(x)
    counts = {k: sum(v.values()) for k, v in counter.get_flop_counts().items()}
    root = f"{_SourceEntry.__name__}.net"
    rows = {}
    for name, (mod, crops) in _components(model).items():
        flops = _module_flops(counts, mod, f"{root}.{name}")
        rows[name] = {
            "params": count_parameters(mod),
            "gflops": flops / 1e9,
            "gmacs": flops / 2e9,
            "crops_per_image": crops,
        }
    total = counts.get("Global", 0)
    return {
        "kind": model.kind,
        "input": {"shape": [list(x.shape)]},
        "flop_counter": "torch.utils.flop_counter.FlopCounterMode (conv + matmul, 2 FLOPs per MAC)",
        "components": rows,
        "params_total": count_parameters(model),
        "gflops_total": total / 1e9,
        "gmacs_total": total / 2e9,
    }


def preset_report(name: str, body=None) -> dict:
    """:func:`flop_report` of preset ``name`` built on the meta device (no memory, no files)."""
    from robosmplx.models.presets import build_model, get_preset, preset_config

    preset = get_preset(name)
    cfg = preset_config(name, body)
    with torch.device("meta"):
        model = build_model(cfg)
        report = flop_report(model)
    report["preset"] = name
    if body is None:
        body = preset.default_body
    report["body_model"] = (
        body if isinstance(body, str) else getattr(body, "name", type(body).__name__)
    )
    if name == "paper":
        ref = PAPER_TABLE17
        report["paper_table17"] = {
            **ref,
            "params_diff_pct": 100.0
            * (report["params_total"] / 1e6 - ref["params_M"])
            / ref["params_M"],
            "gflops_diff_pct": 100.0 * (report["gflops_total"] - ref["gflops"]) / ref["gflops"],
            "gmacs_diff_pct": 100.0 * (report["gmacs_total"] - ref["gflops"]) / ref["gflops"],
        }
    return report
