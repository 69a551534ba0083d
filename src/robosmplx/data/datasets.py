"""Datasets for the body, hand, face and whole-body stages, and a ratio mixer.

Each dataset reads one HumanData file, maps it onto the body model and yields flat samples with
the keys of docs/contracts.md (or ``(anchor, twin)`` pairs with ``twins=True``). Augmentation is
drawn from ``default_rng((seed, epoch, index))``, so a sample depends only on the seed, the epoch
and its index, never on the number of workers. Bad samples raise a :class:`DataError`, or with
``on_bad="skip"`` are left out and counted in :attr:`HumanDataset.skipped`. Samples of every stage
with body-model parameters but no part map get one rendered from the parameters
(:mod:`robosmplx.data.segm_render`; ``render_segm=False`` turns it off).
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from robosmplx.data.augment import IDENTITY, AugmentConfig, sample_augment, stage_augment
from robosmplx.data.flip import flip_spec
from robosmplx.data.humandata import HumanData, Remedies, load_humandata
from robosmplx.data.perturb import Scene, check_perturbation, perturb
from robosmplx.data.pipeline import Crop, crop_sample, to_sample
from robosmplx.data.records import annotation_at, build_table, find_bad
from robosmplx.data.twins import TwinConfig, sample_twin
from robosmplx.errors import ConfigError, DataError
from robosmplx.stage import get_stage

log = logging.getLogger(__name__)


class BadSample(Exception):
    """Internal: one sample cannot be used (the reason is the message)."""


def read_image(path: str) -> np.ndarray:
    """(H, W, 3) uint8 RGB; BadSample if the file is missing or not a decodable image."""
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise BadSample(f"image missing or unreadable: {path}")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def read_labels(path: str, shape: tuple[int, int]) -> np.ndarray:
    """(H, W) part labels from a PNG the size of the image."""
    lab = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if lab is None:
        raise BadSample(f"part map missing or unreadable: {path}")
    if lab.ndim == 3:
        lab = lab[..., 0]
    if lab.shape != shape:
        raise BadSample(f"part map {path} is {lab.shape[::-1]} px, its image {shape[::-1]}")
    return lab


class HumanDataset(Dataset):
    """One HumanData file as a dataset for ``stage`` (body, hand, face, wholebody).

    body/wholebody crop ``bbox_xywh``; face crops ``face_bbox_xywh`` (else ``bbox_xywh``);
    hand yields one sample per valid hand box, left hands mirrored to look like right hands
    (a file without hand boxes is read as right hands in ``bbox_xywh``).
    """

    def __init__(
        self,
        source: str | Path | HumanData,
        body_model,
        stage: str = "body",
        *,
        augment: AugmentConfig | None = None,
        train: bool = True,
        twins: bool = False,
        twin_config: TwinConfig | None = None,
        seed: int | None = 0,
        perturbation: tuple[str, float] | None = None,
        perturb_convention: str = "paper",
        on_bad: str = "error",
        image_dir: str | Path | None = None,
        trusted: bool = False,
        params_key: str | None = None,
        check_files: bool = True,
        remedies: Remedies = Remedies(),
        render_segm: bool = True,
    ):
        self.stage_spec = get_stage(stage)  # part, view, box, crop of the stage
        if on_bad not in ("error", "skip"):
            raise ConfigError(f"on_bad must be 'error' or 'skip', got {on_bad!r}")
        self.stage, self.model, self.train, self.twins = stage, body_model, train, twins
        self.seed, self.epoch, self.on_bad = seed, 0, on_bad
        self.remedies = remedies
        self.augment = augment if augment is not None else stage_augment(stage)
        self.twin_config = twin_config or TwinConfig()
        self.perturbation = perturbation
        self.perturb_convention = perturb_convention
        if perturbation is not None:
            check_perturbation(*perturbation).function(perturb_convention)
        hd = source if isinstance(source, HumanData) else load_humandata(source, trusted, remedies)
        self.table = build_table(hd, body_model, image_dir=image_dir, params_key=params_key)
        self.flip = flip_spec(body_model)
        self._setup_groups()
        self._no_box = 0
        self.entries = self._entries()
        self.skipped: Counter[str] = Counter()
        if self._no_box:
            self.skipped[f"no {self.box_name} box (confidence 0)"] = self._no_box
        self._validate(check_files)
        self._roots: dict[int, np.ndarray] = {}
        # part maps rendered from parameters (hand and face stages: their part alone, posed in
        # its own frame as their objective poses it)
        self.render_segm = render_segm
        self._segm_labels = None
        self._orients: dict[tuple[int, str], np.ndarray] = {}

    # -- setup ------------------------------------------------------------------------
    def _setup_groups(self) -> None:
        layout, spec = self.model.keypoint_layout, self.model.spec
        views = getattr(self.model, "part_views", {}) or {}
        view = self.stage_spec.view
        names = spec.names
        if view is not None and view in views:
            # a part subnetwork predicts its own global orientation too (part_global_orient)
            names = ("global_orient", *views[view].param_groups)
        self.rotation_groups = [(g.name, g.size) for g in spec.groups if g.name in names and g.kind == "rotation"]  # fmt: skip
        self.vector_groups = [(g.name, g.size) for g in spec.groups if g.name in names and g.kind == "vector"]  # fmt: skip
        self.keypoint_subset = None
        if view is not None:
            if view not in layout.subsets:
                raise DataError(f"body model {self.model.name!r} has no {view!r} keypoint subset")
            self.keypoint_subset = tuple(layout.subsets[view])
        box = self.stage_spec.box  # the stage's own box when the file has it, else the body's
        self.box_name = box if box == "face" and box in self.table.boxes else "body"
        needs_flip = self.augment.enabled and self.augment.flip_prob > 0 and self.stage != "hand"
        if needs_flip and self.rotation_groups:
            self.flip.require(f"{self.stage} samples (flip_prob={self.augment.flip_prob})")

    def _entries(self) -> list[tuple[int, str]]:
        """(sample, side) pairs; side is 'right'/'left' for hands, else the stage."""
        t = self.table
        if self.stage != "hand":
            sides = [self.stage]
        elif "rhand" not in t.boxes and "lhand" not in t.boxes:
            sides = ["right"]
        else:
            sides = [s for s, k in (("right", "rhand"), ("left", "lhand")) if k in t.boxes]
        out = []
        for i in range(len(t)):
            for side in sides:
                box = self._box_key(side)
                if t.boxes[box][i, 4] > 0:
                    out.append((i, side))
                elif self.stage != "hand":
                    self._no_box += 1
        if any(side == "left" for _, side in out):
            self.flip.require("left hands into right hands")
        return out

    def _box_key(self, side: str) -> str:
        if self.stage_spec.box == "hand":
            has_parts = "rhand" in self.table.boxes or "lhand" in self.table.boxes
            return ("rhand" if side == "right" else "lhand") if has_parts else "body"
        return self.box_name

    def _validate(self, check_files: bool) -> None:
        bad: dict[int, str] = {}
        for key in {self._box_key(side) for _, side in self.entries}:
            for i, why in find_bad(self.table, key, check_files).items():
                bad.setdefault(i, why)
        if not bad:
            return
        if self.on_bad == "error":
            i, why = next(iter(sorted(bad.items())))
            raise DataError(
                f"{self.table.where}: sample {i} ({self.table.image_paths[i]}): {why} "
                f"({len(bad)} bad samples in all). Fix the file, or {self.remedies.skip} to "
                "leave them out (they are counted as skipped)"
            )
        self.entries = [e for e in self.entries if e[0] not in bad]
        self.skipped.update(why.split(":")[0] for why in bad.values())
        log.warning(
            "%s: skipped %d bad samples: %s", self.table.where, len(bad), dict(self.skipped)
        )

    # -- access -----------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.entries)

    def set_epoch(self, epoch: int) -> None:
        """Augmentation draws depend on (seed, epoch, index)."""
        self.epoch = int(epoch)

    @property
    def signature(self) -> tuple:
        """What must agree for samples of two datasets to be batched together."""
        k = len(self.keypoint_subset) if self.keypoint_subset else len(self.model.keypoint_layout)
        return (self.stage, self.augment.crop_size, tuple(self.rotation_groups),
                tuple(self.vector_groups), k, self.twins)  # fmt: skip

    def report(self) -> dict[str, int]:
        """Counts of skipped samples by reason (file checks and failed reads in this process)."""
        return dict(self.skipped)

    def rng_for(self, index: int) -> np.random.Generator:
        if self.seed is None:
            return np.random.default_rng(np.random.randint(0, 2**31 - 1))
        return np.random.default_rng((self.seed, self.epoch, index))

    def __getitem__(self, index: int):
        return self.get(index, self.rng_for(index))

    def get(self, index: int, rng: np.random.Generator):
        """Sample ``index`` with augmentation from ``rng``; skips bad ones when allowed."""
        n = len(self.entries)
        if n == 0:
            raise DataError(f"{self.table.where}: no usable samples for stage {self.stage!r}")
        for attempt in range(n):
            j = (index + attempt) % n
            try:
                return self._make(j, rng)
            except BadSample as e:
                i = self.entries[j][0]
                if self.on_bad == "error":
                    raise DataError(
                        f"{self.table.where}: sample {i}: {e}. Fix the data, or "
                        f"{self.remedies.skip} to leave such samples out"
                    ) from None
                self.skipped[str(e).split(":")[0]] += 1
                log.warning("%s: skipping sample %d: %s", self.table.where, i, e)
        raise DataError(f"{self.table.where}: every sample failed to load; see the warnings")

    # -- one sample ----------------------------------------------------------------------
    def _pivot(self, i: int, transl: np.ndarray) -> np.ndarray:
        """Camera-frame centre of the global rotation: the file's root_cam, else found from
        the body model (cached per sample) and moved by the translation."""
        if self.table.root_cam is not None:
            return self.table.root_cam[i].astype(np.float64)
        if i not in self._roots:
            vectors = {
                k: torch.from_numpy(np.asarray(v[i], np.float32)[None])
                for k, v in self.table.vectors.items()
                if k in self.model.spec
            }
            self._roots[i] = self.model.rotation_center(**vectors).numpy()
        return self._roots[i] + transl

    def _load(self, j: int):
        i, side = self.entries[j]
        image = read_image(self.table.image_paths[i])
        h, w = image.shape[:2]
        box = self.table.boxes[self._box_key(side)][i, :4].astype(np.float64)
        if box[0] >= w or box[1] >= h or box[0] + box[2] <= 0 or box[1] + box[3] <= 0:
            raise BadSample(f"box outside the image: box {box.round(1).tolist()}, image {w}x{h}")
        segm = None
        paths = self.table.segm_paths.get(self.stage)
        if paths and paths[i]:
            segm = read_labels(paths[i], (h, w))
            parts = len(self.flip.parts.get(self.stage_spec.part, ())) - 1
            if parts > 0 and int(segm.max()) > parts:
                raise BadSample(f"part map {paths[i]} has label {int(segm.max())} > {parts} parts")
        ann = annotation_at(self.table, i, segm)
        if ann.has.get("transl", 0.0) > 0:
            ann = ann.replace(pivot=self._pivot(i, ann.transl))
        if self.stage_spec.view is not None:
            ann = self._part_frame(i, side, ann)
        return i, side, image, box, ann

    def _part_frame(self, i: int, side: str, ann):
        """A whole-body annotation's ``global_orient`` turned into the part's own (hand or
        face frame, :meth:`BodyModel.part_global_orient`; cached per sample and side), which
        the part subnetwork predicts. Part-only files (no ``body_pose``) already hold it."""
        rots, has = ann.rotations, ann.has
        whole = "body_pose" in rots and has.get("body_pose", 0.0) > 0
        if "global_orient" not in rots or not whole or has.get("global_orient", 0.0) <= 0:
            return ann
        view = {"right": "rhand", "left": "lhand"}.get(side, "face")
        if view not in getattr(self.model, "part_views", {}):  # cannot say: leave it unsupervised
            return ann.replace(has={**has, "global_orient": 0.0})
        key = (i, side)
        if key not in self._orients:
            spec = self.model.spec
            params = {
                f"{k}_rotmat": torch.from_numpy(v[None]) for k, v in rots.items() if k in spec
            }
            params.update(
                {k: torch.from_numpy(np.asarray(v, np.float32)[None])
                 for k, v in ann.vectors.items() if k in spec}
            )  # fmt: skip
            r = self.model.part_global_orient(view, **params)
            self._orients[key] = r.numpy().astype(np.float32)  # (1, 3, 3)
        return ann.replace(rotations={**rots, "global_orient": self._orients[key]})

    def _make(self, j: int, rng: np.random.Generator):
        i, side, image, box, ann = self._load(j)
        aug = sample_augment(self.augment, rng) if self.train else IDENTITY
        if self.stage == "hand":  # right-hand network: mirror left hands, never right ones
            aug = dataclasses.replace(aug, flip=side == "left")
        cfg = self.augment
        part_set = self.stage_spec.part
        frame = None
        if self.perturbation is not None:
            name, m = self.perturbation
            frame = check_perturbation(name, m).frame
            if frame == "full":
                scene = perturb(name, m, Scene(image, box, ann), self.perturb_convention)
                image, box, ann = scene.image, scene.box, scene.ann
                if scene.crop_rotation:  # the authors' rotation: part of the crop warp
                    aug = dataclasses.replace(aug, rotation=aug.rotation + scene.crop_rotation)
        crop = self._with_segm(crop_sample(image, ann, box, aug, cfg, self.flip, part_set))
        if frame == "crop":
            crop = _perturb_crop(
                crop, *self.perturbation, self.perturb_convention, self._focus(crop)
            )
        sample = self._tensors(crop, box, j)
        if not self.twins:
            return sample
        taug = sample_twin(aug, self.twin_config, rng)
        twin = self._with_segm(crop_sample(image, ann, box, taug, cfg, self.flip, part_set))
        return sample, self._tensors(twin, box, j)

    def _with_segm(self, crop: Crop) -> Crop:
        """``crop`` with a part map rendered from its parameters when it has none."""
        if crop.segm is not None or not self.render_segm:
            return crop
        from robosmplx.data.segm_render import render_part_labels, stage_vertex_labels

        if self._segm_labels is None:
            self._segm_labels = stage_vertex_labels(self.model, self.stage_spec)
        vertex_labels, parts = self._segm_labels
        labels = render_part_labels(
            self.model, crop.ann, crop.image.shape[0], vertex_labels, parts, self.stage_spec.view
        )
        return crop if labels is None else dataclasses.replace(crop, segm=labels)

    def _focus(self, crop: Crop) -> np.ndarray | None:
        """The crop pixel hard erasing centres on: the stage's keypoint (right wrist for body
        and whole body, as the authors' default; middle knuckle for hands; nose for faces)."""
        name = _ERASE_AT[self.stage]
        names = [n.lower() for n in self.model.keypoint_layout.names]
        kp = crop.ann.keypoints2d
        if name not in names or names.index(name) >= len(kp) or kp[names.index(name), 2] <= 0:
            return None
        return kp[names.index(name), :2].astype(np.float64)

    def _tensors(self, crop: Crop, box: np.ndarray, j: int) -> dict[str, torch.Tensor]:
        return to_sample(
            crop, box, j, self.rotation_groups, self.vector_groups, self.keypoint_subset,
            part_boxes=self.stage == "wholebody",
        )  # fmt: skip


_ERASE_AT = {"body": "r_wrist", "wholebody": "r_wrist", "hand": "r_middle_1", "face": "nose"}


def _perturb_crop(
    crop: Crop, name: str, magnitude: float, convention: str = "paper", focus=None
) -> Crop:
    """Apply a crop-frame perturbation to an un-augmented crop (image size = network input)."""
    s = crop.image.shape[0]
    box = np.array([0.0, 0.0, s, s])
    scene = Scene(crop.image, box, crop.ann.replace(segm=crop.segm), focus)
    scene = perturb(name, magnitude, scene, convention)
    return Crop(scene.image, scene.ann.replace(segm=None), crop.affine, scene.ann.segm)


class BodyDataset(HumanDataset):
    """Body stage: 256 px crops of ``bbox_xywh`` with whole-body keypoints."""

    def __init__(self, source, body_model, **kw):
        super().__init__(source, body_model, "body", **kw)


class HandDataset(HumanDataset):
    """Hand stage: right-hand crops (left hands mirrored), the ``rhand`` keypoint subset."""

    def __init__(self, source, body_model, **kw):
        super().__init__(source, body_model, "hand", **kw)


class FaceDataset(HumanDataset):
    """Face stage: crops of ``face_bbox_xywh``, the ``face`` keypoint subset."""

    def __init__(self, source, body_model, **kw):
        super().__init__(source, body_model, "face", **kw)


class WholeBodyDataset(HumanDataset):
    """Whole-body stage: 512 px body crops plus hand and face boxes in crop pixels."""

    def __init__(self, source, body_model, **kw):
        super().__init__(source, body_model, "wholebody", **kw)


class MixedDataset(Dataset):
    """Draws each index from dataset ``k`` with probability ``ratios[k]`` (normalised).

    ``length`` samples per epoch; the choice of dataset, the sample within it and its
    augmentation come from ``default_rng((seed, epoch, index))``, so the mix is reproducible.
    """

    def __init__(
        self, datasets: Sequence[HumanDataset], ratios: Sequence[float], length: int,
        seed: int = 0,
    ):  # fmt: skip
        if len(datasets) == 0 or len(datasets) != len(ratios):
            raise ConfigError(
                f"need one ratio per dataset: {len(datasets)} datasets, {len(ratios)} ratios"
            )
        r = np.asarray(ratios, np.float64)
        if (r < 0).any() or r.sum() <= 0 or not np.isfinite(r).all():
            raise ConfigError(
                f"ratios must be non-negative with a positive sum, got {list(ratios)}"
            )
        sigs = {d.signature for d in datasets}
        if len(sigs) > 1:
            raise ConfigError(
                f"datasets to mix yield different sample layouts: {sorted(map(str, sigs))}"
            )
        if any(len(d) == 0 for d, w in zip(datasets, r) if w > 0):
            raise DataError("a dataset with a non-zero ratio has no usable samples")
        self.datasets, self.length, self.seed, self.epoch = list(datasets), int(length), seed, 0
        self.cum = np.cumsum(r / r.sum())

    def __len__(self) -> int:
        return self.length

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)
        for d in self.datasets:
            d.set_epoch(epoch)

    def pick(self, index: int) -> tuple[int, int, np.random.Generator]:
        """(dataset, index in it, rng for the augmentation) of mixed ``index``."""
        rng = np.random.default_rng((self.seed, self.epoch, index))
        k = int(min(np.searchsorted(self.cum, rng.uniform(), side="right"), len(self.cum) - 1))
        return k, int(rng.integers(len(self.datasets[k]))), rng

    def __getitem__(self, index: int):
        if not 0 <= index < self.length:
            raise IndexError(index)
        k, j, rng = self.pick(index)
        return self.datasets[k].get(j, rng)
