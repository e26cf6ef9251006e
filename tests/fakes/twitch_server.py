"""A local fake of Twitch for twitchio 3: OAuth (``/oauth2/token``, ``/oauth2/validate``,
the Device Code Grant flow's ``/oauth2/device``),
Helix (users, eventsub subscriptions, chat messages, moderation) and the EventSub websocket
(welcome, notification, keepalive, session_reconnect). No public mock covers EventSub chat.

Point twitchio at it with :meth:`FakeTwitch.patch`. Everything the bot does is recorded.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import WSMsgType, web

from .local_server import LocalServer
from .local_server import json_response as _json

BOT_ID = "500"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
BOT_LOGIN = "cmbotbot"
SCOPES = ["user:read:chat", "user:write:chat", "user:bot", "moderator:manage:chat_messages",
          "moderator:manage:banned_users", "moderator:manage:warnings"]


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    at: float = field(default_factory=time.perf_counter)


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class FakeTwitch(LocalServer):
    """Twitch's side of the wire: users by login, one bot account, chat over EventSub."""

    def __init__(self, channels: dict[str, str] | None = None) -> None:
        super().__init__()
        self.users = {BOT_LOGIN: BOT_ID, **(channels or {"mychannel": "100"})}
        self.calls: list[Call] = []
        self.sent: list[dict[str, Any]] = []
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.sockets: list[web.WebSocketResponse] = []
        self.sessions: list[str] = []
        self.valid_user_tokens = {"user-token"}
        self.refresh_tokens = {"refresh-1": "user-token"}
        self.app_token = "app-token"
        self.scopes = list(SCOPES)
        self.subscribe_status = 202
        self.reject_next_send: str | None = None
        self.rate_limit_next_send = False
        self.fail_sends: list[int] = []
        self.live: set[str] = set()  # logins streaming now
        self.ids = itertools.count(1)
        self.chatters: dict[str, str] = {}
        # Device Code Grant flow: what each poll of /oauth2/token answers, in turn, before
        # the code counts as entered ("authorization_pending", "slow_down", "invalid device
        # code", "access_denied"...); the device code's lifetime and polling interval
        self.device_answers: list[str] = []
        self.device_expires_in = 1800
        self.device_interval = 5
        self.device_code = "device-code-1"
        self.user_code = "ABCD-EFGH"
        self.device_polls: list[dict[str, str]] = []

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/ws", self._ws)
        app.router.add_route("*", "/oauth2/{tail:.*}", self._oauth)
        app.router.add_route("*", "/helix/{tail:.*}", self._helix)

    async def close(self) -> None:
        for ws in list(self.sockets):
            await ws.close()
        await self.stop_server()

    def patch(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import twitchio.eventsub.websockets
        import twitchio.http

        monkeypatch.setattr(twitchio.http.Route, "BASE", f"{self.base}/helix/")
        monkeypatch.setattr(twitchio.http.Route, "ID_BASE", f"{self.base}/")
        monkeypatch.setattr(twitchio.eventsub.websockets, "WSS", f"ws://127.0.0.1:{self.port}/ws")

    # --- EventSub websocket ----------------------------------------------------------

    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        session = f"session-{uuid.uuid4().hex[:8]}"
        self.sessions.append(session)
        self.sockets.append(ws)
        await ws.send_str(json.dumps(self._envelope("session_welcome", {"session": {
            "id": session, "status": "connected", "connected_at": _now(),
            "keepalive_timeout_seconds": 10, "reconnect_url": None, "recovery_url": None}})))
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                break
        if ws in self.sockets:
            self.sockets.remove(ws)
        return ws

    @staticmethod
    def _envelope(kind: str, payload: dict[str, Any], sub_type: str | None = None
                  ) -> dict[str, Any]:
        metadata = {"message_id": uuid.uuid4().hex, "message_type": kind,
                    "message_timestamp": _now()}
        if sub_type:
            metadata.update({"subscription_type": sub_type, "subscription_version": "1"})
        return {"metadata": metadata, "payload": payload}

    @property
    def session(self) -> str:
        return self.sessions[-1]

    async def keepalive(self) -> None:
        await self.sockets[-1].send_str(json.dumps(self._envelope("session_keepalive", {})))

    async def session_reconnect(self) -> None:
        """Twitch's handoff: the bot must connect to the new URL before the old socket
        closes; subscriptions move with it (no re-subscribing)."""
        old = self.sockets[-1]
        count = len(self.sessions)
        await old.send_str(json.dumps(self._envelope("session_reconnect", {"session": {
            "id": self.session, "status": "reconnecting", "connected_at": _now(),
            "keepalive_timeout_seconds": None,
            "reconnect_url": f"ws://127.0.0.1:{self.port}/ws?reconnect=1",
            "recovery_url": None}})))
        await self.wait_for(lambda: len(self.sessions) > count)
        await self.wait_for(lambda: old.closed)

    async def drop_connection(self) -> None:
        """The connection dies without a handoff (like a lost keepalive)."""
        count = len(self.sessions)
        await self.sockets[-1].close(code=1006)
        await self.wait_for(lambda: len(self.sessions) > count)

    async def chat(self, channel: str, user: str, text: str, *, badges: tuple[str, ...] = (),
                   user_id: str | None = None, source: str | None = None) -> str:
        """A chatter posts in ``channel``: a channel.chat.message notification to every
        subscription for that broadcaster. Returns the message id."""
        broadcaster_id = self.users[channel]
        # one id per login, never shared: a hash of the login collided now and then (two
        # viewers as one user, so the second hit the first's command cooldown)
        chatter_id = user_id or self.users.get(user) or self.chatters.setdefault(
            user, str(100_000 + len(self.chatters)))
        message_id = uuid.uuid4().hex
        source_id = self.users.get(source) if source else None
        event = {
            "broadcaster_user_id": broadcaster_id, "broadcaster_user_login": channel,
            "broadcaster_user_name": channel, "chatter_user_id": chatter_id,
            "chatter_user_login": user, "chatter_user_name": user, "message_id": message_id,
            "message": {"text": text, "fragments": [{"type": "text", "text": text,
                                                     "cheermote": None, "emote": None,
                                                     "mention": None}]},
            "color": "#FF0000",
            "badges": [{"set_id": b, "id": "1", "info": ""} for b in badges],
            "message_type": "text", "cheer": None, "reply": None,
            "channel_points_custom_reward_id": None, "channel_points_animation_id": None,
            "source_broadcaster_user_id": source_id, "source_broadcaster_user_login": source,
            "source_broadcaster_user_name": source, "source_message_id": None,
            "source_badges": None, "is_source_only": None}
        subs = [s for s in self.subscriptions.values()
                if s["condition"]["broadcaster_user_id"] == broadcaster_id
                and s["transport"]["session_id"] == self.session]
        assert subs, f"the bot has no live subscription for #{channel}"
        for sub in subs:
            await self.sockets[-1].send_str(json.dumps(self._envelope(
                "notification", {"subscription": sub, "event": event},
                "channel.chat.message")))
        return message_id

    # --- OAuth -----------------------------------------------------------------------

    def _record(self, request: web.Request, body: Any) -> Call:
        call = Call(request.method, request.path, dict(request.query), body)
        self.calls.append(call)
        return call

    def _new_user_token(self) -> web.Response:
        new = f"user-token-{next(self.ids)}"
        self.valid_user_tokens.add(new)
        self.refresh_tokens[f"refresh-{new}"] = new
        return _json({"access_token": new, "refresh_token": f"refresh-{new}",
                      "expires_in": 14000, "scope": self.scopes, "token_type": "bearer"})

    async def _oauth(self, request: web.Request) -> web.Response:
        path = request.match_info["tail"]
        form = {k: str(v) for k, v in (await request.post()).items()} \
            if request.method == "POST" else {}
        self._record(request, form or None)
        if path == "device" and request.method == "POST":
            if form.get("client_id") != "cid":
                return _json({"status": 400, "message": "invalid client"}, 400)
            return _json({"device_code": self.device_code, "expires_in": self.device_expires_in,
                          "interval": self.device_interval, "user_code": self.user_code,
                          "verification_uri": f"{self.base}/activate?public=true&device-code="
                                              f"{self.user_code}"})
        if path == "token" and form.get("grant_type") == DEVICE_GRANT:
            self.device_polls.append(form)
            if form.get("client_id") != "cid" or form.get("device_code") != self.device_code:
                return _json({"status": 400, "message": "invalid device code"}, 400)
            if self.device_answers:
                return _json({"status": 400, "message": self.device_answers.pop(0)}, 400)
            return self._new_user_token()
        if path == "token":
            grant = request.query.get("grant_type")
            if grant == "client_credentials" and request.query.get("client_secret") != "secret":
                return _json({"status": 403, "message": "invalid client secret"}, 403)
            if grant == "client_credentials":
                return _json({"access_token": self.app_token, "expires_in": 5000000,
                              "token_type": "bearer"})
            if grant == "authorization_code":
                return self._new_user_token()
            if grant == "refresh_token":
                if request.query.get("refresh_token", "") not in self.refresh_tokens:
                    return _json({"status": 400, "message": "Invalid refresh token"}, 400)
                return self._new_user_token()
        if path == "validate":
            auth = request.headers.get("Authorization", "")  # "OAuth <token>" (or Bearer)
            token = auth.split(" ", 1)[1] if " " in auth else ""
            if token == self.app_token:
                return _json({"client_id": "cid", "scopes": [], "expires_in": 5000000})
            if token in self.valid_user_tokens:
                return _json({"client_id": "cid", "login": BOT_LOGIN, "user_id": BOT_ID,
                              "scopes": self.scopes, "expires_in": 14000})
            return _json({"status": 401, "message": "invalid access token"}, 401)
        return _json({"status": 404, "message": f"fake: no oauth route {path}"}, 404)

    # --- Helix -----------------------------------------------------------------------

    async def _helix(self, request: web.Request) -> web.Response:
        path = request.match_info["tail"]
        body = await request.json() if request.can_read_body else None
        self._record(request, body)
        auth = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if auth != self.app_token and auth not in self.valid_user_tokens:
            return _json({"error": "Unauthorized", "status": 401,
                          "message": "Invalid OAuth token"}, 401)
        method = request.method
        if path == "users":
            logins = request.query.getall("login", [])
            ids = request.query.getall("id", [])
            by_id = {v: k for k, v in self.users.items()}
            found = [(login, self.users[login]) for login in logins if login in self.users]
            found += [(by_id[i], i) for i in ids if i in by_id]
            return _json({"data": [_user(login, uid) for login, uid in found]})
        if path == "streams":
            ids = set(request.query.getall("user_id", []))
            by_id = {v: k for k, v in self.users.items()}
            return _json({"data": [_stream(by_id[i], i) for i in sorted(ids)
                                   if i in by_id and by_id[i] in self.live],
                          "pagination": {}})
        if path == "eventsub/subscriptions" and method == "POST":
            if self.subscribe_status != 202:
                return _json({"error": "Forbidden", "status": self.subscribe_status,
                              "message": "subscription missing proper authorization"},
                             self.subscribe_status)
            sid = uuid.uuid4().hex
            sub = {"id": sid, "status": "enabled", "type": body["type"],
                   "version": body["version"], "condition": body["condition"],
                   "transport": {**body["transport"], "connected_at": _now()},
                   "created_at": _now(), "cost": 0}
            self.subscriptions[sid] = sub
            return _json({"data": [sub], "total": len(self.subscriptions), "total_cost": 0,
                          "max_total_cost": 10}, 202)
        if path == "chat/messages" and method == "POST":
            if self.fail_sends:  # chaos: Helix answers these statuses to the next sends
                status = self.fail_sends.pop(0)
                return _json({"error": "Server Error", "status": status,
                              "message": "try again later"}, status)
            if self.rate_limit_next_send:
                self.rate_limit_next_send = False
                return _json({"error": "Too Many Requests", "status": 429,
                              "message": "rate limited"}, 429)
            if self.reject_next_send:
                code, self.reject_next_send = self.reject_next_send, None
                return _json({"data": [{"message_id": "", "is_sent": False, "drop_reason": {
                    "code": code, "message": "Your message was not sent."}}]})
            mid = uuid.uuid4().hex
            self.sent.append({**body, "id": mid, "at": time.perf_counter()})
            return _json({"data": [{"message_id": mid, "is_sent": True,
                                    "drop_reason": None}]})
        if path == "moderation/chat" and method == "DELETE":
            return web.Response(status=204)
        if path == "moderation/bans" and method == "POST":
            data = body["data"]
            return _json({"data": [{"broadcaster_id": request.query["broadcaster_id"],
                                    "moderator_id": request.query["moderator_id"],
                                    "user_id": data["user_id"], "created_at": _now(),
                                    "end_time": _now() if data.get("duration") else None}]})
        if path == "moderation/warnings" and method == "POST":
            data = body["data"]
            return _json({"data": [{"broadcaster_id": request.query["broadcaster_id"],
                                    "moderator_id": request.query["moderator_id"],
                                    "user_id": data["user_id"], "reason": data["reason"]}]})
        return _json({"status": 404, "message": f"fake: no helix route {method} {path}"}, 404)

    # --- queries ---------------------------------------------------------------------

    def texts(self, channel: str | None = None) -> list[str]:
        bid = self.users[channel] if channel else None
        return [m["message"] for m in self.sent if bid is None or m["broadcaster_id"] == bid]

    def helix(self, method: str, path: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.path == f"/helix/{path}"]



def _stream(login: str, uid: str) -> dict[str, Any]:
    return {"id": f"s{uid}", "user_id": uid, "user_login": login, "user_name": login,
            "game_id": "1", "game_name": "Just Chatting", "type": "live", "title": "live!",
            "viewer_count": 42, "started_at": _now(), "language": "en",
            "thumbnail_url": "https://example.invalid/{width}x{height}.jpg",
            "tag_ids": [], "tags": [], "is_mature": False}


def _user(login: str, uid: str) -> dict[str, Any]:
    return {"id": uid, "login": login, "display_name": login, "type": "",
            "broadcaster_type": "", "description": "", "profile_image_url": "",
            "offline_image_url": "", "view_count": 0, "created_at": _now()}
