"""``cmbot twitch-auth``: get the bot account's user token and keep it in the bot's database
(the adapter prefers it and keeps it refreshed). Two ways:

- in a browser on this machine: twitchio's OAuth adapter serves ``localhost:PORT``;
- ``--device``, for a headless server: Twitch's Device Code Grant flow. The bot asks
  ``/oauth2/device`` for a user code, prints the page and the code to enter on any other
  device, and polls ``/oauth2/token`` (``authorization_pending``: wait the interval;
  ``slow_down``: wait 5 s longer from then on) until the code is entered or expires.

Tokens are never printed or logged; the database that holds them is created 0600.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

import aiohttp
import twitchio
from twitchio.web import AiohttpAdapter

from ...config import Config, ConfigError, Secret
from ...storage import Storage
from ..state import PlatformState
from .adapter import BOT_SCOPES, BROADCASTER_SCOPES, TOKEN_KEY

ID_BASE = "https://id.twitch.tv"
"""Twitch's OAuth host; tests point the device flow at a local fake instead."""
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SLOW_DOWN_STEP = 5  # seconds added to the polling interval at each ``slow_down`` (RFC 8628)


class _AuthClient(twitchio.Client):
    def __init__(self, done: asyncio.Future[Any], **options: Any) -> None:
        super().__init__(**options)
        self.cmbot_done = done

    async def event_oauth_authorized(self, payload: Any) -> None:
        if not self.cmbot_done.done():
            self.cmbot_done.set_result(payload)


def auth_urls(port: int) -> dict[str, str]:
    """The page to open as the bot account, and as the broadcaster."""
    base = f"http://localhost:{port}/oauth?force_verify=true&scopes="
    return {"bot": base + quote(" ".join(BOT_SCOPES)),
            "broadcaster": base + quote(" ".join(BROADCASTER_SCOPES))}


async def twitch_auth(config: Config, out: TextIO, *, port: int = 4343,
                      who: str = "bot", within: float = 600.0) -> int:
    """Serve the OAuth pages until one authorization arrives; store a bot token."""
    credentials = _credentials(config)
    loop = asyncio.get_running_loop()
    done: asyncio.Future[Any] = loop.create_future()
    web: AiohttpAdapter[Any] = AiohttpAdapter(host="localhost", port=port)
    client = _AuthClient(done, client_id=credentials["client_id"],
                         client_secret=credentials["client_secret"], adapter=web,
                         fetch_client_user=False)
    url = auth_urls(port)[who]
    out.write(
        f"1. In the Twitch developer console, give your application the OAuth Redirect URL\n"
        f"   http://localhost:{port}/oauth/callback\n"
        f"2. Log in to Twitch as the {'BOT account' if who == 'bot' else 'broadcaster'} "
        f"and open:\n   {url}\n"
        f"Waiting up to {within / 60:g} minutes for the authorization...\n")
    out.flush()
    await web.run()
    try:
        payload = await asyncio.wait_for(done, within)
    except TimeoutError:
        out.write("No authorization arrived; run `cmbot twitch-auth` again.\n")
        return 1
    finally:
        await web.close()
        await client.close()
    login = getattr(payload, "user_login", None) or "?"
    user_id = str(getattr(payload, "user_id", "") or "")
    if who == "broadcaster":
        out.write(f"✓ {login} allowed the bot in their channel (channel:bot). Nothing to "
                  f"store.\n")
        return 0
    return await _store(config, out, login, user_id, payload.access_token,
                        payload.refresh_token)


def _credentials(config: Config) -> dict[str, str]:
    """The application's client id and secret, or a :class:`ConfigError` with the fix (the
    bot needs the secret to refresh the token, whichever flow got it)."""
    section = config["twitch"]
    problems = []
    credentials: dict[str, str] = {}
    for key in ("client_id", "client_secret"):
        value = section.get(key)
        credentials[key] = value.reveal() if isinstance(value, Secret) else ""
        if not credentials[key]:
            env = value.env if isinstance(value, Secret) else f"TWITCH_{key.upper()}"
            problems.append(f"{config.path}: [twitch] {key}: export {env} with your "
                            f"application's {key.replace('_', ' ')} (dev.twitch.tv/console)")
    if problems:
        raise ConfigError(problems)
    return credentials


async def _store(config: Config, out: TextIO, login: str, user_id: str, token: str,
                 refresh: str) -> int:
    """Keep the bot's tokens where the adapter looks first; say what to configure."""
    storage = Storage(config.database_path)
    await storage.open()
    try:
        state = PlatformState(storage)
        await state.open()
        await state.set(TOKEN_KEY, json.dumps({"user_id": user_id, "token": token,
                                               "refresh": refresh}))
    finally:
        await storage.close()
    out.write(f"✓ tokens for {login} saved in {config.database_path} (kept refreshed by the "
              f"bot; never printed).\n  Put this in [twitch]: bot_id = \"{user_id}\"\n"
              f"  The broadcaster of each channel either makes {login} a moderator "
              f"(/mod {login}) or runs `cmbot twitch-auth --as broadcaster` once.\n")
    configured = str(config["twitch"].get("bot_id") or "")
    if configured and configured != user_id:
        out.write(f"  Note: [twitch] bot_id is {configured}, another account: the bot will "
                  f"refuse this token until bot_id = \"{user_id}\".\n")
    return 0


def stored_token_user(database: Path) -> str | None:
    """The user id of the bot token ``cmbot twitch-auth`` stored in ``database``, or None
    (no database yet, no such table, no token). Never creates the file; the token itself
    is not returned."""
    if not database.is_file():
        return None
    try:
        db = sqlite3.connect(f"{database.resolve().as_uri()}?mode=rw", uri=True, timeout=5)
    except sqlite3.Error:
        return None
    try:
        row = db.execute("SELECT value FROM platform_state WHERE key=?", (TOKEN_KEY,)
                         ).fetchone()
    except sqlite3.Error:
        return None
    finally:
        db.close()
    if row is None:
        return None
    try:
        return str(json.loads(row[0]).get("user_id") or "?")
    except (ValueError, AttributeError):
        return None


Sleep = Callable[[float], Awaitable[Any]]


async def _form(http: aiohttp.ClientSession, url: str, data: dict[str, str]
                ) -> tuple[int, dict[str, Any]]:
    """POST a form; the status and the JSON body (empty when it is not JSON)."""
    async with http.post(url, data=data) as response:
        try:
            body = await response.json(content_type=None)
        except ValueError:
            body = None
        return response.status, body if isinstance(body, dict) else {}


def _reason(body: dict[str, Any]) -> str:
    """Twitch puts the OAuth error in ``message``; RFC 8628 servers in ``error``."""
    return str(body.get("message") or body.get("error") or "").strip()


async def twitch_device_auth(config: Config, out: TextIO, *, who: str = "bot",
                             id_base: str | None = None, sleep: Sleep = asyncio.sleep,
                             clock: Callable[[], float] = time.monotonic) -> int:
    """The Device Code Grant flow: print where to enter the code, poll until it is entered,
    store a bot token (``who="broadcaster"``: only grant ``channel:bot``, store nothing).
    Returns the exit status."""
    credentials = _credentials(config)
    scopes = " ".join(BOT_SCOPES if who == "bot" else BROADCASTER_SCOPES)
    base = (id_base or ID_BASE).rstrip("/")
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        try:
            status, device = await _form(http, f"{base}/oauth2/device",
                                         {"client_id": credentials["client_id"],
                                          "scopes": scopes})
        except (aiohttp.ClientError, TimeoutError) as exc:
            out.write(f"Could not reach {base} ({type(exc).__name__}). Fix: check this "
                      f"machine's network access to Twitch, then run it again.\n")
            return 1
        if status != 200 or not device.get("device_code") or not device.get("user_code"):
            out.write(f"Twitch refused to start the device flow ({status}: "
                      f"{_reason(device) or 'no device code'}). Fix: check [twitch] client_id "
                      f"(dev.twitch.tv/console).\n")
            return 1
        uri = str(device.get("verification_uri") or "https://www.twitch.tv/activate")
        interval = max(1.0, float(device.get("interval") or 5))
        expires_in = float(device.get("expires_in") or 1800)
        deadline = clock() + expires_in
        account = "the BOT account" if who == "bot" else "the broadcaster"
        out.write(f"On any device, log in to Twitch as {account} and open\n   {uri}\n"
                  f"then enter the code  {device['user_code']}\n"
                  f"Waiting up to {expires_in / 60:g} minutes for it (checking every "
                  f"{interval:g} s)...\n")
        out.flush()
        poll = {"client_id": credentials["client_id"], "scopes": scopes,
                "device_code": str(device["device_code"]), "grant_type": DEVICE_GRANT}
        unreachable = False
        while True:
            await sleep(interval)
            if clock() >= deadline:
                return _expired(out)
            try:
                status, body = await _form(http, f"{base}/oauth2/token", poll)
            except (aiohttp.ClientError, TimeoutError) as exc:
                if not unreachable:
                    out.write(f"  (Twitch unreachable: {type(exc).__name__}; still trying)\n")
                    unreachable = True
                continue
            if status == 200 and body.get("access_token"):
                break
            reason = _reason(body)
            if reason == "authorization_pending":
                continue
            if reason == "slow_down":
                interval += SLOW_DOWN_STEP
                continue
            if reason in ("expired_token", "invalid device code"):
                return _expired(out)
            if reason == "access_denied":
                out.write("The authorization was declined on Twitch; nothing stored.\n")
                return 1
            out.write(f"Twitch refused the device code ({status}: {reason or 'no reason'}); "
                      f"nothing stored. Run `cmbot twitch-auth --device` again.\n")
            return 1
        token, refresh = str(body["access_token"]), str(body.get("refresh_token") or "")
        try:
            async with http.get(f"{base}/oauth2/validate",
                                headers={"Authorization": f"OAuth {token}"}) as response:
                info = await response.json(content_type=None) if response.status == 200 \
                    else {}
        except (aiohttp.ClientError, TimeoutError, ValueError):
            info = {}
    if not isinstance(info, dict):
        info = {}
    user_id, login = str(info.get("user_id") or ""), str(info.get("login") or "?")
    if not user_id:
        out.write("Twitch did not confirm whose token this is; nothing stored. Run "
                  "`cmbot twitch-auth --device` again.\n")
        return 1
    granted = set(info.get("scopes") or body.get("scope") or [])
    missing = [s for s in scopes.split() if s not in granted]
    if missing:
        out.write(f"  Warning: the token lacks {', '.join(missing)}; some actions will "
                  f"fail.\n")
    if who == "broadcaster":
        out.write(f"✓ {login} allowed the bot in their channel (channel:bot). Nothing to "
                  f"store.\n")
        return 0
    return await _store(config, out, login, user_id, token, refresh)


def _expired(out: TextIO) -> int:
    out.write("The code expired before it was entered; nothing stored. Run "
              "`cmbot twitch-auth --device` again.\n")
    return 1
