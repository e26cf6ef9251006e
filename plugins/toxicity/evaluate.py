"""``cmbot eval toxicity FILE.csv``: the plugin's real scoring at the shipped defaults (or
at one sensitivity level / language), with the share of lines each category flags."""

from __future__ import annotations

import csv
import time
from collections import Counter
from pathlib import Path
from typing import Any

from . import cmbot_config_schema
from .assess import assess


def default_settings(sensitivity: str | None = None) -> dict[str, Any]:
    """The plugin's defaults; ``sensitivity`` sets every category's level."""
    settings: dict[str, Any] = {key: setting.default
                                for key, setting in cmbot_config_schema().items()}
    if sensitivity is not None:
        settings["sensitivity"] = str(sensitivity)
    return settings


def flagged_category(text: str, settings: dict[str, Any], language: str = "en") -> str | None:
    """The category the plugin would act on for ``text``, or None."""
    hit = assess(text, settings, language=language).hit
    return hit.category if hit is not None and settings[f"action_{hit.category}"] != "off" \
        else None


def flagged(text: str, settings: dict[str, Any], language: str = "en") -> bool:
    return flagged_category(text, settings, language) is not None


def evaluate(path: str | Path, unlabeled: bool = False, *, sensitivity: str | None = None,
             language: str = "en", by_category: dict[str, int] | None = None
             ) -> dict[str, float]:
    """Precision, recall, F1 and flagged rate on a ``text,label`` CSV (only the rate with
    ``unlabeled``); ``by_category`` receives how many lines each category flagged."""
    settings = default_settings(sensitivity)
    with Path(path).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or "text" not in reader.fieldnames:
            raise ValueError(f"{path}: needs a 'text' column (and 'label' unless --unlabeled)")
        if not unlabeled and "label" not in reader.fieldnames:
            raise ValueError(f"{path}: no 'label' column; add --unlabeled to measure only the "
                             f"flagged rate")
        rows = list(reader)
    started = time.perf_counter()
    categories = [flagged_category(r["text"] or "", settings, language) for r in rows]
    elapsed = time.perf_counter() - started
    predictions = [c is not None for c in categories]
    if by_category is not None:
        by_category.update(Counter(c for c in categories if c is not None))
    rate = sum(predictions) / max(1, len(rows))
    print(f"messages={len(rows)} msgs_per_s={len(rows) / max(elapsed, 1e-9):.0f}")
    if unlabeled:
        return {"flagged_rate": rate}
    try:
        labels = [int(float(r["label"])) for r in rows]
    except (TypeError, ValueError):
        raise ValueError(f"{path}: every label must be 0 or 1") from None
    tp = sum(p and y == 1 for p, y in zip(predictions, labels, strict=True))
    precision = tp / max(1, sum(predictions))
    recall = tp / max(1, sum(labels))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "flagged_rate": rate}
