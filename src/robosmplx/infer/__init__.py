"""Inference for users: images, folders and videos in; parameters, meshes and pictures out.

``from robosmplx.infer import Predictor`` (loaded on first use, so that the light helpers of
this package import without torch models). See docs/inference.md.
"""

_LAZY = {"Predictor", "PersonResult", "ImagePrediction"}


def __getattr__(name: str):
    if name in _LAZY:
        from robosmplx.infer import predictor

        return getattr(predictor, name)
    raise AttributeError(f"module 'robosmplx.infer' has no attribute {name!r}")


__all__ = sorted(_LAZY)
