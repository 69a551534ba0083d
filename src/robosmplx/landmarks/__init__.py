"""Pretrained landmark evidence for real photos: body (BlazePose GHUM, 33 points + metric 3D),
hands (21 points), face mesh (468 points) and a person mask, for every person of an image.

Importing this package needs numpy only; running the models needs the ``landmarks`` extra
(``ai-edge-litert``) and the model files (``robosmplx landmarks fetch``)."""

from robosmplx.lazy import lazy_exports

# loaded on first use, so that the command's parser imports nothing heavy
__getattr__, __all__ = lazy_exports(
    "robosmplx.landmarks",
    {
        "BODY33": "types",
        "HAND21": "types",
        "PersonEvidence": "types",
        "LandmarkDetector": "detector",
        "default_model_dir": "models",
        "landmarks_available": "models",
    },
)
