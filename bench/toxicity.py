"""Throughput of the toxicity plugin's full ``cmbot_moderate`` path on real Twitch chat.

    .venv/bin/python bench/toxicity.py [--messages 50000]

Two figures: the scorer alone (normalise + rules + every category of the model), and the
plugin's moderation hook as the runtime calls it (state, allowlists, raid detector, flags
written). Prints msgs/s and p50/p99 per message, and what was flagged by category.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import inspect
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cmbot_plugins.toxicity import cmbot_moderate  # noqa: E402
from cmbot_plugins.toxicity.evaluate import default_settings, flagged  # noqa: E402

from cmbot import Platform  # noqa: E402
from cmbot.testing import make_harness  # noqa: E402


def load(data: Path, count: int) -> list[str]:
    with (data / "chat" / "twitch_2025_dev.csv").open(encoding="utf-8") as handle:
        texts = [r["text"] for r in csv.DictReader(handle) if r.get("text")]
    return [texts[i % len(texts)] for i in range(count)]


def report(name: str, latencies: list[float], elapsed: float) -> None:
    latencies.sort()
    print(f"{name:10s} msgs_per_s={len(latencies) / elapsed:.0f} "
          f"p50_ms={statistics.median(latencies):.3f} "
          f"p99_ms={latencies[int(0.99 * len(latencies))]:.3f}")


async def main(count: int, data: Path) -> None:
    texts = load(data, count)
    settings = default_settings()
    latencies = []
    started = time.perf_counter()
    for text in texts:
        t0 = time.perf_counter()
        flagged(text, settings)
        latencies.append((time.perf_counter() - t0) * 1000)
    report("scorer", latencies, time.perf_counter() - started)

    with tempfile.TemporaryDirectory() as tmp:
        h = await make_harness(tmp_path=Path(tmp))
        adapter = h.platforms[Platform.TWITCH]
        messages = [adapter.make_message(t, user=f"u{i % 3000}", channel="mychannel")
                    for i, t in enumerate(texts)]
        latencies = []
        started = time.perf_counter()
        for message in messages:
            ctx = h.bot.parts.context("toxicity", message.channel, message)
            t0 = time.perf_counter()
            decided = cmbot_moderate(ctx, message)  # a coroutine only for work to wait for
            if inspect.isawaitable(decided):
                await decided
            latencies.append((time.perf_counter() - t0) * 1000)
        report("hook", latencies, time.perf_counter() - started)
        await h.bot.settle()
        flags = await h.bot.storage.fetchall(
            "SELECT category, COUNT(*) AS n FROM tox_flags GROUP BY category ORDER BY n DESC")
        total = sum(r["n"] for r in flags)
        print(f"flagged={total} ({total / len(messages):.1%}): "
              + ", ".join(f"{r['category']} {r['n']}" for r in flags))
        print("second tier: none (every line is decided by the first tier on the path)")
        await h.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=50000)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    args = parser.parse_args()
    asyncio.run(main(args.messages, Path(args.data)))
