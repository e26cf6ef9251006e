"""The Discord adapter (discord.py 2.7): gateway messages and interactions in, messages,
interaction responses, moderation and scheduled events out.

Slash commands and buttons are handled from the raw ``interaction`` event, not with
discord.py's CommandTree and View callbacks: a slash command becomes the same command line
``!faq add ...`` would be, and a button's custom id carries its command, so buttons keep
working after a restart without re-registering anything.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import io
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import discord

from ...config import Secret
from ...model import Attachment, Button, Channel, Message, Platform, User
from ...safety import clean_inbound
from ..base import Capability, InFlight, PlatformAdapter
from ..state import PlatformState
from .interactions import FOLLOWUP_LIFETIME, PendingInteraction
from .roles import RoleMap
from .slash import build_payload, focused_option, payload_hash, slash_arguments, uploads

if TYPE_CHECKING:
    from ...commands import Command
    from ..base import Inbound

log = logging.getLogger("cmbot.discord")
# The bot never joins voice: no warnings about voice libraries at every start.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False

BUTTON_PREFIX = "cmbot:"
HASHED_PREFIX = "cmbot#"
MAX_CUSTOM_ID = 100
MAX_TIMEOUT = 28 * 86400  # Discord's limit for member timeouts
ANSWER_DEADLINE = 2.0  # defer an interaction not answered by then (Discord allows 3 s)
_STYLES = {"primary": discord.ButtonStyle.primary, "secondary": discord.ButtonStyle.secondary,
           "success": discord.ButtonStyle.success, "danger": discord.ButtonStyle.danger}
PERMISSIONS_NEEDED = discord.Permissions(
    view_channel=True, send_messages=True, send_messages_in_threads=True,
    read_message_history=True, embed_links=True, manage_messages=True,
    moderate_members=True, ban_members=False, create_events=True, manage_events=True)
"""What the invite URL asks for: post, read, delete messages, time out, scheduled events."""


def invite_url(application_id: int | str) -> str:
    """The bot invite URL with exactly the permissions the built-in plugins use."""
    return (f"https://discord.com/oauth2/authorize?client_id={application_id}"
            f"&scope=bot+applications.commands&permissions={PERMISSIONS_NEEDED.value}")


MAX_FILE_BYTES = 8 * 1024 * 1024  # what every server accepts
MAX_UPLOAD_BYTES = 1024 * 1024  # imports are small text files
SEEN_MESSAGES = 4096  # recent message texts, to tell a real edit from an embed update


def _attachment(path: Path | None) -> discord.File | None:
    """An export to attach, if it exists and fits Discord's smallest upload limit."""
    if path is None or not path.is_file():
        return None
    if path.stat().st_size > MAX_FILE_BYTES:
        log.warning("%s is over 8 MB; not attached (the reply names its path)", path.name)
        return None
    return discord.File(io.BytesIO(path.read_bytes()), filename=path.name)  # no open fd


class _Client(discord.Client):
    def __init__(self, adapter: DiscordAdapter, **options: Any) -> None:
        super().__init__(**options)
        self.adapter = adapter

    async def on_ready(self) -> None:
        await self.adapter._on_ready()

    async def on_message(self, message: discord.Message) -> None:
        with self.adapter._inflight:
            await self.adapter._on_message(message)

    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        with self.adapter._inflight:
            await self.adapter._on_message(payload.message, edited=True)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        with self.adapter._inflight:
            await self.adapter._on_interaction(interaction)


class DiscordAdapter(PlatformAdapter):
    """One Discord bot account, any number of servers."""

    platform = Platform.DISCORD
    capabilities = frozenset({Capability.BUTTONS, Capability.DELETE, Capability.TIMEOUT,
                              Capability.BAN, Capability.EPHEMERAL, Capability.SLASH_COMMANDS,
                              Capability.NATIVE_EVENTS, Capability.FILES})

    def __init__(self, section: dict[str, Any], *, ready_timeout: float = 60.0,
                 guild_ready_timeout: float = 2.0) -> None:
        token = section.get("token")
        self._token = token.reveal() if isinstance(token, Secret) else str(token or "")
        self.roles = RoleMap.from_config(section)
        self.message_content = bool(section.get("message_content", True))
        self.sync_commands = bool(section.get("sync_commands", True))
        self.guild_ids = {int(g) for g in section.get("guild_ids", []) if str(g).isdigit()}
        self.ready_timeout = ready_timeout
        self.guild_ready_timeout = guild_ready_timeout
        self.client: _Client | None = None
        self.bot: Inbound | None = None
        self.bot_user: User | None = None
        self.state: PlatformState | None = None
        self._commands: list[Command] = []
        self._pending: dict[str, PendingInteraction] = {}
        self._reported: set[str] = set()
        self._ready = asyncio.Event()
        self._failure: BaseException | None = None
        self._task: asyncio.Task[None] | None = None
        self.commands_synced = 0
        self._inflight = InFlight()
        self._seen: OrderedDict[int, int] = OrderedDict()  # message id -> hash of its text

    # --- lifecycle -------------------------------------------------------------------

    async def register_commands(self, commands: Sequence[Command]) -> None:
        self._commands = list(commands)  # published once connected (needs the app id)

    async def start(self, bot: Inbound) -> None:
        if not self._token:
            raise RuntimeError("[discord] token is empty. Fix: export the variable named in "
                               "token = { env = ... } with the bot token from the Developer "
                               "Portal (Bot tab)")
        self.bot = bot
        self.state = PlatformState(bot.storage)
        await self.state.open()
        intents = discord.Intents.default()
        intents.message_content = self.message_content
        intents.members = False
        intents.presences = False
        self.client = _Client(self, intents=intents, chunk_guilds_at_startup=False,
                              guild_ready_timeout=self.guild_ready_timeout,
                              allowed_mentions=discord.AllowedMentions.none(),
                              max_messages=None)
        self._ready.clear()
        self._failure = None
        try:
            await self.client.login(self._token)
        except discord.LoginFailure:
            await self.client.close()
            raise RuntimeError("Discord refused the bot token. Fix: reset the token in the "
                               "Developer Portal (Bot tab) and export it again") from None
        except (discord.HTTPException, OSError) as exc:
            await self.client.close()
            raise RuntimeError(f"could not log in to Discord ({exc}); check the network and "
                               f"try again") from None
        self._task = asyncio.create_task(self._connect(), name="cmbot-discord")
        try:
            await asyncio.wait_for(self._ready.wait(), self.ready_timeout)
        except TimeoutError:
            await self.stop()
            raise RuntimeError(f"Discord did not become ready within {self.ready_timeout:g}s; "
                               f"check the network and the token") from None
        if self._failure is not None:
            failure = self._failure
            await self.stop()
            raise RuntimeError(str(failure)) from failure

    async def _connect(self) -> None:
        assert self.client is not None
        try:
            await self.client.connect(reconnect=True)
        except discord.PrivilegedIntentsRequired:
            self._failure = RuntimeError(
                "Discord refused the Message Content intent. Fix: enable it in the Developer "
                "Portal (Bot tab > Privileged Gateway Intents > Message Content), or set "
                "[discord] message_content = false (then only slash commands and buttons "
                "work: no FAQ auto-answers, no chat moderation)")
        except Exception as exc:  # noqa: BLE001 - reported through start()
            self._failure = exc
            log.error("Discord connection ended: %s", exc)
        finally:
            self._ready.set()

    async def stop(self) -> None:
        if self.client is not None and not self.client.is_closed():
            await self.client.close()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, 5.0)
            except (TimeoutError, asyncio.CancelledError):
                self._task.cancel()
            self._task = None
        await self._inflight.drain()
        self.bot = None

    async def _on_ready(self) -> None:
        assert self.client is not None and self.client.user is not None
        me = self.client.user
        self.bot_user = User(Platform.DISCORD, str(me.id), me.name, me.display_name, is_bot=True)
        if self.sync_commands:
            await self._sync_commands()
        self._ready.set()

    async def _sync_commands(self) -> None:
        """Publish slash commands only when their definitions changed (Discord caps
        command creations per day, so never on every reconnect)."""
        assert self.client is not None and self.bot is not None and self.state is not None
        app_id = self.client.application_id
        if app_id is None:
            return
        payload = build_payload(self._commands, self.bot.commands.required_role)
        digest = payload_hash(payload)
        key = f"discord:commands:{app_id}"
        if await self.state.get(key) == digest:
            log.info("slash commands unchanged; not re-published")
            return
        try:
            await self.client.http.bulk_upsert_global_commands(app_id, payload)
        except discord.HTTPException as exc:
            log.error("publishing %d slash commands failed (%s %s). Fix: invite the bot "
                      "with the applications.commands scope: %s", len(payload), exc.status,
                      exc.text, invite_url(app_id))
            return
        await self.state.set(key, digest)
        self.commands_synced += 1
        log.info("published %d slash commands", len(payload))

    # --- inbound ---------------------------------------------------------------------

    def _serves(self, guild: discord.Guild | None) -> bool:
        return guild is not None and (not self.guild_ids or guild.id in self.guild_ids)

    @staticmethod
    def _channel(channel: Any, channel_id: int | None = None) -> Channel:
        cid = getattr(channel, "id", None) or channel_id
        name = getattr(channel, "name", None) or str(cid)
        return Channel(Platform.DISCORD, str(cid), name)

    def _user(self, member: discord.abc.User,
              permissions: discord.Permissions | None = None) -> User:
        return User(Platform.DISCORD, str(member.id), member.name, member.display_name,
                    self.roles.role_of(member, permissions), is_bot=member.bot)

    async def _on_message(self, message: discord.Message, *, edited: bool = False) -> None:
        if self.bot is None or not self._serves(message.guild):
            return  # direct messages are not served: commands are per server
        if self.client is not None and self.client.user is not None \
                and message.author.id == self.client.user.id:
            return
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return
        digest = hash(message.content)
        if edited and self._seen.get(message.id) == digest:
            return  # an embed resolving, a pin...: the text did not change
        self._seen[message.id] = digest
        self._seen.move_to_end(message.id)
        if len(self._seen) > SEEN_MESSAGES:
            self._seen.popitem(last=False)
        permissions = None
        if isinstance(message.author, discord.Member) and hasattr(message.channel,
                                                                   "permissions_for"):
            permissions = message.channel.permissions_for(message.author)
        reply_to = message.reference.message_id if message.reference else None
        core = Message(str(message.id), Platform.DISCORD, self._channel(message.channel),
                       self._user(message.author, permissions), message.content,
                       message.created_at, reply_to=str(reply_to) if reply_to else None)
        if edited:
            await self.bot.handle_edit(core)
        else:
            await self.bot.handle_message(core)

    async def _on_interaction(self, interaction: discord.Interaction) -> None:
        if self.bot is None or not self._serves(interaction.guild):
            return
        kind = interaction.type
        try:
            if kind == discord.InteractionType.application_command:
                await self._slash(interaction)
            elif kind == discord.InteractionType.autocomplete:
                await self._autocomplete(interaction)
            elif kind == discord.InteractionType.component:
                await self._button(interaction)
        except discord.HTTPException as exc:
            self._report(f"interaction:{exc.status}", f"answering an interaction failed: "
                         f"{exc.status} {exc.text}")

    def _interaction_message(self, interaction: discord.Interaction, text: str) -> Message:
        return Message(f"i{interaction.id}", Platform.DISCORD,
                       self._channel(interaction.channel, interaction.channel_id),
                       self._user(interaction.user, interaction.permissions), text,
                       interaction.created_at, interactive=True)

    async def _slash(self, interaction: discord.Interaction) -> None:
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
        message = dataclasses.replace(self._interaction_message(interaction, shown),
                                      truncated=cut, attachments=tuple(attachments))
        bot = self.bot
        await self._run(interaction, message, lambda: bot.invoke(message, command, given),
                        component=False)

    async def _button(self, interaction: discord.Interaction) -> None:
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
        message = dataclasses.replace(self._interaction_message(interaction, text),
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

    async def _autocomplete(self, interaction: discord.Interaction) -> None:
        assert self.bot is not None
        focused = focused_option(interaction.data or {})
        command = self.bot.commands.get(focused[0]) if focused else None
        arg = next((a for a in command.args if a.name.lower() == focused[1]), None) \
            if command and focused else None
        values: list[str] = []
        if arg is not None and arg.autocomplete and focused is not None:
            channel = self._channel(interaction.channel, interaction.channel_id)
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

    # --- outbound --------------------------------------------------------------------

    def _report(self, key: str, text: str) -> None:
        """Log a problem the server admin must fix once, not on every message."""
        if key not in self._reported:
            self._reported.add(key)
            log.error("%s", text)

    def _http_problem(self, exc: discord.HTTPException, channel: Channel, doing: str) -> None:
        if isinstance(exc, discord.Forbidden):
            self._report(f"403:{doing}:{channel.id}",
                         f"Discord refused to {doing} in #{channel.name} ({channel.id}): "
                         f"missing permissions. Fix: give the bot's role View Channel, Send "
                         f"Messages, Manage Messages and Timeout Members there "
                         f"({exc.text})")
        elif isinstance(exc, discord.NotFound):
            self._report(f"404:{doing}:{channel.id}",
                         f"Discord could not {doing} in #{channel.name} ({channel.id}): it "
                         f"no longer exists. Fix: remove it from the config ({exc.text})")
        else:
            log.warning("Discord error while trying to %s in #%s: %s %s", doing,
                        channel.name, exc.status, exc.text)

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

    async def send(self, channel: Channel, text: str, *, buttons: Sequence[Button] = (),
                   reply_to: Message | None = None, mention: User | None = None,
                   ephemeral: bool = False, file: Path | None = None) -> str | None:
        if self.client is None:
            return None
        allowed = discord.AllowedMentions(
            everyone=False, roles=False, replied_user=mention is not None,
            users=[discord.Object(int(mention.id))] if mention and mention.id.isdigit()
            else False)
        view = await self._view(buttons)
        pending = self._pending.get(reply_to.id) if reply_to is not None else None
        if pending is not None and time.monotonic() - pending.started > FOLLOWUP_LIFETIME:
            pending = None  # too late for a follow-up: post in the channel instead
        try:
            attachment = _attachment(file)
            if pending is not None:
                return await pending.send(text, view=view, allowed=allowed,
                                          ephemeral=ephemeral, file=attachment)
            target = self._messageable(channel)
            kwargs: dict[str, Any] = {"allowed_mentions": allowed}
            if view is not None:
                kwargs["view"] = view
            if attachment is not None:
                kwargs["file"] = attachment
            if reply_to is not None and reply_to.id.isdigit():
                kwargs["reference"] = discord.MessageReference(
                    message_id=int(reply_to.id), channel_id=int(channel.id),
                    fail_if_not_exists=False)
            sent = await target.send(text, **kwargs)
            return str(sent.id)
        except discord.HTTPException as exc:
            self._http_problem(exc, channel, "post")
            return None

    def _messageable(self, channel: Channel) -> discord.abc.Messageable:
        assert self.client is not None
        found = self.client.get_channel(int(channel.id))
        if isinstance(found, discord.abc.Messageable):
            return found
        return self.client.get_partial_messageable(int(channel.id))

    def _guild_of(self, channel: Channel) -> discord.Guild | None:
        if self.client is None or not channel.id.isdigit():
            return None
        found = self.client.get_channel(int(channel.id))
        return getattr(found, "guild", None)

    async def delete(self, message: Message) -> bool:
        if self.client is None or not message.id.isdigit():
            return False
        try:
            await self.client.http.delete_message(int(message.channel.id), int(message.id),
                                                  reason="cmbot moderation")
            return True
        except discord.NotFound:
            return True  # already gone
        except discord.HTTPException as exc:
            self._http_problem(exc, message.channel, "delete a message")
            return False

    async def timeout(self, user: User, channel: Channel, seconds: int, reason: str) -> bool:
        guild = self._guild_of(channel)
        if guild is None or self.client is None:
            return False
        until = datetime.now(UTC) + timedelta(seconds=min(int(seconds), MAX_TIMEOUT))
        try:
            await self.client.http.edit_member(guild.id, int(user.id), reason=reason[:512],
                                               communication_disabled_until=until.isoformat())
            return True
        except discord.HTTPException as exc:
            self._http_problem(exc, channel, "time out a member")
            return False

    async def ban(self, user: User, channel: Channel, reason: str) -> bool:
        guild = self._guild_of(channel)
        if guild is None or self.client is None:
            return False
        try:
            await self.client.http.ban(int(user.id), guild.id, 0, reason=reason[:512])
            return True
        except discord.HTTPException as exc:
            self._http_problem(exc, channel, "ban a member")
            return False

    async def upsert_native_event(self, channel: Channel, native_id: str | None, *,
                                  title: str, starts_at: float, ends_at: float,
                                  description: str, location: str) -> str | None:
        guild = self._guild_of(channel)
        if guild is None or self.client is None:
            return None
        payload: dict[str, Any] = {
            "name": title[:100] or "Event",
            "scheduled_start_time": datetime.fromtimestamp(starts_at, UTC).isoformat(),
            "scheduled_end_time": datetime.fromtimestamp(max(ends_at, starts_at + 60),
                                                         UTC).isoformat(),
            "description": description[:1000],
            "entity_type": discord.EntityType.external.value,
            "privacy_level": discord.PrivacyLevel.guild_only.value,
            "entity_metadata": {"location": (location or "online")[:100]},
        }
        http = self.client.http
        try:
            if native_id:
                data = await http.edit_scheduled_event(guild.id, int(native_id), **payload)
            else:
                data = await http.create_guild_scheduled_event(guild.id, **payload)
        except discord.HTTPException as exc:
            self._http_problem(exc, channel, "manage scheduled events")
            return None
        return str(data["id"])

    async def delete_native_event(self, channel: Channel, native_id: str) -> bool:
        guild = self._guild_of(channel)
        if guild is None or self.client is None or not native_id.isdigit():
            return False
        try:
            await self.client.http.delete_scheduled_event(guild.id, int(native_id))
            return True
        except discord.NotFound:
            return True
        except discord.HTTPException as exc:
            self._http_problem(exc, channel, "manage scheduled events")
            return False

    def channel(self, ref: str) -> Channel | None:
        """``general`` or ``1234``: a text channel of a served server (ids are exact;
        a name matches the first server that has it)."""
        if self.client is None:
            return None
        wanted = ref.lstrip("#").lower()
        for guild in self.client.guilds:
            if not self._serves(guild):
                continue
            for found in guild.text_channels:
                if str(found.id) == wanted or found.name.lower() == wanted:
                    return self._channel(found)
        return None
