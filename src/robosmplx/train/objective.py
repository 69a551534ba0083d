"""The training objective of eq. 1: every loss term of a stage, from a Prediction and a batch.

``L = λ3D L3D + λ2D (L2D projected + L2D heatmap) + λBM LBM + λsegm Lsegm + λproj Lproj
+ λcon Lcon (+ λbox Lbox, whole body)``. The predicted parameters are posed with the body model
(in float32, outside autocast) to get keypoints and vertices, which are projected with the
predicted camera. The terms themselves live in :mod:`robosmplx.losses` and mask missing ground
truth by the batch's ``has_*`` flags and keypoint confidences.

Frames. Body and whole body: the body model's output in camera axes (ground-truth and predicted
global orientation are camera-frame), placed by the weak-perspective camera turned into a
translation, as at inference. Hand and face stages pose the whole body with the part's
parameters (other groups neutral) and centre the part on its root (the part view's root keypoint
when the stage supervises it, else the mean of the part's keypoints), so the part camera sees
the part, not the body origin. The virtual focal length is ``focal_length`` pixels for a 256 crop,
scaled with the crop (the data pipeline's virtual intrinsics), so the depth ``2 f / (S s)`` does
not depend on the crop resolution.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from robosmplx import losses as L
from robosmplx.errors import ConfigError, ShapeError
from robosmplx.geometry.camera import (
    DEFAULT_FOCAL,
    crop_intrinsics,
    ndc_to_pixels,
    weak_to_translation,
)
from robosmplx.geometry.pixels import scale_pixels
from robosmplx.losses.masking import root_point
from robosmplx.losses.weights import LossOptions, LossWeights
from robosmplx.models.outputs import Prediction
from robosmplx.stage import get_stage


@dataclass
class Posed:
    """The predicted body posed for the stage. keypoints: (B, k, 3) the stage's keypoints;
    vertices: (B, V, 3); both in camera axes, part stages centred on the part root."""

    keypoints: Tensor
    vertices: Tensor


def focal_for(crop_size: float, focal_length: float = DEFAULT_FOCAL) -> float:
    """Virtual focal length in pixels of a crop of side ``crop_size`` (``focal_length`` @ 256)."""
    return focal_length * crop_size / 256.0


class Objective(nn.Module):
    """Eq. 1 for one stage. ``objective(pred, batch) -> (total, terms)`` with ``terms`` the
    unweighted value of every term whose weight is non-zero (each a scalar tensor).

    body_model: a :class:`robosmplx.body.BodyModel` (kept out of the state dict and moved to the
    prediction's device on use). stage: body, hand, face or wholebody. box_crop_size: side of
    the crop the predicted part boxes are in (the whole-body network's body input), when it
    differs from the batch's ``img``.
    """

    def __init__(
        self,
        body_model,
        stage: str,
        weights: LossWeights,
        options: LossOptions,
        focal_length: float = DEFAULT_FOCAL,
        render_sigma: float = 0.25,
        render_gamma: float = 0.01,
        box_crop_size: int | None = None,
    ):
        super().__init__()
        spec = get_stage(stage)
        self.__dict__["body_model"] = body_model  # not a submodule: no weights of ours
        self.stage, self.weights, self.options = stage, weights, options
        self.focal_length = focal_length
        self.render_sigma, self.render_gamma = render_sigma, render_gamma
        self.box_crop_size = box_crop_size
        layout = body_model.keypoint_layout
        self.num_keypoints = len(layout)
        view = spec.view
        if view is None:
            kp = list(range(len(layout)))
            self.data_subset: list[int] | None = None
            self.root: int | list[int] = layout.roots["body"]
            self.centre = False
        else:
            pv = body_model.part_views[view]
            kp = [int(i) for i in pv.keypoints]
            self.data_subset = [int(i) for i in layout.subsets[view]]
            self.root = kp.index(pv.root) if pv.root in kp else list(range(len(kp)))
            self.centre = True
        self.register_buffer("kp_index", torch.tensor(kp, dtype=torch.long), persistent=False)
        from robosmplx.data.segm_render import stage_vertex_labels

        labels, self.num_parts = stage_vertex_labels(body_model, spec)  # (V,), -1 not drawn
        self.register_buffer("vertex_labels", labels, persistent=False)
        self.vertex_index = (
            None if view is None else torch.tensor(list(body_model.part_views[view].vertices))
        )

    # -- posing -----------------------------------------------------------------------------
    def _body(self, device: torch.device):
        bm = self.__dict__["body_model"]
        if bm.device != device:
            bm = bm.to(device)
            self.__dict__["body_model"] = bm
        return bm

    def pose(self, params: Mapping[str, Tensor]) -> Posed:
        """Body-model forward of ``params`` (rotmat form) -> the stage's keypoints and vertices."""
        first = next(iter(params.values()))
        out = self._body(first.device)(**{k: v.float() for k, v in params.items()})
        kp = out.keypoints.index_select(1, self.kp_index)  # (B, k, 3)
        verts = out.vertices  # (B, V, 3)
        if self.centre:
            c = root_point(kp, self.root)[:, None]  # (B, 1, 3)
            kp, verts = kp - c, verts - c
        return Posed(kp, verts)

    def stage_keypoints(self, gt: Tensor) -> Tensor:
        """(B, K, C) ground-truth keypoints (whole-body layout, or the stage's data subset) ->
        (B, k, C) in the order of the stage's keypoints; points the file lacks get confidence 0."""
        k_full = self.num_keypoints
        if gt.shape[1] == k_full:
            return gt.index_select(1, self.kp_index.to(gt.device))
        if self.data_subset is not None and gt.shape[1] == len(self.data_subset):
            full = gt.new_zeros(gt.shape[0], k_full, gt.shape[2])
            full[:, self.data_subset] = gt
            return full.index_select(1, self.kp_index.to(gt.device))
        want = f"{k_full}" + (f" or {len(self.data_subset)}" if self.data_subset else "")
        raise ShapeError(
            f"ground-truth keypoints have {gt.shape[1]} points; the {self.stage} stage with body "
            f"model {self.body_model.name!r} expects {want}"
        )

    # -- the objective ------------------------------------------------------------------------
    def forward(
        self, pred: Prediction, batch: Mapping[str, Tensor]
    ) -> tuple[Tensor, dict[str, Tensor]]:
        dev = batch["img"].device
        with full_precision(dev):
            terms = self._terms(pred, batch)
        total = torch.zeros((), device=dev)
        for name, value in terms.items():  # box_lhand, box_rhand, box_face share the box weight
            total = (
                total + getattr(self.weights, "box" if name.startswith("box_") else name) * value
            )
        return total, terms

    def _on(self, name: str) -> bool:
        return getattr(self.weights, name) > 0

    def _terms(self, pred: Prediction, batch: Mapping[str, Tensor]) -> dict[str, Tensor]:
        o = self.options
        size = float(batch["img"].shape[-1])
        focal = focal_for(size, self.focal_length)
        params = {k: v.float() for k, v in pred.pred_params.items()}
        posed = self.pose(params)
        gt2 = self.stage_keypoints(batch["gt_keypoints2d"].float())  # (B, k, 3)
        gt3 = self.stage_keypoints(batch["gt_keypoints3d"].float())  # (B, k, 4)
        has3 = batch.get("has_keypoints3d")
        cam = None if pred.pred_cam is None else pred.pred_cam.float()
        terms: dict[str, Tensor] = {}
        if self._on("keypoints3d"):
            terms["keypoints3d"] = L.keypoints3d_loss(posed.keypoints, gt3, self.root, has3)
        if self._on("keypoints3d_local"):
            need = ("global_orient_rotmat" in params, "gt_global_orient_rotmat" in batch)
            if not all(need) or self.centre:
                raise ConfigError(
                    f"loss weight keypoints3d_local needs a predicted and a true global "
                    f"orientation of the whole body (stage {self.stage}: predicted "
                    f"{'yes' if need[0] else 'no'}, in the batch {'yes' if need[1] else 'no'}); "
                    "set loss.weights.keypoints3d_local=0"
                )
            has_go = batch.get("has_global_orient")
            flags = has3 if has_go is None else (has_go if has3 is None else has3 * has_go)
            terms["keypoints3d_local"] = L.keypoints3d_local_loss(
                posed.keypoints, gt3, params["global_orient_rotmat"],
                batch["gt_global_orient_rotmat"].float(), self.root, flags,
            )  # fmt: skip
        if self._on("keypoints2d") and cam is not None:
            terms["keypoints2d"] = L.projected_keypoints_loss(
                posed.keypoints, cam, gt2, size, camera=o.projection_camera, focal=focal
            )
        if self._on("heatmap_joints") and pred.pred_joints_hm is not None:
            depth = dict(gt_keypoints3d=gt3, root=self.root) if o.heatmap_depth else {}
            terms["heatmap_joints"] = L.heatmap_keypoints_loss(
                pred.pred_joints_hm.float(), gt2, size, has3, depth_range=o.depth_range, **depth
            )
        if self._on("heatmap_dist") and pred.pred_heatmaps is not None:
            terms["heatmap_dist"] = L.heatmap_distribution_loss(
                pred.pred_heatmaps, gt2, size, sigma=o.heatmap_sigma
            )
        self._param_terms(params, posed, batch, terms)
        has_map = "gt_part_segm" in batch
        if self._on("segm") and pred.pred_segm_logits is not None and has_map:
            logits = pred.pred_segm_logits.float()
            gt = _match_labels(batch["gt_part_segm"], logits.shape[-2:])
            terms["segm"] = L.segmentation_loss(logits, gt, batch.get("has_segm"))
        if self._on("proj") and cam is not None and has_map:
            terms["proj"] = self._proj(posed, cam, batch, size, focal)
        if self._on("contrastive"):
            terms["contrastive"] = self._contrastive(params, posed, gt3, batch)
        if self._on("box") and pred.pred_boxes:
            terms.update(self._box_terms(pred, batch, size))
        return terms

    def _box_terms(self, pred: Prediction, batch, size: float) -> dict[str, Tensor]:
        """L_box on like boxes (as Hand4Whole): the tight box of the predicted part keypoints
        (before the enlargement the crops use) against the tight box of the true ones, or
        the file's part box where fewer than :data:`MIN_BOX_KEYPOINTS` are visible. Without
        whole-layout heatmap joints the network's crop boxes are compared instead."""
        crop = float(self.box_crop_size or size)
        layout = self.body_model.keypoint_layout
        joints = pred.pred_joints_hm
        tight = joints is not None and joints.shape[1] == self.num_keypoints
        gt2 = batch["gt_keypoints2d"].float()
        full = gt2.shape[1] == self.num_keypoints
        preds, targets = {}, dict(batch)
        for part, box in pred.pred_boxes.items():
            key = f"gt_{part}_bbox"
            if key not in batch:
                continue
            idx = torch.as_tensor(layout.subsets.get(part, ()), dtype=torch.long)
            if not (tight and full and len(idx)):
                preds[part] = _rescale_box(box.float(), size / crop)
                continue
            idx = idx.to(gt2.device)
            uv = ndc_to_pixels(joints.float().index_select(1, idx)[..., :2], crop)
            preds[part] = _rescale_box(_extent_box(uv), size / crop)
            kp = gt2.index_select(1, idx)
            seen = kp[..., 2] > 0  # (B, n)
            enough = seen.sum(1) >= MIN_BOX_KEYPOINTS
            has = batch.get(f"has_{part}_bbox", torch.ones_like(enough, dtype=gt2.dtype))
            targets[key] = torch.where(enough[:, None], _extent_box(kp[..., :2], seen), batch[key])
            targets[f"has_{part}_bbox"] = torch.where(enough, torch.ones_like(has), has)
        return L.part_box_losses(preds, targets, size)

    def _param_terms(self, params, posed: Posed, batch, terms: dict[str, Tensor]) -> None:
        o = self.options
        if self._on("rotation") or self._on("betas") or self._on("expression"):
            found = L.param_losses(params, batch, o.rotation_kind, o.betas_kind, o.expression_kind)
            for name in ("rotation", "betas", "expression"):
                if self._on(name) and name in found:
                    terms[name] = found[name]
        if self._on("shape_prior") and "betas" in params:
            mean = self.body_model.vector_default("betas")[: params["betas"].shape[-1]]
            terms["shape_prior"] = L.shape_prior_loss(
                params["betas"], mean.to(params["betas"]), self.options.shape_prior_margin
            )
        if self._on("vertices"):
            gt_params, has = self.ground_truth_params(batch)
            if gt_params:
                with torch.no_grad():
                    gt_posed = self.pose(gt_params)
                pv, gv = posed.vertices, gt_posed.vertices
                if self.vertex_index is not None:
                    idx = self.vertex_index.to(pv.device)
                    pv, gv = pv.index_select(1, idx), gv.index_select(1, idx)
                terms["vertices"] = L.vertices_loss(pv, gv, has)

    def ground_truth_params(
        self, batch: Mapping[str, Tensor]
    ) -> tuple[dict[str, Tensor], Tensor | None]:
        """Ground-truth parameters present in ``batch`` (rotmat form) and their joint (B,) flag."""
        spec = self.body_model.spec
        out: dict[str, Tensor] = {}
        has = None
        for g in spec.groups:
            key = f"gt_{g.name}_rotmat" if g.kind == "rotation" else f"gt_{g.name}"
            if key not in batch:
                continue
            v = batch[key].float()
            out[key[3:]] = v if g.kind == "rotation" else v[:, : g.size]
            flag = batch.get(f"has_{g.name}")
            if flag is not None:
                has = flag.float() if has is None else has * flag.float()
        return out, has

    def _proj(self, posed: Posed, cam: Tensor, batch, size: float, focal: float) -> Tensor:
        from robosmplx.render.soft import soft_part_masks

        gt = batch["gt_part_segm"]
        b = cam.shape[0]
        transl = weak_to_translation(cam, focal, size)  # (B, 3)
        verts_cam = posed.vertices + transl[:, None]  # (B, V, 3)
        k = crop_intrinsics(focal, size, b, cam.device, cam.dtype)
        k = L.rescale_intrinsics(k, size, float(gt.shape[-1]))
        bm = self.body_model
        return L.proj_loss_from_mesh(
            verts_cam, bm.faces, self.vertex_labels, k, gt.long(), soft_part_masks, self.num_parts,
            has=batch.get("has_segm"), kind=self.options.proj_kind, sigma=self.render_sigma,
            gamma=self.render_gamma,
        )  # fmt: skip

    def _contrastive(self, params, posed: Posed, gt3: Tensor, batch) -> Tensor:
        o = self.options
        pair = batch.get("pair_index")
        if o.contrastive_representation == "keypoints":
            target, valid = self._contrastive_target(gt3, batch)  # (B, k, 3), (B, k)
            root = self.root if isinstance(self.root, int) else None
            ok = valid.any(1) if root is None else valid[:, root] > 0
            z = L.keypoint_representation(posed.keypoints, self.root, valid=valid)
            p = L.keypoint_representation(target, self.root, valid=valid)
            entries = valid[:, :, None].expand(-1, -1, 3).flatten(1)
            return L.contrastive_loss(
                z, p, pair, ok.float(), distance=o.contrastive_distance, tau_pos=o.tau_pos,
                tau_neg=o.tau_neg, valid=entries,
            )  # fmt: skip
        else:
            group = self._pose_group()
            need = ("gt_global_orient_rotmat", f"gt_{group}_rotmat")
            if any(k not in batch for k in need) or "global_orient_rotmat" not in params:
                raise ConfigError(
                    f"contrastive representation {o.contrastive_representation!r} needs "
                    f"{need[0]} and {need[1]} in the batch and a predicted global orientation "
                    f"(stage {self.stage}); use loss.options.contrastive_representation=keypoints"
                )
            kind = o.contrastive_representation
            form = o.contrastive_rotation_form
            z = L.build_representation(
                kind, global_orient_rotmat=params["global_orient_rotmat"],
                body_pose_rotmat=params[f"{group}_rotmat"], form=form,
            )  # fmt: skip
            p = L.build_representation(
                kind, global_orient_rotmat=batch[need[0]].float(),
                body_pose_rotmat=batch[need[1]].float(), form=form,
            )  # fmt: skip
            has = batch.get("has_global_orient")
            if has is not None and f"has_{group}" in batch:
                has = has.float() * batch[f"has_{group}"].float()
        return L.contrastive_loss(
            z, p, pair, has, distance=o.contrastive_distance, tau_pos=o.tau_pos, tau_neg=o.tau_neg
        )

    def _contrastive_target(self, gt3: Tensor, batch) -> tuple[Tensor, Tensor]:
        """L_con's keypoint target p and its (B, k) per-joint mask. With the ``params``
        target, samples whose ground-truth parameters are complete pose them through the body
        model (every joint valid); the others, and the ``keypoints`` target, use the 3D
        keypoints where their confidence is positive."""
        target, valid = gt3[..., :3], (gt3[..., 3] > 0).float()
        if "has_keypoints3d" in batch:
            valid = valid * batch["has_keypoints3d"].float()[:, None]
        if self.options.contrastive_target == "params":
            gt_params, has = self.ground_truth_params(batch)
            if gt_params and (has is None or bool((has > 0).any())):
                with torch.no_grad():
                    posed = self.pose(gt_params).keypoints
                use = torch.ones_like(valid[:, 0]) if has is None else (has > 0).float()
                target = torch.where(use[:, None, None] > 0, posed, target)
                valid = torch.where(use[:, None] > 0, torch.ones_like(valid), valid)
        return target, valid

    def _pose_group(self) -> str:
        view = get_stage(self.stage).view
        names = ("body_pose",) if view is None else self.body_model.part_views[view].param_groups
        spec = self.body_model.spec
        for n in names:
            if n in spec and spec[n].kind == "rotation":
                return n
        raise ConfigError(f"the {self.stage} stage has no rotation group for a pose representation")


def full_precision(device: torch.device):
    """Autocast off where the device has autocast (not on 'meta', which the device test uses)."""
    if torch.amp.is_autocast_available(device.type):
        return torch.autocast(device.type, enabled=False)
    return contextlib.nullcontext()


def _match_labels(labels: Tensor, hw: tuple[int, int]) -> Tensor:
    """(B, H, W) part labels at the logits' (h, w): nearest pixel centres for an integer factor."""
    h, w = int(hw[0]), int(hw[1])
    if labels.shape[-2:] == (h, w):
        return labels
    fh, fw = labels.shape[-2] // h, labels.shape[-1] // w
    if fh * h != labels.shape[-2] or fw * w != labels.shape[-1]:
        raise ShapeError(
            f"gt_part_segm is {tuple(labels.shape[-2:])}, the segmentation head gives {(h, w)}; "
            "the part map must be the head's size or an integer multiple of it"
        )
    return labels[:, fh // 2 :: fh, fw // 2 :: fw]


MIN_BOX_KEYPOINTS = 3


def _extent_box(uv: Tensor, valid: Tensor | None = None) -> Tensor:
    """(B, N, 2) points -> (B, 4) xywh of their extent (centre = the extent's centre)."""
    if valid is None:
        valid = torch.ones(uv.shape[:2], dtype=torch.bool, device=uv.device)
    big = torch.finfo(uv.dtype).max / 4
    lo = torch.where(valid[..., None], uv, torch.full_like(uv, big)).amin(1)
    hi = torch.where(valid[..., None], uv, torch.full_like(uv, -big)).amax(1)
    ok = valid.any(1)[:, None]
    lo, hi = torch.where(ok, lo, torch.zeros_like(lo)), torch.where(ok, hi, torch.zeros_like(hi))
    return torch.cat((lo, hi - lo), -1)


def _rescale_box(box: Tensor, r: float) -> Tensor:
    """(B, 4) xywh from a crop to the same region at ``r`` times the resolution (pixel centres)."""
    return torch.cat((scale_pixels(box[:, :2], r), box[:, 2:] * r), -1)
