"""How many votes per second the polls plugin records through the whole runtime.

    .venv/bin/python bench/polls.py [--votes 20000] [--voters 5000]

Votes arrive as chat messages (``!vote N``) from Discord and Twitch on fake platforms,
go through moderation hooks, command parsing, permission checks and the plugin, and each
is committed to SQLite (WAL) before it is acknowledged. Prints votes/s and p50/p99.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cmbot import Platform, Role  # noqa: E402
from cmbot.testing import make_harness  # noqa: E402


async def run(votes: int, voters: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        h = await make_harness(tmp_path=Path(tmp))
        await h.say('!poll start "Best map?" Dust Mirage Ancient Nuke duration:7d',
                    role=Role.MODERATOR, user="mo")
        adapters = [h.platforms[Platform.TWITCH], h.platforms[Platform.DISCORD]]
        channels = ["mychannel", "general"]
        messages = []
        for i in range(votes):
            side = i % 2
            messages.append(adapters[side].make_message(
                f"!vote {i % 4 + 1}", user=f"user{i % voters}", channel=channels[side]))
        latencies = []
        started = time.perf_counter()
        for message in messages:
            t0 = time.perf_counter()
            await h.bot.handle_message(message)
            latencies.append((time.perf_counter() - t0) * 1000)
        elapsed = time.perf_counter() - started
        stored = await h.bot.storage.fetchval("SELECT COUNT(*) FROM poll_votes")
        await h.close()
    latencies.sort()
    print(f"votes={votes} voters={voters} stored_rows={stored} "
          f"votes_per_s={votes / elapsed:.0f} p50_ms={statistics.median(latencies):.3f} "
          f"p99_ms={latencies[int(0.99 * len(latencies))]:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--votes", type=int, default=20000)
    parser.add_argument("--voters", type=int, default=5000)
    args = parser.parse_args()
    asyncio.run(run(args.votes, args.voters))


if __name__ == "__main__":
    main()
