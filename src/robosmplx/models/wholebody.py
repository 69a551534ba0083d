"""Whole-body network (paper Figure 4): body subnetwork, part boxes from its keypoints, hand and
face subnetworks on high-resolution crops, one full parameter set plus the body camera.

Callers feed it through :meth:`WholeBodyNetwork.forward_source`: a normalised square source
crop of the person (``cfg.source_size``, twice the body input unless set, as the 512 x 512 of
the authors' configs), area-downsampled to the body crop (``cfg.body.input_size``) and mapped onto
it by :func:`robosmplx.geometry.pixels.resize_affine`. The lower-level ``forward(image, affine)``
takes any source and (B, 2, 3) affine from its pixels to body-crop pixels; the body crop is then
cut through ``affine`` unless an already resized ``body_img`` is passed (better anti-aliased). Hand and face boxes come from the body's soft-argmax keypoints in body-crop
pixels (centre = keypoint mean, side = extent x 2.0 for hands, x 1.5 for the face, square),
are mapped back through ``affine`` and cropped from the source at the part input sizes. Left
hands are mirrored, run with the right hands as one batch, and mirrored back.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from robosmplx.body.base import ParamGroup
from robosmplx.errors import CheckpointError, ConfigError, ShapeError
from robosmplx.geometry.boxes import box_from_keypoints
from robosmplx.geometry.camera import ndc_to_pixels
from robosmplx.geometry.pixels import resize_affine
from robosmplx.geometry.rotations import mirror_rotation
from robosmplx.models.backbones import BackboneConfig, without_pretrained
from robosmplx.models.kinds import register_kind
from robosmplx.models.outputs import Prediction
from robosmplx.models.roi import roi_crop
from robosmplx.models.signature import BodySignature, group_problems
from robosmplx.models.state_dict import load_state_strict
from robosmplx.models.subnetwork import SubNetwork, SubNetworkConfig, subnetwork_config

BOX_NAMES = ("lhand", "rhand", "face")


@dataclass(frozen=True)
class WholeBodyConfig:
    """body / hand / face: the subnetwork configs (hand and face usually without their global
    branch). box_keypoints: ``lhand``, ``rhand``, ``face`` indices into the body's J keypoints.
    left_groups: the left-hand groups, in the order of ``hand.groups`` (the right ones).
    crop_grad: let part losses reach the body keypoints through the crop boxes (default off:
    the boxes learn from L_box only). source_size: side of the square source crop callers cut
    around a person (hand and face crops come from it); twice the body input when not given.
    The source's normalisation is the body backbone's (``mean``, ``std``)."""

    body: SubNetworkConfig
    hand: SubNetworkConfig
    face: SubNetworkConfig
    box_keypoints: dict[str, tuple[int, ...]]
    left_groups: tuple[str, ...]
    hand_box_scale: float = 2.0
    face_box_scale: float = 1.5
    crop_grad: bool = False
    source_size: int | None = None

    def __post_init__(self) -> None:
        if self.source_size is None:
            object.__setattr__(self, "source_size", 2 * self.body.input_size)
        if self.source_size < self.body.input_size:
            raise ConfigError(
                f"whole-body config: source_size {self.source_size} is smaller than the body "
                f"crop {self.body.input_size}; the source is the larger, high-resolution crop"
            )

    @property
    def mean(self) -> tuple[float, float, float]:
        """RGB mean (pixel values in [0, 1]) subtracted from the source."""
        return self.body.backbone.mean

    @property
    def std(self) -> tuple[float, float, float]:
        """RGB standard deviation (pixel values in [0, 1]) the source is divided by."""
        return self.body.backbone.std

    @property
    def task(self) -> str:
        return "wholebody"

    @property
    def crop_size(self) -> int:
        """Side of the dataset crop it reads: the high-resolution source."""
        return self.source_size

    @property
    def predicted_groups(self) -> tuple[ParamGroup, ...]:
        """Every parameter group it predicts: body (with the global branch), right hand, left
        hand (the right ones renamed), face."""
        left = tuple(
            dataclasses.replace(g, name=n) for g, n in zip(self.hand.groups, self.left_groups)
        )
        return self.body.predicted_groups + self.hand.groups + left + self.face.groups

    def body_model_problems(self, body_model) -> list[str]:
        """How it disagrees with ``body_model``: parameter groups (all of them, exactly),
        keypoint count and the part-box keypoints. Empty when it fits."""
        problems = group_problems(self.predicted_groups, body_model, exact=True)
        layout = body_model.keypoint_layout
        if self.body.num_joints != len(layout):
            problems.append(f"{self.body.num_joints} keypoints here, {len(layout)} there")
        else:
            for k, idx in self.box_keypoints.items():
                if tuple(idx) != tuple(layout.subsets.get(k, ())):
                    problems.append(f"the {k} keypoints differ")
        return problems


def wholebody_config(
    signature: BodySignature,
    *,
    body_backbone: BackboneConfig | None = None,
    hand_backbone: BackboneConfig | None = None,
    face_backbone: BackboneConfig | None = None,
    body: dict | None = None,
    hand: dict | None = None,
    face: dict | None = None,
    **options,
) -> WholeBodyConfig:
    """Whole-body config sized from ``signature``; ``body``/``hand``/``face`` hold extra
    subnetwork options (input_size, heatmap_depth, ...), ``options`` the WholeBodyConfig ones."""
    return WholeBodyConfig(
        body=subnetwork_config(signature, "body", backbone=body_backbone, **(body or {})),
        hand=subnetwork_config(
            signature, "hand", with_global=False, backbone=hand_backbone, **(hand or {})
        ),
        face=subnetwork_config(
            signature, "face", with_global=False, backbone=face_backbone, **(face or {})
        ),
        box_keypoints={k: signature.keypoint_subsets[k] for k in BOX_NAMES},
        left_groups=signature.part_groups["lhand"],
        **options,
    )


def mirror_prediction(pred: Prediction, rename: dict[str, str] | None = None) -> Prediction:
    """The left-right mirror of a part prediction: rotations M R M, x of joints and camera
    negated, masks flipped; ``rename`` maps group names (right -> left)."""
    rename = rename or {}
    params = {}
    for k, v in pred.pred_params.items():
        base = k[: -len("_rotmat")] if k.endswith("_rotmat") else k
        name = rename.get(base, base) + ("_rotmat" if k.endswith("_rotmat") else "")
        params[name] = mirror_rotation(v) if k.endswith("_rotmat") else v
    sx = torch.tensor([-1.0, 1.0, 1.0])
    cam = None if pred.pred_cam is None else pred.pred_cam * sx.to(pred.pred_cam)
    joints = (
        None if pred.pred_joints_hm is None else pred.pred_joints_hm * sx.to(pred.pred_joints_hm)
    )
    segm = None if pred.pred_segm_logits is None else pred.pred_segm_logits.flip(-1)
    heatmaps = None if pred.pred_heatmaps is None else pred.pred_heatmaps.flip(-1)
    return Prediction(
        pred_params=params, pred_cam=cam, pred_joints_hm=joints, pred_segm_logits=segm,
        pred_heatmaps=heatmaps,
    )  # fmt: skip


def _split(pred: Prediction, n: int) -> tuple[Prediction, Prediction]:
    """A prediction on 2n crops -> the first n and the last n."""

    def cut(sl: slice) -> Prediction:
        def f(t: Tensor | None) -> Tensor | None:
            return None if t is None else t[sl]

        return Prediction(
            pred_params={k: v[sl] for k, v in pred.pred_params.items()},
            pred_cam=f(pred.pred_cam),
            pred_joints_hm=f(pred.pred_joints_hm),
            pred_segm_logits=f(pred.pred_segm_logits),
            pred_heatmaps=f(pred.pred_heatmaps),
        )

    return cut(slice(0, n)), cut(slice(n, 2 * n))


@register_kind("wholebody", WholeBodyConfig)
class WholeBodyNetwork(nn.Module):
    """Body, hand and face :class:`SubNetwork` s joined by keypoint boxes and ROI crops."""

    def __init__(self, cfg: WholeBodyConfig):
        super().__init__()
        if cfg.body.part != "body" or cfg.hand.part != "hand" or cfg.face.part != "face":
            raise ConfigError("whole-body config: body, hand and face must be those parts")
        if any(g.kind != "rotation" for g in cfg.hand.groups):
            raise ConfigError(
                "whole-body config: hand groups must be rotations to be mirrored for left hands "
                f"(got {[(g.name, g.kind) for g in cfg.hand.groups]})"
            )
        if len(cfg.left_groups) != len(cfg.hand.groups):
            raise ConfigError(
                f"whole-body config: left_groups {cfg.left_groups} do not pair with the hand "
                f"groups {[g.name for g in cfg.hand.groups]}"
            )
        for k in BOX_NAMES:
            idx = cfg.box_keypoints.get(k, ())
            if not idx or max(idx) >= cfg.body.num_joints or min(idx) < 0:
                raise ConfigError(
                    f"whole-body config: box_keypoints[{k!r}] must be indices into the body's "
                    f"{cfg.body.num_joints} keypoints"
                )
        self.config = cfg
        self.body = SubNetwork(cfg.body)
        self.hand = SubNetwork(cfg.hand)
        self.face = SubNetwork(cfg.face)
        self.left_names = dict(zip((g.name for g in cfg.hand.groups), cfg.left_groups))
        for k in BOX_NAMES:
            self.register_buffer(
                f"box_idx_{k}",
                torch.tensor(cfg.box_keypoints[k], dtype=torch.long),
                persistent=False,
            )

    def part_boxes(self, joints_hm: Tensor, crop_size: int) -> dict[str, Tensor]:
        """(B, J, 3) body soft-argmax joints -> ``lhand``/``rhand``/``face`` (B, 4) xywh boxes in
        body-crop pixels (square; hands x hand_box_scale, face x face_box_scale)."""
        kp = ndc_to_pixels(joints_hm[..., :2], crop_size)  # (B, J, 2)
        out = {}
        for k in BOX_NAMES:
            scale = self.config.face_box_scale if k == "face" else self.config.hand_box_scale
            sub = kp.index_select(1, getattr(self, f"box_idx_{k}"))
            out[k] = box_from_keypoints(sub, scale=scale, aspect=1.0)
        return out

    def forward_features(self, body_img: Tensor) -> Tensor:
        """(B, 3, S, S) body crops -> the body subnetwork's F."""
        return self.body.forward_features(body_img)

    def body_crop(self, image: Tensor, affine: Tensor) -> Tensor:
        """(B, 3, S, S) body crop cut from the source through ``affine`` (bilinear)."""
        s = self.config.body.input_size
        box = image.new_tensor([-0.5, -0.5, s, s]).expand(image.shape[0], 4)
        return roi_crop(image, box, s, affine)

    def run_hands(self, right: Tensor, left: Tensor) -> tuple[Prediction, Prediction]:
        """Right crops and (unmirrored) left crops (B, 3, s, s) -> right and left predictions;
        left crops are mirrored in, their outputs mirrored back and renamed to left groups."""
        both = self.hand(torch.cat((right, left.flip(-1)), 0))
        r, l_mirrored = _split(both, right.shape[0])
        return r, mirror_prediction(l_mirrored, self.left_names)

    def forward_head(
        self, feat: Tensor, image: Tensor, affine: Tensor, boxes: dict[str, Tensor] | None = None
    ) -> Prediction:
        """Body head on F, then parts cropped from ``image``; ``boxes`` (xywh body-crop px)
        replace the predicted part boxes for cropping (ground-truth or external boxes); a part
        left out, or a row of NaN, keeps the predicted box."""
        body = self.body.forward_head(feat)
        size = feat.shape[-1] * self.body.backbone.output_stride
        pred_boxes = self.part_boxes(body.pred_joints_hm, size)
        own = (
            pred_boxes if self.config.crop_grad else {k: v.detach() for k, v in pred_boxes.items()}
        )
        if boxes is None:
            boxes = own
        else:
            given = boxes
            boxes = {}
            for k, v in own.items():
                g = given.get(k)
                boxes[k] = v if g is None else torch.where(torch.isnan(g), v, g.to(v.dtype))
        hs, fs = self.config.hand.input_size, self.config.face.input_size
        right = roi_crop(image, boxes["rhand"], hs, affine)  # (B, 3, hs, hs)
        left = roi_crop(image, boxes["lhand"], hs, affine)  # mirrored inside run_hands
        rhand, lhand = self.run_hands(right, left)
        face = self.face(roi_crop(image, boxes["face"], fs, affine))  # (B, 3, fs, fs)
        params = dict(body.pred_params)
        for part, groups in ((rhand, self.config.hand.groups), (face, self.config.face.groups)):
            for g in groups:
                key = f"{g.name}_rotmat" if g.kind == "rotation" else g.name
                params[key] = part.pred_params[key]
        for g in self.config.hand.groups:
            key = f"{self.left_names[g.name]}_rotmat"
            params[key] = lhand.pred_params[key]
        return Prediction(
            pred_params=params,
            pred_cam=body.pred_cam,
            pred_joints_hm=body.pred_joints_hm,
            pred_segm_logits=body.pred_segm_logits,
            pred_boxes=pred_boxes,
            pred_heatmaps=body.pred_heatmaps,
            parts={"rhand": rhand, "lhand": lhand, "face": face},
        )

    def forward(
        self,
        image: Tensor,
        affine: Tensor,
        body_img: Tensor | None = None,
        boxes: dict[str, Tensor] | None = None,
    ) -> Prediction:
        """image (B, 3, H, W), affine (B, 2, 3) image px -> body-crop px -> :class:`Prediction`."""
        if affine.shape[1:] != (2, 3) or affine.shape[0] != image.shape[0]:
            raise ShapeError(
                f"whole-body affine: expected ({image.shape[0]}, 2, 3) image -> body-crop pixels, "
                f"got {tuple(affine.shape)}"
            )
        if body_img is None:
            body_img = self.body_crop(image, affine.to(image.dtype))
        return self.forward_head(
            self.forward_features(body_img), image, affine.to(image.dtype), boxes
        )

    def normalize(self, pixels: Tensor) -> Tensor:
        """(B, 3, H, W) RGB pixel values in 0..255 -> the normalised input (config mean/std)."""
        mean = pixels.new_tensor(self.config.mean).view(1, 3, 1, 1) * 255.0
        std = pixels.new_tensor(self.config.std).view(1, 3, 1, 1) * 255.0
        return (pixels - mean) / std

    def forward_source(self, source: Tensor, boxes: dict[str, Tensor] | None = None) -> Prediction:
        """The one entry callers use: (B, 3, R, R) normalised square source crops (R is
        ``config.source_size`` for inference; any R >= the body input in training) -> the
        area-downsampled body crop and the pixel-centre resize affine -> :meth:`forward`.
        ``boxes``: xywh body-crop pixels replacing the predicted part boxes."""
        s = self.config.body.input_size
        if source.dim() != 4 or source.shape[1] != 3 or source.shape[-1] != source.shape[-2]:
            raise ShapeError(
                f"whole-body source: expected square crops (B, 3, R, R), got {tuple(source.shape)}"
            )
        side = int(source.shape[-1])
        if side < s:
            raise ShapeError(
                f"whole-body source: side {side} is smaller than the body crop {s}; cut the "
                f"source at config.source_size ({self.config.source_size})"
            )
        body_img = source if side == s else F.interpolate(source, size=(s, s), mode="area")
        affine = source.new_tensor(resize_affine(s / side)).expand(source.shape[0], 2, 3)
        return self.forward(source, affine, body_img=body_img, boxes=boxes)

    def load_part(self, part: str, source, where: str | None = None) -> None:
        """Load a trained part subnetwork into ``body``, ``hand`` or ``face``.

        ``source``: a :class:`SubNetwork` (e.g. from ``load_model``) or its state dict;
        ``where`` names it in errors. The part-only global branch (orient/shape/camera heads) a
        part was trained with is dropped when this network has none; any other difference
        raises :class:`CheckpointError` with the keys.
        """
        target: SubNetwork = getattr(self, part)
        where = where or f"{part} subnetwork"
        if isinstance(source, SubNetwork):
            # architecture only: not the global branch, initial values or pretrained record
            ignore = {"with_global": False, "cam_init_scale": 1.0, "vector_init": {}}
            mine = without_pretrained(dataclasses.replace(target.config, **ignore))
            theirs = without_pretrained(dataclasses.replace(source.config, **ignore))
            if mine != theirs:
                diff = [
                    f.name
                    for f in dataclasses.fields(mine)
                    if getattr(mine, f.name) != getattr(theirs, f.name)
                ]
                raise CheckpointError(f"{where}: cannot swap in, config differs in {diff}")
            source = source.state_dict()
        if not isinstance(source, dict):
            raise CheckpointError(f"{where}: expected a SubNetwork, a state dict or a path")
        expected = target.state_dict()
        glob = [f"regressor.linears.{g.name}." for g in target.config.global_groups]
        glob += ["regressor.linears.cam.", "regressor.fuse_f."]
        dropped = {k for k in source if k not in expected and k.startswith(tuple(glob))}
        state = {k: v for k, v in source.items() if k not in dropped}
        load_state_strict(target, state, source=where)

    def swap_in(self, hand_state=None, face_state=None) -> None:
        """The multi-stage fine-tune: replace hand and/or face with separately trained ones
        (each a :class:`SubNetwork` or a state dict, as for :meth:`load_part`)."""
        if hand_state is not None:
            self.load_part("hand", hand_state)
        if face_state is not None:
            self.load_part("face", face_state)
