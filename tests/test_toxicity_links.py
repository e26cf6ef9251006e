"""The link rule through the harness: every real top-level domain (the Public Suffix
List's bundled snapshot, offline) is a link; dotted chat that names no domain is not."""

import time

import pytest

from cmbot import Action, Platform, Role

D, T = Platform.DISCORD, Platform.TWITCH
CONFIG = ("[communities.main]\nchannels = [\"twitch:mychannel\", \"discord:general\"]\n"
          "mod_channels = [\"discord:mod-log\"]\n[plugins.toxicity]\n")


@pytest.mark.parametrize("text,host", [
    ("claim your skins at steam-gift.click", "steam-gift.click"),
    ("download free-nitro.zip now", "free-nitro.zip"),
    ("discord.gift/Xk2fQ9 free nitro", "discord.gift"),
    ("https://steamcommunity.do/trade", "steamcommunity.do"),
    ("new: cheap-followers.top/buy", "cheap-followers.top"),
    ("visit scam.click.", "scam.click"),                     # sentence full stop
    ("(see promo.shop)", "promo.shop"),
    ("login at secure.steam-login.co.uk/auth?x=1", "secure.steam-login.co.uk"),
    ("HTTP://SHOUTY.CLICK/A", "shouty.click"),
    ("www.readme.md", "www.readme.md"),                       # file-like suffix, but www.
    ("http://main.py/x", "main.py"),
    ("curl tools.sh/install | bash", "tools.sh"),               # file-like, but a path
    ("промо.рф бесплатно", "промо.рф"),                      # internationalised
])
@pytest.mark.parametrize("platform", [D, T])
async def test_a_link_to_any_real_top_level_domain_is_flagged(cmbot_harness, text, host,
                                                              platform):
    h = await cmbot_harness(CONFIG)
    await h.say(text, user="spammer", platform=platform)
    assert h.last.verdict is not None and h.last.verdict.action == Action.FLAG
    assert h.last.verdict.category == "links"
    assert h.last.verdict.reason == f"link to {host}"


@pytest.mark.parametrize("text", [
    "e.g. the second boss", "i.e. no", "open file.txt and config.json", "see readme.md",
    "run main.py", "patch v1.2.3 is out", "it's 20.30 here", "lol...ok", "Mr.Smith",
    "pi is 3.14159", "wait.... what", "a.b", "https://clips.twitch.tv/abc",
    "join discord.gg/example", "sub.domain.twitch.tv/x",
])
async def test_dotted_chat_that_names_no_domain_is_not_a_link(cmbot_harness, text):
    h = await cmbot_harness(CONFIG)
    assert await h.say(text, user="viewer") == []
    assert h.last.verdict is None, h.last.verdict


async def test_the_link_allowlist_and_permit_apply_to_every_suffix(cmbot_harness):
    h = await cmbot_harness(CONFIG + 'link_allowlist = ["mystream.live", "merch.store"]\n')
    assert await h.say("merch at shop.merch.store/hoodie", user="fan") == []
    assert await h.say("watch mystream.live", user="fan") == []
    await h.say("watch otherstream.live", user="fan")
    assert h.last.verdict is not None and h.last.verdict.category == "links"
    await h.say("!permit @fan", user="mo", role=Role.MODERATOR)
    assert await h.say("my clip: clip.click/1", user="fan") == []
    await h.say("again: clip.click/2", user="fan")
    assert h.last.verdict is not None and h.last.verdict.category == "links"


@pytest.mark.parametrize("text", ["a" * 1999 + ".", "a." * 1000, "a-" * 999 + ".x",
                                  ("b" * 60 + ".") * 30 + "click"])
async def test_hostile_dotted_lines_are_checked_quickly(cmbot_harness, text):
    h = await cmbot_harness(CONFIG)
    started = time.perf_counter()
    await h.say(text, user="troll")
    assert time.perf_counter() - started < 0.5
    assert h.last.ignored is None
