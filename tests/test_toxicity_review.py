"""Moderators' decisions the platform refuses: the flag stays open for another try."""

import pytest

from cmbot import Platform, Role

D = Platform.DISCORD
MOD = {"role": Role.MODERATOR, "user": "mo"}
CONFIG = ("[communities.main]\nchannels = [\"twitch:mychannel\", \"discord:general\"]\n"
          "mod_channels = [\"discord:mod-log\"]\n[plugins.toxicity]\n")


@pytest.mark.parametrize(("command", "refused", "status", "logged"), [
    ("!flag timeout 1 5m", "timeout", "timedout", "timeout"),
    ("!flag remove 1", "delete", "removed", "delete"),
])
async def test_a_decision_the_platform_refuses_leaves_the_flag_open(
        cmbot_harness, command, refused, status, logged):
    h = await cmbot_harness(CONFIG)
    await h.say("you are trash", user="troll", platform=D)
    h.platforms[D].refuse.add(refused)
    sent = await h.say(command, platform=D, **MOD)
    assert [s.kind for s in sent if s.kind in ("timeout", "delete")] == []
    [reply] = [s for s in sent if s.reply_to is not None]
    assert reply.text.startswith("✗ flag #1 stays open: not ") and "refused" in reply.text
    row = await h.bot.storage.fetchone("SELECT status, decided_by FROM tox_flags WHERE id=1")
    assert (row["status"], row["decided_by"]) == ("open", None)
    actions = [r["action"] for r in await h.bot.storage.fetchall(
        "SELECT action FROM tox_modlog WHERE by='mo'")]
    assert actions == [f"{refused} refused"]
    assert (await h.say("!flags", platform=D, **MOD))[0].text.startswith("1 open: #1 troll")
    await h.advance(5)
    h.platforms[D].refuse.clear()  # the permission is given back: the same decision works
    done = await h.say(command, platform=D, **MOD)
    assert done[-1].text.startswith("✓ flag #1")
    row = await h.bot.storage.fetchone("SELECT status, decided_by FROM tox_flags WHERE id=1")
    assert (row["status"], row["decided_by"]) == (status, "mo")
    actions = [r["action"] for r in await h.bot.storage.fetchall(
        "SELECT action FROM tox_modlog WHERE by='mo' ORDER BY id")]
    assert actions == [f"{refused} refused", logged]
