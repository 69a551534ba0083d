"""Named network presets: a registry of names only; the networks are the plain classes.

- ``paper``: the whole-body network of the paper, DRN-D-54 for body, hand and face, every
  input 256 (F 512 x 32 x 32, D = 32), SMPL-X sizes. ``paper-body``/``-hand``/``-face``: the
  part subnetworks with their global branch, for the part training stages.
- ``small``: a CPU-trainable whole-body network: ResNet-18 at half width (32..256 channels),
  output stride 8 and F of 256 x 16 x 16 from 128 crops (D = 16, regressor width 256, mask
  branch 64). 128 keeps 8-pixel heatmap cells (enough to place hand and face boxes) at about
  1/35 of the paper's per-crop FLOPs (see docs/models.md). ``small-body``/``-hand``/``-face`` likewise.
- ``hmr`` / ``hmr-hand``: the baseline (ResNet-50, stride 32, iterative regressor) for body
  and hand; ``hmr-small``: the same at half-width ResNet-18 and 128 input.

Each preset names a default body model (``smplx`` -> :func:`smplx_signature`, no files needed;
``anny`` -> the Anny model's own sizes); pass ``body=`` to size it for another one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from robosmplx.errors import ConfigError
from robosmplx.models.backbones import BackboneConfig
from robosmplx.models.hmr import hmr_config
from robosmplx.models.kinds import kind_of, network_class
from robosmplx.models.signature import BodySignature, smplx_signature
from robosmplx.models.subnetwork import subnetwork_config
from robosmplx.models.wholebody import WholeBodyConfig, wholebody_config

PAPER_BACKBONE = BackboneConfig(name="drn_d_54")
SMALL_BACKBONE = BackboneConfig(name="resnet18", width=0.5, out_channels=256, output_stride=8)
SMALL_SUB = {"input_size": 128, "heatmap_depth": 16, "hidden": 256, "segm_channels": 64}


@dataclass(frozen=True)
class Preset:
    """A name for a config builder; the config itself answers everything else (its kind,
    crop and source sizes, normalisation, predicted groups)."""

    name: str
    default_body: str
    build: Callable[[BodySignature], object]
    doc: str

    @property
    def kind(self) -> str:
        """The network kind it builds (``wholebody``, ``subnetwork`` or ``hmr``)."""
        return kind_of(self.build(smplx_signature()))


def _paper_wholebody(sig: BodySignature) -> WholeBodyConfig:
    b = PAPER_BACKBONE
    return wholebody_config(sig, body_backbone=b, hand_backbone=b, face_backbone=b)


def _small_wholebody(sig: BodySignature) -> WholeBodyConfig:
    b = SMALL_BACKBONE
    return wholebody_config(
        sig, body_backbone=b, hand_backbone=b, face_backbone=b, body=SMALL_SUB, hand=SMALL_SUB,
        face=SMALL_SUB,
    )  # fmt: skip


def _part(part: str, backbone: BackboneConfig, options: dict) -> Callable:
    return lambda sig: subnetwork_config(sig, part, backbone=backbone, **options)


_SMALL_HMR = BackboneConfig(name="resnet18", width=0.5, out_channels=256, output_stride=32)

PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset("paper", "smplx", _paper_wholebody, "paper whole-body, DRN-D-54 x3"),
        Preset("paper-body", "smplx", _part("body", PAPER_BACKBONE, {}), "paper Body subnetwork"),
        Preset("paper-hand", "smplx", _part("hand", PAPER_BACKBONE, {}), "paper Hand subnetwork"),
        Preset("paper-face", "smplx", _part("face", PAPER_BACKBONE, {}), "paper Face subnetwork"),
        Preset("small", "anny", _small_wholebody, "CPU whole-body, ResNet-18/2 x3, 128 crops"),
        Preset("small-body", "anny", _part("body", SMALL_BACKBONE, SMALL_SUB), "CPU Body subnetwork"),
        Preset("small-hand", "anny", _part("hand", SMALL_BACKBONE, SMALL_SUB), "CPU Hand subnetwork"),
        Preset("small-face", "anny", _part("face", SMALL_BACKBONE, SMALL_SUB), "CPU Face subnetwork"),
        Preset("hmr", "smplx", lambda s: hmr_config(s, "body"), "baseline HMR body, ResNet-50"),
        Preset("hmr-hand", "smplx", lambda s: hmr_config(s, "hand"), "baseline HMR hand, ResNet-50"),
        Preset(
            "hmr-small", "anny",
            lambda s: hmr_config(s, "body", backbone=_SMALL_HMR, input_size=128, hidden=512),
            "baseline HMR body, ResNet-18/2, 128 crops",
        ),
    )
}  # fmt: skip


def available_presets() -> dict[str, str]:
    """Preset name -> one-line description."""
    return {k: p.doc for k, p in PRESETS.items()}


def get_preset(name: str) -> Preset:
    if name not in PRESETS:
        raise ConfigError(f"unknown model preset {name!r}; choose one of {', '.join(PRESETS)}")
    return PRESETS[name]


def resolve_signature(body) -> BodySignature:
    """A :class:`BodySignature` from a signature, a loaded body model or a body-model name
    (``smplx`` gives :func:`smplx_signature` without files; others are loaded)."""
    if isinstance(body, BodySignature):
        return body
    if isinstance(body, str):
        if body == "smplx":
            return smplx_signature()
        from robosmplx.body import load_body_model

        body = load_body_model(body)
    return BodySignature.from_body_model(body)


def preset_config(name: str, body=None):
    """The config of preset ``name`` sized for ``body`` (default: the preset's body model)."""
    p = get_preset(name)
    return p.build(resolve_signature(body if body is not None else p.default_body))


def build_model(config_or_name, body=None) -> nn.Module:
    """A network from a preset name (sized for ``body``) or from a config object."""
    cfg = preset_config(config_or_name, body) if isinstance(config_or_name, str) else config_or_name
    return network_class(cfg)(cfg)
