"""Test-time pixel alignment: body-model parameters fitted to landmark evidence.

``fit_people(body, params, transl, K, evidence, image_size, FitConfig())`` refines the
network's prediction of every person of a photo (batched) against their 2D and world landmarks,
hands, face and silhouette, with priors that keep the pose human. See docs/fitting.md.
"""

from robosmplx.fit.config import TERMS, FitConfig, FitWeights
from robosmplx.fit.correspondence import Correspondence, correspondence
from robosmplx.fit.optimize import FitResult, fit_people, fitting_model

__all__ = [
    "TERMS",
    "Correspondence",
    "FitConfig",
    "FitResult",
    "FitWeights",
    "correspondence",
    "fit_people",
    "fitting_model",
]
