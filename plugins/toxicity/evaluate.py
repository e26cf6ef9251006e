"""``cmbot eval toxicity FILE.csv``: the plugin's real scoring at the shipped defaults."""

from __future__ import annotations

import csv
import time
from pathlib import Path

from . import cmbot_config_schema
from .assess import assess


def default_settings() -> dict[str, object]:
    return {key: setting.default for key, setting in cmbot_config_schema().items()}


def flagged(text: str, settings: dict[str, object]) -> bool:
    result = assess(text, settings)
    return result.hit is not None and settings[f"action_{result.hit.category}"] != "off"


def evaluate(path: str | Path, unlabeled: bool = False) -> dict[str, float]:
    settings = default_settings()
    with Path(path).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or "text" not in reader.fieldnames:
            raise ValueError(f"{path}: needs a 'text' column (and 'label' unless --unlabeled)")
        if not unlabeled and "label" not in reader.fieldnames:
            raise ValueError(f"{path}: no 'label' column; add --unlabeled to measure only the "
                             f"flagged rate")
        rows = list(reader)
    started = time.perf_counter()
    predictions = [flagged(r["text"] or "", settings) for r in rows]
    elapsed = time.perf_counter() - started
    rate = sum(predictions) / max(1, len(rows))
    print(f"messages={len(rows)} msgs_per_s={len(rows) / max(elapsed, 1e-9):.0f}")
    if unlabeled:
        return {"flagged_rate": rate}
    labels = [int(float(r["label"])) for r in rows]
    tp = sum(p and y == 1 for p, y in zip(predictions, labels, strict=True))
    precision = tp / max(1, sum(predictions))
    recall = tp / max(1, sum(labels))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "flagged_rate": rate}
