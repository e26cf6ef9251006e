"""FAQ matching latency per chat message with 50, 150 and 1,000 entries, per matcher.

    .venv/bin/python bench/faq.py [--data ../shared/data] [--queries 1000] [--chat 20000]

Entries are intents from CLINC150, BANKING77 and HWU64 (5 phrasings each); beyond the
real intents, entries are padded with phrasings re-grouped at random, which costs the
matcher the same. Entry vectors are computed once (as the plugin caches them in its
database). NumPy runs single-threaded; the encoder on the two threads the plugin gives it.
Two figures per matcher and size:

- ``questions``: every message is a question (CLINC test utterances) and goes through the
  matcher: encoding the line (semantic) plus scoring every entry. The worst case.
- ``chat``: real Twitch chat lines go through the plugin's own decision path: the
  question-likeness filter, the lexical gate (semantic), then the matcher. What a channel
  costs per message.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cmbot_plugins.faq import LEXICAL_GATE, looks_like_question  # noqa: E402
from cmbot_plugins.faq.matching import (  # noqa: E402
    LEXICAL_THRESHOLD,
    SEMANTIC_THRESHOLD,
    EntryText,
    LexicalMatcher,
    SemanticMatcher,
    semantic_unavailable,
)


def load_groups(data: Path) -> tuple[list[list[str]], list[str]]:
    groups: dict[str, list[str]] = {}
    clinc = json.loads((data / "faq" / "clinc150_dev.json").read_text())
    for text, intent in clinc["train"]:
        groups.setdefault("c:" + intent, []).append(text)
    for row in csv.DictReader((data / "faq" / "banking77" / "train.csv").open()):
        groups.setdefault("b:" + row["category"], []).append(row["text"])
    for row in csv.DictReader((data / "faq" / "hwu64" / "hwu64_kfold1.csv").open()):
        groups.setdefault("h:" + row["intent"], []).append(row["text"])
    queries = [t for t, _ in clinc["test"]]
    return list(groups.values()), queries


def entries_for(groups: list[list[str]], count: int, rng: random.Random) -> list[list[str]]:
    out = [g[:5] for g in groups[:count]]
    pool = [t for g in groups for t in g[5:]]
    while len(out) < count:
        out.append(rng.sample(pool, 5))
    return out


def load_chat(data: Path, count: int) -> list[str]:
    with (data / "chat" / "twitch_2025_dev.csv").open(encoding="utf-8") as handle:
        return [r["text"] for r in csv.DictReader(handle) if r.get("text")][:count]


def chat_path(kind: str, matcher: object, gate: LexicalMatcher | None, threshold: float,
              text: str) -> None:
    """The plugin's decision path for one chat line (cmbot_answer without the runtime)."""
    if not looks_like_question(text, 3):
        return
    if kind == "semantic":
        assert gate is not None
        cheap = gate.best(text, 2.0)
        if cheap is None or cheap.score < LEXICAL_GATE:
            return
    matcher.best(text, threshold)  # type: ignore[attr-defined]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--queries", type=int, default=1000)  # p99 of 300 is one of 3 lines
    parser.add_argument("--chat", type=int, default=20000)
    args = parser.parse_args()
    rng = random.Random(7)
    groups, queries = load_groups(Path(args.data))
    chat = load_chat(Path(args.data), args.chat)
    queries = rng.sample(queries, args.queries)
    kinds = ["lexical"] + ([] if semantic_unavailable() else ["semantic"])
    for kind in kinds:
        for size in (50, 150, 1000):
            texts = entries_for(groups, size, rng)
            matcher = LexicalMatcher() if kind == "lexical" else SemanticMatcher()
            entries = []
            started = time.perf_counter()
            for number, phrasings in enumerate(texts):
                entry = EntryText(number, phrasings)
                if kind == "semantic":
                    entry.vectors = list(matcher.embed(phrasings))
                entries.append(entry)
            matcher.build(entries)
            gate = None
            if kind == "semantic":
                gate = LexicalMatcher()
                gate.build(entries)
            build_s = time.perf_counter() - started
            threshold = LEXICAL_THRESHOLD if kind == "lexical" else SEMANTIC_THRESHOLD
            for q in queries[:20]:  # warm-up
                matcher.best(q, threshold)
            times = []
            for q in queries:
                t0 = time.perf_counter()
                matcher.best(q, threshold)
                times.append((time.perf_counter() - t0) * 1000)
            print(f"{kind:8s} entries={size:5d} questions p50_ms={statistics.median(times):.3f} "
                  f"p99_ms={percentile(times, 0.99):.3f} build_s={build_s:.1f}", flush=True)
            times = []
            for line in chat:
                t0 = time.perf_counter()
                chat_path(kind, matcher, gate, threshold, line)
                times.append((time.perf_counter() - t0) * 1000)
            print(f"{kind:8s} entries={size:5d} chat      p50_ms={statistics.median(times):.3f} "
                  f"p99_ms={percentile(times, 0.99):.3f} max_ms={max(times):.1f} "
                  f"lines={len(chat)}", flush=True)


if __name__ == "__main__":
    main()
