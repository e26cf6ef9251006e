"""Test harness for plugin authors (a pytest plugin, published through ``pytest11``).

A real bot (:class:`~cmbot.runtime.Runtime`) with one fake platform per platform kind, an aiosqlite
database in ``tmp_path``, a frozen clock, and direct dispatch: no sleeps, no network.

    async def test_greets(cmbot_harness):
        h = await cmbot_harness(plugins=[("greeter", greeter)])
        sent = await h.say("!hello", platform=Platform.DISCORD)
        assert sent[0].text == "Hello viewer!"
"""

from __future__ import annotations

import tomllib
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .clock import Clock
from .config import Config, parse_config
from .face import Bot
from .model import Platform, Role
from .platforms.fake import FakePlatform, Sent
from .runtime import Outcome, Runtime
from .timeparse import parse_duration

DEFAULT_CONFIG = """
[bot]
timezone = "UTC"

[communities.main]
channels = ["twitch:mychannel", "discord:general"]
mod_channels = ["discord:mod-log"]
timezone = "UTC"
"""
DEFAULT_CHANNELS = {Platform.TWITCH: "mychannel", Platform.DISCORD: "general",
                    Platform.CONSOLE: "console", Platform.FAKE: "fake"}
ALL_PLATFORMS = (Platform.DISCORD, Platform.TWITCH, Platform.CONSOLE)
DEFAULT_START = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


class Harness:
    """A running bot and its fake platforms, driven message by message."""

    def __init__(self, bot: Runtime, platforms: dict[Platform, FakePlatform], clock: Clock,
                 factory_args: dict[str, Any]) -> None:
        self.bot = bot
        self.platforms = platforms
        self.clock = clock
        self.last: Outcome | None = None
        self._factory_args = factory_args

    def plugin_bot(self, plugin: str) -> Bot:
        """The bot as ``plugin`` sees it (its state, settings, timers): what its hooks get."""
        return self.bot.host(plugin)

    def _count(self) -> dict[Platform, int]:
        return {p: len(a.sent) for p, a in self.platforms.items()}

    def _since(self, before: dict[Platform, int]) -> list[Sent]:
        out: list[Sent] = []
        for platform, adapter in self.platforms.items():
            out.extend(adapter.sent[before.get(platform, 0):])
        return sorted(out, key=lambda s: s.at)

    async def say(self, text: str, *, user: str = "viewer", role: Role = Role.EVERYONE,
                  platform: Platform = Platform.TWITCH, channel: str | None = None,
                  user_id: str | None = None) -> list[Sent]:
        """Deliver one chat message; return the actions it caused (all platforms)."""
        adapter = self.platforms[platform]
        before = self._count()
        message = adapter.make_message(text, user=user, role=role, user_id=user_id,
                                       channel=channel or DEFAULT_CHANNELS[platform])
        self.last = await self.bot.handle_message(message)
        await self.bot.background.settle()
        return self._since(before)

    async def advance(self, duration: float | str) -> list[Sent]:
        """Move the clock forward, fire due timers and flush queued sends."""
        seconds = parse_duration(duration) if isinstance(duration, str) else float(duration)
        before = self._count()
        self.clock.advance(seconds)
        await self.bot.tick()
        await self.bot.background.settle()
        return self._since(before)

    def sent(self, platform: Platform | None = None, kind: str | None = "send") -> list[Sent]:
        items = [s for p, a in self.platforms.items() if platform in (None, p) for s in a.sent]
        return [s for s in items if kind in (None, s.kind)]

    def texts(self, platform: Platform | None = None) -> list[str]:
        return [s.text for s in self.sent(platform)]

    @contextmanager
    def queries(self) -> Iterator[list[str]]:
        """``with h.queries() as sql:`` the SQL of every statement the bot runs in the block
        (to check that a hot path, such as ordinary chat, costs no database round trip)."""
        storage = self.bot.storage
        outer, storage.trace = storage.trace, []
        try:
            yield storage.trace
        finally:
            storage.trace = outer

    def clear(self) -> None:
        for adapter in self.platforms.values():
            adapter.sent.clear()

    async def restart(self) -> Harness:
        """Stop the bot and start a new one on the same database, clock and fakes."""
        await self.bot.stop()
        new = await make_harness(**(self._factory_args | {"clock": self.clock}))
        for platform, adapter in new.platforms.items():
            adapter.sent[:0] = self.platforms[platform].sent
        self.bot, self.platforms = new.bot, new.platforms
        return self

    async def close(self) -> None:
        if self.bot.started:
            await self.bot.stop()


async def make_harness(config: str | dict[str, Any] | None = None, *, tmp_path: Path,
                       plugins: Iterable[tuple[str, object]] = (), builtins: bool = True,
                       entry_points: bool = False,
                       platforms: Sequence[Platform] = ALL_PLATFORMS,
                       clock: Clock | None = None, twitch_moderator: bool = False) -> Harness:
    """Build and start a bot on fake platforms. ``config`` is TOML text or a mapping."""
    args = {"config": config, "tmp_path": tmp_path, "plugins": list(plugins),
            "builtins": builtins, "entry_points": entry_points, "platforms": platforms,
            "twitch_moderator": twitch_moderator}
    raw: dict[str, Any]
    if config is None:
        raw = tomllib.loads(DEFAULT_CONFIG)
    elif isinstance(config, str):
        raw = tomllib.loads(config)
    else:
        raw = dict(config)
    raw.setdefault("bot", {})
    raw["bot"] = dict(raw["bot"]) | {"database": str(tmp_path / "cmbot.db")}
    parsed: Config = parse_config(raw, tmp_path / "bot.toml")
    clock = clock or Clock(DEFAULT_START)
    adapters = {p: FakePlatform(p, moderator=twitch_moderator and p == Platform.TWITCH)
                for p in platforms}
    bot = Runtime(parsed, clock=clock, adapters=adapters.values(), extra_plugins=plugins,
              load_builtins=builtins, load_entry_points=entry_points)
    await bot.start(run_loop=False)
    return Harness(bot, adapters, clock, args)


try:
    import pytest
    import pytest_asyncio
except ImportError:  # pragma: no cover - the harness still works without pytest
    pass
else:

    @pytest_asyncio.fixture
    async def cmbot_harness(tmp_path: Path) -> AsyncIterator[Any]:
        """Factory fixture: ``h = await cmbot_harness(config_toml, plugins=[...])``."""
        made: list[Harness] = []

        async def factory(config: str | dict[str, Any] | None = None,
                          **kwargs: Any) -> Harness:
            home = tmp_path if not made else tmp_path / f"bot{len(made)}"
            home.mkdir(exist_ok=True)
            harness = await make_harness(config, tmp_path=home, **kwargs)
            made.append(harness)
            return harness

        yield factory
        for harness in made:
            await harness.close()

    @pytest.fixture(params=ALL_PLATFORMS, ids=lambda p: p.value)
    def cmbot_platform(request: Any) -> Platform:
        """Parametrises a test over every platform kind (discord, twitch, console)."""
        platform: Platform = request.param
        return platform
