"""Settings of the test-time fit: per-term weights, the staged schedule, robust-loss scales.

One frozen dataclass (:class:`FitConfig`) with the term weights in a nested one
(:class:`FitWeights`); both load from YAML with unknown keys rejected (``robosmplx.config``).
A weight of 0 switches a term off (its value is still reported).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from robosmplx.errors import ConfigError

TERMS = (
    "body2d", "body3d", "hands2d", "face2d", "silhouette",
    "limits", "pose_prior", "shape", "expression", "init",
)  # fmt: skip


@dataclass(frozen=True)
class FitWeights:
    """Weight of every term (see docs/fitting.md for what each measures and its unit).

    Data terms are weighted means of a robust (Geman-McClure) residual, each residual divided by
    a size of what it measures (person, hand or face box), so they are about 1 when off by that
    size; priors are mean squares in radians or parameter units.
    """

    body2d: float = 1.0
    body3d: float = 2.0
    hands2d: float = 0.3
    face2d: float = 0.1
    silhouette: float = 0.05
    limits: float = 1.0
    pose_prior: float = 2e-4
    shape: float = 1e-3
    expression: float = 1e-3
    init: float = 1e-3

    def as_dict(self) -> dict[str, float]:
        return {f.name: float(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class FitConfig:
    """How to fit. ``rigid_steps``: orientation + translation on torso points (cheap: the posed
    model is moved rigidly); ``steps``: every group; the silhouette joins for the last
    ``silhouette_steps`` of them, rendered at ``silhouette_size`` px around the person box.
    ``proxy``: fit Anny on its small topology (same skeleton and parameters, 11x fewer
    vertices) and return parameters for the model given. ``threads``: the fit's tensors are
    small, so extra CPU threads mostly add synchronisation (see docs/fitting.md)."""

    steps: int = 48
    rigid_steps: int = 20
    lr: float = 0.03
    lr_rigid: float = 0.05
    lr_transl: float = 0.02
    lr_vectors: float = 0.06  # betas and expression
    lr_final: float = 0.1  # the learning rates decay to this share (cosine) over ``steps``
    weights: FitWeights = field(default_factory=FitWeights)
    robust_sigma: float = 0.15  # Geman-McClure scale of body residuals, in person-box sizes
    # ... which starts wider and narrows to robust_sigma over ``steps`` (geometric): a wide
    # scale first pulls every landmark in, the narrow one then lets outliers go
    robust_sigma_start: float = 0.2
    robust_sigma_parts: float = 0.5  # the same for hands and face, in hand / face sizes
    robust_sigma_3d: float = 0.5  # metres, world landmarks (wide: they settle depth order)
    min_confidence: float = 0.3  # hand/face landmarks below this confidence are ignored
    # body landmarks count down to this confidence (weighted by it): the pose model's guess
    # for a hidden joint (behind a table, a chair, another person) is still a good one, and
    # photo annotations mark hidden joints too; min_confidence still decides who has enough
    # seen landmarks (min_landmarks) to be fitted at all
    min_body_confidence: float = 0.0
    min_landmarks: int = 5  # fewer confident body landmarks: the person is not fitted
    silhouette: bool = True
    silhouette_steps: int = 4
    silhouette_size: int = 64
    silhouette_sigma: float = 0.3  # px^2 at the crop's size: the soft renderer's edge blur
    orient_from_3d: bool = True  # start the orientation from the world landmarks (Kabsch)
    limbs_from_3d: bool = True  # then turn the limbs along them (fit/kinematics.py)
    proxy: bool = True
    threads: int | None = 1  # torch CPU threads during the fit (restored after); None: as set
    diverged_ratio: float = 1.5  # final 2D term above ratio x initial: the fit failed
    # every this many steps the translation is re-solved in closed form for the current pose
    # and shape (kept where it lowers the 2D error); 0: never
    resolve_every: int = 8
    # stop before ``steps`` (after the silhouette steps) once every data term fell by less
    # than settle_tol of itself over the last settle_window steps (0: never stop early)
    settle_window: int = 8
    settle_tol: float = 0.01

    def __post_init__(self):
        for name in (
            "steps",
            "rigid_steps",
            "silhouette_steps",
            "min_landmarks",
            "resolve_every",
            "settle_window",
        ):
            if getattr(self, name) < 0:
                raise ConfigError(f"fit config: {name} must be >= 0, got {getattr(self, name)}")
        if self.threads is not None and self.threads < 1:
            raise ConfigError(f"fit config: threads must be >= 1 or null, got {self.threads}")
        if self.silhouette_size < 8:
            raise ConfigError(
                f"fit config: silhouette_size must be >= 8, got {self.silhouette_size}"
            )
        positive = ("lr", "lr_rigid", "lr_transl", "lr_vectors", "lr_final", "robust_sigma",
                    "robust_sigma_start", "robust_sigma_parts", "robust_sigma_3d", "silhouette_sigma", "diverged_ratio")  # fmt: skip
        for name in positive:
            if not getattr(self, name) > 0:
                raise ConfigError(f"fit config: {name} must be positive, got {getattr(self, name)}")
        for name in ("min_confidence", "min_body_confidence"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(
                    f"fit config: {name} must be in [0, 1], got {getattr(self, name)}"
                )
        bad = [k for k, v in self.weights.as_dict().items() if v < 0]
        if bad:
            raise ConfigError(f"fit config: weights must be >= 0, got negative {bad}")
