"""Data: HumanData files, datasets and mixing, crops and augmentation, positive twins,
controlled perturbations. See docs/data.md."""

from robosmplx.data.augment import (
    STAGE_AUGMENT,
    AugmentConfig,
    AugParams,
    sample_augment,
    stage_augment,
    strongaug,
)
from robosmplx.data.datasets import (
    BodyDataset,
    FaceDataset,
    HandDataset,
    HumanDataset,
    MixedDataset,
    WholeBodyDataset,
)
from robosmplx.data.humandata import HumanData, load_humandata, save_humandata
from robosmplx.data.perturb import PERTURBATIONS, Scene, perturb
from robosmplx.data.twins import TwinConfig, collate_twins
from robosmplx.data.visualize import visualize
from robosmplx.data.workers import make_loader, worker_init_fn

__all__ = [
    "PERTURBATIONS",
    "STAGE_AUGMENT",
    "AugParams",
    "AugmentConfig",
    "BodyDataset",
    "FaceDataset",
    "HandDataset",
    "HumanData",
    "HumanDataset",
    "MixedDataset",
    "Scene",
    "TwinConfig",
    "WholeBodyDataset",
    "collate_twins",
    "load_humandata",
    "make_loader",
    "perturb",
    "sample_augment",
    "save_humandata",
    "stage_augment",
    "strongaug",
    "visualize",
    "worker_init_fn",
]
