"""A local fake of the Discord REST API and gateway (aiohttp), enough for discord.py 2.7 to
log in, connect, receive messages and interactions, and for the adapter's calls to land.

Point discord.py at it with :meth:`FakeDiscord.patch` (``discord.http.Route.BASE`` and
``DiscordWebSocket.DEFAULT_GATEWAY``). Everything the bot does is recorded.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import WSMsgType, web

from .local_server import LocalServer
from .local_server import json_response as _json

GUILD_ID = 1000
APP_ID = 1_180_000_000_000_004_242  # a snowflake, as real application ids are
BOT_ID = APP_ID
EVERYONE_PERMS = (1 << 10) | (1 << 11) | (1 << 16) | (1 << 31)  # view, send, history, slash
MOD_PERMS = (1 << 13) | (1 << 40)  # manage messages, moderate members
CHANNELS = {"general": 2001, "mod-log": 2002, "announcements": 2003}
MOD_ROLE = 3001
HELPER_ROLE = 3002  # no permissions: a bot config may still call it a moderator role
CHANNEL_MOD = 13
"""A member given Manage Messages and Timeout Members in #general only (an overwrite)."""
OTHER_GUILD = 5000
"""A second server, owned by someone else: its own #general, and a channel named like the
first server's #general id."""
OTHER_CHANNELS = {"general": 6001, str(CHANNELS["general"]): 6002, "mod-log": 6003}
OTHER_OWNER = 66
GUILDS = {GUILD_ID: ("Fake Guild", 1, CHANNELS),
          OTHER_GUILD: ("Other Guild", OTHER_OWNER, OTHER_CHANNELS)}


@dataclass
class Call:
    """One REST request the bot made."""

    method: str
    path: str
    body: Any
    at: float = field(default_factory=time.perf_counter)


def _user(uid: int, name: str, bot: bool = False) -> dict[str, Any]:
    return {"id": str(uid), "username": name, "discriminator": "0", "global_name": name,
            "avatar": None, "bot": bot}


def _now() -> str:
    return datetime.now(UTC).isoformat()


class FakeDiscord(LocalServer):
    """Discord's side of the wire for one guild with three text channels (and a second
    guild the bot is in when ``in_other_guild`` is set, or joins with :meth:`join_other`)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[Call] = []
        self.messages: list[dict[str, Any]] = []
        self.commands: list[dict[str, Any]] = []
        self.events: dict[str, dict[str, Any]] = {}
        self.identifies = 0
        self.resumes = 0
        self.ws: web.WebSocketResponse | None = None
        self._request: web.Request | None = None
        self.seq = 0
        self.ids = itertools.count(900_000)
        self.forbidden_channels: set[int] = set()
        self.deleted_channels: set[int] = set()
        self.connected = asyncio.Event()
        self.session = "sess-1"
        self.refuse_intents = False
        self.forbid_timeouts = False  # 403, as without the Timeout Members permission
        self.uploads: dict[str, bytes] = {}  # close with 4014, as Discord does without the intent
        self.in_other_guild = False
        self.command_error: tuple[int, int, str] | None = None  # status, code, message
        self.unrouted: set[str] = set()  # path parts answered as a route Discord lacks

    # --- server ----------------------------------------------------------------------

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{id}/{name}", self._attachment)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        await self.stop_server()

    def patch(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import discord.gateway
        import discord.http
        import yarl

        monkeypatch.setattr(discord.http.Route, "BASE", f"{self.base}/api/v10")
        monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY",
                            yarl.URL(f"ws://127.0.0.1:{self.port}/gateway"))

    # --- gateway ---------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.ws = ws
        self._request = request
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250},
                                      "s": None, "t": None}))
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                break
            data = json.loads(msg.data)
            op = data.get("op")
            if op == 1:
                await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
            elif op == 2 and self.refuse_intents:
                await ws.close(code=4014, message=b"Disallowed intent(s).")
                break
            elif op == 2:
                self.identifies += 1
                self.seq = 0
                await self.dispatch("READY", self._ready())
                await self.dispatch("GUILD_CREATE", self._guild())
                if self.in_other_guild:
                    await self.dispatch("GUILD_CREATE", self._guild(OTHER_GUILD))
                self.connected.set()
            elif op == 6:
                self.resumes += 1
                await self.dispatch("RESUMED", {})
                self.connected.set()
        if self.ws is ws:
            self.ws = None
        return ws

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        assert self.ws is not None, "the bot is not connected"
        self.seq += 1
        await self.ws.send_str(json.dumps({"op": 0, "t": event, "s": self.seq, "d": data}))

    async def reconnect(self) -> None:
        """Ask the bot to reconnect (op 7); discord.py resumes the session."""
        assert self.ws is not None
        self.connected.clear()
        await self.ws.send_str(json.dumps({"op": 7, "d": None, "s": None, "t": None}))
        await asyncio.wait_for(self.connected.wait(), 10)

    async def join_other(self) -> None:
        """Someone invites the bot to the second server while it runs."""
        self.in_other_guild = True
        await self.dispatch("GUILD_CREATE", self._guild(OTHER_GUILD))

    # --- chaos: what a real gateway sometimes does ------------------------------------

    async def send_raw(self, payload: dict[str, Any] | None) -> None:
        """Send a gateway frame as is (an event the client cannot parse)."""
        assert self.ws is not None, "the bot is not connected"
        await self.ws.send_str(json.dumps(payload))

    async def close_socket(self, code: int, reason: str = "") -> None:
        """Close the gateway connection with a close code (4004 bad token, 4014 intents)."""
        assert self.ws is not None, "the bot is not connected"
        self.connected.clear()
        await self.ws.close(code=code, message=reason.encode())

    async def drop(self) -> None:
        """Cut the socket mid-stream without a close frame."""
        assert self.ws is not None and self._request is not None
        self.connected.clear()
        transport = self._request.transport
        if transport is not None:
            transport.abort()

    def _ready(self) -> dict[str, Any]:
        guilds = [GUILD_ID, OTHER_GUILD] if self.in_other_guild else [GUILD_ID]
        return {"v": 10, "user": _user(BOT_ID, "cmbot", bot=True),
                "guilds": [{"id": str(g), "unavailable": True} for g in guilds],
                "session_id": self.session, "session_type": "normal",
                "resume_gateway_url": f"ws://127.0.0.1:{self.port}/gateway",
                "application": {"id": str(APP_ID), "flags": 0}, "private_channels": [],
                "relationships": [], "presences": [], "geo_ordered_rtc_regions": [],
                "shard": [0, 1]}

    def _guild(self, gid: int = GUILD_ID) -> dict[str, Any]:
        name, owner, channels = GUILDS[gid]
        return {
            "id": str(gid), "name": name, "owner_id": str(owner), "icon": None,
            "roles": [
                {"id": str(gid), "name": "@everyone", "permissions": str(EVERYONE_PERMS),
                 "position": 0, "color": 0, "hoist": False, "managed": False,
                 "mentionable": False, "flags": 0},
                {"id": str(MOD_ROLE), "name": "Mods", "permissions": str(MOD_PERMS),
                 "position": 1, "color": 0, "hoist": False, "managed": False,
                 "mentionable": False, "flags": 0},
                {"id": str(HELPER_ROLE), "name": "Helpers", "permissions": "0",
                 "position": 2, "color": 0, "hoist": False, "managed": False,
                 "mentionable": False, "flags": 0},
            ],
            "channels": [{"id": str(cid), "type": 0, "name": cname, "position": i,
                          "permission_overwrites": [
                              {"id": str(CHANNEL_MOD), "type": 1, "allow": str(MOD_PERMS),
                               "deny": "0"}] if cname == "general" else [],
                          "guild_id": str(gid),
                          "nsfw": False, "parent_id": None}
                         for i, (cname, cid) in enumerate(channels.items())],
            "members": [], "member_count": 3, "large": False, "unavailable": False,
            "features": [], "emojis": [], "stickers": [], "voice_states": [],
            "presences": [], "threads": [], "stage_instances": [],
            "guild_scheduled_events": [], "joined_at": _now(), "verification_level": 0,
            "default_message_notifications": 0, "explicit_content_filter": 0,
            "mfa_level": 0, "premium_tier": 0, "preferred_locale": "en-US",
            "system_channel_id": None, "afk_channel_id": None, "afk_timeout": 300,
            "nsfw_level": 0,
        }

    @staticmethod
    def member(uid: int, name: str, *, mod: bool = False,
               roles: tuple[int, ...] = ()) -> dict[str, Any]:
        roles = (MOD_ROLE, *roles) if mod else roles
        return {"user": _user(uid, name), "roles": [str(r) for r in roles],
                "joined_at": _now(), "deaf": False, "mute": False, "flags": 0,
                "nick": None, "premium_since": None, "pending": False}

    async def say(self, channel: str, uid: int, name: str, content: str, *,
                  mod: bool = False, guild: int = GUILD_ID, roles: tuple[int, ...] = ()) -> str:
        """A user posts in a channel (MESSAGE_CREATE); returns the message id."""
        member = self.member(uid, name, mod=mod, roles=roles)
        user = member.pop("user")
        mid = str(next(self.ids))
        await self.dispatch("MESSAGE_CREATE", {
            "id": mid, "channel_id": str(GUILDS[guild][2][channel]), "guild_id": str(guild),
            "author": user, "member": member, "content": content, "timestamp": _now(),
            "edited_timestamp": None, "tts": False, "mention_everyone": False,
            "mentions": [], "mention_roles": [], "attachments": [], "embeds": [],
            "pinned": False, "type": 0, "flags": 0, "components": []})
        return mid

    async def edit(self, channel: str, mid: str, uid: int, name: str, content: str) -> None:
        """A user edits message ``mid`` (MESSAGE_UPDATE with the whole message)."""
        member = self.member(uid, name)
        user = member.pop("user")
        await self.dispatch("MESSAGE_UPDATE", {
            "id": mid, "channel_id": str(CHANNELS[channel]), "guild_id": str(GUILD_ID),
            "author": user, "member": member, "content": content, "timestamp": _now(),
            "edited_timestamp": _now(), "tts": False, "mention_everyone": False,
            "mentions": [], "mention_roles": [], "attachments": [], "embeds": [],
            "pinned": False, "type": 0, "flags": 0, "components": []})

    async def interact(self, channel: str, uid: int, name: str, data: dict[str, Any], *,
                       kind: int = 2, mod: bool = False, message: dict | None = None,
                       guild: int = GUILD_ID, roles: tuple[int, ...] = (),
                       channel_perms: int = 0, channel_object: bool = True,
                       channel_id: bool = True) -> str:
        """A user runs a slash command (kind 2), presses a button (3) or types in an
        autocompleted option (4); returns the interaction id. ``channel_perms``: what the
        user may do in this channel on top of their roles (an overwrite); without
        ``channel_object`` (and ``channel_id``) the payload leaves the channel out."""
        iid = str(next(self.ids))
        member = self.member(uid, name, mod=mod, roles=roles)
        perms = EVERYONE_PERMS | (MOD_PERMS if mod else 0) | channel_perms
        member["permissions"] = str(perms)
        cid = str(GUILDS[guild][2][channel])
        payload: dict[str, Any] = {
            "id": iid, "application_id": str(APP_ID), "type": kind, "token": f"tok{iid}",
            "version": 1, "guild_id": str(guild), "channel_id": cid,
            "channel": {"id": cid, "type": 0, "name": channel,
                        "guild_id": str(guild), "permissions": str(perms)},
            "member": member, "data": data, "locale": "en-US", "guild_locale": "en-US",
            "app_permissions": str(EVERYONE_PERMS | MOD_PERMS), "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild)}, "context": 0,
            "attachment_size_limit": 8388608}
        if not channel_object:
            del payload["channel"]
        if not channel_id:
            del payload["channel_id"]
        if message is not None:
            payload["message"] = {k: v for k, v in message.items() if k not in _RECORD_ONLY}
        await self.dispatch("INTERACTION_CREATE", payload)
        return iid

    def upload(self, name: str, data: bytes) -> dict[str, Any]:
        """A file a user attaches to a slash command: its resolved attachment object."""
        aid = str(next(self.ids))
        self.uploads[aid] = data
        url = f"{self.base}/attachments/{aid}/{name}"
        return {"id": aid, "filename": name, "size": len(data), "url": url, "proxy_url": url,
                "content_type": "text/plain"}

    async def _attachment(self, request: web.Request) -> web.Response:
        data = self.uploads.get(request.match_info["id"])
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data)

    # --- REST ------------------------------------------------------------------------

    def _message(self, channel_id: str, body: dict[str, Any], *, webhook: bool = False,
                 **record: Any) -> dict[str, Any]:
        """A message the bot posted: recorded (with what the bot asked for) and returned
        as Discord would."""
        mid = str(next(self.ids))
        data: dict[str, Any] = {
            "id": mid, "channel_id": channel_id, "author": _user(BOT_ID, "cmbot", True),
            "content": body.get("content", ""), "timestamp": _now(), "edited_timestamp": None,
            "tts": False, "mention_everyone": False, "mentions": [], "mention_roles": [],
            "attachments": [], "embeds": [], "pinned": False, "type": 0,
            "flags": int(body.get("flags") or 0), "components": body.get("components", [])}
        if webhook:
            data["webhook_id"] = str(APP_ID)
        self.messages.append({**data, "allowed_mentions": body.get("allowed_mentions"),
                              "message_reference": body.get("message_reference"),
                              "files": body.get("attachments_sent", []),
                              "webhook": webhook, **record})
        return data

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body: Any = None
        files: list[tuple[str, bytes]] = []
        if request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
            elif request.content_type.startswith("multipart/"):  # a message with files
                form = await request.post()
                body = json.loads(str(form["payload_json"]))
                files = [(f.filename, f.file.read()) for k, f in form.items()
                         if k.startswith("files[")]
                body["attachments_sent"] = files
            else:
                body = await request.read()
        call = Call(request.method, path, body)
        self.calls.append(call)
        parts = path.strip("/").split("/")
        method = request.method
        if self.unrouted & set(parts):
            return _json({"message": "404: Not Found", "code": 0}, 404)
        if path == "/users/@me":
            return _json(_user(BOT_ID, "cmbot", bot=True))
        if path == "/oauth2/applications/@me":
            return _json({"id": str(APP_ID), "name": "cmbot", "description": "", "icon": None,
                          "bot_public": False, "bot_require_code_grant": False,
                          "owner": _user(1, "owner"), "verify_key": "0" * 64, "flags": 0,
                          "team": None, "summary": ""})
        if parts[0] == "channels" and len(parts) >= 3 and parts[2] == "messages":
            if int(parts[1]) in self.forbidden_channels:
                return _json({"message": "Missing Permissions", "code": 50013}, 403)
            if int(parts[1]) in self.deleted_channels:
                return _json({"message": "Unknown Channel", "code": 10003}, 404)
            if method == "POST":
                return _json(self._message(parts[1], body or {}))
            if method == "DELETE":
                return web.Response(status=204)
        if parts[0] == "applications" and parts[-1] == "commands" and method == "PUT" \
                and self.command_error is not None:
            status, code, message = self.command_error
            return _json({"message": message, "code": code}, status)
        if parts[0] == "applications" and parts[-1] == "commands" and method == "PUT":
            self.commands = list(body)
            return _json([{**c, "id": str(next(self.ids)), "application_id": str(APP_ID),
                           "version": "1"} for c in body])
        if parts[0] == "interactions" and parts[-1] == "callback":
            iid = parts[1]
            kind = body.get("type") if isinstance(body, dict) else None
            data = {**((body or {}).get("data") or {}),
                    "attachments_sent": (body or {}).get("attachments_sent", [])}
            result: dict[str, Any] = {"interaction": {"id": iid, "type": 2}}
            if kind == 4:
                msg = self._message(str(CHANNELS["general"]), data, webhook=True,
                                    interaction_id=iid)
                result["interaction"]["response_message_id"] = msg["id"]
                result["resource"] = {"type": 4, "message": msg}
            else:
                self.messages.append({"interaction_id": iid, "callback_type": kind,
                                      "content": "", "data": data, "flags": 0})
            return _json(result)
        if parts[0] == "webhooks":
            if method == "POST":
                return _json(self._message(str(CHANNELS["general"]), body or {},
                                           webhook=True, followup_token=parts[2]))
            if method == "PATCH":
                return _json(self._message(str(CHANNELS["general"]), body or {},
                                           webhook=True))
        if parts[0] == "guilds" and len(parts) >= 3:
            if parts[2] == "members" and method == "PATCH":
                if self.forbid_timeouts:
                    return _json({"message": "Missing Permissions", "code": 50013}, 403)
                member = self.member(int(parts[3]), "someone")
                member["communication_disabled_until"] = body.get(
                    "communication_disabled_until")
                return _json(member)
            if parts[2] == "bans":
                return web.Response(status=204)
            if parts[2] == "scheduled-events":
                if method == "POST":
                    eid = str(next(self.ids))
                    self.events[eid] = {**body, "id": eid, "guild_id": str(GUILD_ID),
                                        "status": 1, "creator_id": str(BOT_ID)}
                    return _json(self.events[eid])
                if parts[3] not in self.events:
                    return _json({"message": "Unknown Guild Scheduled Event",
                                  "code": 10070}, 404)
                if method == "PATCH":
                    self.events[parts[3]].update(body)
                    return _json(self.events[parts[3]])
                if method == "DELETE":
                    self.events.pop(parts[3], None)
                    return web.Response(status=204)
        return _json({"message": f"fake: no route for {method} {path}", "code": 0}, 404)

    # --- queries for tests -----------------------------------------------------------

    def channel_texts(self, channel: str, guild: int = GUILD_ID) -> list[str]:
        cid = str(GUILDS[guild][2][channel])
        return [m["content"] for m in self.messages
                if m.get("channel_id") == cid and not m.get("webhook")]

    def interaction_replies(self) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("webhook")]



_RECORD_ONLY = {"allowed_mentions", "message_reference", "webhook", "interaction_id",
                "followup_token", "files"}
