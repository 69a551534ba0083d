"""Pretrained landmark evidence for real photos: body (BlazePose GHUM, 33 points + metric 3D),
hands (21 points), face mesh (468 points) and a person mask, for every person of an image.

Importing this package needs numpy only; running the models needs the ``landmarks`` extra
(``ai-edge-litert``) and the model files (``robosmplx landmarks fetch``)."""

from robosmplx.landmarks.models import default_model_dir, landmarks_available
from robosmplx.landmarks.types import BODY33, HAND21, PersonEvidence
from robosmplx.lazy import lazy_exports

__getattr__, _ = lazy_exports("robosmplx.landmarks", {"LandmarkDetector": "detector"})
__all__ = [
    "BODY33",
    "HAND21",
    "LandmarkDetector",
    "PersonEvidence",
    "default_model_dir",
    "landmarks_available",
]
