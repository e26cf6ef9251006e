"""Mention spam is one rule on every platform: "@name" typed in chat counts as much as
Discord's native mentions."""

import pytest

from cmbot import Action, Platform

D, T, C = Platform.DISCORD, Platform.TWITCH, Platform.CONSOLE
CONFIG = ("[communities.main]\nchannels = [\"twitch:mychannel\", \"discord:general\", "
          "\"console:console\"]\nmod_channels = [\"discord:mod-log\"]\n[plugins.toxicity]\n")


@pytest.mark.parametrize("text,count", [
    ("@a @b @c @d @e @f @g hi", 7),                      # one-letter names
    ("@a @b @c @d @e @f", 6),
    ("hey @alice @bob @carol @dave @erin @frank", 6),
    ("@bob @bob @bob @bob @bob @bob look", 6),            # the same name again
    ("@x1,@x2,@x3,@x4,@x5,@x6", 6),                       # no spaces
    ("<@1> <@2> <@3> <@4> <@5> <@6> hi", 6),              # Discord's native mentions
    ("<@!1> <@&2> @c @d @e @f", 6),                       # nicknames, roles, typed ones
    ("@everyone @here @a @b @c @d", 6),
])
@pytest.mark.parametrize("platform", [T, D, C])
async def test_more_mentions_than_allowed_are_spam_on_every_platform(cmbot_harness, text,
                                                                     count, platform):
    h = await cmbot_harness(CONFIG)
    await h.say(text, user="pinger", platform=platform)
    assert h.last.verdict is not None and h.last.verdict.action == Action.FLAG
    assert (h.last.verdict.category, h.last.verdict.reason) == ("mentions", f"{count} mentions")


@pytest.mark.parametrize("text", [
    "@a @b @c @d @e hi",                                  # five: the default limit
    "mail a@b.io c@d.io e@f.io g@h.io i@j.io k@l.io",     # e-mail addresses
    "@@@@@@ wow", "@ @ @ @ @ @ @", "gg @streamer",
])
@pytest.mark.parametrize("platform", [T, D])
async def test_up_to_the_limit_and_non_mentions_are_not_mention_spam(cmbot_harness, text,
                                                                     platform):
    h = await cmbot_harness(CONFIG + 'link_allowlist = ["b.io", "d.io", "f.io", "h.io", '
                                     '"j.io", "l.io"]\n')
    await h.say(text, user="viewer", platform=platform)
    assert h.last.verdict is None or "mentions" not in h.last.verdict.reason


@pytest.mark.parametrize("platform", [T, D])
async def test_the_limit_is_configurable_and_the_same_everywhere(cmbot_harness, platform):
    h = await cmbot_harness(CONFIG + "max_mentions = 2\n")
    assert await h.say("@a @b thanks", user="viewer", platform=platform) == []
    await h.say("@a @b @c thanks", user="viewer2", platform=platform)
    assert h.last.verdict is not None and h.last.verdict.reason == "3 mentions"
