"""Do identity terms alone raise the flag rate? Benign identity-term templates
(bias_madlibs, label 0) flagged at the defaults, beside the same sentences with the
identity term replaced by "person".

    .venv/bin/python bench/toxicity_fairness.py [--data ../shared/data] [--sample 4000]
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cmbot_plugins.toxicity.evaluate import default_settings, flagged  # noqa: E402

IDENTITIES = (
    "lesbian gay bisexual transgender trans queer lgbt lgbtq homosexual straight "
    "heterosexual male female nonbinary african black european hispanic latino latina "
    "latinx mexican canadian american asian indian chinese japanese christian muslim "
    "jewish buddhist catholic protestant sikh taoist old older young younger teenage "
    "millennial elderly blind deaf paralyzed").split()
TERM = re.compile(r"\b(" + "|".join(sorted(IDENTITIES, key=len, reverse=True)) + r")\b",
                  re.IGNORECASE)


def main(data: Path, sample: int) -> None:
    with (data / "toxicity" / "bias_madlibs_77k" / "dev.csv").open(encoding="utf-8") as f:
        benign = [r["text"] for r in csv.DictReader(f) if r["label"] == "0"]
    benign = random.Random(1).sample(benign, min(sample, len(benign)))
    settings = default_settings()
    with_term = sum(flagged(t, settings) for t in benign) / len(benign)
    neutral = sum(flagged(TERM.sub("person", t), settings) for t in benign) / len(benign)
    print(f"benign madlibs ({len(benign)}): flagged {with_term:.1%} with identity terms, "
          f"{neutral:.1%} with 'person'; gap {100 * (with_term - neutral):.1f} points")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--sample", type=int, default=4000)
    args = parser.parse_args()
    main(Path(args.data), args.sample)
