"""``cmbot twitch-auth``: get the bot account's user token with twitchio's OAuth adapter on
localhost, and keep it in the bot's database (the adapter prefers it and keeps it
refreshed). Tokens are never printed or logged."""

from __future__ import annotations

import asyncio
import json
from typing import Any, TextIO
from urllib.parse import quote

import twitchio
from twitchio.web import AiohttpAdapter

from ...config import Config, ConfigError, Secret
from ...storage import Storage
from ..state import PlatformState
from .adapter import BOT_SCOPES, BROADCASTER_SCOPES, TOKEN_KEY


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
    storage = Storage(config.database_path)
    await storage.open()
    try:
        state = PlatformState(storage)
        await state.open()
        await state.set(TOKEN_KEY, json.dumps({"user_id": user_id,
                                               "token": payload.access_token,
                                               "refresh": payload.refresh_token}))
    finally:
        await storage.close()
    out.write(f"✓ tokens for {login} saved in {config.database_path} (kept refreshed by the "
              f"bot; never printed).\n  Put this in [twitch]: bot_id = \"{user_id}\"\n"
              f"  The broadcaster of each channel either makes {login} a moderator "
              f"(/mod {login}) or runs `cmbot twitch-auth --as broadcaster` once.\n")
    return 0
