"""Person boxes from a JSON file, per image and per video frame (format in docs/inference.md).

    {
      "format": "xywh",
      "images": {
        "photo.jpg": [[x, y, w, h], [x, y, w, h, score]],
        "clip.mp4": {"0": [[x, y, w, h]], "1": []}
      }
    }

``format`` is ``xywh`` (default) or ``xyxy``; the short form is the ``images`` mapping alone.
Keys name an input by its path as given, its absolute path, or its file name. Boxes are in the
pixels of the image as displayed (after EXIF rotation). An image listed with ``[]`` has nobody;
an input not listed falls back to the detector or whole-image mode; in a listed video, a frame
not listed has nobody.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from robosmplx.errors import InputError

FORMATS = ("xywh", "xyxy")


@dataclass
class BoxTable:
    """Boxes by input key; values are (N, 5) arrays (images) or {frame: (N, 5)} (videos)."""

    path: Path
    entries: dict[str, np.ndarray | dict[int, np.ndarray]]

    def _lookup(self, input_path: Path):
        p = Path(input_path)
        for key in (str(p), str(p.resolve()), p.as_posix()):
            if key in self.entries:
                return self.entries[key]
        named = [k for k in self.entries if Path(k).name == p.name]
        if len(named) > 1:
            raise InputError(
                f"{self.path}: several entries end in {p.name!r} ({', '.join(named[:3])}); "
                f"key the boxes of {p} by its full path"
            )
        return self.entries[named[0]] if named else None

    def for_image(self, input_path: Path) -> np.ndarray | None:
        """(N, 5) boxes of an image, or None when the file does not list it."""
        v = self._lookup(input_path)
        if isinstance(v, dict):
            raise InputError(f"{self.path}: {input_path} is an image but its boxes are per frame")
        return v

    def for_video(self, input_path: Path) -> dict[int, np.ndarray] | None:
        """{frame index: (N, 5)} of a video, or None when the file does not list it."""
        v = self._lookup(input_path)
        if v is not None and not isinstance(v, dict):
            raise InputError(
                f"{self.path}: {input_path} is a video; give its boxes per frame "
                '({"0": [[x, y, w, h]], ...})'
            )
        return v


def _parse_boxes(raw, fmt: str, where: str) -> np.ndarray:
    if not isinstance(raw, list):
        raise InputError(f"{where}: expected a list of boxes [x, y, w, h(, score)]")
    rows = []
    for i, b in enumerate(raw):
        ok = isinstance(b, list) and len(b) in (4, 5)
        ok = ok and all(isinstance(x, int | float) and not isinstance(x, bool) for x in b)
        if not ok:
            raise InputError(
                f"{where}[{i}]: expected [x, y, w, h] or [x, y, w, h, score], got {b!r}"
            )
        v = np.asarray(b + [1.0] * (5 - len(b)), np.float64)
        if fmt == "xyxy":
            v[2:4] -= v[0:2]
        if not np.isfinite(v).all():
            raise InputError(
                f"{where}[{i}]: box {b} has a value that is not a finite number; write numbers "
                f"for x, y, w, h ({fmt})"
            )
        if v[2] <= 0 or v[3] <= 0:
            raise InputError(f"{where}[{i}]: box {b} has no positive width and height ({fmt})")
        rows.append(v)
    return np.stack(rows) if rows else np.zeros((0, 5))


def load_boxes(path: str | Path) -> BoxTable:
    """Read and validate a box file; :class:`InputError` names the file and the bad entry."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: box file not found")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{path}: box file is not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: not valid JSON (line {e.lineno}: {e.msg})") from None
    except RecursionError:
        raise InputError(
            f"{path}: JSON nested too deeply; a box file is {{NAME: [[x, y, w, h], ...]}}"
        ) from None
    if not isinstance(doc, dict):
        raise InputError(f"{path}: expected a JSON object (see docs/inference.md, 'Box files')")
    fmt = "xywh"
    if isinstance(doc.get("images"), dict):
        fmt = doc.get("format", "xywh")
        if fmt not in FORMATS:
            raise InputError(f"{path}: format must be one of {FORMATS}, got {fmt!r}")
        unknown = set(doc) - {"format", "images"}
        if unknown:
            raise InputError(f"{path}: unknown top-level keys {sorted(unknown)}")
        doc = doc["images"]
    entries: dict = {}
    for key, value in doc.items():
        where = f"{path}: {key!r}"
        if isinstance(value, dict):
            frames = {}
            for fk, fv in value.items():
                try:
                    idx = int(fk)
                except ValueError:
                    raise InputError(f"{where}: frame key {fk!r} is not a frame index") from None
                if idx < 0:
                    raise InputError(f"{where}: frame index {idx} is negative")
                frames[idx] = _parse_boxes(fv, fmt, f"{where} frame {idx}")
            entries[key] = frames
        else:
            entries[key] = _parse_boxes(value, fmt, where)
    return BoxTable(path, entries)


def boxes_document(entries: dict, fmt: str = "xywh") -> dict:
    """The JSON document for ``entries`` ({input: (N, 4|5) or {frame: (N, 4|5)}})."""

    def rows(b):
        return [[float(x) for x in r] for r in b]

    images = {
        str(k): {str(f): rows(b) for f, b in v.items()} if isinstance(v, dict) else rows(v)
        for k, v in entries.items()
    }
    return {"format": fmt, "images": images}
