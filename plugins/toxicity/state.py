"""The toxicity plugin's memory: each channel's scoring setup (loaded on its first line),
recent assessments shared by channels configured alike, link permits, raid detectors and
the mod-notice budget."""

from __future__ import annotations

import dataclasses
import logging
from collections import OrderedDict, deque
from typing import Any

from cmbot import Bot, Context, Role, parse_duration

from .assess import Assessment
from .raid import RaidDetector
from .rules import compile_patterns
from .store import ToxStore

log = logging.getLogger("cmbot.plugins.toxicity")

MAX_CONFIGS = 1024


class RecentAssessments:
    """An LRU of (configuration, text, permitted link) -> Assessment. The same line under
    the same scoring settings and allowlist always gets the same assessment, and half of
    real Twitch chat repeats one of the previous thousand lines (emotes, "W", copypasta)."""

    SIZE = 4096

    def __init__(self) -> None:
        self._items: OrderedDict[tuple[int, str, bool], Assessment] = OrderedDict()

    def get(self, config: int, text: str, permit: bool) -> Assessment | None:
        key = (config, text, permit)
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, config: int, text: str, permit: bool, result: Assessment) -> None:
        self._items[(config, text, permit)] = result
        if len(self._items) > self.SIZE:
            self._items.popitem(last=False)


def _frozen(settings: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v)
                        for k, v in settings.items()))


@dataclasses.dataclass(slots=True)
class ChannelScoring:
    """What scoring a line needs from its channel, worked out on its first line (and again
    after its allowlist changes) instead of on every message."""

    settings: dict[str, Any]
    exempt: Role
    allowed: dict[str, set[str]]
    terms: frozenset[str]
    category_terms: dict[str, frozenset[str]]
    """Words allowed for one category only (``!flag allow --always``)."""
    language: str
    patterns: list[Any]
    config: int
    raid: RaidDetector


class ToxState:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.store = ToxStore(bot.db)
        self.permits: dict[str, float] = {}
        self.channels: dict[str, ChannelScoring] = {}
        self.raids: dict[str, RaidDetector] = {}
        self.notices: dict[str, deque[float]] = {}
        self.held: dict[str, int] = {}
        self.recent = RecentAssessments()
        self.configs: dict[tuple[Any, ...], int] = {}
        self.forgotten = 0  # allowlist changes so far

    async def settings_of(self, ctx: Context) -> dict[str, Any]:
        """The channel's settings with what moderators set from chat (``!automod``)."""
        return {**ctx.settings, **await self.store.overrides(ctx.scope)}

    async def scoring(self, ctx: Context) -> ChannelScoring:
        """The channel's scoring setup, loaded on its first line."""
        key = ctx.channel.key
        found = self.channels.get(key)
        if found is not None:
            return found
        forgotten = self.forgotten
        settings = await self.settings_of(ctx)
        allowed = await self.store.allowed(key)
        terms = frozenset(allowed.get("term", ()))
        category_terms = {kind.split(":", 1)[1]: frozenset(values)
                          for kind, values in allowed.items() if kind.startswith("term:")}
        language = ctx.language
        try:
            patterns = compile_patterns(settings["regex"])
        except ValueError as exc:
            log.error("[plugins.toxicity] regex: %s; custom patterns are off", exc)
            patterns = []
        if len(self.configs) >= MAX_CONFIGS:  # years of allowlist changes: start afresh
            self.configs.clear()
            self.channels.clear()
            self.recent = RecentAssessments()
        # channels configured alike share cached assessments
        fingerprint = (_frozen(settings), terms, _frozen(category_terms), language,
                       tuple(p.pattern for p in patterns))
        config = self.configs.setdefault(fingerprint, len(self.configs))
        raid = self.raids.get(key)
        if raid is None:  # survives allowlist changes: a burst in progress stays tracked
            raid = self.raids[key] = RaidDetector(
                settings["raid_window"], settings["raid_factor"], settings["raid_minimum"],
                settings["raid_identical_accounts"])
        found = ChannelScoring(settings, min(Role.parse(settings["exempt_role"]), Role.MODERATOR),
                               allowed, terms, category_terms, language, patterns, config,
                               raid)
        if forgotten == self.forgotten:  # not if the allowlist changed while it was read
            self.channels[key] = found
        return found

    def forget_settings(self) -> None:
        """Moderators changed a level or an action: every channel is set up again."""
        self.channels.clear()
        self.forgotten += 1

    def forget_channel(self, channel: str) -> None:
        """The channel's allowlist changed: re-read it and score its lines again."""
        self.channels.pop(channel, None)
        self.forgotten += 1


def state_of(bot: Bot) -> ToxState:
    return bot.state(ToxState)


def escalation_steps(steps: list[str]) -> list[float]:
    """Escalation steps in seconds (0 = a warning)."""
    out = []
    for step in steps:
        if step.lower() == "warn":
            out.append(0.0)
            continue
        try:
            out.append(parse_duration(step))
        except ValueError as exc:
            raise ValueError(f"[plugins.toxicity] escalation: {exc}") from None
    return out or [0.0]
