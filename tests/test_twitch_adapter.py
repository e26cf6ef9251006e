"""The Twitch adapter end to end against a local fake of Twitch's OAuth, Helix and EventSub
websocket: twitchio really logs in, subscribes, receives chat and sends. No network."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest
from fakes.twitch_server import BOT_ID, FakeTwitch

from cmbot.config import load_config
from cmbot.platforms.twitch import TwitchAdapter
from cmbot.platforms.twitch.adapter import TOKEN_KEY
from cmbot.runtime import Runtime

CONFIG = """
[bot]
database = "bot.db"

[twitch]
enabled = true
client_id = {{ env = "CMBOT_TEST_TWITCH_ID" }}
client_secret = {{ env = "CMBOT_TEST_TWITCH_SECRET" }}
bot_token = {{ env = "CMBOT_TEST_TWITCH_TOKEN" }}
refresh_token = {{ env = "CMBOT_TEST_TWITCH_REFRESH" }}
channels = ["mychannel", "otherchannel"]

[communities.main]
channels = ["twitch:mychannel"]

[plugins.faq]
entry_cooldown = 0.0
{extra}
"""


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch):
    server = FakeTwitch({"mychannel": "100", "otherchannel": "200"})
    await server.start()
    server.patch(monkeypatch)
    monkeypatch.setenv("CMBOT_TEST_TWITCH_ID", "cid")
    monkeypatch.setenv("CMBOT_TEST_TWITCH_SECRET", "secret")
    monkeypatch.setenv("CMBOT_TEST_TWITCH_TOKEN", "user-token")
    monkeypatch.setenv("CMBOT_TEST_TWITCH_REFRESH", "refresh-1")
    yield server
    await server.close()


@pytest.fixture
async def running(tmp_path: Path, fake: FakeTwitch):
    bots: list[Runtime] = []

    async def make(extra: str = "") -> Runtime:
        path = tmp_path / "bot.toml"
        path.write_text(CONFIG.format(extra=extra))
        config = load_config(path)
        bot = Runtime(config, adapters=[TwitchAdapter(config["twitch"])])
        bots.append(bot)
        await bot.start()
        return bot

    yield make
    for bot in bots:
        await bot.stop()


async def test_joins_every_configured_channel_with_one_subscription_each(running, fake):
    bot = await running()
    subs = list(fake.subscriptions.values())
    assert sorted(s["condition"]["broadcaster_user_id"] for s in subs) == ["100", "200"]
    assert all(s["type"] == "channel.chat.message" and s["condition"]["user_id"] == BOT_ID
               for s in subs)
    adapter = bot.adapters[next(iter(bot.adapters))]
    assert adapter.channel("mychannel").id == "100"


async def test_viewer_faq_answered_and_moderator_command_and_viewer_refused(running, fake):
    await running()
    await fake.chat("mychannel", "modmia", "!faq add discord Join us at discord.gg/fake",
                    badges=("moderator",))
    await fake.wait_for(lambda: fake.texts("mychannel"))
    assert fake.texts()[-1].startswith("✓")
    await fake.chat("mychannel", "viewervic", "!faq remove discord")
    await fake.wait_for(lambda: len(fake.texts()) == 2)
    assert "is for moderators" in fake.texts()[-1]
    mid = await fake.chat("mychannel", "viewervic", "!faq discord")
    await fake.wait_for(lambda: len(fake.texts()) == 3)
    last = fake.sent[-1]
    assert last["message"] == "Join us at discord.gg/fake"
    assert last["reply_parent_message_id"] == mid
    assert last["sender_id"] == BOT_ID and last["broadcaster_id"] == "100"


async def test_bots_own_messages_are_ignored(running, fake):
    await running()
    await fake.chat("mychannel", "cmbotbot", "!faq list", user_id=BOT_ID,
                    badges=("moderator",))
    await fake.chat("mychannel", "viewervic", "!faq list")
    await fake.wait_for(lambda: fake.texts())
    assert len(fake.texts()) == 1


async def test_shared_chat_messages_from_another_channel_are_ignored(running, fake):
    await running()
    await fake.chat("mychannel", "guest", "!faq list", source="otherchannel")
    await fake.chat("mychannel", "viewervic", "!faq list")
    await fake.wait_for(lambda: fake.texts())
    assert len(fake.texts()) == 1


async def test_toxic_message_deleted_and_timed_out_when_configured(running, fake):
    await running(extra='[plugins.toxicity]\naction_insult = "timeout"\n'
                        'escalation = ["warn", "10m"]\n')
    await fake.chat("mychannel", "troll", "you are a worthless idiot and a loser")
    await fake.wait_for(lambda: fake.helix("POST", "moderation/warnings"))
    warning = fake.helix("POST", "moderation/warnings")[0]
    assert warning.query["broadcaster_id"] == "100" and warning.query["moderator_id"] == BOT_ID
    assert not fake.helix("DELETE", "moderation/chat"), "a first strike is only a warning"
    second = await fake.chat("mychannel", "troll", "you are still a worthless idiot, loser")
    deletes = await fake.wait_for(lambda: fake.helix("DELETE", "moderation/chat"))
    assert deletes[0].query["message_id"] == second
    bans = await fake.wait_for(lambda: fake.helix("POST", "moderation/bans"))
    assert bans[0].body["data"]["duration"] == 600
    assert not [t for t in fake.texts() if "warning" in t], "the native warning replaced chat"


async def test_votes_are_counted_from_twitch_chat(running, fake):
    bot = await running()
    await fake.chat("mychannel", "modmia", '!poll start "Best map?" Dust Mirage',
                    badges=("moderator",))
    await fake.wait_for(lambda: [t for t in fake.texts() if "Best map?" in t])
    for i in range(5):
        await fake.chat("mychannel", f"voter{i}", "!vote 2")
    await fake.chat("mychannel", "voter0", "!vote 2")  # a repeat is not counted twice

    async def votes() -> list:
        return await bot.storage.fetchall("SELECT voter, option FROM poll_votes")

    rows = []
    for _ in range(200):
        rows = await votes()
        if len(rows) >= 5:
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.1)
    rows = await votes()
    assert len(rows) == 5 and {r["option"] for r in rows} == {1}


async def test_session_reconnect_hands_off_without_resubscribing(running, fake):
    await running()
    before = len(fake.helix("POST", "eventsub/subscriptions"))
    await fake.session_reconnect()
    assert len(fake.helix("POST", "eventsub/subscriptions")) == before
    # Twitch moves subscriptions to the new session on a handoff
    for sub in fake.subscriptions.values():
        sub["transport"]["session_id"] = fake.session
    await fake.chat("mychannel", "viewervic", "!faq list")
    await fake.wait_for(lambda: fake.texts())


async def test_lost_connection_reconnects_and_resubscribes(running, fake):
    await running()
    await fake.drop_connection()
    await fake.wait_for(lambda: len([s for s in fake.subscriptions.values()
                                     if s["transport"]["session_id"] == fake.session]) == 2)
    await fake.chat("mychannel", "viewervic", "!faq list")
    await fake.wait_for(lambda: fake.texts())


async def test_flood_of_replies_stays_under_the_twitch_limit(running, fake):
    bot = await running()
    await fake.chat("mychannel", "modmia", "!faq add rules Be kind; no spoilers",
                    badges=("moderator",))
    await fake.wait_for(lambda: fake.texts())
    for i in range(200):
        await fake.chat("mychannel", f"viewer{i}", "!faq rules")
    await fake.wait_for(lambda: len(fake.texts()) >= 20)
    await asyncio.sleep(0.2)  # let anything over the limit arrive if it were going to
    assert len(fake.texts("mychannel")) <= 20, "20 per 30 s for a non-moderator bot"
    assert bot.pending_sends() <= int(bot.config["ratelimit"]["queue_size"])


async def test_refreshed_tokens_are_stored_and_reused(running, fake, caplog):
    fake.valid_user_tokens.discard("user-token")  # expired: twitchio refreshes it
    with caplog.at_level(logging.DEBUG):
        bot = await running()
    await fake.wait_for(lambda: True)
    stored = json.loads(await bot.storage.fetchval(
        "SELECT value FROM platform_state WHERE key=?", (TOKEN_KEY,)))
    assert stored["token"].startswith("user-token-") and stored["user_id"] == BOT_ID
    ours = [r for r in caplog.records if r.name != "aiohttp.access"]  # the fake's own log
    assert not [r for r in ours if stored["token"] in r.getMessage()
                or "refresh-1" in r.getMessage()], "tokens never appear in the bot's logs"


async def test_missing_scope_is_reported_with_the_fix(running, fake, caplog):
    fake.subscribe_status = 403
    with caplog.at_level(logging.ERROR, logger="cmbot.twitch"):
        bot = await running()
    adapter = bot.adapters[next(iter(bot.adapters))]
    assert "user:read:chat" in adapter.failed["mychannel"]
    assert any("user:read:chat" in r.getMessage() for r in caplog.records)


async def test_rejected_message_is_logged_once(running, fake, caplog):
    await running()
    fake.reject_next_send = "msg_duplicate"
    with caplog.at_level(logging.ERROR, logger="cmbot.twitch"):
        await fake.chat("mychannel", "viewervic", "!faq list")
        await fake.wait_for(lambda: [r for r in caplog.records if "msg_duplicate" in
                                     r.getMessage()])


async def test_twitch_auth_stores_the_bot_token_and_the_bot_then_uses_it(tmp_path, fake,
                                                                         monkeypatch):
    import io
    import socket

    import aiohttp

    from cmbot.platforms.twitch.auth import twitch_auth

    monkeypatch.delenv("CMBOT_TEST_TWITCH_TOKEN")
    monkeypatch.delenv("CMBOT_TEST_TWITCH_REFRESH")
    path = tmp_path / "bot.toml"
    path.write_text(CONFIG.format(extra=""))
    config = load_config(path)
    config.check_secrets()  # the user token may live in the database instead
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = io.StringIO()
    task = asyncio.create_task(twitch_auth(config, out, port=port, within=10))
    page = f"http://localhost:{port}/oauth/callback?code=abc"
    async with aiohttp.ClientSession() as session:
        for _ in range(100):
            try:
                async with session.get(page) as response:
                    assert response.status == 200
                    break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
    assert await task == 0
    text = out.getvalue()
    assert f'bot_id = "{BOT_ID}"' in text and "user-token" not in text
    bot = Runtime(config, adapters=[TwitchAdapter(config["twitch"])])
    await bot.start()
    try:
        adapter = bot.adapters[next(iter(bot.adapters))]
        assert adapter.bot_id == BOT_ID and adapter.subscribed == ["mychannel", "otherchannel"]
    finally:
        await bot.stop()


async def test_help_and_events_work_from_twitch_chat(running, fake):
    await running()
    await fake.chat("mychannel", "viewervic", "!help")
    await fake.wait_for(lambda: fake.texts())
    assert "!faq" in fake.texts()[-1]
    await fake.chat("mychannel", "streamer", '!event add "Finale" in 2 days the big one',
                    badges=("broadcaster",))
    await fake.wait_for(lambda: len(fake.texts()) >= 2)
    assert fake.texts()[-1].startswith("✓")
    await fake.chat("mychannel", "viewervic", "!next")
    await fake.wait_for(lambda: len(fake.texts()) >= 3)
    assert "Finale" in fake.texts()[-1]


async def test_wrong_app_credentials_stop_start_up_with_the_fix(running, monkeypatch):
    monkeypatch.setenv("CMBOT_TEST_TWITCH_SECRET", "wrong")
    with pytest.raises(RuntimeError, match="client_id and client_secret"):
        await running()


async def test_more_channels_than_one_connection_allows_are_reported(tmp_path, monkeypatch):
    channels = {f"chan{i}": str(10_000 + i) for i in range(303)}
    server = FakeTwitch(channels)
    await server.start()
    server.patch(monkeypatch)
    for key, value in (("ID", "cid"), ("SECRET", "secret"), ("TOKEN", "user-token"),
                       ("REFRESH", "refresh-1")):
        monkeypatch.setenv(f"CMBOT_TEST_TWITCH_{key}", value)
    path = tmp_path / "bot.toml"
    path.write_text(CONFIG.format(extra="").replace(
        'channels = ["mychannel", "otherchannel"]',
        "channels = [" + ", ".join(f'"{c}"' for c in channels) + "]").replace(
        'channels = ["twitch:mychannel"]', 'channels = ["twitch:chan0"]'))
    config = load_config(path)
    adapter = TwitchAdapter(config["twitch"])
    bot = Runtime(config, adapters=[adapter])
    try:
        await bot.start()
        assert len(adapter.subscribed) == 300  # fetched 100 logins per request
        assert len(server.helix("GET", "users")) == 4
        assert "300 chat subscriptions" in adapter.failed["chan302"]
        await server.chat("chan299", "viewervic", "!faq list")
        await server.wait_for(lambda: server.texts("chan299"))
    finally:
        await bot.stop()
        await server.close()


async def test_a_429_on_send_is_logged_and_the_bot_keeps_going(running, fake, caplog):
    await running()
    fake.rate_limit_next_send = True
    with caplog.at_level(logging.WARNING, logger="cmbot.twitch"):
        await fake.chat("mychannel", "viewervic", "!faq list")
        await fake.wait_for(lambda: [r for r in caplog.records if "rate-limited" in
                                     r.getMessage()])
    assert fake.texts() == []
    await fake.chat("mychannel", "otherviewer", "!help")
    await fake.wait_for(lambda: fake.texts())


async def test_no_token_anywhere_says_to_run_twitch_auth(running, monkeypatch):
    monkeypatch.setenv("CMBOT_TEST_TWITCH_TOKEN", "")
    with pytest.raises(RuntimeError, match="cmbot twitch-auth"):
        await running()


async def test_live_only_timers_post_only_where_the_stream_is_live(running, fake):
    fake.live = {"mychannel"}
    bot = await running()
    adapter = bot.adapters[next(iter(bot.adapters))]
    assert adapter.is_live(adapter.channel("mychannel")) is True
    assert adapter.is_live(adapter.channel("otherchannel")) is False
    for channel in ("mychannel", "otherchannel"):
        await fake.chat(channel, "streamer", "!timer add socials Follow us! every:1m lines:0 "
                        "live:yes", badges=("broadcaster",))
    await fake.wait_for(lambda: len(fake.texts()) == 2)
    bot.clock.advance(61)
    await bot.tick()
    await fake.wait_for(lambda: "Follow us!" in fake.texts("mychannel"))
    assert "Follow us!" not in fake.texts("otherchannel")
