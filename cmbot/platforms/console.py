"""The console platform: chat with the bot in a terminal, or pipe a script of lines.

Each line is a chat message from the current identity, or a console command:
``/as NAME [viewer|sub|vip|mod|broadcaster]``, ``/platform discord|twitch``,
``/channel NAME``, ``/clock +10m``, ``/help``, ``/quit``.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import AsyncIterator
from typing import TextIO

from ..model import Platform, Role
from ..timeparse import format_duration, parse_duration
from .base import Inbound
from .fake import FakePlatform, Sent, format_action

CONSOLE_HELP = """\
Type a chat line to send it as the current user. Console commands:
  /as NAME [viewer|sub|vip|mod|broadcaster]   switch identity (default role: viewer)
  /platform twitch|discord                     switch the simulated platform
  /channel NAME                                switch channel
  /clock +DURATION                             move time forward (e.g. /clock +10m)
  /whoami  /help  /quit"""


class ConsolePlatform(FakePlatform):
    """A simulated Discord or Twitch that prints every bot action."""

    def __init__(self, platform: Platform, out: TextIO, bot_name: str = "cmbot") -> None:
        super().__init__(platform)
        self.out = out
        self.bot_name = bot_name

    def record(self, action: Sent) -> None:
        super().record(action)
        self.out.write(format_action(action, self.bot_name) + "\n")
        self.out.flush()


class ConsoleSession:
    """Who you are and where you type, plus the console's own commands."""

    def __init__(self, bot: Inbound, out: TextIO, *, echo: bool) -> None:
        self.bot = bot
        self.out = out
        self.echo = echo
        console = bot.config["console"]
        self.user = console["user"]
        self.role = Role.parse(console["role"])
        self.platform = Platform(console["platform"])
        self.channels = {Platform.TWITCH: "mychannel", Platform.DISCORD: "general"}
        for community in bot.config.communities:
            for ref in reversed(community.channels):
                platform, _, name = ref.partition(":")
                if platform in ("twitch", "discord") and name != "*":
                    self.channels[Platform(platform)] = name.lstrip("#")
        self.done = False

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    async def handle_line(self, line: str) -> None:
        line = line.rstrip("\n")
        if not line.strip():
            return
        if line.startswith("/"):
            await self._console_command(line)
            return
        adapter = self.bot.adapters[self.platform]
        assert isinstance(adapter, FakePlatform)
        channel = self.channels[self.platform]
        if self.echo:
            self.say(f"[{self.platform.value} #{channel}] {self.user}: {line}")
        message = adapter.make_message(line, user=self.user, role=self.role, channel=channel)
        await self.bot.handle_message(message)

    async def _console_command(self, line: str) -> None:
        if self.echo:
            self.say(line)
        word, _, rest = line[1:].partition(" ")
        rest = rest.strip()
        word = word.lower()
        if word in ("quit", "exit", "q"):
            self.done = True
        elif word == "help":
            self.say(CONSOLE_HELP)
        elif word == "whoami":
            self.say(f"you are {self.user} ({self.role.label}) on {self.platform.value} "
                     f"#{self.channels[self.platform]}")
        elif word == "as":
            parts = rest.split()
            if not parts:
                self.say("usage: /as NAME [viewer|sub|vip|mod|broadcaster]")
                return
            try:
                role = Role.parse(parts[1]) if len(parts) > 1 else Role.EVERYONE
            except ValueError as exc:
                self.say(f"✗ {exc}")
                return
            self.user, self.role = parts[0].lstrip("@"), role
            self.say(f"now {self.user} ({self.role.label})")
        elif word == "platform":
            try:
                platform = Platform(rest.lower())
                if platform not in self.bot.adapters:
                    raise ValueError
            except ValueError:
                self.say("usage: /platform twitch|discord")
                return
            self.platform = platform
            self.say(f"now on {platform.value} #{self.channels[platform]}")
        elif word == "channel":
            name = rest.lstrip("#").lower()
            if not name or " " in name:
                self.say("usage: /channel NAME")
                return
            self.channels[self.platform] = name
            self.say(f"now in {self.platform.value} #{name}")
        elif word == "clock":
            try:
                seconds = parse_duration(rest)
            except ValueError as exc:
                self.say(f"✗ {exc} (example: /clock +10m)")
                return
            self.bot.clock.advance(seconds)
            self.say(f"clock moved forward {format_duration(seconds)}: now "
                     f"{self.bot.clock.now():%Y-%m-%d %H:%M} UTC")
            await self.bot.tick()
        else:
            self.say(f"unknown console command /{word}; /help lists them")


async def _read_lines(stream: TextIO) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def reader() -> None:
        try:
            for line in stream:
                loop.call_soon_threadsafe(queue.put_nowait, line)
        finally:
            loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=reader, daemon=True, name="cmbot-stdin").start()
    while True:
        line = await queue.get()
        if line is None:
            return
        yield line


def console_adapters(out: TextIO, bot_name: str) -> list[ConsolePlatform]:
    return [ConsolePlatform(Platform.TWITCH, out, bot_name),
            ConsolePlatform(Platform.DISCORD, out, bot_name)]


async def run_console(bot: Inbound, stdin: TextIO | None = None, out: TextIO | None = None) -> None:
    """Drive a started bot from ``stdin`` until /quit or end of input."""
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    interactive = stdin.isatty()
    session = ConsoleSession(bot, out, echo=not interactive)
    if interactive:
        session.say("cmbot console — type a chat line to send it as the current user; "
                    "/help lists the console commands (/as, /platform, /channel, /clock).")
        session.say(f"you are {session.user} ({session.role.label}) on "
                    f"{session.platform.value} #{session.channels[session.platform]}")
    async for line in _read_lines(stdin):
        await session.handle_line(line)
        await bot.settle()  # a line is handled fully, its background work too, before the
        # next is read: the same script gives the same output every run
        if session.done:
            break
    await bot.tick()
    waited = 0.0
    while bot.pending_sends() and waited < 5.0:
        await asyncio.sleep(0.25)
        waited += 0.25
        await bot.tick()
    if bot.pending_sends():
        session.say(f"({bot.pending_sends()} queued message(s) not sent: rate limit)")
