"""The toxicity plugin beside the anchor, alt-profanity-check, on every labelled dev set
and on real Twitch chat, in one run on one machine.

    .venv/bin/pip install alt-profanity-check    # for this benchmark only, never at run time
    .venv/bin/python bench/toxicity_anchor.py [--data ../shared/data] [--limit 20000]

Three columns per set: the plugin at its shipped defaults, the anchor at its usual 0.5,
and the anchor at the threshold where it flags as much real Twitch chat as the plugin
does (an equal benign flag rate: a fair comparison of what each catches for the same
cost in wrongly flagged chat). The plugin's F1 counts the categories flagged by default
(profanity is not). Twitch chat is unlabelled, so its flag rate is an upper bound on the
false-flag rate.
"""

from __future__ import annotations

import argparse
import csv
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cmbot_plugins.toxicity.evaluate import default_settings, flagged  # noqa: E402

SETS = ("conda_dota2", "olid", "tweeteval_hate", "hatecheck", "davidson_hate_offensive",
        "wiki_toxicity_testset", "bias_madlibs_77k")


def rows(path: Path, limit: int) -> list[tuple[str, int]]:
    with path.open(encoding="utf-8", newline="") as handle:
        found = [(r["text"] or "", int(float(r.get("label") or 0)))
                 for r in csv.DictReader(handle)]
    if len(found) > limit:  # a stable sample, the same in every run
        found = sorted(found, key=lambda r: zlib.crc32(r[0].encode()))[:limit]
    return found


def figures(predicted: list[bool], labels: list[int]) -> tuple[float, float]:
    tp = sum(p and y == 1 for p, y in zip(predicted, labels, strict=True))
    precision = tp / max(1, sum(predicted))
    recall = tp / max(1, sum(labels))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return f1, sum(predicted) / max(1, len(predicted))


def main(data: Path, limit: int) -> None:
    try:
        from profanity_check import predict_prob
    except ImportError:
        sys.exit("bench/toxicity_anchor.py needs the anchor: .venv/bin/pip install "
                 "alt-profanity-check (for the benchmark only)")
    settings = default_settings()
    chat = [t for t, _ in rows(data / "chat" / "twitch_2025_dev.csv", limit)]
    ours_chat = sum(flagged(t, settings) for t in chat) / len(chat)
    anchor_chat = sorted(predict_prob(chat), reverse=True)
    matched = anchor_chat[max(0, int(ours_chat * len(chat)) - 1)]  # same share flagged
    anchor_rate = sum(p >= 0.5 for p in anchor_chat) / len(chat)
    print(f"Twitch chat, {len(chat)} lines: cmbot flags {ours_chat:.1%}, the anchor at 0.5 "
          f"flags {anchor_rate:.1%}; the anchor flags {ours_chat:.1%} at {matched:.3f}")
    print()
    print(f"| set | lines | cmbot F1 | cmbot flagged | anchor@0.5 F1 | anchor@0.5 flagged "
          f"| anchor@{matched:.2f} F1 | cmbot − anchor (equal chat rate) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    sets = [(name, data / "toxicity" / name / "dev.csv") for name in SETS]
    sets.append(("mhc_french (fr)", data / "toxicity-train" / "mhc_french" / "data.csv"))
    for name, path in sets:
        if not path.is_file():
            continue
        found = rows(path, limit)
        texts, labels = [t for t, _ in found], [y for _, y in found]
        language = "fr" if name.endswith("(fr)") else "en"
        ours = figures([flagged(t, settings, language) for t in texts], labels)
        probs = predict_prob(texts)
        half = figures([p >= 0.5 for p in probs], labels)
        same = figures([p >= matched for p in probs], labels)
        print(f"| {name} | {len(texts)} | {ours[0]:.2f} | {ours[1]:.1%} | {half[0]:.2f} | "
              f"{half[1]:.1%} | {same[0]:.2f} | {ours[0] - same[0]:+.2f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--limit", type=int, default=20000, help="lines per set at most")
    args = parser.parse_args()
    main(Path(args.data), args.limit)
