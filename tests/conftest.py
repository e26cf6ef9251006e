from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fakes.discord_server import FakeDiscord

TESTS = Path(__file__).parent
SHARED = TESTS.parent.parent / "shared"
EXAMPLE_PLUGIN_DIR = TESTS / "example_plugin"


@pytest.fixture
def greeter():
    """The example third-party plugin module, imported fresh."""
    sys.path.insert(0, str(EXAMPLE_PLUGIN_DIR))
    try:
        import cmbot_greeter
        yield cmbot_greeter
    finally:
        sys.path.remove(str(EXAMPLE_PLUGIN_DIR))
        sys.modules.pop("cmbot_greeter", None)


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch):
    """The local fake Discord API, patched into discord.py (Twitch test modules
    define their own `fake`, the fake Twitch API)."""
    server = FakeDiscord()
    await server.start()
    server.patch(monkeypatch)
    monkeypatch.setenv("CMBOT_TEST_DISCORD_TOKEN", "fake-token")
    yield server
    await server.close()
