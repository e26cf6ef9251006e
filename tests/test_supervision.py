"""Supervision: connections that end are retried with backoff, fatal causes stop the bot
with one clear line and a non-zero exit, and the timekeeper survives its own errors.
Chaos against the local fake gateway; no network."""

from __future__ import annotations

import asyncio
import logging
import random

import pytest
from fakes.discord_server import FakeDiscord
from test_discord_adapter import CONFIG, VIEWER, Running

from cmbot.config import load_config
from cmbot.supervise import Backoff, supervise


async def _started(tmp_path, fake) -> Running:
    run = Running(tmp_path, fake)
    await run.start()
    assert run.adapter is not None
    run.adapter.backoff = Backoff(first=0.01, cap=0.05)
    return run


async def _answers_chat(fake: FakeDiscord, line: str = "!help") -> None:
    before = len(fake.channel_texts("general"))
    await fake.say("general", VIEWER["uid"], VIEWER["name"], line)
    await fake.wait_for(lambda: len(fake.channel_texts("general")) > before)


async def test_an_event_the_client_cannot_parse_is_logged_once_and_the_bot_reconnects(
        tmp_path, fake, caplog):
    run = await _started(tmp_path, fake)
    try:
        with caplog.at_level(logging.WARNING):
            await fake.send_raw({"op": 0, "t": "READY", "s": 99, "d": None})
            await fake.wait_for(lambda: fake.identifies == 2)
            await _answers_chat(fake)
        ended = [r for r in caplog.records if "Discord connection ended unexpectedly" in
                 r.getMessage()]
        assert len(ended) == 1 and ended[0].exc_info is not None  # the traceback, once
        assert run.bot is not None and run.adapter is not None
        await fake.wait_for(lambda: run.bot.health[run.adapter.platform] == "connected")
    finally:
        await run.stop()


async def test_a_socket_cut_mid_stream_resumes_and_keeps_answering(tmp_path, fake):
    run = await _started(tmp_path, fake)
    try:
        await _answers_chat(fake)
        await fake.drop()
        await fake.wait_for(lambda: fake.resumes + fake.identifies >= 2)
        await _answers_chat(fake, "!next")  # (!help again would hit its cooldown)
    finally:
        await run.stop()


@pytest.mark.parametrize("code,says", [
    (4004, "Discord refused the bot token (close code 4004)"),
    (4014, "Discord refused the Message Content intent")])
async def test_a_fatal_close_after_ready_stops_the_bot_with_one_line_and_exit_2(
        tmp_path, fake, capsys, caplog, code, says):
    from cmbot.cli import _run_platforms

    path = tmp_path / "bot.toml"
    path.write_text(CONFIG.format(extra=""))
    task = asyncio.create_task(_run_platforms(load_config(path), ["discord"],
                                              asyncio.Event()))
    caplog.set_level(logging.INFO, logger="cmbot.runtime")
    await fake.wait_for(lambda: [r for r in caplog.records
                                 if r.getMessage() == "health: discord connected"])
    await fake.close_socket(code)
    assert await asyncio.wait_for(task, 10) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"cmbot: stopped: discord: {says}")
    assert fake.identifies == 1  # not retried: retrying cannot fix it


async def test_supervise_backs_off_exponentially_with_jitter_and_stops_on_a_fatal_cause(
        caplog):
    delays: list[float] = []
    runs = 0

    async def flaky() -> None:
        nonlocal runs
        runs += 1
        if runs == 6:
            raise PermissionError("token refused")
        raise ConnectionError("socket closed")

    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    cause = await supervise(
        "test link", flaky, sleep=sleep, backoff=Backoff(first=1, cap=8,
                                                         rng=random.Random(1)),
        fatal=lambda exc: "fix the token" if isinstance(exc, PermissionError) else None)
    assert cause == "fix the token" and runs == 6
    caps = [1, 2, 4, 8, 8]
    assert all(c / 2 <= d <= c for d, c in zip(delays, caps, strict=True))
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert len(tracebacks) == 1  # the same failure again is one line, not a traceback


async def test_the_timekeeper_survives_a_failing_tick(cmbot_harness, caplog, monkeypatch):
    h = await cmbot_harness()
    runtime = h.bot
    calls = 0
    real_tick = runtime.tick

    async def broken_tick() -> None:
        nonlocal calls
        calls += 1
        if calls <= 2:
            raise RuntimeError("database is locked")
        await real_tick()

    monkeypatch.setattr(runtime, "tick", broken_tick)
    task = asyncio.create_task(supervise("timekeeper", runtime._timekeeper,
                                         backoff=Backoff(first=0.01, cap=0.02)))
    try:
        for _ in range(200):
            if calls > 3:
                break
            await asyncio.sleep(0.01)
        assert calls > 3  # it came back after the errors
    finally:
        task.cancel()
    assert len([r for r in caplog.records if r.exc_info]) == 1


@pytest.mark.parametrize("failure", ["dns", "refused"])
async def test_twitch_start_up_without_network_is_one_line_and_exit_2(
        tmp_path, monkeypatch, capsys, failure):
    import socket
    import time

    import aiohttp.connector
    import twitchio.http
    from test_twitch_adapter import CONFIG as TWITCH_CONFIG

    from cmbot.cli import main

    for key, value in (("ID", "cid"), ("SECRET", "secret"), ("TOKEN", "user-token"),
                       ("REFRESH", "refresh-1")):
        monkeypatch.setenv(f"CMBOT_TEST_TWITCH_{key}", value)
    if failure == "dns":
        async def no_dns(self, host, port, traces=None):
            raise OSError(socket.EAI_NONAME, "Name or service not known")
        monkeypatch.setattr(aiohttp.connector.TCPConnector, "_resolve_host", no_dns)
    else:
        with socket.socket() as probe:  # a port nothing listens on
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        monkeypatch.setattr(twitchio.http.Route, "ID_BASE", f"http://127.0.0.1:{port}/")
    path = tmp_path / "bot.toml"
    path.write_text(TWITCH_CONFIG.format(extra=""))
    started = time.monotonic()
    assert await asyncio.to_thread(main, ["run", "-c", str(path)]) == 2
    assert time.monotonic() - started < 20  # no hang
    err = capsys.readouterr().err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("cmbot: could not reach Twitch (cannot ")
    assert "check the network" in last


async def test_twitch_helix_5xx_on_sends_are_survived_and_the_next_message_answered(
        tmp_path, monkeypatch, caplog):
    from fakes.twitch_server import FakeTwitch
    from test_twitch_adapter import CONFIG as TWITCH_CONFIG

    from cmbot.platforms.twitch import TwitchAdapter
    from cmbot.runtime import Runtime

    server = FakeTwitch({"mychannel": "100", "otherchannel": "200"})
    await server.start()
    server.patch(monkeypatch)
    for key, value in (("ID", "cid"), ("SECRET", "secret"), ("TOKEN", "user-token"),
                       ("REFRESH", "refresh-1")):
        monkeypatch.setenv(f"CMBOT_TEST_TWITCH_{key}", value)
    path = tmp_path / "bot.toml"
    path.write_text(TWITCH_CONFIG.format(extra=""))
    config = load_config(path)
    bot = Runtime(config, adapters=[TwitchAdapter(config["twitch"])])
    await bot.start()
    try:
        server.fail_sends = [502]  # (twitchio itself retries a 503 once, after 3 s)
        with caplog.at_level(logging.WARNING):
            await server.chat("mychannel", "viewervic", "!help")
            await server.wait_for(lambda: not server.fail_sends)
            await server.chat("mychannel", "otherviewer", "!next")
            await server.wait_for(lambda: server.texts())
        failed = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert failed == ["posting in #mychannel failed: 502"]  # one line, no traceback
    finally:
        await bot.stop()
        await server.close()
