"""Who moderates on Discord: roles come from server-wide permissions (or configured
roles), never from a permission granted in one channel; and an action a moderator orders
needs its own Discord permission (Timeout Members, Manage Messages) on the moderator.
Against the local fake of Discord; no network."""

from __future__ import annotations

import asyncio

from fakes.discord_server import CHANNEL_MOD, HELPER_ROLE, MOD_PERMS
from test_discord_servers import BY_NAME, MOD, TOXIC, VIEWER, member_patches, said, start

__all__ = ["start"]  # fixtures

HELPER = dict(uid=14, name="helperhal", roles=(HELPER_ROLE,))


def replies_to(fake, iid: str) -> list[dict]:
    return [m for m in fake.messages if m.get("interaction_id") == iid
            or m.get("followup_token") == f"tok{iid}"]


async def flagged(fake, count: int) -> None:
    for _ in range(count):
        await fake.say("general", VIEWER["uid"], VIEWER["name"], TOXIC)
    await fake.wait_for(lambda: len(fake.channel_texts("mod-log")) == count)


async def test_a_permission_in_one_channel_does_not_make_a_moderator(start, fake):
    await start(BY_NAME)
    await flagged(fake, 1)
    chan_mod = dict(uid=CHANNEL_MOD, name="chanchad")
    refused = await said(fake, "general", "!flags", **chan_mod)
    assert "is for moderators" in refused, refused
    refused = await said(fake, "general", "!flag timeout 1", **chan_mod)
    assert "is for moderators" in refused, refused
    iid = await fake.interact("general", **chan_mod, channel_perms=MOD_PERMS,
                              data={"id": "77", "name": "flags", "type": 1, "options": []})
    reply = (await fake.wait_for(lambda: replies_to(fake, iid)))[0]
    assert "is for moderators" in reply["content"], reply["content"]
    await asyncio.sleep(0.2)
    assert member_patches(fake) == []
    listed = await said(fake, "general", "!flags", **MOD)  # a server-wide moderator
    assert "worthless" in listed


async def test_an_action_needs_its_own_permission_on_whoever_orders_it(start, fake):
    await start(BY_NAME, f'moderator_role_ids = ["{HELPER_ROLE}"]')
    await flagged(fake, 2)
    listed = await said(fake, "mod-log", "!flags", **HELPER)
    assert "worthless" in listed, "a configured moderator role makes a moderator"
    refused = await said(fake, "mod-log", "!flag timeout 1", **HELPER)
    assert "lacks the Timeout Members permission" in refused, refused
    refused = await said(fake, "mod-log", "!flag remove 2", **HELPER)
    assert "lacks the Manage Messages permission" in refused, refused
    await asyncio.sleep(0.2)
    assert member_patches(fake) == []
    assert not [c for c in fake.calls if c.method == "DELETE"]
