"""Adapter latency and parse rate against the local fakes of Discord and Twitch.

    .venv/bin/python bench/adapters.py [--messages 500]

Discord: time from a MESSAGE_CREATE leaving the fake gateway to the reply's POST reaching
the fake REST API (``!faq rules`` from distinct viewers). Twitch: time from a
channel.chat.message notification leaving the fake EventSub socket to the Helix
``chat/messages`` POST, and how many plain chat notifications per second the adapter
parses and hands to the runtime. Send limits are raised so the limiter is not measured.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import pytest  # noqa: E402
from fakes.discord_server import CHANNELS, FakeDiscord  # noqa: E402
from fakes.twitch_server import FakeTwitch  # noqa: E402

from cmbot.config import load_config  # noqa: E402
from cmbot.platforms.discord import DiscordAdapter  # noqa: E402
from cmbot.platforms.twitch import TwitchAdapter  # noqa: E402
from cmbot.runtime import Runtime  # noqa: E402

CONFIG = """
[bot]
database = "bench.db"
log_level = "ERROR"
[ratelimit]
discord_messages = 50
discord_window = 1.0
twitch_messages = 100
twitch_moderator_messages = 100
twitch_window = 1.0
queue_size = 10000
[discord]
enabled = {discord}
token = {{ env = "BENCH_DISCORD_TOKEN" }}
[twitch]
enabled = {twitch}
client_id = {{ env = "BENCH_TWITCH_ID" }}
client_secret = {{ env = "BENCH_TWITCH_SECRET" }}
bot_token = {{ env = "BENCH_TWITCH_TOKEN" }}
refresh_token = {{ env = "BENCH_TWITCH_REFRESH" }}
channels = ["mychannel"]
[plugins.toxicity]
enabled = true
"""


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


async def _bot(tmp: Path, *, discord: bool, twitch: bool) -> Runtime:
    path = tmp / "bench.toml"
    path.write_text(CONFIG.format(discord=str(discord).lower(), twitch=str(twitch).lower()))
    config = load_config(path)
    adapters = []
    if discord:
        adapters.append(DiscordAdapter(config["discord"], guild_ready_timeout=0.2))
    if twitch:
        adapters.append(TwitchAdapter(config["twitch"]))
    bot = Runtime(config, adapters=adapters)
    await bot.start()
    return bot


async def discord_latency(tmp: Path, count: int) -> list[float]:
    fake = FakeDiscord()
    await fake.start()
    mp = pytest.MonkeyPatch()
    fake.patch(mp)
    bot = await _bot(tmp, discord=True, twitch=False)
    try:
        await fake.say("general", 11, "modmia", "!faq add rules Be kind; no spoilers", mod=True)
        await fake.wait_for(lambda: fake.channel_texts("general"))
        general = str(CHANNELS["general"])
        latencies = []
        for i in range(count):
            before = len(fake.calls)
            start = time.perf_counter()
            await fake.say("general", 100 + i, f"viewer{i}", "!faq rules")
            post = await fake.wait_for(lambda b=before: [
                c for c in fake.calls[b:]
                if c.method == "POST" and c.path == f"/channels/{general}/messages"])
            latencies.append(post[0].at - start)
            await asyncio.sleep(0.025)  # stay under the channel's send limit
        return latencies
    finally:
        await bot.stop()
        await fake.close()
        mp.undo()


async def twitch_figures(tmp: Path, count: int) -> tuple[list[float], float]:
    fake = FakeTwitch()
    await fake.start()
    mp = pytest.MonkeyPatch()
    fake.patch(mp)
    bot = await _bot(tmp, discord=False, twitch=True)
    handled = 0
    original = bot.handle_message

    async def counting(message):  # type: ignore[no-untyped-def]
        nonlocal handled
        handled += 1
        return await original(message)

    bot.handle_message = counting  # type: ignore[method-assign]
    try:
        await fake.chat("mychannel", "modmia", "!faq add rules Be kind; no spoilers",
                        badges=("moderator",))
        await fake.wait_for(lambda: fake.sent)
        latencies = []
        for i in range(count):
            before = len(fake.sent)
            start = time.perf_counter()
            await fake.chat("mychannel", f"viewer{i}", "!faq rules")
            await fake.wait_for(lambda b=before: len(fake.sent) > b)
            latencies.append(fake.sent[before]["at"] - start)
            await asyncio.sleep(0.012)  # stay under the channel's send limit
        lines = ["gg", "that was close", "LUL", "what game is this?", "hi chat"]
        target = handled + count * 4
        start = time.perf_counter()
        for i in range(count * 4):
            await fake.chat("mychannel", f"chatter{i % 50}", lines[i % len(lines)])
        await fake.wait_for(lambda: handled >= target, within=120)
        rate = count * 4 / (time.perf_counter() - start)
        return latencies, rate
    finally:
        await bot.stop()
        await fake.close()
        mp.undo()


async def main(count: int) -> None:
    os.environ.update({"BENCH_DISCORD_TOKEN": "t", "BENCH_TWITCH_ID": "cid",
                       "BENCH_TWITCH_SECRET": "secret", "BENCH_TWITCH_TOKEN": "user-token",
                       "BENCH_TWITCH_REFRESH": "refresh-1"})
    with tempfile.TemporaryDirectory() as tmp:
        d = await discord_latency(Path(tmp), count)
    with tempfile.TemporaryDirectory() as tmp:
        t, rate = await twitch_figures(Path(tmp), count)
    print(f"discord gateway->reply: p50 {_pct(d, .5):.2f} ms, p99 {_pct(d, .99):.2f} ms "
          f"(mean {statistics.mean(d) * 1000:.2f} ms, n={len(d)})")
    print(f"twitch eventsub->helix send: p50 {_pct(t, .5):.2f} ms, p99 {_pct(t, .99):.2f} ms "
          f"(n={len(t)}); plain chat parsed: {rate:.0f} msgs/s")
    print(f"discord_p99_ms={_pct(d, .99):.2f} twitch_p99_ms={_pct(t, .99):.2f} "
          f"twitch_msgs_per_s={rate:.0f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    asyncio.run(main(parser.parse_args().messages))
