"""Reading user images robustly: EXIF orientation, grayscale, RGBA, 16-bit, huge, corrupt."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from robosmplx.errors import InputError

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif"}
VIDEO_EXTS = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v"}
MAX_SIDE = 4096
MAX_PIXELS = 178_956_970  # larger images are refused unread (Pillow's decompression-bomb limit)


@dataclass
class LoadedImage:
    """An RGB uint8 image (H, W, 3) and what was done to it on the way in."""

    pixels: np.ndarray
    path: Path
    notes: tuple[str, ...] = ()
    scale: float = 1.0  # loaded pixels per original pixel (< 1 after downscaling)
    focal: float | None = None  # focal length in original pixels from EXIF (None: not recorded)


def load_image(path: str | Path, max_side: int = MAX_SIDE) -> LoadedImage:
    """Decode an image file to RGB uint8, honouring EXIF orientation.

    Grayscale is replicated to RGB, alpha is composited onto white, 16-bit is scaled to 8-bit,
    images larger than ``max_side`` are downscaled (and the note says so). Raises
    :class:`InputError` naming the file when it is missing, empty or not a decodable image.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = check_readable(path, "image")
    notes: list[str] = []
    try:
        with warnings.catch_warnings():  # the size is checked here, before decoding
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                _check_pixels(path, *im.size)
                im.load()
                focal = exif_focal(im)
                im = ImageOps.exif_transpose(im)
                arr = _to_rgb8(im, notes)
    except InputError:
        raise
    except Image.DecompressionBombError:
        raise InputError(_too_large(path)) from None
    except PermissionError:
        raise InputError(_no_permission(path)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise InputError(
            f"{path}: cannot be decoded as an image ({type(e).__name__}); "
            "the file may be truncated or not an image"
        ) from None
    scale = 1.0
    h, w = arr.shape[:2]
    if h == 0 or w == 0:
        raise InputError(f"{path}: image has zero size")
    if max(h, w) > max_side:
        import cv2

        scale = max_side / max(h, w)
        arr = cv2.resize(arr, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        notes.append(f"downscaled from {w}x{h} to {arr.shape[1]}x{arr.shape[0]}")
    return LoadedImage(np.ascontiguousarray(arr), path, tuple(notes), scale, focal)


FULL_FRAME_DIAGONAL_MM = 43.2666  # 36 x 24 mm: what "35 mm equivalent" focal lengths refer to
_FOCAL_PLANE_UNIT_MM = {2: 25.4, 3: 10.0, 4: 1.0, 5: 0.001}  # EXIF FocalPlaneResolutionUnit


def exif_focal(im) -> float | None:
    """The focal length in pixels of a Pillow image (before EXIF rotation, whose diagonal it
    keeps) from its EXIF: ``FocalLengthIn35mmFilm`` (scaled by the image diagonal over the
    36 x 24 mm diagonal), else ``FocalLength`` x ``FocalPlaneXResolution``; None when neither
    is recorded or the values make no sense."""
    try:
        exif = im.getexif().get_ifd(0x8769)  # the Exif sub-IFD
    except Exception:  # malformed EXIF is no reason to refuse the image
        return None
    w, h = im.size
    f35 = _positive(exif.get(0xA405))  # FocalLengthIn35mmFilm, mm
    if f35 is not None:
        return f35 * float(np.hypot(w, h)) / FULL_FRAME_DIAGONAL_MM
    f_mm, res = _positive(exif.get(0x920A)), _positive(exif.get(0xA20E))
    unit = _FOCAL_PLANE_UNIT_MM.get(int(exif.get(0xA210, 2) or 2))
    if f_mm is None or res is None or unit is None:
        return None
    recorded_w = _positive(exif.get(0xA002))  # PixelXDimension: the width the resolution is for
    return f_mm * res / unit * (w / recorded_w if recorded_w else 1.0)


def _positive(value) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return v if np.isfinite(v) and v > 0 else None


def check_readable(path: str | Path, what: str) -> Path:
    """``path`` as a Path, or :class:`InputError` when it is missing, empty or unreadable."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    if not os.access(path, os.R_OK):
        raise InputError(_no_permission(path))
    if path.stat().st_size == 0:
        raise InputError(f"{path}: empty file; re-export or re-download the {what}")
    return path


def _no_permission(path: Path) -> str:
    return f"{path}: permission denied; make the file readable (chmod +r) or copy it"


def _too_large(path: Path, size: tuple[int, int] | None = None) -> str:
    shown = f"{size[0]}x{size[1]} pixels, " if size else ""
    return (
        f"{path}: image too large ({shown}over {MAX_PIXELS / 1e6:.0f} megapixels, refused "
        "unread as a possible decompression bomb); downscale it first"
    )


def _check_pixels(path: Path, w: int, h: int) -> None:
    if w * h > MAX_PIXELS:
        raise InputError(_too_large(path, (w, h)))


def _to_rgb8(im, notes: list[str]) -> np.ndarray:
    from PIL import Image

    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        a = np.asarray(im, dtype=np.float64)
        top = 65535.0 if a.max() > 255 else 255.0
        a = np.clip(a / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        notes.append(f"converted {mode} to 8-bit")
        return np.repeat(a[..., None], 3, axis=2)
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        notes.append("alpha composited onto white")
        return np.asarray(Image.alpha_composite(bg, rgba).convert("RGB"))
    if mode != "RGB":
        if mode not in ("L", "1", "P", "CMYK", "YCbCr", "LAB", "HSV", "RGBX"):
            notes.append(f"converted {mode} to RGB")
        return np.asarray(im.convert("RGB"))
    return np.asarray(im)


def expand_inputs(inputs: list[str | Path]) -> tuple[list[Path], list[str]]:
    """Files and folders -> sorted list of image/video files, plus one error line per bad input."""
    files: list[Path] = []
    errors: list[str] = []
    for raw in inputs:
        p = Path(raw)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.suffix.lower() in IMAGE_EXTS | VIDEO_EXTS)
            if not found:
                errors.append(f"{p}: folder holds no image or video files")
            files.extend(found)
        elif p.is_file():
            if p.suffix.lower() in IMAGE_EXTS | VIDEO_EXTS:
                files.append(p)
            else:
                # Unknown extension: try as an image, the loader gives a clear error if not.
                files.append(p)
        else:
            errors.append(f"{p}: no such file or folder")
    return files, errors


def is_video(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_EXTS
