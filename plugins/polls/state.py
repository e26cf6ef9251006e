"""The polls plugin's per-bot state: its store, batched acknowledgements, clocks."""

from __future__ import annotations

from cmbot import Bot, Channel

from .store import PollStore


class PollState:
    """Per-bot: store, batched acknowledgements, live-update clocks."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.store = PollStore(bot.db)
        self.pending_acks: dict[str, list[str]] = {}
        self.ack_channels: dict[str, Channel] = {}
        self.last_live: dict[int, float] = {}
        self.feedback_times: dict[str, float] = {}


def state_of(bot: Bot) -> PollState:
    return bot.state(PollState)
