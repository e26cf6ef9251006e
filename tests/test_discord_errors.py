"""What the Discord adapter tells the admin when Discord says no: the fix it names must
match the error (by status and Discord's error code), never send them the wrong way.
Against the local fake of Discord; no network."""

from __future__ import annotations

import asyncio
import logging

import pytest
from fakes.discord_server import APP_ID, CHANNELS
from test_discord_servers import BY_NAME, MOD, start

from cmbot.model import User

__all__ = ["start"]  # fixtures


def slash(name: str, sub: str, **options: object) -> dict:
    opts = [{"name": k, "type": 3 if isinstance(v, str) else 4, "value": v}
            for k, v in options.items()]
    return {"id": "77", "name": name, "type": 1,
            "options": [{"type": 1, "name": sub, "options": opts}]}


def replies_to(fake, iid: str) -> list[dict]:
    return [m for m in fake.messages if m.get("interaction_id") == iid
            or m.get("followup_token") == f"tok{iid}"]


def logged(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "cmbot.discord"]


@pytest.mark.parametrize("status, code, message, hint, not_hint", [
    (400, 50035, "Invalid Form Body", "rejected a command definition", "applications.commands"),
    (403, 50001, "Missing Access", "applications.commands scope", "rejected"),
    (404, 10002, "Unknown Application", "published again at the next start",
     "applications.commands"),
])
async def test_a_failed_command_publish_names_the_fix_for_that_error(start, fake, caplog,
                                                                     status, code, message,
                                                                     hint, not_hint):
    fake.command_error = (status, code, message)
    with caplog.at_level(logging.ERROR, logger="cmbot.discord"):
        _, adapter = await start(BY_NAME)
    [problem] = [m for m in logged(caplog) if "publishing" in m]
    assert hint in problem and not_hint not in problem, problem
    assert message in problem
    if status == 403:
        assert f"client_id={APP_ID}" in problem, "the invite URL to use"
    assert adapter.commands_synced == 0


async def test_a_scheduled_event_deleted_in_discord_is_created_again(start, fake, caplog):
    await start(BY_NAME)
    iid = await fake.interact("general", **MOD, data=slash(
        "event", "add", title="Finale", when_and_description="in 3 days the big finale"))
    await fake.wait_for(lambda: replies_to(fake, iid))
    [first] = await fake.wait_for(lambda: list(fake.events))
    fake.events.clear()  # an admin deleted it in Discord
    with caplog.at_level(logging.WARNING, logger="cmbot.discord"):
        iid = await fake.interact("general", **MOD, data=slash("event", "edit", id=1,
                                                               title="Grand finale"))
        await fake.wait_for(lambda: replies_to(fake, iid))
        [again] = await fake.wait_for(lambda: [e for e in fake.events.values()
                                               if e["name"] == "Grand finale"])
    assert again["id"] != first
    assert not [m for m in logged(caplog) if "no longer exists" in m]


async def test_a_404_is_only_called_a_missing_channel_when_discord_says_so(start, fake,
                                                                         caplog):
    bot, adapter = await start(BY_NAME)
    channel = adapter.channel("general")
    member = User(channel.platform, "12", "viewervic")
    fake.unrouted.add("members")  # a route Discord does not have (404, code 0)
    with caplog.at_level(logging.WARNING, logger="cmbot.discord"):
        result = await bot.outbound.timeout("test", member, channel, 60, "test")
    assert not result
    messages = logged(caplog)
    assert not [m for m in messages if "no longer exists" in m], messages
    assert [m for m in messages if "404 (code 0)" in m], messages
    fake.unrouted.clear()
    fake.deleted_channels.add(CHANNELS["general"])
    with caplog.at_level(logging.WARNING, logger="cmbot.discord"):
        assert await bot.outbound.send(channel, "hello") is None
    gone = [m for m in logged(caplog) if "no longer exists" in m]
    assert len(gone) == 1 and "remove it from the config" in gone[0]
    await asyncio.sleep(0)


async def test_an_interaction_without_a_channel_object_runs_in_its_channel(start, fake,
                                                                          caplog):
    await start(BY_NAME)
    await fake.say("general", MOD["uid"], MOD["name"],
                   "!faq add discord Join us at discord.gg/fake", mod=True)
    await fake.wait_for(lambda: fake.channel_texts("general"))
    with caplog.at_level(logging.WARNING):
        iid = await fake.interact("general", **MOD, channel_object=False,
                                  data=slash("faq", "ask", key="discord"))
        answer = (await fake.wait_for(lambda: replies_to(fake, iid)))[0]
        assert answer["content"] == "Join us at discord.gg/fake", "the community's entry"
        iid = await fake.interact("general", **MOD, channel_object=False, data=slash(
            "poll", "start", question_and_options='"Best map?" Dust Mirage'))
        await fake.wait_for(lambda: replies_to(fake, iid))
        poll = await fake.wait_for(lambda: [m for m in fake.messages if m.get("components")
                                            and "Best map?" in m["content"]])
    assert poll[0]["channel_id"] == str(CHANNELS["general"])
    assert not [r for r in caplog.records if "None" in r.getMessage()]
    assert not [c for c in fake.calls if "None" in c.path]


async def test_an_interaction_with_no_channel_at_all_is_answered_through_it_only(start, fake,
                                                                                caplog):
    await start(BY_NAME)
    with caplog.at_level(logging.WARNING):
        iid = await fake.interact("general", **MOD, channel_object=False, channel_id=False,
                                  data=slash("poll", "start",
                                             question_and_options='"Best map?" Dust Mirage'))
        reply = (await fake.wait_for(lambda: replies_to(fake, iid)))[0]
        await asyncio.sleep(0.2)
    assert "did not say which channel" in reply["content"] and reply["flags"] & 64
    assert not [m for m in fake.messages if m.get("components")], "no poll was started"
    assert not [r for r in caplog.records if "None" in r.getMessage()]
    assert not [c for c in fake.calls if "None" in c.path]
