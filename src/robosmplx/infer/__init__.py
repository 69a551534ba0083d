"""Inference for users: images, folders and videos in; parameters, meshes and pictures out.

``from robosmplx.infer import Predictor`` (loaded on first use, so that the light helpers of
this package import without torch models). See docs/inference.md.
"""

from robosmplx.lazy import lazy_exports

__getattr__, __all__ = lazy_exports(
    "robosmplx.infer",
    {"Predictor": "predictor", "PersonResult": "predictor", "ImagePrediction": "predictor"},
)
