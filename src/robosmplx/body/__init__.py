"""Body models behind one interface: Anny (default, open) and the SMPL-X family (user files).

``load_body_model("anny")`` is the default; ``"anny-small"`` is Anny's decimated topology (for
tests and fast experiments); ``"smplx"``, ``"smpl"``, ``"mano"``, ``"flame"`` read the user's
licensed files from ``model_dir`` or ``$ROBOSMPLX_MODEL_DIR``.
"""

from robosmplx.body.base import (
    BodyModel,
    BodyOutput,
    KeypointLayout,
    ParamGroup,
    ParamSpec,
    PartLayout,
    PartView,
)
from robosmplx.body.registry import available_body_models, load_body_model

__all__ = [
    "BodyModel",
    "BodyOutput",
    "KeypointLayout",
    "ParamGroup",
    "ParamSpec",
    "PartLayout",
    "PartView",
    "available_body_models",
    "load_body_model",
]
