"""Benchmark protocols: which body model, parts, joints, roots, vertex subsets and metrics.

A :class:`Protocol` is a frozen description of one benchmark (EHF, AGORA validation, 3DPW test,
FreiHAND test, Stirling ESRC3D, the synthetic test sets): the body model of its ground truth,
the network it needs, per part a :class:`PartRule` (joints, alignment root: pelvis for body and
whole body, mean of the hips for 3DPW's J14, wrists for hands, neck for faces; vertex subset),
its metrics and the layout of its robustness table. :mod:`robosmplx.eval.parts` turns the rules
into index tables of one loaded body model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from robosmplx.errors import ConfigError

Task = Literal["wholebody", "body", "hand", "face"]
PARTS = ("wholebody", "body", "lhand", "rhand", "face")
POINT_METRICS = ("mpjpe", "pa_mpjpe", "pve", "pa_pve", "f5", "f15", "pck3d", "auc3d")
METRIC_LABELS = {
    "mpjpe": "MPJPE",
    "pa_mpjpe": "PA-MPJPE",
    "pve": "PVE",
    "pa_pve": "PA-PVE",
    "f5": "F@5mm",
    "f15": "F@15mm",
    "pck3d": "3DPCK",
    "auc3d": "3DAUC",
    "rmse3d": "3D RMSE",
    "box_iou": "IoU",
}
PART_LABELS = {
    "wholebody": "Wholebody",
    "body": "Body",
    "lhand": "Left hand",
    "rhand": "Right hand",
    "hands": "Hands",
    "fullbody": "All",
    "face": "Face",
}


@dataclass(frozen=True)
class PartRule:
    """How one part is scored. joints: ``all`` (whole keypoint set), a keypoint subset name
    (``body``, ``lhand``, ``rhand``, ``face``), ``j14`` (3DPW: the H36M regressor's 14),
    ``freihand`` (the right-hand subset with FreiHAND's fingertip vertices), or an official
    joint set of :mod:`robosmplx.eval.parts` (``ehf_*``, ``agora_*``). root: a keypoint-layout
    root name (``body`` = pelvis, ``lhand``/``rhand`` = wrists, ``face`` = neck) or ``hips``
    (their mean); official joint sets bring their own. vertices: ``all``, ``body`` (all but
    hands and face), ``agora_body`` (AGORA's body vertex ids), ``lhand``, ``rhand``, ``face``.
    metrics: this part's metrics when not all of the protocol's. pve_root: PVE subtracts each
    mesh's root (False: raw meshes, as mmhuman3d's 3DPW PVE)."""

    part: str
    joints: str
    root: str
    vertices: str
    metrics: tuple[str, ...] | None = None
    pve_root: bool = True


@dataclass(frozen=True)
class TableRow:
    """One row group of the paper-style robustness table: label, part, metrics per cell
    (``("pa_pve", "pve")`` prints ``PA-PVE/PVE`` like Table 4)."""

    label: str
    part: str
    metrics: tuple[str, ...]


@dataclass(frozen=True)
class Protocol:
    """One benchmark. body_model: the model its ground truth is expressed in (None: the
    checkpoint's own, for synthetic sets). task: which crops the network sees. metrics: the
    per-part point metrics; box_iou: whole-body part-box IoU; rmse3d: face scans (Stirling).
    headline: (part, metric) the robustness plots show; table: the Tables 4/5/7 row groups.
    prediction_models: other body models a prediction may be made in (scored on joints
    regressed from its own mesh, :func:`robosmplx.eval.parts.resolve_prediction_parts`)."""

    name: str
    description: str
    task: Task
    body_model: str | None
    parts: tuple[PartRule, ...]
    metrics: tuple[str, ...]
    headline: tuple[str, str]
    table: tuple[TableRow, ...]
    box_iou: bool = False
    rmse3d: bool = False
    gendered: bool = False
    prediction_models: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        bad = [m for m in self.metrics if m not in POINT_METRICS]
        if bad:
            raise ConfigError(
                f"protocol {self.name!r}: unknown metrics {bad}; have {POINT_METRICS}"
            )
        for rule in self.parts:
            if rule.part not in PARTS:
                raise ConfigError(f"protocol {self.name!r}: unknown part {rule.part!r}")

    @property
    def part_names(self) -> tuple[str, ...]:
        return tuple(r.part for r in self.parts)

    @property
    def derived_parts(self) -> tuple[str, ...]:
        """Parts made from others: ``hands`` (mean of both), AGORA's ``fullbody``."""
        out = ("hands",) if {"lhand", "rhand"} <= set(self.part_names) else ()
        return out + (("fullbody",) if self.name == "agora" else ())

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "description": self.description,
            "task": self.task,
            "body_model": self.body_model,
            "parts": [r.__dict__ for r in self.parts],
            "metrics": list(self.metrics)
            + (["box_iou"] if self.box_iou else [])
            + (["rmse3d"] if self.rmse3d else []),
            "headline": list(self.headline),
        }


_WB_PARTS = (
    PartRule("wholebody", "all", "body", "all"),
    PartRule("body", "body", "body", "body"),
    PartRule("lhand", "lhand", "lhand", "lhand"),
    PartRule("rhand", "rhand", "rhand", "rhand"),
    PartRule("face", "face", "face", "face"),
)
# EHF as Hand4Whole's data/EHF/EHF.py: roots and hand joints from the SMPL-X joint regressor
# on the mesh, body PA-MPJPE on the J14 regressor, no whole-body or face joint errors.
_EHF_PARTS = (
    PartRule("wholebody", "ehf_none", "ehf", "all", ("pve", "pa_pve")),
    PartRule("body", "ehf_j14", "ehf", "body", ("pa_mpjpe",)),
    PartRule("lhand", "ehf_lhand", "ehf", "lhand", ("pve", "pa_pve", "pa_mpjpe")),
    PartRule("rhand", "ehf_rhand", "ehf", "rhand", ("pve", "pa_pve", "pa_mpjpe")),
    PartRule("face", "ehf_none", "ehf", "face", ("pve", "pa_pve")),
)
# AGORA as its calculate_v2v_error.py: SMPL-X joints and landmarks, its own body vertices.
_AGORA_PARTS = (
    PartRule("body", "agora_body", "agora", "agora_body"),
    PartRule("lhand", "agora_lhand", "agora", "lhand"),
    PartRule("rhand", "agora_rhand", "agora", "rhand"),
    PartRule("face", "agora_face", "agora", "face"),
)
_PA_MM = ("mpjpe", "pa_mpjpe", "pve", "pa_pve")
_TABLE7 = (
    TableRow("Hands", "hands", ("pa_pve",)),
    TableRow("Face", "face", ("pa_pve",)),
    TableRow("Wholebody", "wholebody", ("pa_pve",)),
)

PROTOCOLS: dict[str, Protocol] = {
    p.name: p
    for p in (
        Protocol(
            "ehf",
            "EHF (whole body, SMPL-X) as Hand4Whole: PVE / PA-PVE per part, PA-MPJPE of J14 "
            "and hands, part-box IoU (Tables 6, 7, 18)",
            "wholebody", "smplx", _EHF_PARTS, _PA_MM, ("wholebody", "pa_pve"), _TABLE7,
            box_iou=True,
        ),
        Protocol(
            "agora",
            "AGORA validation (whole body, gendered SMPL-X) as its official script: MPJPE / "
            "MVE per part, full body (Table 6)",
            "wholebody", "smplx", _AGORA_PARTS, _PA_MM, ("fullbody", "pve"),
            (
                TableRow("All", "fullbody", ("pve",)),
                TableRow("Body", "body", ("pve",)),
                TableRow("Face", "face", ("pve",)),
                TableRow("Hands", "hands", ("pve",)),
            ),
            gendered=True,
        ),
        Protocol(
            "3dpw",
            "3DPW test (body, gendered SMPL) as mmhuman3d: MPJPE / PA-MPJPE on the H36M "
            "regressor's J14, pelvis root, raw PVE (Tables 2, 16); SMPL-X predictions on the SMPL-X "
            "H36M regressor's J14, no PVE",
            "body", "smpl", (PartRule("body", "j14", "h36m", "all", pve_root=False),),
            _PA_MM + ("pck3d", "auc3d"), ("body", "pa_mpjpe"), (TableRow("Body", "body", ("pa_mpjpe", "mpjpe")),),
            gendered=True, prediction_models=("smplx",),
        ),
        Protocol(
            "freihand",
            "FreiHAND test (right hand, MANO): PA-MPJPE, PA-PVE, F@5/15 mm, FreiHAND's "
            "fingertips (Tables 1, 4)",
            "hand", "mano", (PartRule("rhand", "freihand", "rhand", "rhand"),),
            _PA_MM + ("f5", "f15"), ("rhand", "pa_pve"),
            (TableRow("Hand", "rhand", ("pa_pve", "pve")),),
        ),
        Protocol(
            "stirling",
            "Stirling ESRC3D (face, FLAME): 3D RMSE against the scans (Tables 3, 5)",
            "face", "flame", (PartRule("face", "face", "face", "face"),), (),
            ("face", "rmse3d"), (TableRow("Face", "face", ("rmse3d",)),), rmse3d=True,
        ),
        Protocol(
            "synthetic",
            "synthetic whole-body test set (any body model): every part, part-box IoU",
            "wholebody", None, _WB_PARTS, _PA_MM, ("wholebody", "pa_pve"), _TABLE7, box_iou=True,
        ),
        Protocol(
            "synthetic-body",
            "synthetic body test set (any body model): whole-mesh errors, pelvis-aligned",
            "body", None, (PartRule("body", "body", "body", "all"),), _PA_MM,
            ("body", "pa_mpjpe"), (TableRow("Body", "body", ("pa_mpjpe", "mpjpe")),),
        ),
        Protocol(
            "synthetic-hand",
            "synthetic right-hand test set (any body model): wrist-aligned hand errors",
            "hand", None, (PartRule("rhand", "rhand", "rhand", "rhand"),), _PA_MM + ("f5", "f15"),
            ("rhand", "pa_pve"), (TableRow("Hand", "rhand", ("pa_pve", "pve")),),
        ),
        Protocol(
            "synthetic-face",
            "synthetic face test set (any body model): neck-aligned face errors",
            "face", None, (PartRule("face", "face", "face", "face"),), _PA_MM,
            ("face", "pa_pve"), (TableRow("Face", "face", ("pa_pve", "pve")),),
        ),
    )
}  # fmt: skip


def get_protocol(name: str) -> Protocol:
    """The protocol called ``name`` (case-insensitive)."""
    key = name.lower()
    if key not in PROTOCOLS:
        raise ConfigError(f"unknown protocol {name!r}; choose one of {', '.join(PROTOCOLS)}")
    return PROTOCOLS[key]
