"""Fit the FAQ matcher's whitening projection offline and pick its default threshold.

    .venv/bin/python scripts/train_faq_projection.py ../shared/data

The projection is the inverse square root of the within-intent covariance of MiniLM
embeddings (LDA-style whitening): it shrinks the directions in which paraphrases of one
question differ and so separates questions with different intents better. It is fitted on
intent data whose licenses allow shipping derived weights (CLINC150: CC BY 3.0; BANKING77
and HWU64: CC BY 4.0) and written to cmbot/data/faq_projection.npz (float16, ~300 KB).
The default threshold is chosen by cross-validation over intents: fit on half the CLINC
intents, evaluate on the other half, so it is measured on intents the projection never saw.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cmbot.embeddings import Encoder  # noqa: E402

LAMBDA = 0.03
OUT = ROOT / "cmbot" / "data" / "faq_projection.npz"


def within_covariance(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    centred = x.copy()
    for label in np.unique(y):
        mask = y == label
        centred[mask] -= x[mask].mean(0)
    return centred.T @ centred / len(x)


def projection(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    values, vectors = np.linalg.eigh(within_covariance(x, y))
    w = vectors @ np.diag(1.0 / np.sqrt(values + LAMBDA)) @ vectors.T
    w /= np.sqrt(np.mean(np.sum(w * w, axis=0)))  # keep scores on a familiar scale
    return w.astype(np.float32), x.mean(0).astype(np.float32)


def first_phrasings(items: list[list[str]], k: int = 5) -> dict[str, list[str]]:
    by_intent: dict[str, list[str]] = {}
    for text, intent in items:
        by_intent.setdefault(intent, []).append(text)
    return {i: sorted(t, key=lambda s: hashlib.sha256(s.encode()).hexdigest())[:k]
            for i, t in by_intent.items()}


def main(data: Path) -> None:
    enc = Encoder(threads=2)
    clinc = json.loads((data / "faq" / "clinc150_dev.json").read_text())
    bank = list(csv.DictReader((data / "faq" / "banking77" / "train.csv").open()))
    hwu = [r for r in csv.DictReader((data / "faq" / "hwu64" / "hwu64_kfold1.csv").open())
           if r["split"] == "train"]
    cx = enc.encode([t for t, _ in clinc["train"]], 128)
    cy = np.array([i for _, i in clinc["train"]])
    ext_x = np.vstack([enc.encode([r["text"] for r in bank], 128),
                       enc.encode([r["text"] for r in hwu], 128)])
    ext_y = np.array([f"b:{r['category']}" for r in bank] + [f"h:{r['intent']}" for r in hwu])
    phr = first_phrasings(clinc["train"])
    test_q = enc.encode([t for t, _ in clinc["test"]], 128)
    test_y = np.array([i for _, i in clinc["test"]])
    oos = enc.encode(list(clinc["oos_test"]) if isinstance(clinc["oos_test"][0], str)
                     else [t for t, _ in clinc["oos_test"]], 128)
    phr_x = {i: enc.encode(t) for i, t in phr.items()}
    intents = sorted(phr)
    folds = [(intents[::2], intents[1::2]), (intents[1::2], intents[::2])]
    thresholds = np.arange(0.20, 0.70, 0.01)
    curves = []
    for fit_on, held_out in folds:
        mask = np.isin(cy, fit_on)
        w, mu = projection(np.vstack([cx[mask], ext_x]), np.concatenate([cy[mask], ext_y]))

        def f(x: np.ndarray, w: np.ndarray = w, mu: np.ndarray = mu) -> np.ndarray:
            z = (x - mu) @ w.T
            return z / np.linalg.norm(z, axis=1, keepdims=True)

        cents = np.stack([f(phr_x[i]).mean(0) for i in held_out])
        cents /= np.linalg.norm(cents, axis=1, keepdims=True)
        keep = np.isin(test_y, held_out)
        s = f(test_q[keep]) @ cents.T
        so = f(oos) @ cents.T
        right = np.array(held_out)[s.argmax(1)] == test_y[keep]
        curve = []
        for t in thresholds:
            acc = (right & (s.max(1) >= t)).mean()
            rec = (so.max(1) < t).mean()
            curve.append(2 * acc * rec / (acc + rec))
        curves.append(curve)
    mean = np.mean(curves, axis=0)
    best = int(np.argmax(mean))
    print(f"cross-validated over intents: threshold {thresholds[best]:.2f} "
          f"combined {mean[best]:.3f} (folds {curves[0][best]:.3f}, {curves[1][best]:.3f})")
    w, mu = projection(np.vstack([cx, ext_x]), np.concatenate([cy, ext_y]))
    np.savez_compressed(OUT, w=w.astype(np.float16), mu=mu,
                        threshold=np.float32(thresholds[best]))
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT.parent / "shared" / "data"))
