import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cmbot import Platform, Reply, Role, hookimpl
from cmbot.safety import clean_inbound, clean_outbound


def test_zalgo_is_flattened_and_control_characters_removed():
    zalgo = "h" + "\u0301" * 50 + "i\x00\x07"
    text, cut = clean_inbound(zalgo)
    assert text == "h\u0301\u0301i" and not cut


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab? \t\n\r\x07\x7f"), max_size=60)
       | st.text(alphabet=st.characters(max_codepoint=127), max_size=60),
       st.integers(min_value=16, max_value=80))  # no pre-cut: 60 < 4 * 16
@example("a  b", 20)
@example(" a", 20)
@example("a ", 20)
@example("a\tb", 20)
@example("a\x07", 20)
def test_plain_ascii_chat_is_cleaned_like_every_other_line(text, limit):
    """The fast path for ordinary ASCII chat gives what the full clean-up gives."""
    folded = re.sub(r"[\t\n\r ]+", " ", re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", text)).strip()
    assert clean_inbound(text, limit) == (folded[:limit], len(folded) > limit)


def test_oversized_input_is_cut_and_marked():
    text, cut = clean_inbound("a" * 10_000)
    assert len(text) == 2000 and cut


@pytest.mark.parametrize("platform,limit", [(Platform.TWITCH, 500), (Platform.DISCORD, 2000)])
def test_outbound_text_is_cut_to_the_platform_limit(platform, limit):
    out = clean_outbound("x" * 5000, platform)
    assert len(out) == limit and out.endswith("…")


def test_outbound_text_never_pings_everyone_here_or_roles():
    out = clean_outbound("hi @everyone and @Here <@&123> <@456>", Platform.DISCORD)
    assert "@everyone" not in out and "@Here" not in out and "<@&123>" not in out
    assert "<@456>" not in out
    assert "<@456>" in clean_outbound("<@456>", Platform.DISCORD, allow_user_mentions=True)


class Echo:
    @hookimpl
    def cmbot_answer(self, ctx, message):
        return Reply(f"you said: {message.text}")


@pytest.mark.parametrize("platform", [Platform.DISCORD, Platform.TWITCH, Platform.CONSOLE])
async def test_hostile_input_goes_through_the_runtime_cleaned_and_output_is_bounded(
        cmbot_harness, platform):
    h = await cmbot_harness(plugins=[("echo", Echo())], builtins=False)
    hostile = "@everyone " + "Z\u0336\u0337\u0338\u0339" * 3000 + "\x1b[31m"
    sent = await h.say(hostile, platform=platform)
    assert h.last.ignored is None
    assert 1 <= len(sent) <= 3  # a long reply is split into at most three messages
    for reply in sent:
        assert "@everyone" not in reply.text
        assert "\x1b" not in reply.text and "\u0338" not in reply.text
        assert len(reply.text) <= (500 if platform == Platform.TWITCH else 2000)


async def test_empty_and_invisible_only_messages_are_ignored(cmbot_harness):
    h = await cmbot_harness(plugins=[("echo", Echo())])
    assert await h.say("\u200b\u200b \x00") == []
    assert h.last.ignored == "empty"


async def test_the_bots_own_messages_are_never_handled(cmbot_harness):
    h = await cmbot_harness(plugins=[("echo", Echo())])
    assert await h.say("hello", user="cmbot", user_id="bot", role=Role.MODERATOR) == []
    assert h.last.ignored == "own message"
