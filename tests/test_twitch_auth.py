"""``cmbot twitch-auth --device`` (Twitch's Device Code Grant flow, for a headless server)
against the local fake of Twitch's OAuth on 127.0.0.1, and check-config's warning when
Twitch is enabled but no token is stored. Time is injected: no test waits an interval."""

from __future__ import annotations

import io
import json
import logging
import sqlite3
import stat
from pathlib import Path

import pytest
from fakes.twitch_server import BOT_ID, BOT_LOGIN, DEVICE_GRANT, FakeTwitch

from cmbot.cli import main
from cmbot.config import load_config
from cmbot.platforms.twitch import BOT_SCOPES, BROADCASTER_SCOPES, TwitchAdapter, auth
from cmbot.platforms.twitch.adapter import TOKEN_KEY
from cmbot.runtime import Runtime

CONFIG = """
[bot]
database = "{db}"

[twitch]
enabled = true
client_id = {{ env = "CMBOT_TEST_TWITCH_ID" }}
client_secret = {{ env = "CMBOT_TEST_TWITCH_SECRET" }}
bot_token = {{ env = "CMBOT_TEST_TWITCH_TOKEN" }}
refresh_token = {{ env = "CMBOT_TEST_TWITCH_REFRESH" }}
channels = ["mychannel"]
{extra}
"""


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch):
    server = FakeTwitch({"mychannel": "100"})
    await server.start()
    server.patch(monkeypatch)
    monkeypatch.setenv("CMBOT_TEST_TWITCH_ID", "cid")
    monkeypatch.setenv("CMBOT_TEST_TWITCH_SECRET", "secret")
    monkeypatch.delenv("CMBOT_TEST_TWITCH_TOKEN", raising=False)
    monkeypatch.delenv("CMBOT_TEST_TWITCH_REFRESH", raising=False)
    yield server
    await server.close()


def _config_file(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "bot.toml"
    path.write_text(CONFIG.format(db=tmp_path / "bot.db", extra=extra))
    return path


class Clock:
    """A fake monotonic clock that the fake sleep moves forward."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


async def _device(tmp_path: Path, fake: FakeTwitch, clock: Clock, *, who: str = "bot",
                  extra: str = "") -> tuple[int, str]:
    config = load_config(_config_file(tmp_path, extra))
    out = io.StringIO()
    status = await auth.twitch_device_auth(config, out, who=who, id_base=fake.base,
                                           sleep=clock.sleep, clock=clock)
    return status, out.getvalue()


def _stored(tmp_path: Path) -> dict[str, str] | None:
    with sqlite3.connect(tmp_path / "bot.db") as db:
        row = db.execute("SELECT value FROM platform_state WHERE key=?", (TOKEN_KEY,)
                         ).fetchone()
    return None if row is None else dict(json.loads(row[0]))


async def test_device_flow_prints_the_code_polls_at_the_interval_and_stores_the_token(
        tmp_path, fake, caplog):
    fake.device_answers = ["authorization_pending", "slow_down", "authorization_pending"]
    clock = Clock()
    with caplog.at_level(logging.DEBUG):
        status, text = await _device(tmp_path, fake, clock)
    assert status == 0, text
    # what the user needs on the other device: the page and the code
    assert f"{fake.base}/activate?public=true&device-code=ABCD-EFGH" in text
    assert "ABCD-EFGH" in text and "BOT account" in text
    # every poll waited the interval; slow_down added 5 s from then on
    assert clock.sleeps == [5, 5, 10, 10]
    assert len(fake.device_polls) == 4
    device = [c for c in fake.calls if c.path == "/oauth2/device"]
    assert len(device) == 1 and device[0].body == {"client_id": "cid",
                                                   "scopes": " ".join(BOT_SCOPES)}
    assert all(p == {"client_id": "cid", "scopes": " ".join(BOT_SCOPES),
                     "device_code": "device-code-1", "grant_type": DEVICE_GRANT}
               for p in fake.device_polls)  # the client secret never leaves the machine
    stored = _stored(tmp_path)
    assert stored is not None and stored["user_id"] == BOT_ID
    token = stored["token"]
    assert token in fake.valid_user_tokens and stored["refresh"] == f"refresh-{token}"
    assert stat.S_IMODE((tmp_path / "bot.db").stat().st_mode) == 0o600
    assert f'bot_id = "{BOT_ID}"' in text and BOT_LOGIN in text
    assert token not in text and "device-code-1" not in text
    assert not [r for r in caplog.records if token in r.getMessage()]


async def test_the_bot_starts_on_the_token_the_device_flow_stored(tmp_path, fake):
    status, _ = await _device(tmp_path, fake, Clock())
    assert status == 0
    config = load_config(_config_file(tmp_path))
    config.check_secrets()
    bot = Runtime(config, adapters=[TwitchAdapter(config["twitch"])])
    await bot.start()
    try:
        adapter = bot.adapters[next(iter(bot.adapters))]
        assert adapter.bot_id == BOT_ID and adapter.subscribed == ["mychannel"]
    finally:
        await bot.stop()


async def test_a_code_never_entered_stops_when_it_expires(tmp_path, fake):
    fake.device_expires_in = 12
    fake.device_answers = ["authorization_pending"] * 100
    clock = Clock()
    status, text = await _device(tmp_path, fake, clock)
    assert status == 1
    assert "expired" in text and "cmbot twitch-auth --device" in text
    assert clock.sleeps == [5, 5, 5] and len(fake.device_polls) == 2  # none after expiry
    assert not (tmp_path / "bot.db").exists()


@pytest.mark.parametrize(("answer", "says"), [
    ("invalid device code", "expired"),     # Twitch's answer for an expired device code
    ("expired_token", "expired"),           # RFC 8628's
    ("access_denied", "declined"),
    ("something new", "something new"),
])
async def test_a_refused_poll_ends_the_flow_with_what_happened(tmp_path, fake, answer, says):
    fake.device_answers = ["authorization_pending", answer]
    status, text = await _device(tmp_path, fake, Clock())
    assert status == 1 and says in text and "nothing stored" in text
    assert len(fake.device_polls) == 2
    assert not (tmp_path / "bot.db").exists()


async def test_a_refused_client_id_is_reported_with_the_fix(tmp_path, fake, monkeypatch):
    monkeypatch.setenv("CMBOT_TEST_TWITCH_ID", "not-registered")
    status, text = await _device(tmp_path, fake, Clock())
    assert status == 1 and "client_id" in text and "invalid client" in text
    assert fake.device_polls == []


async def test_an_unreachable_twitch_is_reported(tmp_path, fake):
    await fake.stop_server()
    status, text = await _device(tmp_path, fake, Clock())
    assert status == 1 and "Could not reach" in text


async def test_broadcaster_device_flow_grants_channel_bot_and_stores_nothing(tmp_path, fake):
    fake.scopes = list(BROADCASTER_SCOPES)
    status, text = await _device(tmp_path, fake, Clock(), who="broadcaster")
    assert status == 0 and "channel:bot" in text and "broadcaster" in text
    assert [c.body["scopes"] for c in fake.calls if c.path == "/oauth2/device"] \
        == ["channel:bot"]
    assert not (tmp_path / "bot.db").exists()


async def test_a_token_of_another_account_than_bot_id_is_pointed_out(tmp_path, fake):
    status, text = await _device(tmp_path, fake, Clock(), extra='bot_id = "999"')
    assert status == 0 and "bot_id is 999" in text and f'bot_id = "{BOT_ID}"' in text


def test_cli_device_flag_runs_the_device_flow(tmp_path, monkeypatch, capsys):
    seen: list[tuple[str, str]] = []

    async def device(config, out, *, who="bot"):
        seen.append(("device", who))
        return 0

    async def browser(config, out, *, port=4343, who="bot"):
        seen.append((f"browser:{port}", who))
        return 0

    monkeypatch.setattr(auth, "twitch_device_auth", device)
    monkeypatch.setattr(auth, "twitch_auth", browser)
    monkeypatch.setenv("CMBOT_TEST_TWITCH_ID", "cid")
    path = str(_config_file(tmp_path))
    assert main(["twitch-auth", "-c", path, "--device"]) == 0
    assert main(["twitch-auth", "-c", path, "--device", "--as", "broadcaster"]) == 0
    assert main(["twitch-auth", "-c", path, "--port", "5000"]) == 0
    assert seen == [("device", "bot"), ("device", "broadcaster"), ("browser:5000", "bot")]


def test_cli_device_flow_without_client_credentials_says_what_to_export(
        tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("CMBOT_TEST_TWITCH_ID", raising=False)
    monkeypatch.setenv("CMBOT_TEST_TWITCH_SECRET", "secret")
    assert main(["twitch-auth", "-c", str(_config_file(tmp_path)), "--device"]) == 2
    assert "export CMBOT_TEST_TWITCH_ID" in capsys.readouterr().err


# --- check-config ----------------------------------------------------------------------

def test_check_config_warns_when_twitch_has_no_token_yet(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CMBOT_TEST_TWITCH_ID", "cid")
    monkeypatch.setenv("CMBOT_TEST_TWITCH_SECRET", "secret")
    monkeypatch.delenv("CMBOT_TEST_TWITCH_TOKEN", raising=False)
    path = _config_file(tmp_path)
    assert main(["check-config", str(path)]) == 0
    captured = capsys.readouterr()
    assert "OK" in captured.out
    assert "no bot token is stored" in captured.err
    assert f"cmbot twitch-auth -c {path}" in captured.err and "--device" in captured.err
    assert not (tmp_path / "bot.db").exists()  # checking creates no database


async def test_check_config_is_quiet_once_a_token_is_stored(tmp_path, fake, capsys):
    assert (await _device(tmp_path, fake, Clock()))[0] == 0
    assert auth.stored_token_user(tmp_path / "bot.db") == BOT_ID
    capsys.readouterr()
    assert main(["check-config", str(_config_file(tmp_path))]) == 0
    assert "warning" not in capsys.readouterr().err


def test_check_config_is_quiet_with_a_configured_token_or_twitch_off(
        tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CMBOT_TEST_TWITCH_ID", "cid")
    monkeypatch.setenv("CMBOT_TEST_TWITCH_SECRET", "secret")
    monkeypatch.setenv("CMBOT_TEST_TWITCH_TOKEN", "user-token")
    assert main(["check-config", str(_config_file(tmp_path))]) == 0
    assert "warning" not in capsys.readouterr().err
    monkeypatch.delenv("CMBOT_TEST_TWITCH_TOKEN")
    path = _config_file(tmp_path)
    path.write_text(path.read_text().replace("enabled = true", "enabled = false"))
    assert main(["check-config", str(path)]) == 0
    assert "warning" not in capsys.readouterr().err


def test_stored_token_user_reads_nothing_from_a_database_without_a_token(tmp_path):
    assert auth.stored_token_user(tmp_path / "missing.db") is None
    with sqlite3.connect(tmp_path / "empty.db") as db:
        db.execute("CREATE TABLE other (x)")
    assert auth.stored_token_user(tmp_path / "empty.db") is None
