"""Per-user and per-channel command cooldowns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .commands import Command


@dataclass
class Cooldowns:
    """Per-user and per-channel cooldowns, keyed by command name."""

    _last: dict[tuple[str, str], float] = field(default_factory=dict)
    _noticed: dict[tuple[str, str], float] = field(default_factory=dict)

    def notice_due(self, command: Command, user_key: str, now: float, wait: float) -> bool:
        """Whether a cooldown hit should be answered: once per user, command and window.

        A hit inside a window already noticed stays silent, so a flood gets one notice."""
        key = (command.name, user_key)
        until = self._noticed.get(key)
        if until is not None and now < until:
            return False
        self._noticed[key] = now + wait
        if len(self._noticed) > 50_000:  # forget expired windows
            for stale in [k for k, v in self._noticed.items() if v <= now]:
                del self._noticed[stale]
        return True

    def remaining(self, command: Command, user_key: str, channel_key: str, now: float) -> float:
        waits = []
        if command.user_cooldown:
            last = self._last.get((command.name, "u:" + user_key))
            if last is not None:
                waits.append(last + command.user_cooldown - now)
        if command.channel_cooldown:
            last = self._last.get((command.name, "c:" + channel_key))
            if last is not None:
                waits.append(last + command.channel_cooldown - now)
        return max([0.0, *waits])

    def record(self, command: Command, user_key: str, channel_key: str, now: float) -> None:
        if command.user_cooldown:
            self._last[(command.name, "u:" + user_key)] = now
        if command.channel_cooldown:
            self._last[(command.name, "c:" + channel_key)] = now
        if len(self._last) > 50_000:  # forget the oldest half; cooldowns are short
            for key, _ in sorted(self._last.items(), key=lambda kv: kv[1])[:25_000]:
                del self._last[key]
