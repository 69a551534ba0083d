"""robosmplx: robust whole-body 3D human pose and shape estimation from a single image."""

__version__ = "0.1.0"
