"""The Discord adapter (discord.py 2.7): the connection and its lifecycle, gateway
messages in, messages out. Interactions (slash commands, buttons) are in
:mod:`.interactions`, moderation and scheduled events in :mod:`.moderation`.
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import discord

from ...config import Secret
from ...model import Button, Channel, Message, Platform, User
from ...supervise import Backoff, supervise
from ..base import Capability, InFlight
from ..state import PlatformState
from .gateway import fatal_cause
from .interactions import (
    FOLLOWUP_LIFETIME,
    DiscordInteractions,
    InteractionState,
    PendingInteraction,
)
from .invite import invite_url
from .moderation import DiscordModeration
from .roles import RoleMap
from .shared import MISSING_ACCESS
from .slash import build_payload, payload_hash

if TYPE_CHECKING:
    from ...commands import Command
    from ..base import Inbound

log = logging.getLogger("cmbot.discord")
# The bot never joins voice: no warnings about voice libraries at every start.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False

MAX_FILE_BYTES = 8 * 1024 * 1024  # what every server accepts
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

    def _get_state(self, **options: Any) -> Any:
        return InteractionState(dispatch=self.dispatch, handlers=self._handlers,
                                hooks=self._hooks, http=self.http, **options)

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


class DiscordAdapter(DiscordInteractions, DiscordModeration):
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
        self.homes: frozenset[int] | None = None
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
        self._stopping = False
        self.backoff = Backoff()
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
        self._stopping = False
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
        self._task = asyncio.create_task(self._connection(), name="cmbot-discord")
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

    async def _connection(self) -> None:
        """The first connection (``start`` waits for its READY), then, if it ends, the
        supervised reconnections (discord.py resumes within one connection by itself)."""
        assert self.client is not None and self.bot is not None
        try:
            await self.client.connect(reconnect=True)
            error: Exception = ConnectionError("the Discord connection closed")
        except Exception as exc:  # noqa: BLE001 - reported through start() or supervised
            error = exc
        if self._stopping:
            return
        if not self._ready.is_set():
            cause = fatal_cause(error)
            self._failure = RuntimeError(cause) if cause else error
            self._ready.set()
            return
        pending: list[Exception] = [error]  # the supervisor reports this first end
        bot = self.bot

        async def once() -> None:
            if pending:
                raise pending.pop()
            await self._reconnect()
            if self._stopping:
                raise asyncio.CancelledError
            raise ConnectionError("the Discord connection closed")

        await supervise("Discord connection", once, fatal=fatal_cause,
                        status=lambda state, detail: bot.platform_status(
                            Platform.DISCORD, state, detail),
                        backoff=self.backoff)

    async def _reconnect(self) -> None:
        assert self.client is not None
        if self._stopping:
            raise asyncio.CancelledError
        ws = self.client.ws
        if ws is not None and not ws.socket.closed:
            await ws.close(code=1000)  # the socket an unexpected error left behind
        if self.client.is_closed():
            self.client.clear()
            await self.client.login(self._token)
        await self.client.connect(reconnect=True)

    async def stop(self) -> None:
        self._stopping = True
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
        if self.homes is None:  # fixed at the first connection: a server the bot joins
            self._bind_homes()  # later never takes over the channels named by name
        if self.sync_commands:
            await self._sync_commands()
        self._ready.set()
        if self.bot is not None:
            self.bot.platform_status(Platform.DISCORD, "connected", "")

    def _bind_homes(self) -> None:
        """Decide which servers bare channel names mean; report config references that
        name no channel for it, with the fix."""
        assert self.client is not None and self.bot is not None
        guilds = self.client.guilds
        if self.guild_ids:
            self.homes = frozenset(self.guild_ids)
        else:
            self.homes = frozenset(g.id for g in guilds) if len(guilds) == 1 else frozenset()
        config = self.bot.config
        places = [(f"communities.{c.name}", ref) for c in config.communities
                  for ref in (*c.channels, *c.mod_channels, *c.announce_channels)]
        places += [(f'channels."{ref}"', ref) for ref in config.channel_overrides]
        servers = ", ".join(f"{g.name} ({g.id})" for g in guilds)
        example = guilds[0].id if guilds else "SERVER_ID"
        for where, ref in places:
            if not ref.startswith("discord:") or self.bind(ref):
                continue
            rest = ref.partition(":")[2].lstrip("#")
            if "/" in rest or rest.isdigit():
                fix = ("it is in a server not listed in [discord] guild_ids. Fix: add the "
                       "server's id to guild_ids")
            elif not guilds:
                fix = ("the bot is in no server yet. Fix: invite it and restart, or set "
                       "[discord] guild_ids")
            else:
                what = "takes every channel" if rest == "*" else "names a channel by name only"
                fix = (f"it {what}, and the bot is in {len(guilds)} servers ({servers}) with "
                       f"no [discord] guild_ids to say which one, so another server's "
                       f"channels could join the community. Fix: set guild_ids = "
                       f"[\"{example}\"] or write \"discord:{example}/{rest}\"")
            self._report(f"bind:{where}:{ref}", f"[{where}] {ref!r} is not used: {fix}")

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
            if exc.status == 403 or exc.code == MISSING_ACCESS:
                fix = (f"invite the bot with the applications.commands scope: "
                       f"{invite_url(app_id)}")
            elif exc.status == 400:
                fix = ("Discord rejected a command definition (a name, description or "
                       "option a plugin gave): the error above names it; fix that plugin's "
                       "command")
            else:
                fix = "none needed here; they are published again at the next start"
            log.error("publishing %d slash commands failed (%s, code %s: %s). Fix: %s",
                      len(payload), exc.status, exc.code, exc.text, fix)
            return
        await self.state.set(key, digest)
        self.commands_synced += 1
        log.info("published %d slash commands", len(payload))

    # --- inbound ---------------------------------------------------------------------

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
        reply_to = message.reference.message_id if message.reference else None
        core = Message(str(message.id), Platform.DISCORD, self._channel(message.channel),
                       self._user(message.author), message.content,
                       message.created_at, reply_to=str(reply_to) if reply_to else None)
        if edited:
            await self.bot.handle_edit(core)
        else:
            await self.bot.handle_message(core)

    # --- outbound --------------------------------------------------------------------

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

    def channel(self, ref: str) -> Channel | None:
        """``general``, ``GUILD_ID/general`` or ``1234``: a text channel of a served server
        (a bare name only in a home server, see :meth:`bind`)."""
        if self.client is None:
            return None
        for bound in self.bind(f"discord:{ref}"):
            wanted = bound.partition(":")[2].lstrip("#").lower()
            guild_id, _, wanted = wanted.rpartition("/")
            for guild in self.client.guilds:
                if not self._serves(guild) or (guild_id and str(guild.id) != guild_id):
                    continue
                for found in guild.text_channels:
                    if str(found.id) == wanted or (guild_id and found.name.lower() == wanted):
                        return self._channel(found)
        return None
