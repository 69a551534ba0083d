"""Keypoint conventions: map a file's keypoints onto the body model's whole-body layout by name.

A file's keypoint names come from the file itself (``keypoint_names``, which our writer stores)
or from :data:`KEYPOINT_CONVENTIONS` by the convention name (the ``keypoints2d_<convention>``
suffix). Names are compared after :func:`normalize_name`; keypoints of the model layout that the
file lacks get confidence 0. Register other conventions with :func:`register_convention`.
mmhuman3d's 190-point ``human_data`` convention is built in (:mod:`robosmplx.data.human_data`),
and a file that names no convention but stores 190 points is read as ``human_data``, the
convention mmhuman3d writes every HumanData file in; its ``smplx``, ``smpl``, ``smpl_45`` and
``smpl_54`` conventions are built in too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from robosmplx.errors import DataError

_COCO = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)  # fmt: skip

KEYPOINT_CONVENTIONS: dict[str, tuple[str, ...]] = {"coco": _COCO}

# Synonyms seen across datasets, mapped to the words the body models use.
_ALIASES = {
    "l_": "left_",
    "r_": "right_",
    "lhand_": "left_hand_",
    "rhand_": "right_hand_",
}
_SIDE_SWAPS = (
    ("left", "right"),
    ("Left", "Right"),
    ("LEFT", "RIGHT"),
    ("lhand", "rhand"),
    ("leye", "reye"),
    ("lfoot", "rfoot"),
)


HUMAN_DATA = "human_data"
HUMAN_DATA_COUNT = 190


def convention_names(name: str) -> tuple[str, ...] | None:
    """The point names of a known convention (registered or built in), else None."""
    if name in KEYPOINT_CONVENTIONS:
        return KEYPOINT_CONVENTIONS[name]
    from robosmplx.data.human_data import mmhuman3d_conventions

    return mmhuman3d_conventions().get(name)


def convention_fallbacks(name: str | None, count: int) -> dict[str, tuple[str, ...]]:
    """Stand-ins of a convention: body-model point -> the file's points that may replace it."""
    if name == HUMAN_DATA or (name is None and count == HUMAN_DATA_COUNT):
        from robosmplx.data.human_data import human_data_fallbacks

        return human_data_fallbacks()
    return {}


def register_convention(name: str, names: Sequence[str]) -> None:
    """Make a convention's keypoint names known by its name (the ``keypoints2d_<name>`` suffix)."""
    KEYPOINT_CONVENTIONS[name] = tuple(str(n) for n in names)


def normalize_name(name: str) -> str:
    """Lower case, ``-``/space/dot to ``_``, ``l_``/``r_`` prefixes spelt out."""
    n = re.sub(r"[\s.\-]+", "_", name.strip().lower())
    for short, long in _ALIASES.items():
        if n.startswith(short):
            n = long + n[len(short) :]
    return n


def swap_side(name: str) -> str:
    """The mirror name of ``name`` (left <-> right in its common spellings), or ``name``."""
    for a, b in _SIDE_SWAPS:
        if a in name:
            return name.replace(a, b)
        if b in name:
            return name.replace(b, a)
    for a, b in (("L_", "R_"), ("l_", "r_")):
        if name.startswith(a):
            return b + name[len(a) :]
        if name.startswith(b):
            return a + name[len(b) :]
    for a, b in ((".L", ".R"), ("_L", "_R"), ("_l", "_r")):
        if name.endswith(a):
            return name[: -len(a)] + b
        if name.endswith(b):
            return name[: -len(b)] + a
    return name


def flip_permutation(names: Sequence[str]) -> tuple[int, ...]:
    """Permutation ``p`` with ``flipped[i] = original[p[i]]`` swapping left and right names."""
    index = {n: i for i, n in enumerate(names)}
    perm = []
    for n in names:
        m = swap_side(n)
        perm.append(index.get(m, index[n]))
    return tuple(perm)


def resolve_names(convention: str | None, stored: Sequence[str] | None, count: int, where: str):
    """Names of a file's ``count`` keypoints: stored names first, else the named convention."""
    if stored is not None:
        return tuple(stored)
    if convention is None and count == HUMAN_DATA_COUNT:
        convention = HUMAN_DATA  # what mmhuman3d writes when the file names none
    names = None if convention is None else convention_names(convention)
    if names is not None:
        if len(names) != count:
            raise DataError(
                f"{where}: convention {convention!r} has {len(names)} keypoints but the file "
                f"stores {count}"
            )
        return names
    raise DataError(
        f"{where}: keypoint names unknown for convention {convention!r} ({count} keypoints); "
        "store 'keypoint_names' in the file or call "
        "robosmplx.data.conventions.register_convention(name, names)"
    )


def mapping_indices(src: Sequence[str], dst: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(dst_idx, src_idx) of the names the two sets share, after :func:`normalize_name`."""
    lookup = {normalize_name(n): i for i, n in enumerate(src)}
    dst_idx, src_idx = [], []
    for j, n in enumerate(dst):
        i = lookup.get(normalize_name(n))
        if i is not None:
            dst_idx.append(j)
            src_idx.append(i)
    return np.asarray(dst_idx, np.int64), np.asarray(src_idx, np.int64)


def map_keypoints(
    kp: np.ndarray,
    src: Sequence[str],
    dst: Sequence[str],
    fallbacks: dict[str, tuple[str, ...]] | None = None,
) -> np.ndarray:
    """(..., K_src, C) keypoints -> (..., K_dst, C); missing names get zeros (confidence 0).

    fallbacks: ``{dst name: (src names...)}`` read, in order, where the dst point's own entry
    is missing or has confidence 0 (per sample)."""
    dst_idx, src_idx = mapping_indices(src, dst)
    out = np.zeros((*kp.shape[:-2], len(dst), kp.shape[-1]), dtype=kp.dtype)
    out[..., dst_idx, :] = kp[..., src_idx, :]
    if fallbacks:
        lookup = {normalize_name(n): i for i, n in enumerate(src)}
        for j, name in enumerate(dst):
            for alt in fallbacks.get(name, ()):
                i = lookup.get(normalize_name(alt))
                if i is None:
                    continue
                fill = (np.nan_to_num(out[..., j, -1]) <= 0) & (np.nan_to_num(kp[..., i, -1]) > 0)
                out[..., j, :] = np.where(fill[..., None], kp[..., i, :], out[..., j, :])
    return out
