"""The whole bot under a chat flood: every built-in plugin, SQLite persistence, fake
platforms, many channels, a sprinkle of commands and votes.

    .venv/bin/python bench/pipeline.py [--messages 200000] [--channels 40]

Prints messages/s, p50/p99 handling latency and peak RSS for the pipeline, the same for
the floor (VADER alone; the default toxicity scorer alone) on the same messages, RSS after
10% and at the end (memory flatness), and as its last line:
msgs_per_s=... p99_ms=... rss_mb=... floor_ratio=...   (pipeline time / scorer time)

Pipeline time is the bot's own: handling every message (from a Message in hand, as the
floor starts from a text in hand), the timer ticks and the background writes. The wall
time of the loop, which adds the fake platforms building each Message and the loop's own
bookkeeping, is printed too (``wall_ratio``); bench/adapters.py measures real parsing.

The floor runs interleaved with the pipeline, block by block on the same messages, so both
figures of the ratio are taken under the same machine load: on a shared 2-core machine,
speed drifts by +-30% over a minute, which skewed a floor measured after the pipeline.
"""

from __future__ import annotations

import argparse
import array
import asyncio
import csv
import gc
import math
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cmbot_plugins.toxicity.evaluate import default_settings, flagged  # noqa: E402

from cmbot import Platform, Role  # noqa: E402
from cmbot.testing import make_harness  # noqa: E402

CONFIG = """
[communities.main]
channels = ["twitch:mychannel", "discord:general"]
mod_channels = ["discord:mod-log"]
timezone = "Europe/Paris"
"""
SETUP = [
    "!faq add discord Join us at discord.gg/example",
    "!faq teach discord how do i join the discord",
    "!faq teach discord is there a discord server",
    "!faq teach discord whats the discord link",
    "!faq add schedule We stream Mon/Wed/Fri at 20:00 CET",
    "!faq teach schedule when do you stream",
    "!faq teach schedule what is the stream schedule",
    "!faq teach schedule when is the next stream",
    '!event add "Friday stream" friday 20:00 repeat:weekly',
    '!poll start "Best map?" Dust Mirage Nuke duration:7d',
    "!timer add socials every:10m Follow on socials!",
]


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def load(data: Path) -> list[str]:
    with (data / "chat" / "twitch_2025_dev.csv").open(encoding="utf-8") as handle:
        return [r["text"] for r in csv.DictReader(handle) if r.get("text")]


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


BLOCK = 5000  # messages per pipeline block, each followed by the floor on the same lines


class Floor:
    """VADER alone and the default toxicity scorer alone, timed block by block."""

    def __init__(self, texts: list[str]) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self.texts = texts
        self.vader = SentimentIntensityAnalyzer()
        self.settings = default_settings()
        self.vader_s = self.scorer_s = 0.0

    def run(self, start: int, end: int) -> None:
        texts, size = self.texts, len(self.texts)
        began = time.perf_counter()
        for i in range(start, end):
            self.vader.polarity_scores(texts[i % size])
        middle = time.perf_counter()
        for i in range(start, end):
            flagged(texts[i % size], self.settings)
        self.vader_s += middle - began
        self.scorer_s += time.perf_counter() - middle


async def pipeline(texts: list[str], count: int, channels: int, floor: Floor | None = None
                   ) -> tuple[float, float, array.array[float], list[float]]:
    """Returns the bot's handling time (every message, timer tick and background write),
    the loop's wall time (also the fake platforms building messages, and the loop itself),
    each message's handling latency in ms, and RSS at 10% and at the end."""
    with tempfile.TemporaryDirectory() as tmp:
        h = await make_harness(CONFIG, tmp_path=Path(tmp))
        for line in SETUP:
            await h.say(line, role=Role.MODERATOR, user="mod", platform=Platform.DISCORD)
            h.clock.advance(1)
        adapters = [h.platforms[Platform.TWITCH], h.platforms[Platform.DISCORD]]
        names = ["mychannel", "general"] + [f"chan{i}" for i in range(channels - 2)]
        # written in place, allocated (and touched) before the first figure: a list of 1M
        # floats would add ~32 MB of the benchmark's own memory to the bot's RSS figures
        latencies = array.array("f", bytes(4 * count))
        memory: list[float] = []
        elapsed = ticking = 0.0
        started = time.perf_counter()
        for i in range(count):
            if floor is not None and i and i % BLOCK == 0:
                elapsed += time.perf_counter() - started
                floor.run(i - BLOCK, i)
                started = time.perf_counter()
            adapter = adapters[i % 2]
            if i % 997 == 0:
                text = f"!vote {i % 3 + 1}"
            elif i % 4999 == 0:
                text = "!next"
            else:
                text = texts[i % len(texts)]
            message = adapter.make_message(text, user=f"user{i % 20000}",
                                           channel=names[i % len(names)])
            t0 = time.perf_counter()
            await h.bot.handle_message(message)
            latencies[i] = (time.perf_counter() - t0) * 1000
            if i % 100 == 0:
                h.clock.advance(1)
                t0 = time.perf_counter()
                await h.bot.tick()
                ticking += time.perf_counter() - t0
            if i % 10000 == 0:
                for adapter_ in adapters:  # the fakes' logs are not the bot's memory
                    adapter_.sent.clear()
            if i + 1 in (count // 10, count):  # the benchmark's own work: not timed
                elapsed += time.perf_counter() - started
                gc.collect()
                memory.append(rss_mb())
                started = time.perf_counter()
        t0 = time.perf_counter()
        await h.bot.background.settle()  # flags and answers still being written
        ticking += time.perf_counter() - t0
        elapsed += time.perf_counter() - started
        if floor is not None:
            floor.run(count - (count % BLOCK or BLOCK), count)
        await h.close()
    handling = math.fsum(latencies) / 1000 + ticking
    return handling, elapsed, latencies, memory


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--channels", type=int, default=40)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    args = parser.parse_args()
    texts = load(Path(args.data))
    floor = Floor(texts)
    handling, elapsed, latencies, memory = asyncio.run(
        pipeline(texts, args.messages, args.channels, floor))
    vader_s, scorer_s = floor.vader_s, floor.scorer_s
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n = args.messages
    print(f"pipeline   msgs_per_s={n / handling:.0f} p50_ms={statistics.median(latencies):.3f} "
          f"p99_ms={percentile(latencies, 0.99):.3f} max_ms={max(latencies):.1f}")
    print(f"loop       msgs_per_s={n / elapsed:.0f} wall_ratio={elapsed / scorer_s:.2f} "
          f"(also the fake platforms building each message, and the loop)")
    print(f"vader      msgs_per_s={n / vader_s:.0f}")
    print(f"scorer     msgs_per_s={n / scorer_s:.0f}")
    print(f"memory     rss_at_10%={memory[0]:.0f}MB rss_at_end={memory[-1]:.0f}MB "
          f"peak={peak:.0f}MB")
    print(f"msgs_per_s={n / handling:.0f} p99_ms={percentile(latencies, 0.99):.2f} "
          f"rss_mb={peak:.0f} floor_ratio={handling / scorer_s:.2f}")


if __name__ == "__main__":
    main()
