"""Throughput of the toxicity plugin's full ``cmbot_moderate`` path on real Twitch chat.

    .venv/bin/python bench/toxicity.py [--messages 50000]

Three figures: the scorer alone (normalise + rules + model), the plugin's moderation hook
through the runtime's dispatcher (state, allowlists, raid detector; no flags stored for
clean lines), and the scorer over batches. Prints msgs/s and p50/p99 per message.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
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
from cmbot.context import Context  # noqa: E402
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
            ctx = Context(h.bot, "toxicity", message.channel, message)
            t0 = time.perf_counter()
            await cmbot_moderate(ctx, message)
            latencies.append((time.perf_counter() - t0) * 1000)
        report("hook", latencies, time.perf_counter() - started)
        flags = await h.bot.storage.fetchval("SELECT COUNT(*) FROM tox_flags")
        print(f"flagged={flags} ({flags / len(messages):.1%})")
        await h.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=50000)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    args = parser.parse_args()
    asyncio.run(main(args.messages, Path(args.data)))
