"""Moderators' regexes: RE2 (linear time), so no pattern can freeze the bot on a hostile
line, and a pattern RE2 refuses is a config error at ``cmbot check-config``."""

import time

import pytest

from cmbot.cli import main

CONFIG = ("[communities.main]\nchannels = [\"twitch:mychannel\", \"discord:general\"]\n"
          "mod_channels = [\"discord:mod-log\"]\n[plugins.toxicity]\n")
# each is catastrophic for a backtracking engine: exponential time on a short line
EVIL = [r"(a|aa)+$", r"(.|\s)*free nitro", r"(a+)+$", r"(x+x+)+y", r"^(\w+\s?)*$",
        r"(a|a?)+b", r"(.*a){20}"]


def _toml_list(patterns):
    return "[" + ", ".join("'" + p + "'" for p in patterns) + "]"


@pytest.mark.parametrize("line", [
    "a" * 40 + "!",                   # the line that froze the bot for over 30 s
    "a" * 1999 + "!",
    "x" * 1999,
    " \t" * 900 + "free nitr0",
    "word " * 399 + "!",
    "a" * 1000 + "b" * 999,
])
async def test_evil_patterns_on_a_hostile_line_finish_fast(cmbot_harness, line):
    h = await cmbot_harness(CONFIG + f"regex = {_toml_list(EVIL)}\n")
    started = time.perf_counter()
    await h.say(line, user="troll")
    assert time.perf_counter() - started < 0.5
    assert h.last.ignored is None


async def test_the_patterns_still_flag_what_they_match(cmbot_harness):
    patterns = _toml_list([r"(a|aa)+$", r"(.|\s)*free nitro", r"buy\s+followers"])
    h = await cmbot_harness(CONFIG + f"regex = {patterns}\n")
    await h.say("omg\n\nFREE NITRO here", user="troll")
    assert h.last.verdict is not None and h.last.verdict.category == "custom"
    assert h.last.verdict.reason == r"matches /(.|\s)*free nitro/"
    await h.say("Buy   Followers cheap", user="troll2")
    assert h.last.verdict.reason == r"matches /buy\s+followers/"
    await h.say("aa", user="troll3")
    assert h.last.verdict.reason == "matches /(a|aa)+$/"
    assert await h.say("hello there", user="viewer") == []


def _config_file(tmp_path, toxicity):
    path = tmp_path / "bot.toml"
    path.write_text(f'[bot]\ndatabase = "{tmp_path / "c.db"}"\n' + CONFIG + toxicity)
    return path


@pytest.mark.parametrize("pattern,reason", [
    (r"(a)\1", "invalid escape sequence"),           # a backreference
    (r"free(?= nitro)", "invalid perl operator"),   # lookahead
    (r"(unclosed", "missing )"),
    (r"a{1001}", "invalid repetition size"),
])
def test_check_config_names_the_refused_pattern_the_key_and_the_fix(
        tmp_path, capsys, pattern, reason):
    path = _config_file(tmp_path, f"regex = ['buy followers', '{pattern}']\n")
    assert main(["check-config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "config error" in err and str(path) in err
    assert f"[plugins.toxicity] regex: regex {pattern!r} is refused: {reason}" in err
    assert "Fix: write it in RE2 syntax" in err and "remove it from regex" in err


def test_check_config_refuses_a_bad_pattern_in_a_channel_override_too(tmp_path, capsys):
    path = _config_file(tmp_path, '[channels."twitch:mychannel".plugins.toxicity]\n'
                                  "regex = ['(?<!x)y']\n")
    assert main(["check-config", str(path)]) == 2
    err = capsys.readouterr().err
    assert ('[channels."twitch:mychannel".plugins.toxicity] regex: regex \'(?<!x)y\' is '
            'refused') in err


def test_check_config_accepts_the_evil_patterns_since_they_run_in_linear_time(
        tmp_path, capsys):
    path = _config_file(tmp_path, f"regex = {_toml_list(EVIL)}\n")
    assert main(["check-config", str(path)]) == 0
    assert "OK" in capsys.readouterr().out
