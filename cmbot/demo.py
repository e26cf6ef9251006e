"""``cmbot demo``: a scripted chat replayed through the real runtime and every built-in
plugin, on a simulated Discord server and Twitch channel linked as one community, with a
fake clock. No tokens, no network. Exits non-zero if an expected step did not happen."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from .clock import Clock
from .config import parse_config
from .model import Platform, Role
from .platforms.console import ConsolePlatform, console_adapters
from .platforms.fake import Sent
from .runtime import Runtime
from .timeparse import parse_duration

D, T = Platform.DISCORD, Platform.TWITCH
START = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)  # Thursday 19:00 in Paris
CONFIG: dict[str, Any] = {
    "bot": {"name": "cmbot"},
    "communities": {"main": {
        "channels": ["twitch:mychannel", "discord:general"],
        "mod_channels": ["discord:mod-log"],
        "announce_channels": ["twitch:mychannel", "discord:announcements"],
        "timezone": "Europe/Paris"}},
    "plugins": {"announcements": {"url": "https://twitch.tv/mychannel"},
                "polls": {"ack_delay": 5.0}},
}
Check = Callable[[list[Sent]], bool]


@dataclass
class Step:
    title: str
    lines: list[tuple[str, ...]]
    check: Check
    expect: str


def _any(pred: Callable[[Sent], bool]) -> Check:
    return lambda sent: any(pred(s) for s in sent)


def _texts(sent: list[Sent], needle: str, platform: Platform | None = None) -> list[Sent]:
    return [s for s in sent if needle in s.text and platform in (None, s.platform)]


STEPS = [
    Step("A moderator adds FAQ entries", [
        ("twitch", "mod_mia", "mod", "!faq add discord Join our Discord: discord.gg/example"),
        *[("twitch", "mod_mia", "mod", f"!faq teach discord {q}") for q in (
            "how do i join the discord", "is there a discord server", "whats the discord link",
            "where can i find the discord", "do you have a discord")],
        ("discord", "mod_mia", "mod", "!faq add keyboard Keychron Q1 with brown switches"),
        *[("discord", "mod_mia", "mod", f"!faq teach keyboard {q}") for q in (
            "what keyboard do you use", "which keyboard is that", "what switches are those",
            "what keyboard is that", "whats your keyboard")],
    ], _any(lambda s: s.text.startswith("✓ keyboard now has 5 phrasing(s)")),
        "entries added and taught"),
    Step("Viewers ask in plain words; chatter is left alone", [
        ("twitch", "ann", "viewer", "hey is there a discord for this stream?"),
        ("discord", "bob", "viewer", "what keyboard is the streamer using?"),
        ("twitch", "cat", "viewer", "this song slaps"),
        ("twitch", "dan", "viewer", "KEKW KEKW"),
        ("twitch", "eve", "viewer", "my keyboard just broke lol"),
    ], lambda sent: bool(_texts(sent, "discord.gg/example", T)) and bool(
        _texts(sent, "Keychron", D)) and len([s for s in sent if s.kind == "send"]) == 2,
        "two answers, no reply to chatter"),
    Step("An event with reminders on both platforms", [
        ("discord", "mod_mia", "mod",
         '!event add "Friday stream" friday 20:00 remind:1h,10m repeat:weekly Elden Ring'),
        ("clock", "24h"),
    ], lambda sent: bool(_texts(sent, "⏰ Friday stream starts in 1h (", T)) and bool(
        _texts(sent, "⏰ Friday stream starts in 1h (", D)),
        "1h reminder on Twitch and Discord"),
    Step("Toxic messages go to one review queue; a moderator decides", [
        ("twitch", "troll", "viewer", "you are trash, uninstall the game"),
        ("discord", "troll2", "viewer", "ѕtuрid bitch"),
        ("discord", "mod_mia", "mod", "!flags"),
        ("discord", "mod_mia", "mod", "!flag timeout 1 10m"),
        ("twitch", "mod_mia", "mod", "!flag allow 2"),
    ], lambda sent: len(_texts(sent, "🚩 flag #")) == 2 and any(
        s.kind == "timeout" for s in sent) and bool(_texts(sent, "✓ flag #2 allowed")),
        "two flags in #mod-log, one timeout, one allowed"),
    Step("A raid burst raises one alert", [
        *[("twitch", f"raider{i}", "viewer", "follow raidking for free subs") for i in range(15)],
    ], lambda sent: len(_texts(sent, "possible raid")) == 1, "exactly one raid alert"),
    Step("A poll voted from both platforms", [
        ("discord", "mod_mia", "mod",
         '!poll start "Which game next?" "Elden Ring" Hades Celeste duration:3m'),
        ("twitch", "ann", "viewer", "!vote 1"),
        ("twitch", "cat", "viewer", "!vote hades"),
        ("discord", "bob", "viewer", "!vote 1"),
        ("discord", "fay", "viewer", "!vote 3"),
        ("clock", "3m"),
    ], lambda sent: len(_texts(sent, "Poll #1 results")) == 2 and bool(
        _texts(sent, "1. Elden Ring █████░░░░░ 2 (50%)")),
        "results with the combined tally on both platforms"),
    Step("Feedback collected and summarised", [
        ("twitch", "ann", "viewer", "!feedback love the new overlay, great stream"),
        ("discord", "bob", "viewer", "!feedback audio is too quiet during gameplay"),
        ("twitch", "cat", "viewer", "!feedback the overlay is great but audio too quiet"),
        ("discord", "mod_mia", "mod", "!feedback summary since:7d"),
    ], lambda sent: bool(_texts(sent, "Feedback, last 7d: 3 comment(s)")),
        "a summary with sentiment and recurring terms"),
    Step("The stream starts", [("clock", "1d")],
         lambda sent: bool(_texts(sent, "starts in 10m (", T)) and bool(
             _texts(sent, "🔴 Friday stream is starting now!", D)) and bool(
             _texts(sent, "🔴 Friday stream is starting now!", T)),
         "10-minute reminder, then the start, on both platforms"),
]


async def run_clock(bot: Runtime, seconds: float) -> None:
    """Let ``seconds`` pass, waking at each due timer as the runtime's loop does."""
    target = bot.clock.time() + seconds
    while True:
        due = await bot.scheduler.next_due()
        step = (min(due, target) if due is not None else target) - bot.clock.time()
        if step > 0:
            bot.clock.advance(step)
        await bot.tick()
        if bot.clock.time() >= target:
            return


async def run_demo(out: TextIO) -> int:
    """Play every step; return the number of steps that did not happen."""
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        raw = CONFIG | {"bot": CONFIG["bot"] | {"database": str(Path(tmp) / "demo.db")}}
        config = parse_config(raw, Path(tmp) / "demo.toml")
        adapters = console_adapters(out, "cmbot")
        bot = Runtime(config, clock=Clock(START), adapters=adapters, load_entry_points=False)
        await bot.start(run_loop=False)
        by_platform: dict[Platform, ConsolePlatform] = {a.platform: a for a in adapters}
        channels = {T: "mychannel", D: "general"}
        try:
            for number, step in enumerate(STEPS, 1):
                out.write(f"\n== {number}. {step.title}\n")
                before = {p: len(a.sent) for p, a in by_platform.items()}
                for line in step.lines:
                    if line[0] == "clock":
                        out.write(f"   (clock +{line[1]})\n")
                        await run_clock(bot, parse_duration(line[1]))
                        continue
                    platform, user, role, text = line
                    adapter = by_platform[Platform(platform)]
                    channel = channels[adapter.platform]
                    out.write(f"[{platform} #{channel}] {user}: {text}\n")
                    await bot.handle_message(adapter.make_message(
                        text, user=user, role=Role.parse(role), channel=channel))
                    await bot.background.settle()
                    bot.clock.advance(2)
                await bot.tick()
                produced = [s for p, a in by_platform.items() for s in a.sent[before[p]:]]
                ok = step.check(produced)
                failures += not ok
                out.write(f"   {'✓' if ok else '✗'} {step.expect}\n")
        finally:
            await bot.stop()
    out.write(f"\n{len(STEPS) - failures}/{len(STEPS)} steps happened as expected.\n")
    return failures
