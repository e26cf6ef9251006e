"""Slash commands, autocomplete and buttons, from the raw ``interaction`` event (not
discord.py's CommandTree and View callbacks): a slash command becomes the same command a
chat line ``!faq add ...`` would run, and a button's custom id carries its command, so
buttons keep working after a restart without re-registering anything.

Answering one interaction: the first reply is the interaction response, later ones are
follow-ups; an interaction nobody answered is acknowledged so Discord never shows "the
application did not respond".
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import discord
from discord.state import ConnectionState

from ...model import Attachment, Button, Channel, Message, Platform
from ...safety import clean_inbound
from .shared import DiscordShared
from .slash import focused_option, slash_arguments, uploads

FOLLOWUP_LIFETIME = 15 * 60.0
"""Discord accepts follow-ups for 15 minutes after an interaction."""
BUTTON_PREFIX = "cmbot:"
HASHED_PREFIX = "cmbot#"
MAX_CUSTOM_ID = 100
ANSWER_DEADLINE = 2.0  # defer an interaction not answered by then (Discord allows 3 s)
MAX_UPLOAD_BYTES = 1024 * 1024  # imports are small text files
_STYLES = {"primary": discord.ButtonStyle.primary, "secondary": discord.ButtonStyle.secondary,
           "success": discord.ButtonStyle.success, "danger": discord.ButtonStyle.danger}


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


class InteractionState(ConnectionState):
    """discord.py's gateway state, keeping each interaction payload's ``channel_id``
    until the adapter reads it (discord.py drops it when the payload has no channel
    object, and the adapter would not know where the interaction was used)."""

    KEPT = 1000

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.interaction_channels: dict[int, int] = {}

    def parse_interaction_create(self, data: Any) -> None:
        channel_id = data.get("channel_id") or (data.get("channel") or {}).get("id")
        if channel_id and str(channel_id).isdigit():
            if len(self.interaction_channels) >= self.KEPT:  # never read: not ours
                self.interaction_channels.clear()
            self.interaction_channels[int(data["id"])] = int(channel_id)
        super().parse_interaction_create(data)


class DiscordInteractions(DiscordShared):
    """Interactions in, and the buttons of outgoing messages."""

    _pending: dict[str, PendingInteraction]

    async def _on_interaction(self, interaction: discord.Interaction) -> None:
        raw_channel_id = self._raw_channel_id(interaction)
        if self.bot is None or not self._serves(interaction.guild):
            return
        kind = interaction.type
        channel = self._interaction_channel(interaction, raw_channel_id)
        try:
            if kind == discord.InteractionType.autocomplete:
                await self._autocomplete(interaction, channel)
            elif channel is None:  # nowhere to run it: answer through the interaction only
                if kind in (discord.InteractionType.application_command,
                            discord.InteractionType.component):
                    await interaction.response.send_message(
                        "✗ Discord did not say which channel this came from, so nothing was "
                        "done; try again in a text channel of the server", ephemeral=True)
            elif kind == discord.InteractionType.application_command:
                await self._slash(interaction, channel)
            elif kind == discord.InteractionType.component:
                await self._button(interaction, channel)
        except discord.HTTPException as exc:
            self._report(f"interaction:{exc.status}", f"answering an interaction failed: "
                         f"{exc.status} {exc.text}")

    def _raw_channel_id(self, interaction: discord.Interaction) -> int | None:
        """The ``channel_id`` of the interaction's payload (discord.py keeps only the
        channel object, and none when the payload has none)."""
        if self.client is None:
            return None
        state = getattr(self.client, "_connection", None)
        found: dict[int, int] = getattr(state, "interaction_channels", {})
        return found.pop(interaction.id, None)

    def _interaction_channel(self, interaction: discord.Interaction,
                             raw_channel_id: int | None) -> Channel | None:
        """Where the interaction was used: its channel object, else the channel of its
        payload's id (from the cache when it is there, for its name); None if neither."""
        channel: Any = interaction.channel
        channel_id = getattr(channel, "id", None) or interaction.channel_id or raw_channel_id
        if channel_id is None:
            return None
        if channel is None and self.client is not None:
            channel = self.client.get_channel(channel_id)
        return self._channel(channel, channel_id, interaction.guild_id)

    def _interaction_message(self, interaction: discord.Interaction, text: str,
                             channel: Channel) -> Message:
        return Message(f"i{interaction.id}", Platform.DISCORD, channel,
                       self._user(interaction.user), text, interaction.created_at,
                       interactive=True)

    async def _slash(self, interaction: discord.Interaction, channel: Channel) -> None:
        assert self.bot is not None
        limit = int(self.bot.config.bot["max_inbound_length"])
        cut = False

        def clean(value: str) -> str:  # option values get the hygiene of chat lines
            nonlocal cut
            text, truncated = clean_inbound(value, limit)
            cut = cut or truncated
            return text

        found = slash_arguments(interaction.data or {}, self.bot.commands.get, clean)
        if found is None:
            await interaction.response.send_message(
                "✗ this command no longer exists; it disappears once Discord refreshes",
                ephemeral=True)
            return
        command, given, shown = found
        attachments = []
        for upload in uploads(interaction.data or {}):
            name, size = str(upload.get("filename", "")), int(upload.get("size", 0))
            if size > MAX_UPLOAD_BYTES:
                await interaction.response.send_message(
                    f"✗ {name} is {size // 1000} KB; uploads are limited to "
                    f"{MAX_UPLOAD_BYTES // 1000} KB", ephemeral=True)
                return
            assert self.client is not None
            data = await self.client.http.get_from_cdn(str(upload.get("url", "")))
            attachments.append(Attachment(name, data[:MAX_UPLOAD_BYTES]))
        message = dataclasses.replace(self._interaction_message(interaction, shown, channel),
                                      truncated=cut, attachments=tuple(attachments))
        bot = self.bot
        await self._run(interaction, message, lambda: bot.invoke(message, command, given),
                        component=False)

    async def _button(self, interaction: discord.Interaction, channel: Channel) -> None:
        assert self.bot is not None
        data: dict[str, Any] = dict(interaction.data or {})
        custom_id = str(data.get("custom_id", ""))
        line: str | None = None
        if custom_id.startswith(BUTTON_PREFIX):
            line = custom_id[len(BUTTON_PREFIX):]
        elif custom_id.startswith(HASHED_PREFIX) and self.state is not None:
            line = await self.state.get("discord:button:" + custom_id)
        if not line:
            return  # not ours (another bot's component, or a forgotten one)
        prefix = self.bot.config.bot["prefix"]
        # a custom id is ours, but a hashed one came back from storage: clean it like chat
        text, truncated = clean_inbound(prefix + line, int(self.bot.config.bot[
            "max_inbound_length"]))
        message = dataclasses.replace(self._interaction_message(interaction, text, channel),
                                      truncated=truncated)
        bot, line = self.bot, text[len(prefix):]
        await self._run(interaction, message, lambda: bot.run_command(message, line),
                        component=True)

    async def _run(self, interaction: discord.Interaction, message: Message,
                   run: Callable[[], Coroutine[Any, Any, str | None]], *,
                   component: bool) -> None:
        """Run a command as the interaction's user; the replies answer the interaction."""
        pending = PendingInteraction(interaction, time.monotonic(), component)
        self._prune()
        self._pending[message.id] = pending
        task = asyncio.create_task(run())
        done, _ = await asyncio.wait({task}, timeout=ANSWER_DEADLINE)
        if not done:
            await pending.defer()
        name = await task
        if name is None and not pending.replied:
            await pending.send("✗ unknown command", view=None, ephemeral=True,
                               allowed=discord.AllowedMentions.none())
        await pending.finish()

    def _prune(self) -> None:
        limit = time.monotonic() - FOLLOWUP_LIFETIME
        for key in [k for k, p in self._pending.items() if p.started < limit]:
            del self._pending[key]

    async def _autocomplete(self, interaction: discord.Interaction,
                            channel: Channel | None) -> None:
        assert self.bot is not None
        focused = focused_option(interaction.data or {})
        command = self.bot.commands.get(focused[0]) if focused else None
        arg = next((a for a in command.args if a.name.lower() == focused[1]), None) \
            if command and focused else None
        values: list[str] = []
        if arg is not None and arg.autocomplete and focused is not None and channel is not None:
            values = await self.bot.autocomplete(channel, arg.autocomplete, focused[2])
        numeric = arg is not None and arg.type in ("int", "float")
        choices: list[discord.app_commands.Choice[Any]] = []
        for value in values[:25]:
            if numeric:
                try:
                    choices.append(discord.app_commands.Choice(name=str(value),
                                                               value=float(value)
                                                               if arg and arg.type == "float"
                                                               else int(value)))
                except ValueError:
                    continue
            else:
                choices.append(discord.app_commands.Choice(name=str(value)[:100],
                                                           value=str(value)[:100]))
        await interaction.response.autocomplete(choices)

    async def _view(self, buttons: Sequence[Button]) -> discord.ui.View | None:
        if not buttons:
            return None
        view = discord.ui.View(timeout=None)
        for button in buttons[:25]:
            custom_id = BUTTON_PREFIX + button.command
            if len(custom_id) > MAX_CUSTOM_ID:
                custom_id = HASHED_PREFIX + hashlib.sha256(button.command.encode()
                                                           ).hexdigest()[:40]
                if self.state is not None:
                    await self.state.set("discord:button:" + custom_id, button.command)
            view.add_item(discord.ui.Button(label=button.label[:80] or "·",
                                            custom_id=custom_id,
                                            style=_STYLES.get(button.style,
                                                              discord.ButtonStyle.secondary)))
        view.stop()  # presses arrive as raw interactions; discord.py must not track it
        return view
