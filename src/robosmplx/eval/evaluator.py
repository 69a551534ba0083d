"""Run a checkpoint, or the ground truth itself (``oracle``), over a benchmark file.

Crops come from the ground-truth boxes (the data pipeline's test-time crop, optionally under one
perturbation); the network predicts in batches; the body model poses the predicted and the true
parameters; every part of the protocol is scored per sample (mm) and averaged. Groups the network
predicts and the file holds are scored; the other groups take the true value on both sides, so a
hand network is judged on its hand only. Every check that can fail (checkpoint, body model,
protocol, file fields, image files, vertex maps) runs in the constructor, before any prediction.
"""

from __future__ import annotations

import copy
import hashlib
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from robosmplx.devices import resolve_device
from robosmplx.errors import CheckpointError, ConfigError, DataError
from robosmplx.eval.parts import resolve_parts
from robosmplx.eval.protocols import Protocol, get_protocol
from robosmplx.eval.scoring import box_ious, nanmean, score_parts
from robosmplx.models.outputs import Prediction

BOX_PARTS = ("lhand", "rhand", "face")
GT_CACHE_BYTES = 512 * 2**20  # posed ground-truth meshes kept between runs of one evaluator


@dataclass(frozen=True)
class EvalOptions:
    """batch_size, num_workers: the data loader's. limit: score the first N samples only.
    image_dir: where relative image paths start (default: the data file's folder). model_dir:
    the SMPL-X family folder. trusted: allow pickled HumanData keys. on_bad: ``error`` or
    ``skip`` samples whose image is missing. convention: the perturbations' (``paper`` or
    ``authors``, :mod:`robosmplx.data.perturb`)."""

    batch_size: int = 16
    num_workers: int = 0
    device: str = "cpu"
    limit: int | None = None
    progress: bool = True
    image_dir: str | None = None
    model_dir: str | None = None
    trusted: bool = False
    on_bad: str = "error"
    convention: str = "paper"


class Evaluator:
    """Evaluate ``checkpoint`` (a saved robosmplx network) on ``data`` (a HumanData file) under
    ``protocol``; ``oracle=True`` feeds the ground truth as the prediction (no checkpoint
    needed); ``baseline="rest"`` predicts the body model's rest pose, neutral shape and face
    under the true global orientation for everyone (what a network that learnt nothing of
    pose, shape or expression would score; no checkpoint needed). ``body_model``: a name or a
    loaded model (default: the protocol's, else the file's ``body_model``, else ``anny``);
    one of the protocol's ``prediction_models`` (SMPL-X on 3DPW) is the prediction's model
    while the ground truth stays in the protocol's."""

    def __init__(
        self,
        protocol: Protocol | str,
        data: str | Path,
        checkpoint: str | Path | None = None,
        *,
        body_model=None,
        oracle: bool = False,
        baseline: str | None = None,
        options: EvalOptions | None = None,
        label: str | None = None,
    ):
        from robosmplx.data.humandata import load_humandata

        self.protocol = get_protocol(protocol) if isinstance(protocol, str) else protocol
        self.options = opts = options or EvalOptions()
        self.oracle, self.data = oracle, Path(data)
        self.checkpoint = None
        if checkpoint is not None:
            from robosmplx.infer.loading import resolve_checkpoint

            self.checkpoint = resolve_checkpoint(checkpoint)  # a file, folder or run
        if baseline not in (None, "rest"):
            raise ConfigError(f"unknown baseline {baseline!r}; the one baseline is 'rest'")
        if sum((self.checkpoint is not None, oracle, baseline is not None)) != 1:
            raise ConfigError(
                "give one of: a checkpoint to evaluate (--checkpoint), oracle=True (--oracle: "
                "score the ground truth itself), baseline='rest' (--baseline rest)"
            )
        self.baseline = baseline
        default_label = "oracle" if oracle else f"{baseline}-pose baseline"
        self.label = label or (Path(checkpoint).stem if self.checkpoint else default_label)
        self.device = resolve_device(opts.device)
        self.kind, self.net_cfg = None, None
        if self.checkpoint is not None:
            from robosmplx.models.checkpoint import read_model_config

            self.kind, self.net_cfg = read_model_config(self.checkpoint)
            task = self.net_cfg.task
            if task != self.protocol.task:
                raise CheckpointError(
                    f"{self.checkpoint}: a {task} network cannot be scored on protocol "
                    f"{self.protocol.name!r}, which needs a {self.protocol.task} network"
                )
        self.hd = load_humandata(self.data, trusted=opts.trusted)
        self.body, self.pred_body = self._body_model(body_model)
        self.cross = self.pred_body is not self.body
        if self.cross and oracle:
            raise ConfigError(
                f"the oracle scores the {self.body.name} ground truth itself: drop --body-model "
                f"{self.pred_body.name}"
            )
        groups = ()
        if self.kind is not None:
            from robosmplx.models.signature import check_body_model

            groups = self.net_cfg.predicted_groups
            check_body_model(self.net_cfg, self.pred_body, str(self.checkpoint))
        self.parts = resolve_parts(self.protocol, self.body, opts.model_dir)
        self.pred_parts = None
        if self.cross:
            from robosmplx.eval.parts import resolve_prediction_parts

            self.pred_parts = resolve_prediction_parts(
                self.protocol, self.pred_body, opts.model_dir
            )
        self.genders = self._genders()
        self.crop_size = (
            self.net_cfg.crop_size if self.kind is not None else self._default_crop_size()
        )
        self.base = self._dataset(None, check_files=True)
        stage_groups = {n for n, _ in self.base.rotation_groups + self.base.vector_groups}
        predicted = {g.name for g in groups} if self.net_cfg is not None else stage_groups
        self.scored = tuple(sorted(stage_groups & predicted))
        self._check_fields()
        self.net = None
        if self.checkpoint is not None:
            from robosmplx.models.checkpoint import load_model

            self.net = load_model(self.checkpoint).eval().to(self.device)
        # The data pipeline keeps the (shared, cached) CPU model; scoring runs on a device copy.
        dev = self.device
        self.scorer = self.body if dev.type == "cpu" else copy.deepcopy(self.body).to(dev)
        self.pred_scorer = self.scorer
        if self.cross:
            pb = self.pred_body
            self.pred_scorer = pb if dev.type == "cpu" else copy.deepcopy(pb).to(dev)
        self.gendered = {}
        if self.genders is not None:  # the gendered models of the ground truth (3DPW, AGORA)
            from robosmplx.body import load_body_model

            for g in sorted(set(self.genders.tolist())):
                m = load_body_model(self.body.name, model_dir=opts.model_dir, gender=g)
                self.gendered[g] = m if dev.type == "cpu" else copy.deepcopy(m).to(dev)
        self._meshes: dict[int, np.ndarray] = {}
        self._gt_cache: dict[tuple, object] = {}
        self._gt_cache_bytes = 0

    # -- preflight ---------------------------------------------------------------------
    def _body_model(self, body_model):
        """(the ground truth's model, the prediction's model): the same one unless the
        prediction's is one of the protocol's ``prediction_models``."""
        from robosmplx.body import load_body_model
        from robosmplx.body.registry import ALL_NAMES

        want = self.protocol.body_model
        if body_model is not None and not isinstance(body_model, str):
            model = body_model
        else:
            name = body_model or want or self.hd.body_model or "anny"
            if name not in ALL_NAMES:
                raise DataError(
                    f"{self.hd.where}: body_model {name!r} is not one robosmplx knows "
                    f"({', '.join(ALL_NAMES)}); pass --body-model"
                )
            model = load_body_model(name, model_dir=self.options.model_dir)
        if want is not None and model.name in self.protocol.prediction_models:
            return load_body_model(want, model_dir=self.options.model_dir), model
        if want is not None and model.name != want:
            raise ConfigError(
                f"protocol {self.protocol.name!r} scores {want} ground truth; got body model "
                f"{model.name!r}. Evaluate with --body-model {want}"
            )
        return model, model

    def _default_crop_size(self) -> int:
        from robosmplx.data.augment import stage_augment

        return stage_augment(self.protocol.task).crop_size

    def _genders(self) -> np.ndarray | None:
        """Per-row ``male``/``female`` of a gendered protocol's ground truth (``meta.gender``
        or ``gender``: ``m``/``f``, as mmhuman3d's converters write them); None otherwise."""
        if not self.protocol.gendered:
            return None
        raw = self.hd.get("meta.gender", self.hd.get("gender"))
        if raw is None:
            raise DataError(
                f"{self.hd.where}: protocol {self.protocol.name!r} scores the gendered "
                f"{self.body.name} ground truth: key 'meta.gender' ('m' or 'f' per sample) is "
                "missing"
            )
        names = {"m": "male", "male": "male", "f": "female", "female": "female"}
        vals = [str(v.decode() if isinstance(v, bytes) else v).lower() for v in raw.reshape(-1)]
        bad = sorted({v for v in vals if v not in names})
        if bad or len(vals) != len(self.hd):
            raise DataError(
                f"{self.hd.where}: meta.gender must hold 'm' or 'f' for each of the "
                f"{len(self.hd)} samples, found {bad or len(vals)}"
            )
        return np.array([names[v] for v in vals])

    def _ground_truth(self) -> str:
        """What the errors were measured against, for the results."""
        if self.protocol.name == "ehf" and "mesh_path" in self.hd:
            return "EHF's aligned meshes (mesh_path)"
        what = f"{self.body.name} posed from the file's parameters"
        return what + (" (gendered)" if self.genders is not None else "")

    def _landmark_ids(self) -> list[int]:
        from robosmplx.eval.official import FG2018_LANDMARKS

        names = list(self.body.keypoint_layout.names)
        missing = [n for n in FG2018_LANDMARKS if n not in names]
        if missing:
            raise ConfigError(
                f"body model {self.body.name!r} has no keypoints {missing} for the Stirling "
                "landmark alignment"
            )
        return [names.index(n) for n in FG2018_LANDMARKS]

    def _check_fields(self) -> None:
        """DataError naming the file and what it lacks for this protocol."""
        where, table, p = self.hd.where, self.base.table, self.protocol
        if p.metrics or self.oracle:
            if not table.rotations and not table.vectors:
                raise DataError(
                    f"{where}: no ground-truth parameters for body model {self.body.name!r}: "
                    f"protocol {p.name!r} needs a parameter group named like the model (keys "
                    f"such as '{self.body.name.split('-')[0]}.body_pose')"
                )
            missing = [g for g in self.scored if not np.any(table.has.get(g, np.zeros(1)) > 0)]
            if missing or not self.scored:
                raise DataError(
                    f"{where}: protocol {p.name!r} scores {list(self.scored) or 'nothing'}: the "
                    f"file has no ground truth for {missing or 'any predicted group'}"
                )
        if p.name == "ehf" and "mesh_path" in self.hd:
            rows = sorted({i for i, _ in self.base.entries})
            root = Path(self.options.image_dir) if self.options.image_dir else self.data.parent
            files = [Path(str(self.hd["mesh_path"][i])) for i in rows]
            missing = [f for f in files if not (f if f.is_absolute() else root / f).is_file()]
            if missing:
                raise DataError(
                    f"{where}: {len(missing)} aligned meshes not found, first {missing[0]}"
                )
        if p.box_iou:
            lacking = [b for b in BOX_PARTS if b not in table.boxes]
            if lacking:
                raise DataError(
                    f"{where}: protocol {p.name!r} scores part boxes but the file has no "
                    f"{', '.join(f'{b}_bbox_xywh' for b in lacking)}"
                )
        if p.rmse3d:
            lm = self.hd.get("scan_landmarks")
            if lm is None or lm.ndim != 3 or lm.shape[1:] != (7, 3):
                raise DataError(
                    f"{where}: protocol {p.name!r} aligns on the scans' 7 landmarks: key "
                    "'scan_landmarks' (N, 7, 3) is missing or misshapen (Stirling's .lnd files: "
                    "eye corners right outer/inner, left inner/outer, nose bottom, mouth corners)"
                )
            self._landmark_ids()
            if "scan_path" not in self.hd:
                raise DataError(
                    f"{where}: protocol {p.name!r} compares with face scans: key 'scan_path' "
                    "(N,) of mesh files is missing"
                )
            rows = sorted({i for i, _ in self.base.entries})
            missing = [f for f in self._scan_files(rows) if not f.is_file()]
            if missing:
                raise DataError(f"{where}: {len(missing)} scan files not found, first {missing[0]}")

    # -- data ----------------------------------------------------------------------------
    def _dataset(self, perturbation: tuple[str, float] | None, check_files: bool = False):
        from robosmplx.data.augment import stage_augment
        from robosmplx.data.datasets import HumanDataset

        stage = self.protocol.task
        aug = stage_augment(stage, crop_size=self.crop_size, enabled=False)
        return HumanDataset(
            self.hd, self.body, stage, augment=aug, train=False, seed=0,
            perturbation=perturbation, perturb_convention=self.options.convention,
            on_bad=self.options.on_bad,
            image_dir=self.options.image_dir or self.data.parent, check_files=check_files,
            render_segm=False,  # scoring reads no part maps
        )  # fmt: skip

    @property
    def source(self) -> str | None:
        """The checkpoint path as a string (None for the oracle)."""
        return None if self.checkpoint is None else str(self.checkpoint)

    def __len__(self) -> int:
        n = len(self.base)
        return n if self.options.limit is None else min(n, self.options.limit)

    # -- one batch ------------------------------------------------------------------------
    def _gt_params(self, batch: dict, ds) -> dict[str, Tensor]:
        out = {f"{n}_rotmat": batch[f"gt_{n}_rotmat"] for n, _ in ds.rotation_groups}
        out.update({n: batch[f"gt_{n}"] for n, _ in ds.vector_groups})
        return out

    def _key(self, name: str, model=None) -> str:
        spec = (model or self.body).spec
        return f"{name}_rotmat" if spec[name].kind == "rotation" else name

    def params(self, batch: dict) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
        """(predicted, true) body-model parameters of a batch of this evaluator's dataset, as
        they are scored (groups the network does not predict are the true ones)."""
        gt = self._gt_params(batch, self.base)
        return self._predict(batch, gt)[0], gt

    def prediction(self, batch: dict) -> Prediction:
        """The network's raw :class:`Prediction` for a batch of this evaluator's dataset (through
        the network's one entry, as in training and inference)."""
        if self.net is None:
            raise CheckpointError("this evaluator has no network (oracle or baseline)")
        return self.net.forward_source(batch["img"])

    def _predict(self, batch: dict, gt: dict) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
        """(params for the body model, part boxes in dataset-crop pixels)."""
        gt_boxes = {p: batch[f"gt_{p}_bbox"] for p in BOX_PARTS if f"gt_{p}_bbox" in batch}
        if self.cross:  # the prediction's own model: its groups, the rest neutral
            return self._cross_params(batch, gt), {}
        if self.baseline is not None:
            return self._rest_params(gt), {}
        if self.net is None:
            return dict(gt), gt_boxes
        boxes: dict[str, Tensor] = {}
        pred = self.prediction(batch)
        if self.kind == "wholebody":
            scale = self.crop_size / self.net_cfg.body.input_size
            boxes = {k: v * scale for k, v in pred.pred_boxes.items()}
        params = dict(gt)
        for name in self.scored:
            key = self._key(name)
            params[key] = pred.pred_params[key].to(gt[key])
        return params, boxes

    def _cross_params(self, batch: dict, gt: dict[str, Tensor]) -> dict[str, Tensor]:
        """Parameters of the prediction's body model (another than the ground truth's): the
        network's groups, or for the rest-pose baseline the true global orientation; every
        other group at the model's neutral value."""
        ref = gt["global_orient_rotmat"]
        if self.net is None:
            return {"global_orient_rotmat": ref}
        pred = self.prediction(batch)
        keys = [self._key(g.name, self.pred_body) for g in self.net_cfg.predicted_groups]
        return {k: pred.pred_params[k].to(ref) for k in keys}

    def _rest_params(self, gt: dict[str, Tensor]) -> dict[str, Tensor]:
        """The baseline's prediction: every scored group at the body model's neutral value
        (identity rotations, default shape and face) except the true global orientation."""
        params = dict(gt)
        for name in self.scored:
            key = self._key(name)
            if name == "global_orient":
                continue
            if key.endswith("_rotmat"):
                params[key] = torch.eye(3).to(gt[key]).expand_as(gt[key])
            else:
                params[key] = self.body.vector_default(name).to(gt[key]).expand_as(gt[key])
        return params

    def _gt_output(self, index: Tensor, gt: dict[str, Tensor], rows: list[int]):
        """The body model on the true parameters (the gendered models for a gendered
        protocol), cached across runs: most perturbations leave them unchanged (the key
        includes the parameters' bytes, so rotations are recomputed)."""
        h = hashlib.blake2b(digest_size=16)
        for k in sorted(gt):
            h.update(gt[k].detach().cpu().numpy().tobytes())
        key = (tuple(int(i) for i in index), h.hexdigest())
        out = self._gt_cache.get(key)
        if out is None:
            out = self.scorer(**gt) if self.genders is None else self._gendered(gt, rows)
            size = out.vertices.numel() * out.vertices.element_size()
            if self._gt_cache_bytes + size <= GT_CACHE_BYTES:
                self._gt_cache[key] = out
                self._gt_cache_bytes += size
        return out

    def _gendered(self, gt: dict[str, Tensor], rows: list[int]):
        """The true parameters posed by each sample's gendered model, as one output."""
        from robosmplx.body.base import BodyOutput

        genders = self.genders[rows]
        parts = {}
        for g, model in self.gendered.items():
            sel = torch.as_tensor(np.flatnonzero(genders == g), device=self.device)
            if len(sel):
                parts[g] = (sel, model(**{k: v[sel] for k, v in gt.items()}))
        first = next(iter(parts.values()))[1]

        def gather(get):
            ref = get(first)
            full = ref.new_zeros((len(rows), *ref.shape[1:]))
            for sel, o in parts.values():
                full[sel] = get(o)
            return full

        extras = {k: gather(lambda o, k=k: o.extras[k]) for k in first.extras}
        return BodyOutput(
            gather(lambda o: o.vertices), gather(lambda o: o.joints),
            gather(lambda o: o.keypoints), extras,
        )  # fmt: skip

    def _aligned_meshes(self, rows: list[int]) -> Tensor:
        """EHF's ``*_align.ply`` meshes (key ``mesh_path``) turned into the camera frame as
        Hand4Whole does (:func:`robosmplx.eval.official.ehf_camera_rotation`), (B, V, 3)."""
        import trimesh

        from robosmplx.eval.official import ehf_camera_rotation

        root = Path(self.options.image_dir) if self.options.image_dir else self.data.parent
        r = ehf_camera_rotation()
        for i in rows:
            if i not in self._meshes:
                f = Path(str(self.hd["mesh_path"][i]))
                f = f if f.is_absolute() else root / f
                try:
                    v = np.asarray(trimesh.load(f, process=False).vertices, np.float64)
                except Exception as e:
                    raise DataError(f"{self.hd.where}: sample {i}: cannot read {f} ({e})") from None
                if v.shape != (self.body.num_vertices, 3):
                    raise DataError(
                        f"{f}: {len(v)} vertices, the SMPL-X mesh has {self.body.num_vertices}"
                    )
                self._meshes[i] = v @ r.T
        return torch.as_tensor(np.stack([self._meshes[i] for i in rows]), dtype=torch.float32)

    def _scan_files(self, rows: list[int]) -> list[Path]:
        root = Path(self.options.image_dir) if self.options.image_dir else self.data.parent
        files = [Path(str(self.hd["scan_path"][i])) for i in rows]
        return [f if f.is_absolute() else root / f for f in files]

    def _scans(self, rows: list[int]) -> list[np.ndarray]:
        import trimesh

        out = []
        for i, f in zip(rows, self._scan_files(rows)):
            if not f.is_file():
                raise DataError(f"{self.hd.where}: sample {i}: scan file not found: {f}")
            try:
                obj = trimesh.load(f, process=False)
            except Exception as e:
                raise DataError(
                    f"{self.hd.where}: sample {i}: cannot read scan {f} ({e})"
                ) from None
            if isinstance(obj, trimesh.Scene):
                obj = (
                    obj.to_geometry() if hasattr(obj, "to_geometry") else obj.dump(concatenate=True)
                )
            pts = np.asarray(getattr(obj, "vertices", np.zeros((0, 3))), np.float64)
            if pts.ndim != 2 or pts.shape[0] < 3:
                raise DataError(f"{self.hd.where}: sample {i}: scan {f} has no points")
            out.append(pts)
        return out

    def _score(self, batch: dict, ds) -> dict[str, np.ndarray]:
        from robosmplx.eval import official as O

        dev = self.device
        batch = {k: v.to(dev) for k, v in batch.items()}
        gt = self._gt_params(batch, ds)
        params, boxes = self._predict(batch, gt)
        pred_out = self.pred_scorer(**params)
        rows = [ds.entries[int(j)][0] for j in batch["sample_index"]]
        out: dict[str, np.ndarray] = {}
        if self.protocol.metrics:
            gt_out = self._gt_output(batch["sample_index"], gt, rows)
            gt_v, gt_k = gt_out.vertices, gt_out.keypoints
            if self.protocol.name == "ehf" and "mesh_path" in self.hd:
                gt_v, gt_k = self._aligned_meshes(rows).to(gt_v), None  # EHF's own meshes
            scores = score_parts(
                self.parts, pred_out.vertices, pred_out.keypoints, gt_v, gt_k,
                self.protocol.metrics, pred_out.extras.get("smplx_joints"),
                gt_out.extras.get("smplx_joints"), self.pred_parts,
            )  # fmt: skip
            ok = torch.ones(batch["img"].shape[0], dtype=torch.bool, device=dev)
            for name in self.scored:
                ok &= batch[f"has_{name}"] > 0
            bad = ~ok.cpu().numpy()
            for part, vals in scores.items():
                for m, v in vals.items():
                    out[f"{part}.{m}"] = np.where(bad, np.nan, v)
        if self.protocol.box_iou and boxes:
            gt_boxes = {p: batch[f"gt_{p}_bbox"] for p in BOX_PARTS}
            valid = {p: batch[f"has_{p}_bbox"] for p in BOX_PARTS}
            for part, v in box_ious(boxes, gt_boxes, valid).items():
                out[f"{part}.box_iou"] = v
        if self.protocol.rmse3d:
            # the FG2018 script: 7-landmark similarity fit, face mask, point-to-surface
            faces = self.scorer.faces.detach().cpu().numpy()
            verts = pred_out.vertices.detach().cpu().double().numpy()
            lm = pred_out.keypoints.detach().cpu().double().numpy()[:, self._landmark_ids()]
            scans = self._scans(rows)
            out["face.rmse3d"] = np.array([
                O.stirling_error(O.stirling_distances(
                    scan, self.hd["scan_landmarks"][i], v, faces, p_lm
                ))
                for i, scan, v, p_lm in zip(rows, scans, verts, lm)
            ])  # fmt: skip
        return out

    # -- the loop -----------------------------------------------------------------------
    def run(self, perturbation: tuple[str, float] | None = None, progress=None) -> dict:
        """Evaluate once (optionally under ``(name, magnitude)``); returns the results dict.

        progress: a ``rich.progress.Progress`` to report to (one is made when None and the
        options ask for it)."""
        from torch.utils.data import DataLoader, Subset

        from robosmplx.data.datasets import HumanDataset
        from robosmplx.data.workers import guard_worker

        ds: HumanDataset = self.base if perturbation is None else self._dataset(perturbation)
        subset = Subset(ds, range(len(self)))
        loader = DataLoader(
            subset, batch_size=self.options.batch_size, shuffle=False,
            num_workers=self.options.num_workers, worker_init_fn=guard_worker,
        )  # fmt: skip
        what = "normal" if perturbation is None else f"{perturbation[0]} {perturbation[1]:g}"
        own = progress is None and self.options.progress
        if own:
            progress = make_progress()
            progress.start()
        task = (
            None
            if progress is None
            else progress.add_task(f"{self.label}: {what}", total=len(subset))
        )
        values: dict[str, list[np.ndarray]] = defaultdict(list)
        index: list[int] = []
        t0 = time.perf_counter()
        try:
            with torch.no_grad():
                for batch in loader:
                    for k, v in self._score(batch, ds).items():
                        values[k].append(np.asarray(v, np.float64))
                    index += [int(j) for j in batch["sample_index"]]
                    if task is not None:
                        progress.advance(task, len(batch["sample_index"]))
        finally:
            if own:
                progress.stop()
            elif task is not None:
                progress.remove_task(task)
        seconds = time.perf_counter() - t0
        return self._summarise(ds, perturbation, index, values, seconds)

    def _summarise(self, ds, perturbation, index, values, seconds) -> dict:
        # With on_bad="skip" an unreadable sample is replaced by the next one: count each once.
        _, first_seen = np.unique(np.asarray(index, np.int64), return_index=True)
        keep = np.sort(first_seen)
        replaced = len(index) - len(keep)  # unreadable when loaded, skipped (--skip-bad)
        skipped = dict(self.base.skipped)  # left out when the file was checked (--skip-bad)
        index = [index[i] for i in keep]
        per = {k: np.concatenate(v)[keep] for k, v in values.items()}
        metrics: dict[str, dict[str, float]] = {}
        ious: dict[str, float] = {}
        for key, v in per.items():
            part, m = key.split(".", 1)
            if m == "box_iou":
                ious[part] = nanmean(v)
            else:
                metrics.setdefault(part, {})[m] = nanmean(v)
        if self.protocol.name == "agora" and {"body", "lhand", "rhand", "face"} <= set(metrics):
            from robosmplx.eval.official import agora_fullbody

            parts = [metrics[p] for p in ("body", "lhand", "rhand", "face")]
            metrics["fullbody"] = {
                m: agora_fullbody(*(p[m] for p in parts)) for m in ("mpjpe", "pve")
            }
        first = next((v for k, v in per.items() if not k.endswith("box_iou")), None)
        scored = int(np.isfinite(first).sum()) if first is not None else len(index)
        return {
            "protocol": self.protocol.name,
            "label": self.label,
            "checkpoint": self.source,
            "data": str(self.data),
            "body_model": self.body.name,
            "prediction_body_model": self.pred_body.name,
            "oracle": self.oracle,
            "perturbation": None
            if perturbation is None
            else {"name": perturbation[0], "magnitude": float(perturbation[1])},
            "num_samples": scored,
            "excluded": len(index) - scored + replaced + sum(skipped.values()),
            "skipped": {**skipped, **({"unreadable": replaced} if replaced else {})},
            "scored_groups": list(self.scored),
            "ground_truth": self._ground_truth(),
            "units": "mm for errors; F-scores and IoU in [0, 1]; 3DPCK and 3DAUC in percent",
            "metrics": metrics,
            "box_iou": ious,
            "seconds": seconds,
            "per_sample": {
                "index": [int(ds.entries[j][0]) for j in index],
                "side": [ds.entries[j][1] for j in index],
                **{k: v.tolist() for k, v in per.items()},
            },
        }


def make_progress():
    """A rich progress display on stderr (stdout stays clean for ``--json``)."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=Console(stderr=True), transient=False,
    )  # fmt: skip
