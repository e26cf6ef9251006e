from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cmbot import Arg, Command, CommandError, Platform, Role, UsageError, UserRef, hookimpl
from cmbot.arguments import parse_arguments, tokenize
from cmbot.registry import CommandRegistry
from cmbot.safety import split_outbound

PLATFORMS = [Platform.DISCORD, Platform.TWITCH, Platform.CONSOLE]


async def _noop(ctx, **kwargs):
    return "ok " + " ".join(f"{k}={v!r}" for k, v in sorted(kwargs.items()))


def _parse(command, line):
    tokens = tokenize(line)
    return parse_arguments(command, line, tokens, "Europe/Paris")


def test_quotes_group_words_but_apostrophes_do_not():
    assert [t.value for t in tokenize('add "two words" don\'t “smart quotes”')] == \
        ["add", "two words", "don't", "smart quotes"]


def test_an_unclosed_quote_runs_to_the_end_of_the_line():
    assert [t.value for t in tokenize('say "hello there')] == ["say", "hello there"]


def test_typed_arguments_are_converted():
    cmd = Command("x", "h", _noop, args=[
        Arg("n", "int"), Arg("d", "duration"), Arg("when", "datetime"),
        Arg("mode", "choice", choices=("fast", "slow")), Arg("who", "user"),
        Arg("flag", "bool"), Arg("rest", "text")])
    values = _parse(cmd, '3 1h30m 2026-12-01T20:00 FAST @Alice yes the "rest" of it')
    assert values["n"] == 3 and values["d"] == 5400
    assert values["when"] == datetime(2026, 12, 1, 19, 0, tzinfo=UTC)
    assert values["mode"] == "fast" and values["who"] == UserRef("alice")
    assert values["flag"] is True and values["rest"] == 'the "rest" of it'


def test_keyword_arguments_may_appear_anywhere_and_many_collects_the_rest():
    cmd = Command("poll start", "h", _noop, args=[
        Arg("options", many=True), Arg("duration", "duration", keyword=True, required=False,
                                       default=300),
        Arg("where", "choice", choices=("discord", "twitch"), keyword=True, many=True,
            required=False)])
    values = _parse(cmd, '"Best game?" duration:10m Chess Go where:discord,twitch')
    assert values == {"options": ["Best game?", "Chess", "Go"], "duration": 600,
                      "where": ["discord", "twitch"]}
    assert _parse(cmd, "a b")["duration"] == 300


def test_a_quoted_rest_of_line_keeps_its_text_verbatim():
    cmd = Command("faq add", "h", _noop, args=[Arg("key"), Arg("answer", "text")])
    assert _parse(cmd, 'discord "Join at https://x.y/z  — welcome!"')["answer"] == \
        "Join at https://x.y/z  — welcome!"


@pytest.mark.parametrize("line,problem", [
    ("", "missing <n>"),
    ("abc", "<n>: 'abc' is not a whole number; write it like 3"),
    ("²", "<n>: '²' is not a whole number; write it with the digits 0-9"),
    ("١٢", "<n>: '١٢' is not a whole number; write it with the digits 0-9"),
    ("0", "<n> must be at least 1"),
    ("5 extra", "unexpected 'extra'"),
])
def test_bad_arguments_say_what_is_wrong(line, problem):
    cmd = Command("x", "h", _noop, args=[Arg("n", "int", min=1)])
    with pytest.raises(UsageError, match=problem):
        _parse(cmd, line)


def test_usage_lines_show_required_optional_and_keyword_arguments():
    cmd = Command("event add", "h", _noop, args=[
        Arg("title"), Arg("when", "text"), Arg("tz", keyword=True, required=False)])
    assert cmd.usage("!") == "!event add <title> <when...> [tz:<str>]"


def test_command_definitions_are_checked():
    with pytest.raises(ValueError, match="rest of the line"):
        Command("x", "h", _noop, args=[Arg("a", "text"), Arg("b")])
    with pytest.raises(ValueError, match="one or two lowercase words"):
        Command("a b c", "h", _noop)
    registry = CommandRegistry([Command("x", "h", _noop, plugin="one")])
    with pytest.raises(ValueError, match="clashes with plugin 'one'"):
        registry.add(Command("y", "h", _noop, aliases=("x",), plugin="two"))


class Matrix:
    """One command per minimum role."""

    @hookimpl
    def cmbot_commands(self):
        return [Command(f"need-{role.label}", "h", _noop, role=role) for role in Role]


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_permission_matrix_every_role_against_every_minimum_role(cmbot_harness, platform):
    h = await cmbot_harness(plugins=[("matrix", Matrix())], builtins=False)
    for user_role in Role:
        for required in Role:
            sent = await h.say(f"!need-{required.label}", role=user_role, platform=platform,
                               user=f"u{user_role.value}")
            await h.advance(2)  # stay under every platform's send limit
            assert len(sent) == 1
            allowed = user_role >= required
            assert sent[0].text.startswith("ok") == allowed, (user_role, required)
            if not allowed:
                assert f"is for {required.label}s and up" in sent[0].text


async def test_config_can_change_a_commands_minimum_role(cmbot_harness):
    h = await cmbot_harness('[permissions]\n"need-everyone" = "vip"\n',
                            plugins=[("matrix", Matrix())])
    assert "is for vips" in (await h.say("!need-everyone"))[0].text
    assert (await h.say("!need-everyone", role=Role.VIP))[0].text.startswith("ok")


async def test_a_permission_override_for_an_unknown_command_is_a_config_error(tmp_path):
    from cmbot.config import ConfigError
    from cmbot.testing import make_harness
    with pytest.raises(ConfigError, match=r"\[permissions\] 'fqa add' is not a loaded command"):
        await make_harness('[permissions]\n"fqa add" = "mod"\n', tmp_path=tmp_path)


class Grouped:
    @hookimpl
    def cmbot_commands(self):
        async def boom(ctx):
            raise RuntimeError("kaput")

        async def refuse(ctx, key):
            raise CommandError(f"no entry {key!r}")

        return [
            Command("faq add", "add", _noop, args=[Arg("key", max_length=10),
                                                  Arg("answer", "text", max_length=50)],
                    role=Role.MODERATOR),
            Command("faq show", "show", refuse, args=[Arg("key")]),
            Command("roll", "roll", _noop, user_cooldown=30, channel_cooldown=5,
                    aliases=("dice",)),
            Command("boom", "breaks", boom),
        ]


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_groups_aliases_cooldowns_and_errors_through_the_runtime(cmbot_harness, platform):
    harness = await cmbot_harness(plugins=[("g", Grouped())], builtins=False)

    class Spaced:  # one message every 1.1 s keeps under Discord's 5 per 5 s
        async def say(self, *args, **kwargs):
            sent = await harness.say(*args, **kwargs)
            await harness.advance(1.1)
            return sent

        advance = harness.advance

    h = Spaced()
    mod = {"role": Role.MODERATOR, "user": "mo", "platform": platform}
    assert (await h.say('!faq add discord "Join us"', **mod))[0].text == \
        "ok answer='Join us' key='discord'"
    usage = (await h.say("!faq add", **mod))[0].text
    assert usage == "✗ missing <key>. Usage: !faq add <key> <answer...>"
    too_long = (await h.say("!faq add k " + "x" * 60, **mod))[0].text
    assert "<answer> is 60 characters; the limit is 50" in too_long
    assert "unknown faq subcommand 'ad'; try one of: add, show" in \
        (await h.say("!faq ad x", **mod))[0].text
    assert (await h.say("!faq show nope", platform=platform))[0].text == "✗ no entry 'nope'"
    assert await h.say("!unknowncommand", platform=platform) == []
    assert (await h.say("!dice", platform=platform))[0].text == "ok "
    assert [s.text for s in await h.say("!roll", platform=platform)] == [
        "✗ !roll is on cooldown here for 29s more"]  # user cooldown: one notice
    assert await h.say("!roll", platform=platform) == []  # and no second one
    assert [s.text for s in await h.say("!roll", platform=platform, user="other")] == [
        "✗ !roll is on cooldown here for 2s more"]  # channel cooldown
    await h.advance(6)
    assert (await h.say("!roll", platform=platform, user="other"))[0].text == "ok "
    assert (await h.say("!roll", **mod))[0].text == "ok "  # moderators skip cooldowns
    assert "something went wrong" in (await h.say("!boom", platform=platform))[0].text


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_fuzzed_command_lines_never_crash_and_errors_name_the_problem(line):
    registry = CommandRegistry([
        Command("faq add", "h", _noop, args=[Arg("key"), Arg("answer", "text")]),
        Command("poll start", "h", _noop, args=[
            Arg("options", many=True), Arg("duration", "duration", keyword=True,
                                           required=False)]),
        Command("n", "h", _noop, args=[Arg("x", "int"), Arg("w", "datetime", required=False)]),
    ])
    found = registry.resolve(line)
    if found is None or isinstance(found, str):
        return
    try:
        parse_arguments(found.command, found.args_raw, found.tokens)
    except UsageError as exc:
        assert str(exc).strip()


def test_a_handler_that_cannot_take_its_arguments_fails_at_load():
    async def handler(ctx, poll_id=None):
        return None

    with pytest.raises(ValueError, match="'poll end': its handler must accept ctx and id"):
        Command("poll end", "h", handler, args=[Arg("id", "int", required=False)])


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_a_cooldown_hit_gets_one_notice_per_window(cmbot_harness, platform):
    h = await cmbot_harness()
    assert (await h.say("!help", platform=platform))[0].text.startswith("Commands:")
    await h.advance(3)
    notice = await h.say("!help", platform=platform)
    assert [s.text for s in notice] == ["✗ !help is on cooldown here for 7s more"]
    if platform == Platform.DISCORD:  # through a slash command: only the viewer sees it
        adapter = h.platforms[Platform.DISCORD]
        await h.bot.handle_message(replace(adapter.make_message("!help", user="slash"),
                                           interactive=True))
        await h.bot.handle_message(replace(adapter.make_message("!help", user="slash"),
                                           interactive=True))
        assert [s.ephemeral for s in h.sent(Platform.DISCORD)[-2:]] == [False, True]
    for _ in range(5):  # a flood gets nothing more
        assert await h.say("!help", platform=platform) == []
    assert (await h.say("!help", platform=platform, user="other"))[0].text.startswith(
        "Commands:")  # another user's own cooldown
    await h.advance(8)
    assert (await h.say("!help", platform=platform))[0].text.startswith("Commands:")
    assert [s.text for s in await h.say("!help", platform=platform)] == [
        "✗ !help is on cooldown here for 10s more"]  # a new window, a new notice


async def test_a_moderators_help_on_twitch_is_split_and_names_every_command(cmbot_harness):
    h = await cmbot_harness()
    sent = await h.say("!help", platform=Platform.TWITCH, user="mo", role=Role.MODERATOR)
    texts = [s.text for s in sent if s.kind == "send"]
    assert 1 < len(texts) <= 3 and all(len(t) <= 500 for t in texts)
    assert texts[0].startswith("Commands:") and texts[-1].endswith("for details.")
    words = set(" ".join(texts).replace(",", " ").replace(".", " ").split())
    for command in h.bot.commands:
        if not command.hidden and h.bot.commands.required_role(command) <= Role.MODERATOR:
            assert "!" + command.name.split(" ")[0] in words, command.name
    joined = ", ".join(texts)
    assert "!timer resume" in joined and "!vote" in joined


def test_a_list_too_long_for_three_messages_ends_with_how_many_more():
    text = "Entries: " + ", ".join(f"!entry{i}" for i in range(400))
    parts = split_outbound(text, Platform.TWITCH)
    assert len(parts) == 3 and all(len(p) <= 500 for p in parts)
    shown = sum(p.count("!entry") for p in parts)
    assert parts[-1].endswith(f"… and {400 - shown} more")
    assert parts[1].startswith("!entry") and parts[0].endswith(",")  # cut between items
