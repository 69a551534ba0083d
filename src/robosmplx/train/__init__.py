"""Training: the eq. 1 objective, the Lightning module and data module, resumable safetensors
checkpoints, and the multi-stage schedule behind ``robosmplx train``. See docs/training.md.

The names below load on first use, so importing the command stays light.
"""

from robosmplx.lazy import lazy_exports

_EXPORTS = {
    "TrainConfig": "config",
    "config_from_dict": "config",
    "load_train_config": "config",
    "Objective": "objective",
    "TrainModule": "module",
    "TrainDataModule": "datamodule",
    "build_network": "stages",
    "SCHEDULE": "stages",
    "train": "runner",
    "TrainResult": "runner",
    "latest_checkpoint": "checkpoint",
    "read_checkpoint": "checkpoint",
}
__getattr__, __all__ = lazy_exports("robosmplx.train", _EXPORTS)
