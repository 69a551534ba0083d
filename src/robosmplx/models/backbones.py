"""Convolutional backbones: ResNet-18/34/50/101 and DRN-D-54 from one dilated-ResNet builder.

Every backbone returns the feature map F (B, C, S/stride, S/stride); with the paper's settings
(C = 512, output stride 8) a 256 input gives 512 x 32 x 32.

- DRN-D-54 (dilated ResNet, variant D): a 7x7 stride-1 stem, two plain conv stages (16, 32 ch,
  the second stride 2), four bottleneck stages [3, 4, 6, 3] (the first two stride 2, the last two
  dilation 2 and 4), two plain conv stages at 512 (dilation 2, 1). Output stride 8 by design.
- ResNets keep their usual stem and stages; output stride 8 comes from dilating the last two
  stages (2, 4) instead of striding them, then a 1x1 conv + BN + ReLU "neck" maps the last
  stage's channels (2048 for ResNet-50/101) to C. ResNet-18/34 already end at 512: no neck.

Module names follow the published checkpoints (torchvision ``conv1``/``layer1``...,
DRN ``layer0``...``layer8``), so their weights load with :func:`load_backbone_weights`.
HRNet-W48 comes from the optional ``timm`` extra.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from robosmplx.errors import CheckpointError, ConfigError
from robosmplx.geometry.pixels import IMAGENET_MEAN, IMAGENET_STD

BACKBONES = ("resnet18", "resnet34", "resnet50", "resnet101", "drn_d_54", "hrnet_w48")


@dataclass(frozen=True)
class BackboneConfig:
    """name: one of :data:`BACKBONES`. width: channel multiplier of every stage (1.0 = published
    widths). out_channels: channels of F. output_stride: 8, 16 or 32 (ResNets; DRN is 8 only).
    weights: a local .safetensors/.pth file loaded strictly at build time (never downloaded).
    mean, std: the RGB normalisation (pixel values in [0, 1]) the trunk's inputs carry, as its
    pretrained weights expect (ImageNet's for every trunk here)."""

    name: str = "drn_d_54"
    width: float = 1.0
    out_channels: int = 512
    output_stride: int = 8
    weights: str | None = None
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD


def without_pretrained(cfg):
    """``cfg`` with every backbone's ``weights`` file cleared (a checkpoint supersedes them, and
    the pretrained file need not exist where the checkpoint is loaded)."""
    if isinstance(cfg, BackboneConfig):
        return dataclasses.replace(cfg, weights=None)
    if dataclasses.is_dataclass(cfg):
        changes = {
            f.name: without_pretrained(getattr(cfg, f.name))
            for f in dataclasses.fields(cfg)
            if dataclasses.is_dataclass(getattr(cfg, f.name))
        }
        return dataclasses.replace(cfg, **changes)
    return cfg


@dataclass(frozen=True)
class _Stage:
    """One stage: ``conv`` (plain 3x3 conv-BN-ReLU layers) or ``res`` (residual blocks)."""

    name: str
    kind: Literal["conv", "basic", "bottleneck"]
    channels: int  # output channels for conv stages, planes for residual stages
    blocks: int
    stride: int = 1
    dilation: int = 1


def _bn(c: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(c)


class BasicBlock(nn.Module):
    """Two 3x3 convs with a residual connection (ResNet-18/34)."""

    expansion = 1

    def __init__(self, cin: int, planes: int, stride: int = 1, dilation: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, dilation, dilation, bias=False)
        self.bn1 = _bn(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, dilation, dilation, bias=False)
        self.bn2 = _bn(planes)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = _shortcut(cin, planes, stride)

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        skip = x if self.downsample is None else self.downsample(x)
        return self.relu(out + skip)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (strided or dilated), 1x1 expand x4, residual (ResNet-50+, DRN-D)."""

    expansion = 4

    def __init__(self, cin: int, planes: int, stride: int = 1, dilation: int = 1):
        super().__init__()
        cout = planes * self.expansion
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = _bn(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, dilation, dilation, bias=False)
        self.bn2 = _bn(planes)
        self.conv3 = nn.Conv2d(planes, cout, 1, bias=False)
        self.bn3 = _bn(cout)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = _shortcut(cin, cout, stride)

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        skip = x if self.downsample is None else self.downsample(x)
        return self.relu(out + skip)


def _shortcut(cin: int, cout: int, stride: int) -> nn.Sequential | None:
    if stride == 1 and cin == cout:
        return None
    return nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), _bn(cout))


def _conv_stage(cin: int, cout: int, n: int, stride: int, dilation: int) -> nn.Sequential:
    mods: list[nn.Module] = []
    for i in range(n):
        s = stride if i == 0 else 1
        mods += [
            nn.Conv2d(cin, cout, 3, s, dilation, dilation, bias=False),
            _bn(cout),
            nn.ReLU(inplace=True),
        ]
        cin = cout
    return nn.Sequential(*mods)


def _res_stage(block: type, cin: int, st: _Stage) -> nn.Sequential:
    blocks = []
    for i in range(st.blocks):
        blocks.append(block(cin, st.channels, st.stride if i == 0 else 1, st.dilation))
        cin = st.channels * block.expansion
    return nn.Sequential(*blocks)


def _w(c: int, width: float) -> int:
    return max(1, int(round(c * width)))


def _resnet_stages(depth: int, width: float, output_stride: int) -> tuple[_Stage, ...]:
    layers, kind = {
        18: ((2, 2, 2, 2), "basic"),
        34: ((3, 4, 6, 3), "basic"),
        50: ((3, 4, 6, 3), "bottleneck"),
        101: ((3, 4, 23, 3), "bottleneck"),
    }[depth]
    if output_stride not in (8, 16, 32):
        raise ConfigError(f"backbone resnet{depth}: output_stride must be 8, 16 or 32")
    # stem reaches stride 4; stage 2 strides to 8; stages 3 and 4 stride or dilate
    n_dilated = {8: 2, 16: 1, 32: 0}[output_stride]
    stages = []
    dilation = 1
    for i, (n, planes) in enumerate(zip(layers, (64, 128, 256, 512))):
        stride = 1 if i == 0 else 2
        if i >= 4 - n_dilated:
            stride, dilation = 1, dilation * 2
        stages.append(_Stage(f"layer{i + 1}", kind, _w(planes, width), n, stride, dilation))
    return tuple(stages)


def _drn_d_54_stages(width: float) -> tuple[_Stage, ...]:
    c = [_w(x, width) for x in (16, 32, 64, 128, 256, 512, 512, 512)]
    return (
        _Stage("layer1", "conv", c[0], 1),
        _Stage("layer2", "conv", c[1], 1, stride=2),
        _Stage("layer3", "bottleneck", c[2], 3, stride=2),
        _Stage("layer4", "bottleneck", c[3], 4, stride=2),
        _Stage("layer5", "bottleneck", c[4], 6, dilation=2),
        _Stage("layer6", "bottleneck", c[5], 3, dilation=4),
        _Stage("layer7", "conv", c[6], 1, dilation=2),
        _Stage("layer8", "conv", c[7], 1),
    )


def _build_trunk(cfg: BackboneConfig) -> tuple[nn.Sequential, int]:
    """The published part of the network (named like its checkpoints) and its output channels."""
    mods: OrderedDict[str, nn.Module] = OrderedDict()
    if cfg.name == "drn_d_54":
        if cfg.output_stride != 8:
            raise ConfigError(
                "backbone drn_d_54 has output stride 8 by design; set output_stride: 8"
            )
        stages = _drn_d_54_stages(cfg.width)
        c0 = stages[0].channels
        mods["layer0"] = nn.Sequential(
            nn.Conv2d(3, c0, 7, 1, 3, bias=False), _bn(c0), nn.ReLU(inplace=True)
        )
    else:
        stages = _resnet_stages(int(cfg.name[len("resnet") :]), cfg.width, cfg.output_stride)
        c0 = _w(64, cfg.width)
        mods["conv1"] = nn.Conv2d(3, c0, 7, 2, 3, bias=False)
        mods["bn1"] = _bn(c0)
        mods["relu"] = nn.ReLU(inplace=True)
        mods["maxpool"] = nn.MaxPool2d(3, 2, 1)
    cin = c0
    for st in stages:
        if st.kind == "conv":
            mods[st.name] = _conv_stage(cin, st.channels, st.blocks, st.stride, st.dilation)
            cin = st.channels
        else:
            block = BasicBlock if st.kind == "basic" else Bottleneck
            mods[st.name] = _res_stage(block, cin, st)
            cin = st.channels * block.expansion
    return nn.Sequential(mods), cin


class Backbone(nn.Module):
    """``trunk`` (published layout) then an optional 1x1 ``neck`` to ``out_channels``.

    forward: (B, 3, S, S) -> F (B, out_channels, S / output_stride, S / output_stride).
    """

    def __init__(self, cfg: BackboneConfig):
        super().__init__()
        if cfg.name not in BACKBONES:
            raise ConfigError(
                f"unknown backbone {cfg.name!r}; choose one of {', '.join(BACKBONES)}"
            )
        self.config = cfg
        self.output_stride = cfg.output_stride
        if cfg.name == "hrnet_w48":
            self.trunk: nn.Module = HRNetTrunk(cfg.output_stride)
            cin = self.trunk.out_channels
        else:
            self.trunk, cin = _build_trunk(cfg)
        self.neck = (
            None
            if cin == cfg.out_channels
            else nn.Sequential(
                nn.Conv2d(cin, cfg.out_channels, 1, bias=False),
                _bn(cfg.out_channels),
                nn.ReLU(inplace=True),
            )
        )
        self.out_channels = cfg.out_channels
        _init_weights(self)
        if cfg.weights:
            load_backbone_weights(self, cfg.weights)

    def forward(self, x: Tensor) -> Tensor:
        f = self.trunk(x)
        return f if self.neck is None else self.neck(f)


class HRNetTrunk(nn.Module):
    """HRNet-W48 from ``timm`` (optional extra): every branch resized to the output stride and
    concatenated (the usual HRNet representation); the Backbone neck then maps it to C."""

    def __init__(self, output_stride: int):
        super().__init__()
        try:
            import timm
        except ImportError:
            raise ConfigError(
                "backbone hrnet_w48 needs the optional timm package: pip install robosmplx[timm]"
            ) from None
        self.net = timm.create_model("hrnet_w48", pretrained=False, features_only=True)
        info = self.net.feature_info
        self.keep = [i for i, r in enumerate(info.reduction()) if r >= 4]
        self.out_channels = sum(info.channels()[i] for i in self.keep)
        self.output_stride = output_stride

    def forward(self, x: Tensor) -> Tensor:
        feats = self.net(x)
        size = (x.shape[-2] // self.output_stride, x.shape[-1] // self.output_stride)
        parts = [F.interpolate(feats[i], size=size, mode="bilinear") for i in self.keep]
        return torch.cat(parts, 1)


def _init_weights(module: nn.Module) -> None:
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


def read_state_dict(path: str | Path) -> dict[str, Tensor]:
    """Tensors of a local .safetensors or .pth/.pt file (``weights_only`` unpickling).

    A ``{"state_dict": ...}`` or ``{"model": ...}`` wrapper is unwrapped, a ``module.`` prefix
    (DataParallel) stripped.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: weights file not found (weights are never downloaded)")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            sd = load_file(str(path))
        else:
            sd = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as e:  # corrupt or foreign file: say which
        raise CheckpointError(f"{path}: cannot read weights ({type(e).__name__}: {e})") from None
    for key in ("state_dict", "model"):
        if isinstance(sd, dict) and isinstance(sd.get(key), dict):
            sd = sd[key]
    if not isinstance(sd, dict) or not all(isinstance(v, Tensor) for v in sd.values()):
        raise CheckpointError(f"{path}: not a state dict of tensors")
    if sd and all(k.startswith("module.") for k in sd):
        sd = {k[len("module.") :]: v for k, v in sd.items()}
    return sd


# classifier heads of ImageNet checkpoints: present in the files, absent from a backbone
CLASSIFIER_PREFIXES = ("fc.", "classifier.", "head.")


def load_backbone_weights(backbone: Backbone, path: str | Path, prefix: str = "") -> None:
    """Load pretrained trunk weights strictly (the neck stays newly initialised).

    ``prefix`` selects and strips a sub-tree (e.g. ``backbone.`` of a detection checkpoint).
    Classifier keys (:data:`CLASSIFIER_PREFIXES`) are skipped; any other missing, unexpected or
    shape-mismatched key raises :class:`CheckpointError` listing them.
    """
    sd = read_state_dict(path)
    if prefix:
        sd = {k[len(prefix) :]: v for k, v in sd.items() if k.startswith(prefix)}
    load_trunk_state(backbone, sd, source=str(path))


def load_trunk_state(backbone: Backbone, state: dict[str, Tensor], source: str) -> None:
    """Load a published checkpoint's state dict into the trunk, classifier keys skipped; any
    other difference raises :class:`CheckpointError` naming ``source`` and the keys."""
    from robosmplx.models.state_dict import load_state_strict

    sd = {k: v for k, v in state.items() if not k.startswith(CLASSIFIER_PREFIXES)}
    target = backbone.trunk.net if isinstance(backbone.trunk, HRNetTrunk) else backbone.trunk
    load_state_strict(target, sd, source=f"{source} ({backbone.config.name} backbone)")
