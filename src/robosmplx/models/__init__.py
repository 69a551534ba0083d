"""Networks: backbones, the Localization Module, Body/Hand/Face subnetworks, the whole-body
network, the HMR baseline, named presets and checkpoint I/O. See docs/models.md."""

from robosmplx.models.backbones import Backbone, BackboneConfig, load_backbone_weights
from robosmplx.models.checkpoint import load_model, save_model
from robosmplx.models.hmr import HMR, HMRConfig, hmr_config
from robosmplx.models.outputs import Prediction
from robosmplx.models.presets import available_presets, build_model, preset_config
from robosmplx.models.signature import BodySignature, smplx_signature
from robosmplx.models.subnetwork import SubNetwork, SubNetworkConfig, subnetwork_config
from robosmplx.models.wholebody import WholeBodyConfig, WholeBodyNetwork, wholebody_config

__all__ = [
    "HMR",
    "Backbone",
    "BackboneConfig",
    "BodySignature",
    "HMRConfig",
    "Prediction",
    "SubNetwork",
    "SubNetworkConfig",
    "WholeBodyConfig",
    "WholeBodyNetwork",
    "available_presets",
    "build_model",
    "hmr_config",
    "load_backbone_weights",
    "load_model",
    "preset_config",
    "save_model",
    "smplx_signature",
    "subnetwork_config",
    "wholebody_config",
]
