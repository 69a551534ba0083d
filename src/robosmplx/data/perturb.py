"""The ten controlled perturbations of the robustness benchmark (paper appendix A).

``perturb(name, magnitude, scene)`` acts on an image, the person box and the ground truth and
returns new ones; magnitude 0 is the identity for every perturbation. Conventions:

- ``translate_x``: content moves right by ``m`` x image width (left for m < 0);
  ``translate_y``: content moves UP by ``m`` x image height. The image wraps at its border; 2D
  keypoints wrap with it; the box stays where it was.
- ``scale``: the box shrinks by ``m`` (``size * (1 - m)``; +0.1 = a 10 % tighter crop), as the
  paper's text says. (The authors' benchmark code multiplies the scale by 1 + m instead.)
- ``rotation``: ``m`` degrees counter-clockwise on screen about the box centre; 2D keypoints,
  3D keypoints, global orientation and translation turn with the image.
- ``lowres``: down-sample by ``1 + m`` then up-sample back (m = 1 is the paper's factor 2).
- ``hue``: cyclic shift of the HSV hue by ``m`` turns; ``sharpness``, ``grayness`` (colour
  saturation), ``contrast``, ``brightness``: PIL ImageEnhance with factor ``1 + m``.

``frame`` tells where the benchmark applies each one: ``full`` on the original image before
cropping (they need the surroundings), ``crop`` on the test-time crop, so that "image size"
and "resolution" mean the network's input, as in the paper.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageEnhance

from robosmplx.data import annotation as annops
from robosmplx.data.annotation import Annotation
from robosmplx.data.crop import rotate_about
from robosmplx.errors import ConfigError


@dataclass
class Scene:
    """An image (H, W, 3) uint8 RGB, the person box (4,) xywh, and its ground truth."""

    image: np.ndarray
    box: np.ndarray
    ann: Annotation | None = None


def _translate(scene: Scene, m: float, axis: str) -> Scene:
    h, w = scene.image.shape[:2]
    dx = int(round(m * w)) if axis == "x" else 0
    dy = -int(round(m * h)) if axis == "y" else 0
    img = np.roll(scene.image, (dy, dx), axis=(0, 1))
    ann = scene.ann
    if ann is not None:
        segm = ann.segm
        if segm is not None:
            sh, sw = segm.shape
            segm = np.roll(segm, (int(round(dy * sh / h)), int(round(dx * sw / w))), axis=(0, 1))
        ann = annops.translate_wrapped(ann, dx, dy, (w, h)).replace(segm=segm)
    return Scene(img, scene.box.copy(), ann)


def _scale(scene: Scene, m: float) -> Scene:
    b = np.asarray(scene.box, np.float64)
    c, size = b[:2] + b[2:4] / 2.0, b[2:4] * (1.0 - m)
    return Scene(scene.image, np.concatenate((c - size / 2.0, size)), scene.ann)


def _rotation(scene: Scene, m: float) -> Scene:
    h, w = scene.image.shape[:2]
    b = np.asarray(scene.box, np.float64)
    center = b[:2] + b[2:4] / 2.0 - 0.5  # continuous box centre -> pixel coordinates
    a = rotate_about(m, center)
    img = cv2.warpAffine(scene.image, a, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)
    ann = scene.ann
    if ann is not None:
        segm = ann.segm
        if segm is not None:
            sh, sw = segm.shape
            k = np.diag([sw / w, sh / h, 1.0])
            a_seg = (k @ np.vstack((a, [0, 0, 1])) @ np.linalg.inv(k))[:2]
            segm = cv2.warpAffine(segm, a_seg, (sw, sh), flags=cv2.INTER_NEAREST, borderValue=0)
        ann = annops.rotate(ann, m, center).replace(segm=segm)
    return Scene(img, scene.box.copy(), ann)


def _lowres(scene: Scene, m: float) -> Scene:
    h, w = scene.image.shape[:2]
    f = 1.0 + m
    small = cv2.resize(
        scene.image, (max(1, round(w / f)), max(1, round(h / f))), interpolation=cv2.INTER_AREA
    )
    return Scene(cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR), scene.box, scene.ann)


def _hue(scene: Scene, m: float) -> Scene:
    hsv = cv2.cvtColor(scene.image.astype(np.float32) / 255.0, cv2.COLOR_RGB2HSV)
    hsv[..., 0] = np.mod(hsv[..., 0] + 360.0 * m, 360.0)
    rgb = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    img = np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return Scene(img, scene.box, scene.ann)


def _enhance(kind) -> Callable[[Scene, float], Scene]:
    def fn(scene: Scene, m: float) -> Scene:
        img = kind(Image.fromarray(scene.image)).enhance(1.0 + m)
        return Scene(np.asarray(img, dtype=np.uint8).copy(), scene.box, scene.ann)

    return fn


@dataclass(frozen=True)
class Perturbation:
    """Registry entry: valid ``range``, the ``sweep`` magnitudes (0 included), the paper's
    category (``location``, ``pose`` or ``image``) and the ``frame`` it acts in."""

    name: str
    range: tuple[float, float]
    sweep: tuple[float, ...]
    category: str
    frame: str
    fn: Callable[[Scene, float], Scene]


def _reg(name, rng, sweep, category, frame, fn) -> Perturbation:
    return Perturbation(name, rng, tuple(sweep), category, frame, fn)


_T = (-0.3, -0.2, -0.1, 0.0, 0.1, 0.2, 0.3)
_C = (-0.5, -0.25, 0.0, 0.25, 0.5)
PERTURBATIONS: dict[str, Perturbation] = {
    p.name: p
    for p in (
        _reg("translate_y", (-0.3, 0.3), _T, "location", "crop", lambda s, m: _translate(s, m, "y")),
        _reg("translate_x", (-0.3, 0.3), _T, "location", "crop", lambda s, m: _translate(s, m, "x")),
        _reg("scale", (-0.5, 0.5), (-0.5, -0.3, -0.1, 0.0, 0.1, 0.3, 0.5), "location", "full", _scale),
        _reg("lowres", (0.0, 7.0), (0.0, 1.0, 3.0, 7.0), "image", "crop", _lowres),
        _reg("rotation", (-60.0, 60.0), (-60, -30, -15, 0, 15, 30, 60), "pose", "full", _rotation),
        _reg("hue", (-0.5, 0.5), (-0.5, -0.25, -0.1, 0.0, 0.1, 0.25, 0.5), "image", "crop", _hue),
        _reg("sharpness", (-1.0, 1.0), (-1.0, -0.5, 0.0, 0.5, 1.0), "image", "crop", _enhance(ImageEnhance.Sharpness)),
        _reg("grayness", (-0.5, 0.5), _C, "image", "crop", _enhance(ImageEnhance.Color)),
        _reg("contrast", (-0.5, 0.5), _C, "image", "crop", _enhance(ImageEnhance.Contrast)),
        _reg("brightness", (-0.5, 0.5), _C, "image", "crop", _enhance(ImageEnhance.Brightness)),
    )
}  # fmt: skip


def check_perturbation(name: str, magnitude: float) -> Perturbation:
    """The registry entry, or a ConfigError naming the valid names and range."""
    if name not in PERTURBATIONS:
        raise ConfigError(f"unknown perturbation {name!r}; choose one of {sorted(PERTURBATIONS)}")
    p = PERTURBATIONS[name]
    lo, hi = p.range
    if not lo - 1e-9 <= magnitude <= hi + 1e-9:
        raise ConfigError(f"perturbation {name}: magnitude {magnitude} outside [{lo}, {hi}]")
    return p


def perturb(name: str, magnitude: float, scene: Scene) -> Scene:
    """Apply one perturbation; magnitude 0 returns the scene unchanged (copied arrays)."""
    p = check_perturbation(name, float(magnitude))
    if magnitude == 0:
        return Scene(scene.image.copy(), np.asarray(scene.box, np.float64).copy(), scene.ann)
    return p.fn(scene, float(magnitude))
