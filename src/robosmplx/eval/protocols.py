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
POINT_METRICS = ("mpjpe", "pa_mpjpe", "pve", "pa_pve", "f5", "f15")
METRIC_LABELS = {
    "mpjpe": "MPJPE",
    "pa_mpjpe": "PA-MPJPE",
    "pve": "PVE",
    "pa_pve": "PA-PVE",
    "f5": "F@5mm",
    "f15": "F@15mm",
    "rmse3d": "3D RMSE",
    "box_iou": "IoU",
}
PART_LABELS = {
    "wholebody": "Wholebody",
    "body": "Body",
    "lhand": "Left hand",
    "rhand": "Right hand",
    "hands": "Hands",
    "face": "Face",
}


@dataclass(frozen=True)
class PartRule:
    """How one part is scored. joints: ``all`` (whole keypoint set), a keypoint subset name
    (``body``, ``lhand``, ``rhand``, ``face``) or ``j14``. root: a keypoint-layout root name
    (``body`` = pelvis, ``lhand``/``rhand`` = wrists, ``face`` = neck) or ``hips`` (their mean).
    vertices: ``all``, ``body`` (all but hands and face), ``lhand``, ``rhand`` or ``face``."""

    part: str
    joints: str
    root: str
    vertices: str


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
    headline: (part, metric) the robustness plots show; table: the Tables 4/5/7 row groups."""

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
            "EHF (whole body, SMPL-X): PVE / PA-PVE per part, part-box IoU (Tables 6, 7, 18)",
            "wholebody", "smplx", _WB_PARTS, _PA_MM, ("wholebody", "pa_pve"), _TABLE7,
            box_iou=True,
        ),
        Protocol(
            "agora",
            "AGORA validation (whole body, SMPL-X): PVE per part (Table 6)",
            "wholebody", "smplx", _WB_PARTS, _PA_MM, ("wholebody", "pve"),
            (
                TableRow("Wholebody", "wholebody", ("pve",)),
                TableRow("Body", "body", ("pve",)),
                TableRow("Face", "face", ("pve",)),
                TableRow("Hands", "hands", ("pve",)),
            ),
        ),
        Protocol(
            "3dpw",
            "3DPW test (body, SMPL): MPJPE / PA-MPJPE on J14, PVE (Tables 2, 16)",
            "body", "smpl", (PartRule("body", "j14", "hips", "all"),), _PA_MM,
            ("body", "pa_mpjpe"), (TableRow("Body", "body", ("pa_mpjpe", "mpjpe")),),
        ),
        Protocol(
            "freihand",
            "FreiHAND test (right hand, MANO): PA-MPJPE, PA-PVE, F@5/15 mm (Tables 1, 4)",
            "hand", "mano", (PartRule("rhand", "rhand", "rhand", "rhand"),), _PA_MM + ("f5", "f15"),
            ("rhand", "pa_pve"), (TableRow("Hand", "rhand", ("pa_pve", "pve")),),
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
