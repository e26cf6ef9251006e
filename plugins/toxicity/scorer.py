"""Per-category toxicity scores in [0, 1]: linear heads over hashed n-grams of the
normalised text (trained offline by scripts/train_toxicity.py), with thresholds per
sensitivity level calibrated on benign chat.

The model file (``cmbot/data/toxicity_model.npz``) holds ``categories`` (names), ``w``
(float16, categories × DIMENSIONS), ``b`` (one bias per category) and, per language,
``thresholds_<lang>`` (categories × 4: levels 1 low .. 4 strict). Level 0 is off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cmbot

from .features import features, gram_features

MODEL_FILE = Path(cmbot.__file__).resolve().parent / "data" / "toxicity_model.npz"
CATEGORIES = ("insult", "hate", "threat", "sexual", "self_harm", "profanity")
LEVELS = ("off", "low", "medium", "high", "strict")
LEVEL_CHOICES = (*LEVELS, "0", "1", "2", "3", "4")
LANGUAGES = ("en", "fr")


@dataclass(frozen=True)
class Model:
    categories: tuple[str, ...]
    weights: list[list[float]]
    bias: list[float]
    thresholds: dict[str, list[list[float]]]


@lru_cache(maxsize=1)
def model() -> Model:
    import numpy as np

    data = np.load(MODEL_FILE)
    w = data["w"].astype(np.float32)
    if w.ndim == 1:  # a one-head model: every category shares it
        categories: tuple[str, ...] = CATEGORIES
        weights = [w.tolist()] * len(categories)
        bias = [float(data["b"])] * len(categories)
        thresholds = {lang: [[0.97, 0.92, 0.85, 0.75]] * len(categories)
                      for lang in LANGUAGES}
    else:
        categories = tuple(str(c) for c in data["categories"])
        weights = [row.tolist() for row in w]
        bias = [float(b) for b in data["b"]]
        thresholds = {lang: data[f"thresholds_{lang}"].astype(float).tolist()
                      for lang in LANGUAGES if f"thresholds_{lang}" in data}
    return Model(categories, weights, bias, thresholds)


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def category_scores(normalised: str, language: str = "en") -> dict[str, float]:
    """Probability per category that the (already normalised) text belongs to it."""
    m = model()
    found = features(normalised)
    out: dict[str, float] = {}
    for name, weights, bias in zip(m.categories, m.weights, m.bias, strict=True):
        out[name] = _sigmoid(bias + sum(weights[i] * v for i, v in found.items()))
    return out


def level_of(value: str | int) -> int:
    """A sensitivity as configured or typed (``medium``, ``2``) as its number 0-4."""
    text = str(value).strip().lower()
    if text in LEVELS:
        return LEVELS.index(text)
    if text in ("0", "1", "2", "3", "4"):
        return int(text)
    raise ValueError(f"unknown sensitivity {value!r}; expected one of: "
                     f"{', '.join(LEVELS)} (or 0-4)")


def threshold(category: str, level: int, language: str = "en") -> float:
    """The score from which ``category`` is flagged at sensitivity ``level`` (0 off ..
    4 strict) for a community speaking ``language``; ``inf`` when off or unknown."""
    m = model()
    if level <= 0 or category not in m.categories:
        return math.inf
    table = m.thresholds.get(language) or m.thresholds["en"]
    return table[m.categories.index(category)][min(level, 4) - 1]


def explain(normalised: str, category: str, count: int = 3) -> list[str]:
    """The words of the text that pushed its ``category`` score up most."""
    m = model()
    if category not in m.categories:
        return []
    weights = m.weights[m.categories.index(category)]
    pushed: dict[str, float] = {}
    for word, indices in gram_features(normalised).items():
        pushed[word] = sum(weights[i] * v for i, v in indices.items())
    ranked = sorted((w for w in pushed if pushed[w] > 0), key=lambda w: -pushed[w])
    return ranked[:count]
