"""The Python inference API: ``Predictor(checkpoint).predict_image(path_or_array)``.

Per image: person boxes (given, from a detector plugin, or the whole image refined by the
network's own keypoints over ``rounds`` passes) -> square crops -> the whole-body network ->
the body model -> people in the original image's camera (see docs/inference.md). The CLI
(``robosmplx predict``) is a thin layer over this class.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from robosmplx.devices import resolve_device
from robosmplx.errors import ConfigError, InputError, ShapeError
from robosmplx.geometry.pixels import scale_intrinsics, scale_pixels
from robosmplx.infer.cropping import (
    BOX_SCALE,
    ImagePyramid,
    box_inside_fraction,
    crop_boxes_to_image,
    crop_camera,
    crop_region,
    image_intrinsics,
    keypoint_agreement,
    person_box_problem,
    reexpress_translation,
    whole_image_region,
)
from robosmplx.infer.evidence import network_part_boxes
from robosmplx.infer.images import MAX_SIDE, LoadedImage, load_image


@dataclass
class PersonResult:
    """One person in one image, in the original image's pixels and camera (docs/inference.md).

    params: axis-angle (N*3,) per rotation group and the vectors, by the body model's names
    (``global_orient`` in the camera frame); rotmats: (N, 3, 3) per rotation group; transl (3,)
    and K (3, 3): ``vertices = body(**params).vertices + transl``, pixels = K @ vertices / z;
    vertices (V, 3), keypoints3d (K, 3) camera frame; keypoints2d (K, 2) pixels; bbox: the box
    the crop came from; keypoint_box: the box of the predicted body keypoints; region: the
    square the network saw; part_boxes: ``lhand``/``rhand``/``face``; all boxes xywh pixels.
    score: agreement of the network's heatmap joints and mesh keypoints in [0, 1]. crop_cam:
    the network's weak-perspective camera (s, tx, ty) on the ``region`` crop. joint_box: the
    box of the Localization Module's 2D body joints (what the next refinement round crops).
    evidence: the person's landmark evidence (loaded pixels) when there is some; fit: the
    test-time fit's outcome (``ok``, per-term ``losses``), None when not fitted.
    """

    params: dict[str, np.ndarray]
    rotmats: dict[str, np.ndarray]
    transl: np.ndarray
    K: np.ndarray
    vertices: np.ndarray | None
    keypoints3d: np.ndarray
    keypoints2d: np.ndarray
    bbox: np.ndarray
    keypoint_box: np.ndarray
    region: np.ndarray
    part_boxes: dict[str, np.ndarray]
    score: float
    box_source: str
    image_size: tuple[int, int]
    body_model: str
    crop_cam: np.ndarray | None = None
    joint_box: np.ndarray | None = None
    track_id: int | None = None
    frame_index: int | None = None
    evidence: object | None = None
    fit: dict | None = None

    def record(self) -> dict:
        """The flat record written to .npz/.json (see :func:`robosmplx.infer.export.person_record`)."""
        from robosmplx.infer.export import person_record

        extra = {
            "bbox_xywh": self.bbox.astype(np.float32),
            "keypoint_box_xywh": self.keypoint_box.astype(np.float32),
            "region_xywh": self.region.astype(np.float32),
            "score": np.float32(self.score),
            "box_source": self.box_source,
            "keypoints2d": self.keypoints2d.astype(np.float32),
            "keypoints3d": self.keypoints3d.astype(np.float32),
        }
        for k, v in self.part_boxes.items():
            extra[f"{k}_box_xywh"] = v.astype(np.float32)
        if self.crop_cam is not None:
            extra["crop_cam"] = np.asarray(self.crop_cam, np.float32)
        if self.joint_box is not None:
            extra["joint_box_xywh"] = np.asarray(self.joint_box, np.float32)
        if self.track_id is not None:
            extra["track_id"] = np.int32(self.track_id)
        if self.frame_index is not None:
            extra["frame_index"] = np.int32(self.frame_index)
        if self.fit is not None:
            extra["fitted"] = np.bool_(self.fit["ok"])
        return person_record(
            self.params, self.transl, self.K, self.image_size, self.body_model, extra
        )


@dataclass
class ImagePrediction:
    """Everything predicted for one image: people kept, people dropped (one reason each), the
    decoded RGB image and its scale (loaded pixels per original pixel), loading notes; ``K``
    (3, 3) the one camera every person stands in (original pixels) and where its focal length
    came from (``option``, ``exif`` or ``prior``)."""

    people: list[PersonResult]
    image: np.ndarray
    scale: float = 1.0
    path: Path | None = None
    notes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    K: np.ndarray | None = None
    focal_source: str = "prior"


@dataclass
class CropResult:
    """One crop's network result in loaded-image pixels (numpy), the fields of
    :class:`PersonResult` before scaling to the original image. ``refine_box``: the box a next
    round would crop; a light pass (``full=False``) fills only that."""

    refine_box: np.ndarray
    params: dict[str, np.ndarray] = field(default_factory=dict)
    rotmats: dict[str, np.ndarray] = field(default_factory=dict)
    transl: np.ndarray | None = None
    crop_cam: np.ndarray | None = None
    K: np.ndarray | None = None
    vertices: np.ndarray | None = None
    keypoints3d: np.ndarray | None = None
    keypoints2d: np.ndarray | None = None
    keypoint_box: np.ndarray | None = None
    score: float = 0.0
    part_boxes: dict[str, np.ndarray] = field(default_factory=dict)
    joint_box: np.ndarray | None = None


@dataclass
class _Job:
    """One crop to run: which image, the square region and the person box (loaded pixels)."""

    image: int
    region: np.ndarray
    bbox: np.ndarray
    source: str
    refine: bool
    camera: np.ndarray | None = None  # (3, 3) the image's intrinsics, loaded pixels
    evidence: object | None = None  # the person's landmark evidence (loaded pixels)


def as_boxes(boxes, what: str = "boxes") -> np.ndarray:
    """Boxes as (N, 5) float64 xywh + score (score 1 when not given)."""
    b = np.asarray(boxes if len(boxes) else np.zeros((0, 4)), dtype=np.float64)
    if b.ndim == 1:
        b = b[None]
    if b.ndim != 2 or b.shape[1] not in (4, 5):
        raise ShapeError(f"{what}: expected (N, 4) xywh or (N, 5) xywh + score, got {b.shape}")
    if b.shape[1] == 4:
        b = np.concatenate((b, np.ones((len(b), 1))), 1)
    if not np.isfinite(b).all() or (b[:, 2:4] <= 0).any():
        raise InputError(f"{what}: boxes need finite values and positive width and height")
    return b


def _to_numpy(tree):
    """Nested dicts of tensors -> the same of numpy arrays (on the CPU)."""
    if isinstance(tree, dict):
        return {k: _to_numpy(v) for k, v in tree.items()}
    return tree.detach().cpu().numpy()


def _item(tree, i: int):
    """Entry ``i`` of every batched array in a nested dict (scores become floats)."""
    if isinstance(tree, dict):
        return {k: _item(v, i) for k, v in tree.items()}
    return float(tree[i]) if tree.ndim == 1 else tree[i]


class Predictor:
    """Whole-body meshes and parameters for images and videos from one checkpoint.

    checkpoint: a saved model (``.safetensors`` + ``.yaml``), a training checkpoint or run
    folder, or None for the bundled default. body_model: override the checkpoint's body model.
    rounds: network passes in whole-image mode (the first on the whole image, each next one on
    the box of the previous pass's body keypoints). batch_size: crops per network call.
    min_score: drop people whose keypoint agreement is lower. detector: an object with
    ``detect(image) -> (N, 5)`` (see :mod:`robosmplx.infer.detector`), used when no boxes are
    given. focal: the photos' focal length in pixels (default: EXIF, else the image diagonal;
    see docs/inference.md). refine: ``landmarks`` (landmark person boxes, hand and face boxes,
    then each person fitted to the landmarks; :mod:`robosmplx.infer.evidence`), ``none``, or
    ``auto`` (landmarks when the landmark models are installed). fit_config: a
    :class:`robosmplx.fit.FitConfig` (None: its defaults); fit=False keeps the landmark boxes
    but skips the test-time fit.
    """

    def __init__(
        self,
        checkpoint: str | Path | None = None,
        device: str = "cpu",
        body_model: str | None = None,
        model_dir: str | Path | None = None,
        rounds: int = 2,
        batch_size: int = 8,
        min_score: float = 0.0,
        detector=None,
        detector_threshold: float = 0.5,
        max_side: int = MAX_SIDE,
        focal: float | None = None,
        refine: str | None = "auto",
        fit_config=None,
        fit: bool = True,
    ):
        from robosmplx.infer.loading import load_for_inference

        device_ = resolve_device(device)
        net, body, info = load_for_inference(checkpoint, body_model, model_dir, str(device_))
        self._setup(net, body, info, device_, rounds, batch_size, min_score, detector,
                    detector_threshold, max_side, focal, refine, fit_config, fit)  # fmt: skip

    @classmethod
    def from_network(cls, net, body, device: str = "cpu", **options) -> Predictor:
        """A predictor around an in-memory whole-body network and body model (checked to fit),
        e.g. one being trained; ``options`` as for the constructor."""
        from robosmplx.infer.loading import CheckpointInfo
        from robosmplx.models.signature import check_body_model

        if getattr(net, "kind", None) != "wholebody":
            raise ConfigError("Predictor.from_network needs a whole-body network")
        check_body_model(net.config, body, "<network>")
        dev = resolve_device(device)
        self = cls.__new__(cls)
        info = CheckpointInfo(Path("<network>"), "wholebody", body.name, "option")
        defaults = {"rounds": 2, "batch_size": 8, "min_score": 0.0, "detector": None,
                    "detector_threshold": 0.5, "max_side": MAX_SIDE, "focal": None, "refine": "auto",
                    "fit_config": None, "fit": True}  # fmt: skip
        unknown = set(options) - set(defaults)
        if unknown:
            raise ConfigError(f"Predictor.from_network: unknown options {sorted(unknown)}")
        defaults.update(options)
        self._setup(net.to(dev).eval(), body.to(dev), info, dev, **defaults)
        return self

    def _setup(self, net, body, info, device, rounds, batch_size, min_score, detector,
               detector_threshold, max_side, focal=None, refine="auto",
               fit_config=None, fit=True) -> None:  # fmt: skip
        from robosmplx.infer.evidence import EvidenceStage, resolve_refine

        if rounds < 1 or batch_size < 1:
            raise ConfigError(f"rounds and batch_size must be >= 1 (got {rounds}, {batch_size})")
        if focal is not None and not (np.isfinite(focal) and focal > 0):
            raise ConfigError(f"focal must be a positive number of pixels (got {focal})")
        self.focal = focal
        self.refine, self.refine_note = resolve_refine(refine)
        self.evidence = EvidenceStage(self.refine, fit_config, fit=fit)
        self.device, self.net, self.body, self.info = device, net, body, info
        cfg = self.net.config
        self.crop_size = cfg.body.input_size
        self.source_size = cfg.source_size
        layout = self.body.keypoint_layout
        self.body_idx = torch.as_tensor(layout.subsets["body"], device=self.device)
        self.root = layout.roots["body"]
        self.part_box_scales = (cfg.hand_box_scale, cfg.face_box_scale)
        self.rotation_groups = [g.name for g in self.body.spec.groups if g.kind == "rotation"]
        self.rounds, self.batch_size, self.min_score = rounds, batch_size, min_score
        self.detector, self.detector_threshold = detector, detector_threshold
        self.max_side = max_side
        self.faces = self.body.faces.cpu().numpy()
        self.timings: dict[str, float] = defaultdict(float)
        self.sync_timings = False  # wait for the device at each stage (exact timings, slower)

    @property
    def body_model_name(self) -> str:
        return self.info.body_model

    def predict_image(self, image, boxes=None) -> list[PersonResult]:
        """People in one image (a path or an RGB uint8 array (H, W, 3)); ``boxes`` (N, 4) xywh
        (or (N, 5) with scores) in the image's pixels, None for detector / whole image."""
        return self.predict(image, boxes).people

    def predict(self, image, boxes=None) -> ImagePrediction:
        """Like :meth:`predict_image`, with the decoded image, notes and dropped people."""
        t0 = time.perf_counter()
        loaded = self._load(image)
        self.timings["io"] += time.perf_counter() - t0
        return self.predict_frames([loaded], [boxes])[0]

    def _load(self, image) -> LoadedImage:
        if isinstance(image, LoadedImage):
            return image
        if isinstance(image, str | Path):
            return load_image(image, self.max_side)
        arr = np.asarray(image)
        if arr.dtype != np.uint8 or arr.ndim != 3 or arr.shape[2] != 3 or 0 in arr.shape:
            raise InputError(
                f"image array: expected RGB uint8 (H, W, 3), got {arr.dtype} {arr.shape}; "
                "pass a file path to have any format converted"
            )
        return LoadedImage(arr, Path("<array>"))

    def predict_frames(self, images: list, boxes: list | None = None) -> list[ImagePrediction]:
        """Several images at once (crops of all of them share network batches)."""
        loaded = [self._load(im) for im in images]
        boxes = boxes if boxes is not None else [None] * len(loaded)
        if len(boxes) != len(loaded):
            raise ShapeError(f"predict_frames: {len(loaded)} images but {len(boxes)} box lists")
        pyramids = [ImagePyramid(im.pixels) for im in loaded]
        jobs: list[_Job] = []
        outs = [ImagePrediction([], im.pixels, im.scale, im.path, list(im.notes)) for im in loaded]
        cameras = [self._camera(im, out) for im, out in zip(loaded, outs)]
        evidence = [self._evidence(im, out) for im, out in zip(loaded, outs)]
        for i, (im, b) in enumerate(zip(loaded, boxes)):
            jobs += self._initial_jobs(i, im, b, outs[i], evidence[i])
        for job in jobs:
            job.camera = cameras[job.image]
        # A pass that another round will follow only needs the next box: the light pass takes
        # it from the heatmap joints and skips the body model (the mesh box where those are
        # degenerate, in which case the pass is full and may end the refinement).
        raw: list[CropResult | None] = [None] * len(jobs)
        for k in range(self.rounds):
            if k == 0:
                todo = list(range(len(jobs)))
            else:
                todo = [i for i, j in enumerate(jobs) if j.refine]
                for i in todo:
                    kb = raw[i].refine_box
                    w, h = pyramids[jobs[i].image].size
                    if person_box_problem(kb, w, h):
                        jobs[i].refine = False
                        continue
                    jobs[i].region, jobs[i].bbox, jobs[i].source = crop_region(kb), kb, "refined"
                todo = [i for i in todo if jobs[i].refine]
            last = k == self.rounds - 1
            for full in (True, False):
                part = [i for i in todo if full == (last or not jobs[i].refine)]
                for i, r in zip(part, self._run([jobs[i] for i in part], pyramids, full)):
                    raw[i] = r
        for job, r in zip(jobs, raw):
            self._keep(outs[job.image], loaded[job.image], job, r)
        if self.evidence.enabled:
            for out, im in zip(outs, loaded):
                self.evidence.refine(self, out, im)
        return outs

    def _evidence(self, im: LoadedImage, out: ImagePrediction) -> list | None:
        """The image's landmark people (None when not refining), with a note when none."""
        if not self.evidence.enabled:
            return None
        people = self.evidence.detect(im.pixels, self.timings)
        if not people:
            out.notes.append("the landmark models found nobody")
        return people

    def _camera(self, im: LoadedImage, out: ImagePrediction) -> np.ndarray:
        """The image's one camera: sets ``out.K`` (original pixels) and ``out.focal_source``;
        returns it in loaded pixels."""
        h, w = im.pixels.shape[:2]
        w0, h0 = round(w / im.scale), round(h / im.scale)
        focal, out.focal_source = self.focal, "option"
        if focal is None:
            focal, out.focal_source = im.focal, "exif" if im.focal is not None else "prior"
        out.K = image_intrinsics(w0, h0, focal)
        return scale_intrinsics(out.K, im.scale)

    def _initial_jobs(
        self, i: int, im: LoadedImage, boxes, out: ImagePrediction, evidence: list | None = None
    ) -> list[_Job]:
        jobs = self._box_jobs(i, im, boxes, out, evidence)
        if evidence and jobs and jobs[0].source in ("given", "detector"):
            from robosmplx.infer.evidence import match_boxes

            for job, e in zip(jobs, match_boxes(np.array([j.bbox for j in jobs]), evidence)):
                job.evidence = evidence[e] if e is not None else None
        return jobs

    def _box_jobs(self, i, im, boxes, out, evidence) -> list[_Job]:
        h, w = im.pixels.shape[:2]
        if boxes is None and self.detector is not None:
            from robosmplx.infer.detector import run_detector

            t0 = time.perf_counter()
            b = run_detector(self.detector, im.pixels, self.detector_threshold)
            self.timings["detector"] += time.perf_counter() - t0
            return [_Job(i, crop_region(x[:4]), x[:4], "detector", False) for x in b]
        if boxes is None and evidence is not None:
            return [
                _Job(i, crop_region(e.box), e.box.copy(), "landmarks", False, evidence=e)
                for e in evidence
            ]
        if boxes is None:
            return [
                _Job(i, whole_image_region(w, h), np.array([0.0, 0, w, h]), "whole-image", True)
            ]
        jobs = []
        for n, x in enumerate(as_boxes(boxes)):
            box = np.concatenate((scale_pixels(x[:2], im.scale), x[2:4] * im.scale))
            if box_inside_fraction(box, w, h) <= 0.0:
                out.skipped.append(f"box {n}: lies outside the image")
                continue
            jobs.append(_Job(i, crop_region(box), box, "given", False))
        return jobs

    def _keep(self, out: ImagePrediction, im: LoadedImage, job: _Job, r: CropResult) -> None:
        """Convert one raw prediction to the original image's pixels and keep or drop it."""
        s = 1.0 / im.scale
        w0, h0 = round(im.pixels.shape[1] * s), round(im.pixels.shape[0] * s)
        to_orig = lambda b: np.concatenate((scale_pixels(b[:2], s), b[2:4] * s))  # noqa: E731
        kb = to_orig(r.keypoint_box)
        n = len(out.people) + len(out.skipped)
        problem = person_box_problem(kb, w0, h0)
        if problem is None and r.score < self.min_score:
            problem = f"score {r.score:.2f} is below the minimum {self.min_score:g}"
        if problem:
            out.skipped.append(f"person {n} ({job.source} box): {problem}")
            return
        out.people.append(
            PersonResult(
                params=r.params,
                rotmats=r.rotmats,
                transl=r.transl,
                K=out.K.astype(np.float32),
                vertices=r.vertices,
                keypoints3d=r.keypoints3d,
                keypoints2d=scale_pixels(r.keypoints2d, s).astype(np.float32),
                bbox=to_orig(job.bbox),
                keypoint_box=kb,
                region=to_orig(job.region),
                part_boxes={k: to_orig(v) for k, v in r.part_boxes.items()},
                score=float(r.score),
                box_source=job.source,
                evidence=job.evidence,
                image_size=(w0, h0),
                body_model=self.body_model_name,
                crop_cam=r.crop_cam,
                joint_box=to_orig(r.joint_box),
            )
        )

    def _run(
        self, jobs: list[_Job], pyramids: list[ImagePyramid], full: bool = True
    ) -> list[CropResult]:
        out: list[CropResult] = []
        for i in range(0, len(jobs), self.batch_size):
            out += self._run_batch(jobs[i : i + self.batch_size], pyramids, full)
        return out

    def _tick(self, name: str, t0: float) -> float:
        if self.sync_timings and self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        t = time.perf_counter()
        self.timings[name] += t - t0
        return t

    @torch.inference_mode()
    def _run_batch(
        self, jobs: list[_Job], pyramids: list[ImagePyramid], full: bool = True
    ) -> list[CropResult]:
        """Crops -> network -> body model -> camera; numpy results in loaded-image pixels.
        Each result has ``refine_box``: the box a next round would crop (the heatmap joints'
        box, else the mesh keypoints'). ``full=False`` returns only that, unless some joint box
        is degenerate (then the batch is decoded fully)."""
        from robosmplx.geometry.boxes import box_from_keypoints
        from robosmplx.geometry.camera import ndc_to_pixels, project
        from robosmplx.geometry.rotations import matrix_to_axis_angle

        t0 = time.perf_counter()
        b, s = len(jobs), self.crop_size
        crops = np.stack([pyramids[j.image].crop(j.region, self.source_size) for j in jobs])
        pixels = torch.from_numpy(crops).to(self.device).permute(0, 3, 1, 2).float().contiguous()
        regions = torch.as_tensor(np.stack([j.region for j in jobs]), dtype=torch.float32)
        regions = regions.to(self.device)
        t0 = self._tick("crops", t0)
        parts = network_part_boxes(jobs, s, *self.part_box_scales, self.device)
        pred = self.net.forward_source(self.net.normalize(pixels), boxes=parts)
        t0 = self._tick("network", t0)
        joints = pred.pred_joints_hm.float().index_select(1, self.body_idx)
        scale = regions[:, None, 2:3] / s
        uv_joints = regions[:, None, :2] + (ndc_to_pixels(joints[..., :2], s) + 0.5) * scale - 0.5
        jbox = box_from_keypoints(uv_joints, scale=1.0, aspect=None).double().cpu().numpy()
        ok = [person_box_problem(jbox[i], *pyramids[j.image].size) is None for i, j in enumerate(jobs)]  # fmt: skip
        if not full and all(ok):
            self._tick("decode", t0)
            return [CropResult(refine_box=jbox[i]) for i in range(b)]
        params = {k: v.float() for k, v in pred.pred_params.items()}
        body = self.body(**params)
        # the crop camera as a far virtual camera, then re-expressed in the image's one camera
        # (CLIFF's conversion: depth 2 f / (s * region side), exact at the body root)
        t_virtual, k_virtual = crop_camera(pred.pred_cam.float(), regions, s)  # (B, 3), (B, 3, 3)
        k_img = torch.as_tensor(np.stack([j.camera for j in jobs]), dtype=torch.float32)
        k_img = k_img.to(self.device)  # (B, 3, 3)
        root = body.keypoints[:, self.root]  # (B, 3)
        transl = reexpress_translation(t_virtual, root, k_virtual, k_img)  # (B, 3)
        verts = body.vertices + transl[:, None]  # (B, V, 3)
        kp3 = body.keypoints + transl[:, None]  # (B, K, 3)
        uv = project(kp3, k_img)  # (B, K, 2) image px
        uv_body = uv.index_select(1, self.body_idx)
        kbox = box_from_keypoints(uv_body, scale=1.0, aspect=None)  # (B, 4)
        uv_crop = (uv_body - regions[:, None, :2] + 0.5) / scale - 0.5
        score = keypoint_agreement(joints, uv_crop, s)  # (B,)
        used = (
            pred.pred_boxes
            if parts is None
            else {
                k: torch.where(torch.isnan(parts[k]), v, parts[k])
                for k, v in pred.pred_boxes.items()
            }
        )  # the part boxes the network cropped
        parts = {k: crop_boxes_to_image(v.float(), regions, s) for k, v in used.items()}
        mats = [params[f"{g}_rotmat"] for g in self.rotation_groups]  # one conversion for all
        vecs = matrix_to_axis_angle(torch.cat(mats, 1)).split([m.shape[1] for m in mats], 1)
        aa = {g: v.reshape(b, -1) for g, v in zip(self.rotation_groups, vecs)}
        vectors = {k: v for k, v in params.items() if not k.endswith("_rotmat")}
        t0 = self._tick("body_model", t0)
        host = _to_numpy({
            "params": {**aa, **vectors},
            "rotmats": {g: params[f"{g}_rotmat"] for g in self.rotation_groups},
            "transl": transl, "crop_cam": pred.pred_cam.float(), "K": k_img, "vertices": verts,
            "keypoints3d": kp3, "keypoints2d": uv, "keypoint_box": kbox.double(),
            "score": score, "part_boxes": {k: v.double() for k, v in parts.items()},
        })  # fmt: skip
        out = []
        for i in range(b):
            r = _item(host, i)
            refine = jbox[i] if ok[i] else r["keypoint_box"]
            out.append(CropResult(refine_box=refine, joint_box=jbox[i], **r))
        self._tick("decode", t0)
        return out

    def predict_video(self, path, boxes=None, smooth: bool = True, keep_vertices: bool = False):
        """Per-frame people with identities, One-Euro smoothed (see :mod:`robosmplx.infer.video`).

        boxes: {frame index: (N, 4|5)} or None. Returns a
        :class:`robosmplx.infer.video.VideoPrediction`; vertices are kept only if asked
        (they are large), everything else always.
        """
        from robosmplx.infer.video import collect_video

        return collect_video(self, path, boxes, smooth, keep_vertices)


__all__ = ["BOX_SCALE", "CropResult", "ImagePrediction", "PersonResult", "Predictor"]
