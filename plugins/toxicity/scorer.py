"""Toxicity score in [0, 1]: a linear model over hashed n-grams of the normalised text
(trained offline by scripts/train_toxicity.py), plus the word lists' verdicts."""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import cmbot

from .features import features
from .normalize import for_matching

MODEL_FILE = Path(cmbot.__file__).resolve().parent / "data" / "toxicity_model.npz"


@lru_cache(maxsize=1)
def _model() -> tuple[Any, float]:
    import numpy as np

    data = np.load(MODEL_FILE)
    weights = data["w"].astype(np.float32)
    return weights.tolist(), float(data["b"])


def model_score(normalised: str) -> float:
    """Probability that the (already normalised) text is toxic or offensive."""
    weights, bias = _model()
    z = bias + sum(weights[i] * v for i, v in features(normalised).items())
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def score(text: str) -> float:
    return model_score(for_matching(text))
