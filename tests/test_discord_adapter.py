"""The Discord adapter end to end against a local fake of Discord's REST API and gateway:
discord.py really logs in, connects, receives events and makes HTTP calls. No network."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest
from fakes.discord_server import APP_ID, CHANNELS, FakeDiscord

from cmbot.config import load_config
from cmbot.platforms.discord import DiscordAdapter
from cmbot.runtime import Runtime

CONFIG = """
[bot]
database = "bot.db"
log_level = "WARNING"

[discord]
enabled = true
token = {{ env = "CMBOT_TEST_DISCORD_TOKEN" }}

[communities.main]
channels = ["discord:general"]
mod_channels = ["discord:mod-log"]
announce_channels = ["discord:announcements"]

[plugins.faq]
entry_cooldown = 0.0
{extra}
"""

MOD = dict(uid=11, name="modmia", mod=True)
VIEWER = dict(uid=12, name="viewervic")


class Running:
    def __init__(self, tmp_path: Path, fake: FakeDiscord, extra: str = "") -> None:
        path = tmp_path / "bot.toml"
        path.write_text(CONFIG.format(extra=extra))
        self.config_path = path
        self.fake = fake
        self.bot: Runtime | None = None
        self.adapter: DiscordAdapter | None = None

    async def start(self) -> Runtime:
        config = load_config(self.config_path)
        self.adapter = DiscordAdapter(config["discord"], ready_timeout=10,
                                      guild_ready_timeout=0.2)
        self.bot = Runtime(config, adapters=[self.adapter])
        await self.bot.start()
        return self.bot

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.stop()


@pytest.fixture
async def running(tmp_path: Path, fake: FakeDiscord):
    runs: list[Running] = []

    async def make(extra: str = "") -> Running:
        run = Running(tmp_path, fake, extra)
        await run.start()
        runs.append(run)
        return run

    yield make
    for run in runs:
        await run.stop()


def slash(name: str, sub: str | None = None, **options: object) -> dict:
    opts = [{"name": k, "type": 3 if isinstance(v, str) else 4, "value": v}
            for k, v in options.items()]
    if sub is not None:
        opts = [{"type": 1, "name": sub, "options": opts}]
    return {"id": "77", "name": name, "type": 1, "options": opts}


def replies_to(fake: FakeDiscord, iid: str) -> list[dict]:
    return [m for m in fake.messages if m.get("interaction_id") == iid
            or m.get("followup_token") == f"tok{iid}"]


async def test_connects_publishes_commands_once_and_not_again_after_restart(running, fake):
    run = await running()
    puts = [c for c in fake.calls if c.method == "PUT" and c.path.endswith("/commands")]
    assert len(puts) == 1 and puts[0].path == f"/applications/{APP_ID}/commands"
    names = {c["name"] for c in fake.commands}
    assert {"faq", "poll", "vote", "flags", "flag", "event", "help"} <= names
    faq = next(c for c in fake.commands if c["name"] == "faq")
    subs = {o["name"]: o for o in faq["options"]}
    assert {"ask", "add", "edit", "remove", "teach", "list"} <= set(subs)
    ask_key = subs["ask"]["options"][0]
    assert ask_key["autocomplete"] is True
    # viewers may use /faq ask, so the group is visible to everyone; /flag is mods-only
    assert faq["default_member_permissions"] is None
    flag = next(c for c in fake.commands if c["name"] == "flag")
    assert flag["default_member_permissions"] == str(1 << 13)
    await run.stop()
    again = await running()
    assert again.adapter.commands_synced == 0
    assert len([c for c in fake.calls if c.method == "PUT"]) == 1


async def test_moderator_slash_command_runs_and_viewer_is_refused_privately(running, fake):
    await running()
    iid = await fake.interact("general", **MOD, data=slash(
        "faq", "add", key="discord", answer="Join us at discord.gg/fake"))
    reply = (await fake.wait_for(lambda: replies_to(fake, iid)))[0]
    assert reply["content"].startswith("✓") and "discord" in reply["content"]
    iid = await fake.interact("general", **VIEWER, data=slash(
        "faq", "remove", key="discord"))
    refused = (await fake.wait_for(lambda: replies_to(fake, iid)))[0]
    assert "is for moderators" in refused["content"]
    assert refused["flags"] & 64, "a refusal is ephemeral: only the viewer sees it"
    iid = await fake.interact("general", **VIEWER, data=slash("faq", "ask", key="discord"))
    answer = (await fake.wait_for(lambda: replies_to(fake, iid)))[0]
    assert answer["content"] == "Join us at discord.gg/fake"
    assert answer["allowed_mentions"]["parse"] == []


async def test_autocomplete_offers_faq_keys(running, fake):
    await running()
    for key in ("discord", "keyboard"):
        iid = await fake.interact("general", **MOD, data=slash("faq", "add", key=key,
                                                               answer="x y z"))
        await fake.wait_for(lambda iid=iid: replies_to(fake, iid))
    data = slash("faq", "ask", key="key")
    data["options"][0]["options"][0]["focused"] = True
    iid = await fake.interact("general", **VIEWER, data=data, kind=4)
    call = await fake.wait_for(lambda: [c for c in fake.calls
                                        if c.path == f"/interactions/{iid}/tok{iid}/callback"])
    assert call[0].body["type"] == 8
    assert [c["value"] for c in call[0].body["data"]["choices"]] == ["keyboard"]


async def test_faq_auto_answers_a_plain_chat_question(running, fake):
    await running()
    iid = await fake.interact("general", **MOD, data=slash(
        "faq", "add", key="keyboard", answer="A Keychron Q1 with brown switches"))
    await fake.wait_for(lambda: replies_to(fake, iid))
    iid = await fake.interact("general", **MOD, data=slash(
        "faq", "teach", key="keyboard", question="what keyboard do you use?"))
    await fake.wait_for(lambda: replies_to(fake, iid))
    mid = await fake.say("general", 12, "viewervic", "hey what keyboard are you using?")
    await fake.wait_for(lambda: fake.channel_texts("general"))
    sent = [m for m in fake.messages if m.get("channel_id") == str(CHANNELS["general"])
            and not m.get("webhook")]
    assert sent[0]["content"] == "A Keychron Q1 with brown switches"
    assert str(sent[0]["message_reference"]["message_id"]) == mid
    await fake.say("general", 12, "viewervic", "lol that play was wild")
    await asyncio.sleep(0.3)
    assert len(fake.channel_texts("general")) == 1, "chatter is left alone"


async def test_flagged_message_goes_to_mod_log_with_buttons_and_remove_deletes_it(running,
                                                                                  fake):
    await running()
    mid = await fake.say("general", 12, "viewervic", "you are a worthless idiot and a loser")
    await fake.wait_for(lambda: fake.channel_texts("mod-log"))
    notice = next(m for m in fake.messages
                  if m.get("channel_id") == str(CHANNELS["mod-log"]))
    buttons = [b for row in notice["components"] for b in row["components"]]
    ids = [b["custom_id"] for b in buttons]
    assert [b["label"] for b in buttons] == ["Allow", "Remove", "Timeout"]
    assert ids[1].startswith("cmbot:flag remove ")
    # a viewer pressing the mod button is refused, privately
    iid = await fake.interact("mod-log", **VIEWER, kind=3,
                              data={"custom_id": ids[1], "component_type": 2},
                              message=notice)
    refused = (await fake.wait_for(lambda: replies_to(fake, iid)))[0]
    assert "is for moderators" in refused["content"] and refused["flags"] & 64
    assert not [c for c in fake.calls if c.method == "DELETE"]
    iid = await fake.interact("mod-log", **MOD, kind=3,
                              data={"custom_id": ids[1], "component_type": 2},
                              message=notice)
    await fake.wait_for(lambda: [c for c in fake.calls if c.method == "DELETE"])
    delete = next(c for c in fake.calls if c.method == "DELETE")
    assert delete.path == f"/channels/{CHANNELS['general']}/messages/{mid}"
    await fake.wait_for(lambda: replies_to(fake, iid))


async def test_timeout_action_calls_member_timeout(running, fake):
    await running(extra='[plugins.toxicity]\naction_insult = "timeout"\n'
                        'escalation = ["10m"]\n')
    await fake.say("general", 12, "viewervic", "you are a worthless idiot and a loser")
    patch = await fake.wait_for(lambda: [c for c in fake.calls if c.method == "PATCH"
                                         and "/members/12" in c.path])
    assert patch[0].body["communication_disabled_until"]


async def test_a_timeout_discord_refuses_is_not_announced_as_done(running, fake):
    await running(extra='[plugins.toxicity]\naction_insult = "timeout"\n'
                        'escalation = ["1m"]\n')
    fake.forbid_timeouts = True  # Timeout Members removed from the bot's role
    await fake.say("general", 12, "viewervic", "you are a worthless idiot and a loser")
    [notice] = await fake.wait_for(lambda: [t for t in fake.channel_texts("mod-log")
                                            if t.startswith("🚩 flag #1")])
    assert "timeout refused by the platform (missing permission) — flagged for review" \
        in notice and "timed out" not in notice


async def test_poll_voted_with_buttons_counts_once_and_acks_privately(running, fake):
    run = await running()
    iid = await fake.interact("general", **MOD, data=slash(
        "poll", "start", question_and_options='"Best map?" Dust Mirage'))
    await fake.wait_for(lambda: replies_to(fake, iid))
    poll = (await fake.wait_for(lambda: [m for m in fake.messages if m.get("components")]))[0]
    assert poll["channel_id"] == str(CHANNELS["general"]) and "Best map?" in poll["content"]
    buttons = [b for row in poll["components"] for b in row["components"]]
    assert [b["custom_id"] for b in buttons] == ["cmbot:vote 1", "cmbot:vote 2"]
    for uid in (21, 22, 23):
        vid = await fake.interact("general", uid=uid, name=f"v{uid}", kind=3,
                                  data={"custom_id": "cmbot:vote 2", "component_type": 2},
                                  message=poll)
        ack = (await fake.wait_for(lambda vid=vid: replies_to(fake, vid)))[0]
        assert ack["content"] == "✓ vote counted: Mirage" and ack["flags"] & 64
    vid = await fake.interact("general", uid=21, name="v21", kind=3,
                              data={"custom_id": "cmbot:vote 2", "component_type": 2},
                              message=poll)
    ack = (await fake.wait_for(lambda: replies_to(fake, vid)))[0]
    assert "already voted" in ack["content"]
    rid = await fake.interact("general", **MOD, data=slash("poll", "results"))
    results = (await fake.wait_for(lambda: replies_to(fake, rid)))[0]
    assert "Mirage" in results["content"] and "3" in results["content"]
    # the buttons of a message posted before a restart still work after it
    await run.stop()
    await running()
    vid = await fake.interact("general", uid=24, name="v24", kind=3,
                              data={"custom_id": "cmbot:vote 1", "component_type": 2},
                              message=poll)
    ack = (await fake.wait_for(lambda: replies_to(fake, vid)))[0]
    assert ack["content"] == "✓ vote counted: Dust"


async def test_event_creates_a_native_scheduled_event(running, fake):
    await running()
    iid = await fake.interact("general", **MOD, data=slash(
        "event", "add", title="Finale", when_and_description="in 3 days the big finale"))
    await fake.wait_for(lambda: replies_to(fake, iid))
    event = (await fake.wait_for(lambda: list(fake.events.values())))[0]
    assert event["name"] == "Finale" and event["entity_type"] == 3
    assert event["entity_metadata"]["location"]
    # edits and cancellations reach the same native event (they called methods
    # discord.py does not have, so the Discord event kept the old title for ever)
    iid = await fake.interact("general", **MOD, data=slash("event", "edit", id=1,
                                                           title="Grand finale"))
    await fake.wait_for(lambda: replies_to(fake, iid))
    await fake.wait_for(lambda: [e for e in fake.events.values()
                                 if e["name"] == "Grand finale"])
    iid = await fake.interact("general", **MOD, data=slash("event", "cancel", id=1))
    await fake.wait_for(lambda: replies_to(fake, iid))
    await fake.wait_for(lambda: not fake.events)


async def test_slash_option_values_reach_the_command_verbatim(running, fake):
    """Typed options are passed as values, never turned into a chat line and parsed
    again: a description with "where:" or quotes is text, not a keyword or a quote."""
    await running()
    iid = await fake.interact("general", **MOD, data=slash(
        "event", "add", title='Movie "night" «1»',
        when_and_description='in 3 days meet where: the usual place, bring "snacks"'))
    reply = (await fake.wait_for(lambda: replies_to(fake, iid)))[0]
    assert reply["content"].startswith("✓ event #1 “Movie \"night\" «1»”"), reply["content"]
    event = (await fake.wait_for(lambda: list(fake.events.values())))[0]
    assert 'meet where: the usual place, bring "snacks"' in event["description"]


async def test_reconnect_resumes_and_keeps_answering(running, fake):
    run = await running()
    iid = await fake.interact("general", **MOD, data=slash(
        "faq", "add", key="discord", answer="Join us at discord.gg/fake"))
    await fake.wait_for(lambda: replies_to(fake, iid))
    await fake.reconnect()
    assert fake.resumes == 1 and fake.identifies == 1
    iid = await fake.interact("general", **VIEWER, data=slash("faq", "ask", key="discord"))
    answer = (await fake.wait_for(lambda: replies_to(fake, iid)))[0]
    assert answer["content"] == "Join us at discord.gg/fake"
    assert run.adapter.commands_synced == 1


async def test_missing_permissions_are_logged_once_and_never_crash(running, fake, caplog):
    run = await running()
    fake.forbidden_channels.add(CHANNELS["general"])
    channel = run.adapter.channel("general")
    with caplog.at_level(logging.ERROR, logger="cmbot.discord"):
        for _ in range(3):
            assert await run.bot.outbound.send(channel, "hello") is None
            run.bot.clock.advance(10) if hasattr(run.bot.clock, "advance") else None
    problems = [r for r in caplog.records if "missing permissions" in r.getMessage()]
    assert len(problems) == 1
    assert "Send Messages" in problems[0].getMessage()
    fake.deleted_channels.add(CHANNELS["announcements"])
    gone = run.adapter.channel("announcements")
    with caplog.at_level(logging.ERROR, logger="cmbot.discord"):
        for _ in range(3):
            assert await run.bot.outbound.send(gone, "hello") is None
    problems = [r for r in caplog.records if "no longer exists" in r.getMessage()]
    assert len(problems) == 1 and "remove it from the config" in problems[0].getMessage()


async def test_gateway_message_to_reply_latency(running, fake):
    """Time from a MESSAGE_CREATE leaving the fake to the reply's POST arriving."""
    await running()
    iid = await fake.interact("general", **MOD, data=slash(
        "faq", "add", key="discord", answer="Join us at discord.gg/fake"))
    await fake.wait_for(lambda: replies_to(fake, iid))
    iid = await fake.interact("general", **MOD, data=slash(
        "faq", "teach", key="discord", question="how do I join the discord server?"))
    await fake.wait_for(lambda: replies_to(fake, iid))
    latencies = []
    for i in range(5):
        before = len(fake.channel_texts("general"))
        start = time.perf_counter()
        await fake.say("general", 30 + i, f"u{i}", "how can I join the discord server?")
        await fake.wait_for(lambda b=before: len(fake.channel_texts("general")) > b)
        latencies.append(time.perf_counter() - start)
        await asyncio.sleep(0)
    assert max(latencies) < 2.0


async def test_cmbot_run_starts_the_enabled_platform_and_stops_cleanly(tmp_path, fake, capsys):
    from cmbot.cli import _run_platforms

    path = tmp_path / "bot.toml"
    path.write_text(CONFIG.format(extra=""))
    stop = asyncio.Event()
    task = asyncio.create_task(_run_platforms(load_config(path), ["discord"], stop))
    await fake.wait_for(lambda: fake.identifies == 1)
    await fake.wait_for(lambda: fake.commands)
    await fake.say("general", 12, "viewervic", "!help")
    await fake.wait_for(lambda: fake.channel_texts("general"))
    stop.set()
    assert await task == 0
    assert "running on discord" in capsys.readouterr().out


async def test_a_refused_token_is_a_clear_error(tmp_path, fake, monkeypatch, capsys):
    from cmbot.cli import main

    path = tmp_path / "bot.toml"
    path.write_text(CONFIG.format(extra=""))
    monkeypatch.setenv("CMBOT_TEST_DISCORD_TOKEN", "")
    assert await asyncio.to_thread(main, ["run", "-c", str(path)]) == 2
    assert "CMBOT_TEST_DISCORD_TOKEN is not set" in capsys.readouterr().err


async def test_oversized_or_hostile_slash_options_are_refused_and_nothing_is_stored(running,
                                                                                     fake):
    run = await running()
    iid = await fake.interact("general", **MOD, data=slash(
        "faq", "add", key="huge", answer="x" * 3000))
    refused = (await fake.wait_for(lambda: replies_to(fake, iid)))[0]
    assert "longer than 2000 characters" in refused["content"] and refused["flags"] & 64
    iid = await fake.interact("general", **MOD, data=slash(
        "faq", "add", key="zalgo", answer="he\u0301\u0302\u0303\u0304llo\x00 there"))
    reply = (await fake.wait_for(lambda: replies_to(fake, iid)))[0]
    assert reply["content"].startswith("✓")
    rows = await run.bot.storage.fetchall("SELECT key, answer FROM faq_entries")
    assert [(r["key"], "\x00" in r["answer"]) for r in rows] == [("zalgo", False)]


async def test_missing_message_content_intent_says_how_to_fix_it(tmp_path, fake):
    fake.refuse_intents = True
    run = Running(tmp_path, fake)
    with pytest.raises(RuntimeError, match="Message Content") as error:
        await run.start()
    assert "message_content = false" in str(error.value)
    await run.stop()


async def test_exports_are_attached_on_discord(running, fake):
    await running()
    iid = await fake.interact("general", **MOD, data=slash(
        "faq", "add", key="discord", answer="Join us at discord.gg/fake"))
    await fake.wait_for(lambda: replies_to(fake, iid))
    iid = await fake.interact("general", **MOD, data=slash("faq", "export", format="csv"))
    reply = (await fake.wait_for(lambda: replies_to(fake, iid)))[0]
    assert reply["content"].startswith("✓ exported 1 entries")
    [(name, content)] = reply["files"]
    assert name.endswith(".csv") and b"discord.gg/fake" in content


async def test_faq_import_takes_an_uploaded_file(running, fake):
    run = await running()
    upload = fake.upload("ours.csv", b"key,answer,aliases,phrasings\n"
                                     b"merch,Shop at example.com/merch,shop,where is the merch\n")
    data = slash("faq", "import", file=upload["id"])
    data["options"][0]["options"][0]["type"] = 11
    data["resolved"] = {"attachments": {upload["id"]: upload}}
    iid = await fake.interact("general", **MOD, data=data)
    reply = (await fake.wait_for(lambda: replies_to(fake, iid)))[0]
    assert reply["content"] == "✓ imported ours.csv: 1 new, 0 updated"
    rows = await run.bot.storage.fetchall("SELECT key FROM faq_entries")
    assert [r["key"] for r in rows] == ["merch"]
    imports = next(o for c in fake.commands if c["name"] == "faq" for o in c["options"]
                   if o["name"] == "import")
    assert imports["options"][0]["type"] == 11


async def test_an_edited_message_is_moderated_again_but_never_answered_twice(running, fake):
    await running()
    mid = await fake.say("general", 12, "viewervic", "what a great run today")
    await asyncio.sleep(0.2)
    assert not fake.channel_texts("mod-log")
    await fake.edit("general", mid, 12, "viewervic", "what a great run today")  # embed update
    await asyncio.sleep(0.2)
    assert not fake.channel_texts("mod-log")
    await fake.edit("general", mid, 12, "viewervic", "you are a worthless idiot and a loser")
    notice = (await fake.wait_for(lambda: fake.channel_texts("mod-log")))[0]
    assert "worthless idiot" in notice
    assert not fake.channel_texts("general")
