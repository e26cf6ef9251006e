"""What a plugin gets with each message hook call or command: the message, its channel,
its settings there, and ``ctx.bot``, the bot as that plugin sees it (:mod:`cmbot.face`)."""

from __future__ import annotations

from collections.abc import Coroutine
from datetime import datetime
from typing import Any

from .face import Bot, Store
from .model import Button, Channel, Community, Message, Reply, User, Verdict
from .ratelimit import Priority


class Context:
    """Per plugin, per event. ``settings`` are the plugin's config for this channel."""

    __slots__ = ("bot", "channel", "message", "verdict", "handled", "_settings")

    def __init__(self, bot: Bot, channel: Channel, message: Message | None = None,
                 verdict: Verdict | None = None, handled: bool = False) -> None:
        self.bot = bot
        self.channel = channel
        self.message = message
        self.verdict = verdict
        """``cmbot_on_message``: the verdict applied to the message (None if clean)."""
        self.handled = handled
        """``cmbot_on_message``: True when the message ran a command or got an answer."""
        self._settings: dict[str, Any] | None = None

    @property
    def plugin(self) -> str:
        return self.bot.plugin

    @property
    def settings(self) -> dict[str, Any]:
        if self._settings is None:
            self._settings = self.bot.settings(self.channel)
        return self._settings

    @property
    def db(self) -> Store:
        return self.bot.db

    @property
    def user(self) -> User | None:
        return self.message.author if self.message else None

    @property
    def community(self) -> Community | None:
        return self.bot.community_of(self.channel)

    @property
    def scope(self) -> str:
        """Storage scope: ``community:NAME`` for linked channels, else the channel key."""
        return self.bot.scope_of(self.channel)

    @property
    def timezone(self) -> str:
        return self.bot.timezone_of(self.channel)

    @property
    def language(self) -> str:
        """The language of this channel's community (``en``, ``fr``)."""
        return self.bot.language_of(self.channel)

    @property
    def prefix(self) -> str:
        return self.bot.prefix

    def now(self) -> datetime:
        return self.bot.now()

    def time(self) -> float:
        return self.bot.time()

    def defer(self, work: Coroutine[Any, Any, Any], what: str, *, limit: int | None = None
              ) -> bool:
        """Run ``work`` in the background instead of on the message path (``bot.defer``)."""
        return self.bot.defer(work, what, limit=limit)

    async def reply(self, reply: Reply | str, *, priority: Priority = Priority.NORMAL
                    ) -> str | None:
        """Answer the current message (or post in the channel if there is none)."""
        if isinstance(reply, str):
            reply = Reply(reply)
        return await self.bot.send(self.channel, reply.text, buttons=reply.buttons,
                                   reply_to=self.message, priority=priority,
                                   mention=self.user if reply.mention else None,
                                   ephemeral=reply.ephemeral, file=reply.file)

    async def send(self, text: str, *, channel: Channel | None = None,
                   buttons: tuple[Button, ...] = (),
                   priority: Priority = Priority.NORMAL) -> str | None:
        """Post in this channel (or ``channel``)."""
        return await self.bot.send(channel or self.channel, text, buttons=buttons,
                                   priority=priority)

    async def notify_mods(self, text: str, *, buttons: tuple[Button, ...] = ()) -> int:
        """Post to the community's moderator channels; returns how many got it."""
        return await self.bot.notify_mods(self.channel, text, buttons=buttons)
