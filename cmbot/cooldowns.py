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
