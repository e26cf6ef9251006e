"""The Twitch adapter (twitchio 3): chat arrives through EventSub ``channel.chat.message``
(one subscription per joined channel, on the bot account's user token) and leaves through
Helix ``chat/messages``; moderation uses the Helix moderation endpoints.

Tokens: the bot account's user token and refresh token come from the config (environment)
the first time; every refresh twitchio makes is stored in the bot's database and preferred
at the next start. Tokens are never logged (twitchio's own invalid-token errors contain the
token, so they are caught here and replaced by a message without it).

Shared chat: a message shown in our channel but sent in another participant's channel
(``source_broadcaster`` set and different) is ignored: that channel's moderators and bot
own it, and answering it would answer every shared channel at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import twitchio
from twitchio import eventsub

from ...config import Secret
from ...model import Button, Channel, Message, Platform, Role, User
from ...tasks import cancel_and_wait
from ..base import Capability, InFlight
from ..state import PlatformState
from .moderation import TwitchModeration

if TYPE_CHECKING:
    from ..base import Inbound

log = logging.getLogger("cmbot.twitch")


def _network_problem(exc: BaseException) -> str:
    """One line for a connection failure (aiohttp's own repr runs to several lines)."""
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return f"cannot resolve {exc.host}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot connect to {exc.host}:{exc.port}"
    return type(exc).__name__ + (f": {exc}" if str(exc) else "")


class _NoStarletteHint(logging.Filter):
    """twitchio suggests an optional web framework at every start; cmbot does not use it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "StarletteAdapter" not in record.getMessage()


logging.getLogger("twitchio.client").addFilter(_NoStarletteHint())

MAX_CHANNELS = 300  # chat subscriptions per EventSub websocket
BOT_SCOPES = ("user:read:chat", "user:write:chat", "user:bot",
              "moderator:manage:chat_messages", "moderator:manage:banned_users",
              "moderator:manage:warnings")
BROADCASTER_SCOPES = ("channel:bot",)
TOKEN_KEY = "twitch:tokens"


def role_of(chatter: Any) -> Role:
    """Badges to core roles: broadcaster, moderator (lead moderators too), vip,
    subscriber (founders too)."""
    if getattr(chatter, "broadcaster", False):
        return Role.BROADCASTER
    if getattr(chatter, "moderator", False):
        return Role.MODERATOR
    if getattr(chatter, "vip", False):
        return Role.VIP
    if getattr(chatter, "subscriber", False):
        return Role.SUBSCRIBER
    badges = {getattr(b, "set_id", "") for b in getattr(chatter, "badges", [])}
    if "lead_moderator" in badges:
        return Role.MODERATOR
    if "founder" in badges:
        return Role.SUBSCRIBER
    return Role.EVERYONE


class _Client(twitchio.Client):
    def __init__(self, adapter: TwitchAdapter, **options: Any) -> None:
        super().__init__(**options)
        self.cmbot_adapter = adapter

    async def event_message(self, payload: twitchio.ChatMessage) -> None:
        with self.cmbot_adapter._inflight:
            await self.cmbot_adapter._on_chat(payload)

    async def event_token_refreshed(self, payload: Any) -> None:
        await self.cmbot_adapter._store_tokens(str(payload.user_id), payload.token,
                                         payload.refresh_token)

    async def event_error(self, payload: Any) -> None:
        log.error("twitch event handler %s failed: %s", getattr(payload, "listener", "?"),
                  type(getattr(payload, "error", None)).__name__)


class TwitchAdapter(TwitchModeration):
    """One Twitch bot account in any number of channels."""

    platform = Platform.TWITCH
    capabilities = frozenset({Capability.DELETE, Capability.TIMEOUT, Capability.BAN,
                              Capability.WARN})

    def __init__(self, section: dict[str, Any], *, live_poll_seconds: float = 60.0) -> None:
        def secret(key: str) -> str:
            value = section.get(key)
            return value.reveal() if isinstance(value, Secret) else str(value or "")

        self._client_id = secret("client_id")
        self._client_secret = secret("client_secret")
        self._token = secret("bot_token")
        self._refresh = secret("refresh_token")
        self.bot_id = str(section.get("bot_id") or "")
        self.logins = [str(c).lstrip("#").lower() for c in section.get("channels", [])]
        self.client: _Client | None = None
        self.bot: Inbound | None = None
        self.bot_user: User | None = None
        self.state: PlatformState | None = None
        self.channels: dict[str, Channel] = {}  # broadcaster id -> channel
        self._by_login: dict[str, Channel] = {}
        self._moderator_in: set[str] = set()
        self._reported: set[str] = set()
        self.subscribed: list[str] = []
        self.failed: dict[str, str] = {}  # login -> what to fix
        self._inflight = InFlight()
        self.live_poll_seconds = live_poll_seconds
        self._live: dict[str, bool] = {}  # broadcaster id -> live, once polled
        self._live_task: asyncio.Task[None] | None = None

    # --- lifecycle -------------------------------------------------------------------

    async def start(self, bot: Inbound) -> None:
        if not (self._client_id and self._client_secret):
            raise RuntimeError("[twitch] client_id and client_secret are empty. Fix: register "
                               "an application at dev.twitch.tv/console and export them")
        self.bot = bot
        self.state = PlatformState(bot.storage)
        await self.state.open()
        self.client = _Client(self, client_id=self._client_id,
                              client_secret=self._client_secret,
                              bot_id=self.bot_id or None, fetch_client_user=False)
        try:
            try:
                await self.client.login(load_tokens=False, save_tokens=False)
            except twitchio.HTTPException as exc:
                raise RuntimeError(f"Twitch refused the app credentials ({exc.status}). Fix: "
                                   f"check [twitch] client_id and client_secret") from None
            user_id = await self._add_user_token()
            if self.bot_id and user_id != self.bot_id:
                raise RuntimeError(f"[twitch] bot_id is {self.bot_id} but the bot token "
                                   f"belongs to user {user_id}. Fix: set bot_id = "
                                   f"\"{user_id}\" or use that account's token")
            self.bot_id = user_id
            await self._join(self.logins)
            if self.channels:
                await self._poll_live()
                self._live_task = asyncio.create_task(self._live_loop(),
                                                      name="cmbot-twitch-live")
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            await self.client.close()
            self.client = None
            raise RuntimeError(f"could not reach Twitch ({_network_problem(exc)}); check the "
                               f"network (DNS, firewall, proxy) and start again") from None
        except BaseException:
            await self.client.close()
            self.client = None
            raise

    async def _add_user_token(self) -> str:
        """Add the stored (refreshed) token, else the configured one; returns the user id."""
        assert self.client is not None and self.state is not None
        candidates: list[tuple[str, str, str]] = []
        stored = await self.state.get(TOKEN_KEY)
        if stored:
            data = json.loads(stored)
            candidates.append(("stored", data["token"], data["refresh"]))
        if self._token:
            candidates.append(("configured", self._token, self._refresh))
        if not candidates:
            raise RuntimeError("[twitch] no bot token: none stored and bot_token is empty. "
                               "Fix: run `cmbot twitch-auth` (it stores the token in the "
                               "bot's database)")
        for origin, token, refresh in candidates:
            try:
                validated = await self.client.add_token(token, refresh)
            except twitchio.InvalidTokenException:
                log.warning("the %s Twitch bot token is invalid and could not be refreshed",
                            origin)  # twitchio's own message contains the token: not logged
                continue
            if not validated.user_id:
                raise RuntimeError("[twitch] bot_token is an app token, not a user token. Fix: "
                                   "run `cmbot twitch-auth` as the bot account")
            missing = [s for s in BOT_SCOPES if s not in set(validated.scopes or [])]
            if missing:
                log.error("the Twitch bot token lacks scopes %s; some actions will fail. Fix: "
                          "run `cmbot twitch-auth` again", ", ".join(missing))
            # twitchio may have refreshed the token while adding it: store what it holds
            held = getattr(self.client._http, "_tokens", {}).get(str(validated.user_id), {})
            await self._store_tokens(str(validated.user_id), held.get("token", token),
                                     held.get("refresh", refresh))
            login = validated.login or str(validated.user_id)
            self.bot_user = User(Platform.TWITCH, str(validated.user_id), login, login,
                                 Role.MODERATOR, is_bot=True)
            return str(validated.user_id)
        raise RuntimeError("Twitch refused every bot token (stored and configured). Fix: run "
                           "`cmbot twitch-auth` again")

    async def _store_tokens(self, user_id: str, token: str, refresh: str) -> None:
        if self.state is None or (self.bot_id and user_id != self.bot_id):
            return
        await self.state.set(TOKEN_KEY, json.dumps({"user_id": user_id, "token": token,
                                                    "refresh": refresh}))

    async def _join(self, logins: Sequence[str]) -> None:
        """Subscribe to chat in each channel; a refusal is reported with its fix."""
        assert self.client is not None
        if not logins:
            log.warning("[twitch] channels is empty: the bot joins no channel")
            return
        found: dict[str, Any] = {}
        for start in range(0, len(logins), 100):  # Helix takes 100 logins per request
            users = await self.client.fetch_users(logins=list(logins[start:start + 100]))
            found.update({u.name.lower(): u for u in users if u.name})
        for login in logins:
            user = found.get(login)
            if user is None:
                self.failed[login] = "no such Twitch channel; check [twitch] channels"
                log.error("Twitch channel %r does not exist; check [twitch] channels", login)
                continue
            channel = Channel(Platform.TWITCH, str(user.id), login)
            self.channels[str(user.id)] = channel
            self._by_login[login] = channel
            if str(user.id) == self.bot_id:
                self._moderator_in.add(str(user.id))
            sub = eventsub.ChatMessageSubscription(broadcaster_user_id=str(user.id),
                                                   user_id=self.bot_id)
            try:
                await self.client.subscribe_websocket(sub, token_for=self.bot_id)
            except twitchio.HTTPException as exc:
                fix = ("the bot token needs the user:read:chat scope (run `cmbot twitch-auth`)"
                       if exc.status == 403 else f"Twitch answered {exc.status}")
                self.failed[login] = fix
                log.error("cannot read chat in #%s: %s", login, fix)
                continue
            except ValueError:  # twitchio: no websocket has room for another subscription
                for rest in logins[logins.index(login):]:
                    self.failed[rest] = (f"over {MAX_CHANNELS} channels: Twitch allows "
                                         f"{MAX_CHANNELS} chat subscriptions per connection; "
                                         f"run a second bot process for the others")
                log.error("joined %d Twitch channels; %d more were not joined (Twitch allows "
                          "%d per connection)", len(self.subscribed),
                          len(logins) - logins.index(login), MAX_CHANNELS)
                return
            self.subscribed.append(login)

    async def _poll_live(self) -> None:
        """Which joined channels are live (Helix streams, 100 per request)."""
        assert self.client is not None
        ids = list(self.channels)
        live: set[str] = set()
        for start in range(0, len(ids), 100):
            batch: list[int | str] = [*ids[start:start + 100]]
            async for stream in self.client.fetch_streams(user_ids=batch, type="live",
                                                          first=100):
                live.add(str(stream.user.id))
        self._live = {channel_id: channel_id in live for channel_id in ids}

    async def _live_loop(self) -> None:
        while True:
            await asyncio.sleep(self.live_poll_seconds)
            try:
                await self._poll_live()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - live status is best effort
                log.warning("could not read live status from Twitch: %s", type(exc).__name__)

    def is_live(self, channel: Channel) -> bool | None:
        """Polled every minute; None until the first answer (live-only timers then post)."""
        return self._live.get(channel.id)

    async def stop(self) -> None:
        await cancel_and_wait(self._live_task)
        self._live_task = None
        if self.client is not None:
            try:
                await self.client.close()
            except Exception:  # noqa: BLE001 - closing must not fail the shutdown
                log.exception("closing the Twitch client failed")
            self.client = None
        await self._inflight.drain()
        self.bot = None

    # --- inbound ---------------------------------------------------------------------

    async def _on_chat(self, payload: twitchio.ChatMessage) -> None:
        bot = self.bot
        if bot is None:
            return
        broadcaster_id = str(payload.broadcaster.id)
        chatter = payload.chatter
        if str(chatter.id) == self.bot_id:
            # our own message: its badges tell whether the bot moderates here
            if role_of(chatter) >= Role.MODERATOR:
                self._moderator_in.add(broadcaster_id)
            else:
                self._moderator_in.discard(broadcaster_id)
            return
        source = payload.source_broadcaster
        if source is not None and str(source.id) != broadcaster_id:
            return  # shared chat: sent in another channel (see the module docstring)
        channel = self.channels.get(broadcaster_id)
        if channel is None:
            login = str(payload.broadcaster.name or broadcaster_id).lower()
            channel = Channel(Platform.TWITCH, broadcaster_id, login)
        author = User(Platform.TWITCH, str(chatter.id), str(chatter.name or chatter.id).lower(),
                      str(chatter.display_name or chatter.name or chatter.id), role_of(chatter))
        reply = payload.reply
        message = Message(str(payload.id), Platform.TWITCH, channel, author, payload.text or "",
                          datetime.now().astimezone(),
                          reply_to=str(reply.parent_message_id) if reply else None)
        await bot.handle_message(message)

    # --- outbound --------------------------------------------------------------------

    async def send(self, channel: Channel, text: str, *, buttons: Sequence[Button] = (),
                   reply_to: Message | None = None, mention: User | None = None,
                   ephemeral: bool = False, file: Path | None = None) -> str | None:
        broadcaster = self._broadcaster(channel)
        if broadcaster is None:
            return None
        if mention is not None and f"@{mention.name}" not in text:
            text = f"@{mention.name} {text}"
        text = text if len(text) <= 500 else text[:499] + "…"
        reply_id = reply_to.id if reply_to is not None and not reply_to.interactive else None
        try:
            sent = await broadcaster.send_message(text, self.bot_id, token_for=self.bot_id,
                                                  reply_to_message_id=reply_id)
        except twitchio.MessageRejectedError as exc:
            code = exc.code or "rejected"
            self._report(f"rejected:{channel.id}:{code}",
                         f"Twitch dropped a message in #{channel.name} ({code}): "
                         f"{exc.message or 'no reason given'}. Further drops for the same "
                         f"reason in this channel are not logged again")
            return None
        except twitchio.HTTPException as exc:
            if exc.status == 429:
                log.warning("Twitch rate-limited a send in #%s; the outbound limit "
                            "([ratelimit] twitch_messages) may be set too high", channel.name)
            elif exc.status in (401, 403):
                self._report(f"send:{channel.id}:{exc.status}",
                             f"Twitch refused to post in #{channel.name} ({exc.status}). Fix: "
                             f"the bot token needs user:write:chat, and the bot must not be "
                             f"banned there")
            else:
                log.warning("posting in #%s failed: %s", channel.name, exc.status)
            return None
        return str(sent.id)

    def channel(self, ref: str) -> Channel | None:
        name = ref.lstrip("#").lower()
        return self._by_login.get(name) or self.channels.get(name)

    def is_moderator_in(self, channel: Channel) -> bool:
        return channel.id in self._moderator_in
