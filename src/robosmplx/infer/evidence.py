"""Landmark evidence in the predictor (``refine="landmarks"``): person boxes for the body crops,
hand and face boxes for the whole-body network's part crops, and test-time fitting of every
person's body model to the evidence (:func:`robosmplx.fit.fit_people`).

:class:`EvidenceStage` is what :class:`robosmplx.infer.predictor.Predictor` calls at three
points: before the crops (:meth:`EvidenceStage.detect`), when it builds a network batch
(:func:`network_part_boxes`) and after the network (:meth:`EvidenceStage.refine`). Everything is
in the loaded image's pixels until :meth:`refine` writes people back in original pixels.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from robosmplx.errors import ConfigError

REFINE_MODES = ("none", "landmarks")
MATCH_IOU = 0.3  # a given / detector box and a landmark person are the same person above this


def resolve_refine(refine: str | None) -> tuple[str, str | None]:
    """``refine`` (``auto``/None, ``none``, ``landmarks``) -> (mode, note). ``auto`` is
    ``landmarks`` when the landmark models are usable, else ``none`` with a one-line note; an
    explicit ``landmarks`` without them is a :class:`ConfigError` saying what to install."""
    from robosmplx.landmarks import landmarks_available

    if refine in (None, "auto"):
        reason = landmarks_available()
        if reason is None:
            return "landmarks", None
        return "none", f"no landmark refinement: {reason}"
    if refine not in REFINE_MODES:
        raise ConfigError(f"refine {refine!r}: expected one of auto, {', '.join(REFINE_MODES)}")
    if refine == "landmarks":
        reason = landmarks_available()
        if reason is not None:
            raise ConfigError(f"refine 'landmarks': {reason}")
    return refine, None


def match_boxes(boxes: np.ndarray, evidence: list) -> list[int | None]:
    """For each (4,) box, the index of the landmark person it overlaps most (IoU above
    :data:`MATCH_IOU`, each person used once, greedily by IoU), or None."""
    from robosmplx.infer.tracking import iou_matrix

    iou = iou_matrix(
        np.asarray(boxes, np.float64).reshape(-1, 4),
        np.array([e.box for e in evidence], np.float64).reshape(-1, 4),
    )
    out: list[int | None] = [None] * len(iou)
    taken: set[int] = set()
    for flat in np.argsort(-iou, axis=None):
        i, j = np.unravel_index(flat, iou.shape)
        if iou[i, j] < MATCH_IOU:
            break
        if out[i] is None and j not in taken:
            out[i], taken = int(j), taken | {int(j)}
    return out


def network_part_boxes(jobs, crop_size: int, hand_scale: float, face_scale: float, device):
    """External part boxes for a network batch: per job with evidence, the square boxes of its
    hand and face landmarks (x ``hand_scale`` / ``face_scale``, as the network sizes its own)
    in body-crop pixels; NaN rows where a part was not found (the network's own box is used
    there). None when no job has evidence."""
    from robosmplx.geometry.boxes import box_from_keypoints

    if not any(j.evidence is not None for j in jobs):
        return None
    out = {k: torch.full((len(jobs), 4), float("nan")) for k in ("lhand", "rhand", "face")}
    for i, job in enumerate(jobs):
        ev = job.evidence
        if ev is None:
            continue
        parts = {"lhand": ev.hands.get("left"), "rhand": ev.hands.get("right"), "face": ev.face2d}
        for k, pts in parts.items():
            if pts is None:
                continue
            x0, y0, side = job.region[0], job.region[1], job.region[2]
            uv = (np.asarray(pts[:, :2], np.float64) - [x0, y0] + 0.5) * crop_size / side - 0.5
            scale = face_scale if k == "face" else hand_scale
            kp = torch.as_tensor(uv, dtype=torch.float32)[None]
            out[k][i] = box_from_keypoints(kp, scale=scale, aspect=1.0)[0]
    return {k: v.to(device) for k, v in out.items()}


class EvidenceStage:
    """The landmark models (built on first use) and the fit, for one predictor."""

    def __init__(
        self, mode: str, fit_config=None, detector_options: dict | None = None, fit: bool = True
    ):
        self.mode, self.fit = mode, fit
        self.fit_config = fit_config
        self.detector_options = dict(detector_options or {})
        self._detector = None

    @property
    def enabled(self) -> bool:
        return self.mode == "landmarks"

    @property
    def detector(self):
        if self._detector is None:
            from robosmplx.landmarks import LandmarkDetector

            self._detector = LandmarkDetector(**self.detector_options)
        return self._detector

    def detect(self, pixels: np.ndarray, timings: dict) -> list:
        """Every person's landmark evidence (loaded pixels), left to right."""
        t0 = time.perf_counter()
        people = self.detector(pixels)
        timings["evidence"] += time.perf_counter() - t0
        return people

    def refine(self, predictor, out, loaded) -> None:
        """Fit every person of ``out`` that has evidence (``person.evidence``), batched over
        them; people whose fit fails keep the network's prediction, with a note."""
        idx = [i for i, p in enumerate(out.people) if p.evidence is not None]
        if not idx or not self.fit:
            return
        from robosmplx.fit import FitConfig, fit_people

        t0 = time.perf_counter()
        people = [out.people[i] for i in idx]
        dev = predictor.device
        params = _batched_params(people, predictor.rotation_groups, dev)
        transl = torch.as_tensor(np.stack([p.transl for p in people]), dtype=torch.float32)
        from robosmplx.geometry.pixels import scale_intrinsics

        k = torch.as_tensor(scale_intrinsics(out.K, loaded.scale), dtype=torch.float32).to(dev)
        h, w = loaded.pixels.shape[:2]
        try:
            res = fit_people(
                predictor.body, params, transl.to(dev), k, [p.evidence for p in people], (h, w),
                self.fit_config or FitConfig(),
            )  # fmt: skip
        except Exception as e:  # a failed fit never loses the network's answer
            msg = " ".join(str(e).split())
            out.notes.append(f"test-time fit failed ({type(e).__name__}: {msg}); network kept")
            predictor.timings["fit"] += time.perf_counter() - t0
            return
        _apply_fit(predictor, out, loaded, idx, res)
        predictor.timings["fit"] += time.perf_counter() - t0


def _batched_params(people, rotation_groups, device) -> dict[str, torch.Tensor]:
    """People's network parameters as one batch in the body model's input format."""
    out = {}
    for g in rotation_groups:
        out[f"{g}_rotmat"] = torch.as_tensor(np.stack([p.rotmats[g] for p in people]))
    for k in people[0].params:
        if k not in rotation_groups:
            out[k] = torch.as_tensor(np.stack([p.params[k] for p in people]))
    return {k: v.float().to(device) for k, v in out.items()}


@torch.no_grad()
def _apply_fit(predictor, out, loaded, idx: list[int], res) -> None:
    """Write the fit's parameters back into the people (original pixels), or a note per
    person whose fit failed."""
    from robosmplx.geometry.boxes import box_from_keypoints
    from robosmplx.geometry.camera import project
    from robosmplx.geometry.rotations import matrix_to_axis_angle

    params = {k: v.detach().float() for k, v in res.params.items()}
    body = predictor.body(**params)
    transl = res.transl.detach().float()
    verts = body.vertices + transl[:, None]  # (B, V, 3)
    kp3 = body.keypoints + transl[:, None]  # (B, K, 3)
    k = torch.as_tensor(out.K, dtype=torch.float32, device=kp3.device)[None].expand(len(idx), 3, 3)
    uv = project(kp3, k)  # (B, K, 2) original pixels
    kbox = box_from_keypoints(uv.index_select(1, predictor.body_idx), scale=1.0, aspect=None)
    groups = predictor.rotation_groups
    for b, i in enumerate(idx):
        p = out.people[i]
        p.fit = {"ok": bool(res.ok[b]), "losses": {n: float(v) for n, v in res.losses[b].items()}}
        note = res.notes[b]
        finite = torch.isfinite(verts[b]).all() and torch.isfinite(transl[b]).all()
        if not (res.ok[b] and finite):
            p.fit["ok"] = False
            why = f" ({note})" if note else ""
            out.notes.append(
                f"person {i}: test-time fit failed{why}; the network's prediction kept"
            )
            continue
        rot = {g: params[f"{g}_rotmat"][b] for g in groups}
        p.rotmats = {g: r.cpu().numpy() for g, r in rot.items()}
        p.params = {
            **{g: matrix_to_axis_angle(r).reshape(-1).cpu().numpy() for g, r in rot.items()},
            **{n: v[b].cpu().numpy() for n, v in params.items() if not n.endswith("_rotmat")},
        }
        p.transl = transl[b].cpu().numpy()
        p.vertices = verts[b].cpu().numpy()
        p.keypoints3d = kp3[b].cpu().numpy()
        p.keypoints2d = uv[b].cpu().numpy().astype(np.float32)
        p.keypoint_box = kbox[b].double().cpu().numpy()
