"""Events stored by older versions: rows written before durations were validated."""

import json

import pytest

from cmbot import Role

MOD = {"role": Role.MODERATOR, "user": "mo"}
CONFIG = """
[communities.main]
channels = ["twitch:mychannel", "discord:general"]
timezone = "Europe/Paris"
"""


@pytest.mark.parametrize("stored", ["[NaN]", "[Infinity, 600.0]", "[-Infinity]", "not json"])
async def test_an_event_stored_with_a_non_finite_reminder_can_still_be_shown(
        cmbot_harness, stored):
    h = await cmbot_harness(CONFIG)  # Monday 2026-01-05 13:00 Paris
    await h.say('!event add "Probe" friday 20:00', **MOD)
    await h.advance(5)
    row = await h.bot.storage.fetchone("SELECT scope, origin FROM ann_events WHERE id=1")
    assert row is not None
    origin = json.loads(row["origin"])
    await h.bot.storage.execute(
        "INSERT INTO ann_events(scope, title, starts_at, tz, platforms, reminders, origin, "
        "created_at) VALUES(?,?,?,?,?,?,?,?)",
        (row["scope"], "Old stream", h.clock.time() + 86400, "Europe/Paris",
         json.dumps(["twitch"]), stored, json.dumps(origin), h.clock.time()))
    [shown] = await h.say("!event show 2", **MOD)
    assert shown.text.startswith("#2 Old stream [scheduled]"), shown.text
    assert ("reminders: 10m;" if "600" in stored else "reminders: none;") in shown.text
    await h.advance(5)
    [listed] = await h.say("!event list", **MOD)
    assert "#2 Old stream" in listed.text and "#1 Probe" in listed.text
    await h.advance(5)
    edited = await h.say('!event edit 2 title:"Renamed"', **MOD)
    assert edited[0].text.startswith("✓ event #2 updated"), edited[0].text
