"""The ten controlled perturbations of the robustness benchmark (paper appendix A), and hard
erasing.

``perturb(name, magnitude, scene, convention)`` acts on an image, the person box and the ground
truth and returns new ones; magnitude 0 is the identity for every perturbation. Two conventions:
``paper`` (the text of appendix A, the default) and ``authors`` (the authors' benchmark
transforms, which produced the paper's figures: their release's
mmhuman3d/data/datasets/pipelines/benchmarks.py with mmcv's photometric functions, restated
in the ``_*_authors`` functions; docs/evaluation.md compares the two). The ``paper``
convention:

- ``translate_x``: content moves right by ``m`` x image width (left for m < 0);
  ``translate_y``: content moves UP by ``m`` x image height. The image wraps at its border; 2D
  keypoints wrap with it; the box stays where it was.
- ``scale``: the box shrinks by ``m`` (``size * (1 - m)``; +0.1 = a 10 % tighter crop), as the
  paper's text says. (The authors' benchmark code multiplies the scale by 1 + m instead.)
- ``rotation``: ``m`` degrees counter-clockwise on screen about the box centre, as part of the
  crop's own warp (``Scene.crop_rotation``; one warp, in both conventions); 2D keypoints, 3D
  keypoints, global orientation and translation turn with the crop.
- ``lowres``: down-sample by ``1 + m`` then up-sample back (m = 1 is the paper's factor 2).
- ``hue``: cyclic shift of the HSV hue by ``m`` turns; ``sharpness``, ``grayness`` (colour
  saturation), ``contrast``, ``brightness``: PIL ImageEnhance with factor ``1 + m``.
- ``hard_erasing`` (not one of the paper's ten, off the default sweep): a square of uniform
  noise, ``m`` x the crop's area, centred on a keypoint (``Scene.focus``), drawn only when it
  fits inside the image.

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
from robosmplx.errors import ConfigError

CONVENTIONS = ("paper", "authors")


@dataclass
class Scene:
    """An image (H, W, 3) uint8 RGB, the person box (4,) xywh, and its ground truth.

    focus: (2,) pixel the hard erasing centres on (None: the box centre). crop_rotation:
    degrees the crop warp turns by (rotation acts through the crop's own warp)."""

    image: np.ndarray
    box: np.ndarray
    ann: Annotation | None = None
    focus: np.ndarray | None = None
    crop_rotation: float = 0.0

    def with_image(self, image: np.ndarray) -> Scene:
        return Scene(image, self.box, self.ann, self.focus, self.crop_rotation)


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
    return Scene(img, scene.box.copy(), ann, scene.focus, scene.crop_rotation)


def _resize_box(scene: Scene, factor: float) -> Scene:
    b = np.asarray(scene.box, np.float64)
    c, size = b[:2] + b[2:4] / 2.0, b[2:4] * factor
    box = np.concatenate((c - size / 2.0, size))
    return Scene(scene.image, box, scene.ann, scene.focus, scene.crop_rotation)


def _scale(scene: Scene, m: float) -> Scene:
    return _resize_box(scene, 1.0 - m)


def _rotation(scene: Scene, m: float) -> Scene:
    """The crop warp turns by ``m`` degrees: one warp from the image to the crop (the authors'
    way, and no black corners where the image has content); the crop turns the ground truth."""
    return Scene(scene.image, scene.box, scene.ann, scene.focus, scene.crop_rotation + m)


def _lowres(scene: Scene, m: float) -> Scene:
    h, w = scene.image.shape[:2]
    f = 1.0 + m
    small = cv2.resize(
        scene.image, (max(1, round(w / f)), max(1, round(h / f))), interpolation=cv2.INTER_AREA
    )
    return scene.with_image(cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR))


def _hue(scene: Scene, m: float) -> Scene:
    hsv = cv2.cvtColor(scene.image.astype(np.float32) / 255.0, cv2.COLOR_RGB2HSV)
    hsv[..., 0] = np.mod(hsv[..., 0] + 360.0 * m, 360.0)
    rgb = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    img = np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return scene.with_image(img)


def _enhance(kind) -> Callable[[Scene, float], Scene]:
    def fn(scene: Scene, m: float) -> Scene:
        img = kind(Image.fromarray(scene.image)).enhance(1.0 + m)
        return scene.with_image(np.asarray(img, dtype=np.uint8).copy())

    return fn


# -- the authors' benchmark transforms ----------------------------------------------------------
def _translate_authors(scene: Scene, m: float, axis: str) -> Scene:
    """ControlledTranslate: one nearest warp by m x width (height), wrapping; +y is down."""
    h, w = scene.image.shape[:2]
    off = m * (w if axis == "x" else h)
    mat = np.float32([[1, 0, off], [0, 1, 0]] if axis == "x" else [[1, 0, 0], [0, 1, off]])
    img = cv2.warpAffine(
        scene.image, mat, (w, h), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_WRAP
    )
    return scene.with_image(img)  # their ground truth stays where it was


def _scale_authors(scene: Scene, m: float) -> Scene:
    """ControlledScale: the crop box times 1 + m (+0.3: a broader crop)."""
    return _resize_box(scene, 1.0 + m)


def _lowres_authors(scene: Scene, m: float) -> Scene:
    """ControlledLowRes: to int(W // f) x int(H // f) and back, bilinear both ways (their
    interpolation flags land in cv2.resize's ``dst`` argument)."""
    h, w = scene.image.shape[:2]
    f = 1.0 + m
    small = cv2.resize(scene.image, (max(1, int(w // f)), max(1, int(h // f))))  # bilinear
    return scene.with_image(cv2.resize(small, (w, h)))


def _blend(img: np.ndarray, factor: float, other: np.ndarray) -> np.ndarray:
    """mmcv's float32 blend ``img * f + other * (1 - f)``, clipped, truncated to uint8."""
    out = cv2.addWeighted(img.astype(np.float32), factor, other.astype(np.float32), 1 - factor, 0)
    return np.clip(out, 0, 255).astype(np.uint8)


def _gray3(img: np.ndarray) -> np.ndarray:
    return np.repeat(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)


def _grayness_authors(scene: Scene, m: float) -> Scene:
    return scene.with_image(cv2.addWeighted(scene.image, 1.0 + m, _gray3(scene.image), -m, 0))


def _brightness_authors(scene: Scene, m: float) -> Scene:
    return scene.with_image(_blend(scene.image, 1.0 + m, np.zeros_like(scene.image)))


def _contrast_authors(scene: Scene, m: float) -> Scene:
    gray = cv2.cvtColor(scene.image, cv2.COLOR_RGB2GRAY)
    mean = round(float(gray.sum()) / gray.size)
    return scene.with_image(_blend(scene.image, 1.0 + m, np.full_like(scene.image, mean)))


def _sharpness_authors(scene: Scene, m: float) -> Scene:
    kernel = np.array([[1.0, 1.0, 1.0], [1.0, 5.0, 1.0], [1.0, 1.0, 1.0]]) / 13.0
    return scene.with_image(_blend(scene.image, 1.0 + m, cv2.filter2D(scene.image, -1, kernel)))


def _hue_authors(scene: Scene, m: float) -> Scene:
    """mmcv.adjust_hue: uint8 HSV_FULL hue plus int(255 m), wrapping at 256."""
    hsv = cv2.cvtColor(scene.image, cv2.COLOR_RGB2HSV_FULL)
    hsv[..., 0] = (hsv[..., 0].astype(np.int64) + int(m * 255)) % 256
    return scene.with_image(cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB_FULL))


def hard_erase(
    image: np.ndarray, center: np.ndarray, area: float, rng: np.random.Generator
) -> np.ndarray:
    """A copy of ``image`` with a square of uniform noise of ``area`` pixels centred on
    ``center`` (x, y), placed as the authors' ControlledHardErasingKp: corner at centre - side/2
    + 1, truncated to whole pixels, skipped when it would leave the image."""
    h, w = image.shape[:2]
    side = float(np.sqrt(area))
    x0, y0 = float(center[0]) - side / 2 + 1, float(center[1]) - side / 2 + 1
    out = image.copy()
    if x0 >= 0 and y0 >= 0 and x0 + side < w and y0 + side < h:
        x, y, n = int(x0), int(y0), int(side)
        out[y : y + n, x : x + n] = (rng.random((n, n, image.shape[2])) * 255).astype(np.uint8)
    return out


HARD_ERASING_SEED = 0


def _hard_erasing(scene: Scene, m: float) -> Scene:
    h, w = scene.image.shape[:2]
    b = np.asarray(scene.box, np.float64)
    focus = b[:2] + b[2:4] / 2.0 - 0.5 if scene.focus is None else scene.focus
    rng = np.random.default_rng(HARD_ERASING_SEED)
    return scene.with_image(hard_erase(scene.image, focus, m * h * w, rng))


@dataclass(frozen=True)
class Perturbation:
    """Registry entry: valid ``range``, the ``sweep`` magnitudes (0 included), the paper's
    category (``location``, ``pose``, ``image``; ``occlusion`` for hard erasing), the ``frame``
    it acts in, the paper's and the authors' functions, and whether the default sweep has it."""

    name: str
    range: tuple[float, float]
    sweep: tuple[float, ...]
    category: str
    frame: str
    fn: Callable[[Scene, float], Scene]
    authors: Callable[[Scene, float], Scene]
    default: bool = True

    def function(self, convention: str) -> Callable[[Scene, float], Scene]:
        if convention not in CONVENTIONS:
            raise ConfigError(f"unknown convention {convention!r}; choose one of {CONVENTIONS}")
        return self.fn if convention == "paper" else self.authors


def _reg(name, rng, sweep, category, frame, fn, authors, default=True) -> Perturbation:
    return Perturbation(name, rng, tuple(sweep), category, frame, fn, authors, default)


_T = (-0.3, -0.2, -0.1, 0.0, 0.1, 0.2, 0.3)
_C = (-0.5, -0.25, 0.0, 0.25, 0.5)
PERTURBATIONS: dict[str, Perturbation] = {
    p.name: p
    for p in (
        _reg("translate_y", (-0.3, 0.3), _T, "location", "crop", lambda s, m: _translate(s, m, "y"), lambda s, m: _translate_authors(s, m, "y")),
        _reg("translate_x", (-0.3, 0.3), _T, "location", "crop", lambda s, m: _translate(s, m, "x"), lambda s, m: _translate_authors(s, m, "x")),
        _reg("scale", (-0.5, 0.5), (-0.5, -0.3, -0.1, 0.0, 0.1, 0.3, 0.5), "location", "full", _scale, _scale_authors),
        _reg("lowres", (0.0, 7.0), (0.0, 1.0, 3.0, 7.0), "image", "crop", _lowres, _lowres_authors),
        _reg("rotation", (-60.0, 60.0), (-60, -30, -15, 0, 15, 30, 60), "pose", "full", _rotation, _rotation),
        _reg("hue", (-0.5, 0.5), (-0.5, -0.25, -0.1, 0.0, 0.1, 0.25, 0.5), "image", "crop", _hue, _hue_authors),
        _reg("sharpness", (-1.0, 1.0), (-1.0, -0.5, 0.0, 0.5, 1.0), "image", "crop", _enhance(ImageEnhance.Sharpness), _sharpness_authors),
        _reg("grayness", (-0.5, 0.5), _C, "image", "crop", _enhance(ImageEnhance.Color), _grayness_authors),
        _reg("contrast", (-0.5, 0.5), _C, "image", "crop", _enhance(ImageEnhance.Contrast), _contrast_authors),
        _reg("brightness", (-0.5, 0.5), _C, "image", "crop", _enhance(ImageEnhance.Brightness), _brightness_authors),
        _reg("hard_erasing", (0.0, 0.25), (0.0, 0.01, 0.02, 0.05, 0.1), "occlusion", "crop", _hard_erasing, _hard_erasing, default=False),
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


def perturb(name: str, magnitude: float, scene: Scene, convention: str = "paper") -> Scene:
    """Apply one perturbation under ``convention`` (``paper`` or ``authors``); magnitude 0
    returns the scene unchanged (copied arrays)."""
    p = check_perturbation(name, float(magnitude))
    fn = p.function(convention)
    if magnitude == 0:
        box = np.asarray(scene.box, np.float64).copy()
        return Scene(scene.image.copy(), box, scene.ann, scene.focus, scene.crop_rotation)
    return fn(scene, float(magnitude))
