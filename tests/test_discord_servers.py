"""One bot in several Discord servers: a channel belongs to its server, so another server
(one its owner invited the bot to) never reaches a community configured for the first,
whatever its channels are named. Against the local fake of Discord; no network."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from fakes.discord_server import (
    CHANNELS,
    GUILD_ID,
    OTHER_GUILD,
    OTHER_OWNER,
    FakeDiscord,
)

from cmbot.config import load_config
from cmbot.platforms.discord import DiscordAdapter
from cmbot.runtime import Runtime

BASE = """
[bot]
database = "bot.db"
log_level = "WARNING"

[discord]
enabled = true
token = {{ env = "CMBOT_TEST_DISCORD_TOKEN" }}
{discord}

[communities.main]
{community}

[plugins.faq]
entry_cooldown = 0.0
"""

BY_NAME = ('channels = ["discord:general"]\nmod_channels = ["discord:mod-log"]\n'
           'announce_channels = ["discord:announcements"]')
BY_SERVER = (f'channels = ["discord:{GUILD_ID}/general"]\n'
             f'mod_channels = ["discord:{GUILD_ID}/mod-log"]\n'
             f'announce_channels = ["discord:{GUILD_ID}/announcements"]')
BY_ID = (f'channels = ["discord:{CHANNELS["general"]}"]\n'
         f'mod_channels = ["discord:{CHANNELS["mod-log"]}"]\n'
         f'announce_channels = ["discord:{CHANNELS["announcements"]}"]')
EVERY = f'channels = ["discord:*"]\nmod_channels = ["discord:{GUILD_ID}/mod-log"]'

MOD = dict(uid=11, name="modmia", mod=True)
VIEWER = dict(uid=12, name="viewervic")
ATTACKER = dict(uid=OTHER_OWNER, name="mallory", guild=OTHER_GUILD)  # owns the other server
TOXIC = "you are a worthless idiot and a loser"


@pytest.fixture
async def start(tmp_path: Path, fake: FakeDiscord):
    bots: list[Runtime] = []

    async def make(community: str, discord: str = "") -> tuple[Runtime, DiscordAdapter]:
        path = tmp_path / "bot.toml"
        path.write_text(BASE.format(community=community, discord=discord))
        config = load_config(path)
        adapter = DiscordAdapter(config["discord"], ready_timeout=10, guild_ready_timeout=0.2)
        bot = Runtime(config, adapters=[adapter])
        await bot.start()
        bots.append(bot)
        return bot, adapter

    yield make
    for bot in bots:
        await bot.stop()


async def said(fake: FakeDiscord, channel: str, text: str, *, uid: int, name: str,
               mod: bool = False, guild: int = GUILD_ID, roles: tuple[int, ...] = ()) -> str:
    """Say ``text`` and return the bot's next message in that channel."""
    before = len(fake.channel_texts(channel, guild))
    await fake.say(channel, uid, name, text, mod=mod, guild=guild, roles=roles)
    texts = await fake.wait_for(lambda: fake.channel_texts(channel, guild)[before:])
    return str(texts[0])


def member_patches(fake: FakeDiscord) -> list[str]:
    return [c.path for c in fake.calls if c.method == "PATCH" and "/members/" in c.path]


@pytest.mark.parametrize("refs, joins_later, from_channel", [
    (BY_NAME, True, "general"),  # the default config; the attacker invites the bot later
    (BY_NAME, True, str(CHANNELS["general"])),  # a channel named like the victim's id
    (BY_SERVER, False, "general"),
    (BY_ID, False, str(CHANNELS["general"])),
    (EVERY, True, "general"),
])
async def test_another_server_cannot_reach_the_community(start, fake, refs, joins_later,
                                                         from_channel):
    fake.in_other_guild = not joins_later
    bot, adapter = await start(refs)
    answer = await said(fake, "general", "!faq add discord Join us at discord.gg/fake", **MOD)
    assert answer.startswith("✓")
    await fake.say("general", VIEWER["uid"], VIEWER["name"], TOXIC)
    notice = (await fake.wait_for(lambda: fake.channel_texts("mod-log")))[0]
    assert "flag #1" in notice
    if joins_later:
        await fake.join_other()
        await fake.wait_for(lambda: adapter.client.get_guild(OTHER_GUILD))
    victim_texts = {name: list(fake.channel_texts(name)) for name in CHANNELS}
    here = dict(ATTACKER)
    edit = await said(fake, from_channel, "!faq edit discord Send your password to evil.test",
                      **here)
    assert not edit.startswith("✓"), edit
    flags = await said(fake, from_channel, "!flags", **here)
    assert "worthless" not in flags and "empty" in flags
    timeout = await said(fake, from_channel, "!flag timeout 1", **here)
    assert "no flag #1 here" in timeout
    poll = await said(fake, from_channel, '!poll start "Free nitro?" yes no', **here)
    assert "Free nitro?" in poll
    await asyncio.sleep(0.2)
    assert member_patches(fake) == []
    assert not [c for c in fake.calls if c.method == "DELETE"]
    assert {name: fake.channel_texts(name) for name in CHANNELS} == victim_texts, \
        "nothing the other server did was posted in this server's channels"
    rows = await bot.storage.fetchall("SELECT scope, answer FROM faq_entries")
    assert [r["answer"] for r in rows if r["scope"] == "community:main"] == [
        "Join us at discord.gg/fake"]
    answer = await said(fake, "general", "!faq discord", **VIEWER)
    assert answer == "Join us at discord.gg/fake"
    flags = await said(fake, "mod-log", "!flags", **MOD)
    assert "worthless" in flags, "the community's own queue is untouched"


async def test_bare_names_in_several_servers_without_guild_ids_are_refused(start, fake,
                                                                           caplog):
    fake.in_other_guild = True
    with caplog.at_level(logging.ERROR, logger="cmbot.discord"):
        bot, adapter = await start(BY_NAME)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    general = [e for e in errors if "'discord:general' is not used" in e]
    assert len(general) == 1
    assert "guild_ids" in general[0] and f"discord:{GUILD_ID}/general" in general[0]
    assert adapter.channel("general") is None
    assert bot.directory.community_channels(bot.config.communities[0]) == []
    # neither server's #general is the community's: a flag reaches no mod-log
    for guild in (GUILD_ID, OTHER_GUILD):
        await fake.say("general", 12, "viewervic", TOXIC, guild=guild)
    await asyncio.sleep(0.3)
    assert fake.channel_texts("mod-log") == []
    assert fake.channel_texts("mod-log", OTHER_GUILD) == []


async def test_guild_ids_say_which_server_a_name_means(start, fake):
    fake.in_other_guild = True
    bot, adapter = await start(BY_NAME, f'guild_ids = ["{GUILD_ID}"]')
    channel = adapter.channel("general")
    assert channel is not None and channel.id == str(CHANNELS["general"])
    assert channel.guild == str(GUILD_ID)
    await fake.say("general", 12, "viewervic", TOXIC)
    assert "flag #1" in (await fake.wait_for(lambda: fake.channel_texts("mod-log")))[0]
    await fake.say("general", OTHER_OWNER, "mallory", "!help", guild=OTHER_GUILD)
    await asyncio.sleep(0.3)
    assert fake.channel_texts("general", OTHER_GUILD) == [], "a server not listed is ignored"


async def test_moderators_of_one_server_never_act_in_another(start, fake):
    """A community spanning two servers: the other server's owner is a broadcaster of the
    community, but a timeout of a member of the first server is refused."""
    fake.in_other_guild = True
    refs = (f'channels = ["discord:{GUILD_ID}/general", "discord:{OTHER_GUILD}/general"]\n'
            f'mod_channels = ["discord:{GUILD_ID}/mod-log", "discord:{OTHER_GUILD}/mod-log"]')
    await start(refs, f'guild_ids = ["{GUILD_ID}", "{OTHER_GUILD}"]')
    for _ in range(2):
        await fake.say("general", 12, "viewervic", TOXIC)
    await fake.wait_for(lambda: len(fake.channel_texts("mod-log")) == 2)
    refused = await said(fake, "mod-log", "!flag timeout 1", **ATTACKER)
    assert "another Discord server" in refused, refused
    await asyncio.sleep(0.2)
    assert member_patches(fake) == []
    assert not [c for c in fake.calls if c.method == "DELETE"]
    done = await said(fake, "mod-log", "!flag timeout 2", **MOD)
    assert "timed out" in done and "not" not in done, done
    assert member_patches(fake) == [f"/guilds/{GUILD_ID}/members/12"]


async def test_channels_stored_without_their_server_are_placed_by_the_cache(start, fake):
    """Flags, timers and events stored before channels carried their server: the victim's
    #general is still the community's, another server's #general still is not."""
    from cmbot.model import Channel

    fake.in_other_guild = False
    bot, adapter = await start(BY_NAME)
    await fake.join_other()
    await fake.wait_for(lambda: adapter.client.get_guild(OTHER_GUILD))
    ours = Channel.from_dict({"platform": "discord", "id": str(CHANNELS["general"]),
                              "name": "general"})
    theirs = Channel.from_dict({"platform": "discord", "id": "6001", "name": "general"})
    assert bot.directory.community_of(ours) is bot.config.communities[0]
    assert bot.directory.community_of(theirs) is None
