"""Answering one Discord interaction: the first reply is the interaction response, later
ones are follow-ups; an interaction nobody answered is acknowledged so Discord never shows
"the application did not respond"."""

from __future__ import annotations

import asyncio
from typing import Any

import discord

FOLLOWUP_LIFETIME = 15 * 60.0
"""Discord accepts follow-ups for 15 minutes after an interaction."""


class PendingInteraction:
    """Replies the core sends to an interaction's synthetic message go through here."""

    def __init__(self, interaction: discord.Interaction, started: float,
                 component: bool) -> None:
        self.interaction = interaction
        self.started = started
        self.component = component
        self.replied = False
        self._lock = asyncio.Lock()

    async def send(self, text: str, *, view: discord.ui.View | None,
                   allowed: discord.AllowedMentions, ephemeral: bool,
                   file: discord.File | None = None) -> str:
        kwargs: dict[str, Any] = {"allowed_mentions": allowed, "ephemeral": ephemeral}
        if view is not None:
            kwargs["view"] = view
        if file is not None:
            kwargs["file"] = file
        async with self._lock:
            response = self.interaction.response
            self.replied = True
            if not response.is_done():
                result = await response.send_message(text, **kwargs)
                message_id = getattr(result, "message_id", None)
                return str(message_id) if message_id else f"i{self.interaction.id}"
            message = await self.interaction.followup.send(text, wait=True, **kwargs)
            return str(message.id)

    async def defer(self) -> None:
        """Tell Discord an answer is coming (the command is slow or its reply is queued)."""
        async with self._lock:
            if not self.interaction.response.is_done():
                await self.interaction.response.defer(thinking=not self.component)

    async def finish(self) -> None:
        """After the command ran: make sure the user saw something."""
        async with self._lock:
            response = self.interaction.response
            if self.replied:
                return
            if self.component:
                if not response.is_done():
                    await response.defer()  # acknowledges the press, changes nothing
                return
            if not response.is_done():
                await response.send_message("✓ done", ephemeral=True)
            else:
                await self.interaction.edit_original_response(content="✓ done")
            self.replied = True
