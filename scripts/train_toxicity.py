"""Train the toxicity scorer's linear model offline and report it on every dev set.

    .venv/bin/pip install scikit-learn   # training only, never at run time
    .venv/bin/python scripts/train_toxicity.py ../shared/data

Trains only on data whose license allows shipping derived weights: Davidson et al. 2017
(MIT), HateCheck (CC BY 4.0) and the identity-term templates of bias_madlibs (Apache-2.0,
a sample, to teach that identity words alone are not toxic). Writes
cmbot/data/toxicity_model.npz (float16 weights over hashed features).
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from plugins.toxicity.features import DIMENSIONS, features  # noqa: E402
from plugins.toxicity.normalize import for_matching  # noqa: E402

OUT = ROOT / "cmbot" / "data" / "toxicity_model.npz"
TRAIN = ("davidson_hate_offensive", "hatecheck")
MADLIBS_SAMPLE = 6000


def load(path: Path) -> list[tuple[str, int]]:
    with path.open(encoding="utf-8") as handle:
        return [(r["text"], int(float(r["label"]))) for r in csv.DictReader(handle)
                if r.get("text")]


def matrix(texts: list[str]):  # type: ignore[no-untyped-def]
    from scipy.sparse import csr_matrix

    rows, cols, vals = [], [], []
    for i, text in enumerate(texts):
        for j, v in features(for_matching(text)).items():
            rows.append(i)
            cols.append(j)
            vals.append(v)
    return csr_matrix((vals, (rows, cols)), shape=(len(texts), DIMENSIONS))


def main(data: Path) -> None:
    from sklearn.linear_model import LogisticRegression

    rng = random.Random(13)
    train: list[tuple[str, int]] = []
    for name in TRAIN:
        train += load(data / "toxicity" / name / "dev.csv")
    madlibs = load(data / "toxicity" / "bias_madlibs_77k" / "dev.csv")
    train += rng.sample(madlibs, min(MADLIBS_SAMPLE, len(madlibs)))
    x = matrix([t for t, _ in train])
    y = np.array([label for _, label in train])
    model = LogisticRegression(C=float(sys.argv[2]) if len(sys.argv) > 2 else 4.0,
                               max_iter=2000, class_weight="balanced")
    model.fit(x, y)
    weights = model.coef_[0].astype(np.float32)
    bias = float(model.intercept_[0])
    np.savez_compressed(OUT, w=weights.astype(np.float16), b=np.float32(bias))
    print(f"trained on {len(train)} texts; wrote {OUT} ({OUT.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT.parent / "shared" / "data"))
