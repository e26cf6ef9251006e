"""What the local platform fakes share: an aiohttp server on a free loopback port, exact
JSON responses, and waiting for something the bot does."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web


class LocalServer:
    """Subclasses add their routes in ``routes``."""

    def __init__(self) -> None:
        self.port = 0
        self._runner: web.AppRunner | None = None

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self) -> None:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop_server(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def wait_for(self, predicate: Callable[[], Any], within: float = 5.0) -> Any:
        """Poll ``predicate`` until it is truthy; fail the test after ``within`` seconds."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            result = predicate()
            if result:
                return result
            await asyncio.sleep(0.01)
        raise AssertionError(f"the {type(self).__name__} fake never saw what the test "
                             f"waited for")


def json_response(data: Any, status: int = 200) -> web.Response:
    """Exactly ``application/json``: discord.py does not parse "...; charset=utf-8"."""
    return web.Response(status=status, body=json.dumps(data).encode(),
                        headers={"Content-Type": "application/json"})
