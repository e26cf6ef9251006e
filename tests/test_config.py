import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cmbot import Channel, Platform, Setting, hookimpl
from cmbot.config import ConfigError, load_config, parse_config

ROOT = Path(__file__).parent.parent


def _problems(text: str) -> str:
    with pytest.raises(ConfigError) as err:
        parse_config(tomllib.loads(text), "bot.toml")
    return str(err.value)


def test_the_example_config_is_valid():
    config = load_config(ROOT / "bot.example.toml")
    assert config.communities[0].name == "main"
    assert config["ratelimit"]["twitch_messages"] == 20


def test_an_unknown_key_names_file_key_and_a_suggestion():
    out = _problems("[bot]\nprefx = '?'\n")
    assert "bot.toml: [bot] unknown key 'prefx'" in out and "did you mean 'prefix'" in out


def test_a_wrong_type_says_what_was_expected_and_how_to_write_it():
    out = _problems("[bot]\nhook_timeout = 'fast'\n")
    assert "[bot] hook_timeout: expected a number, got 'fast'. Fix: hook_timeout = 5.0" in out


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_a_number_that_is_not_finite_is_refused_with_the_fix(value):
    out = _problems(f"[bot]\nhook_timeout = {value}\n")
    assert f"[bot] hook_timeout: {float(value)!r} is not a finite number. Fix: " \
           f"hook_timeout = 5.0" in out


def test_a_secret_written_in_the_file_is_refused_with_the_fix():
    out = _problems("[discord]\ntoken = 'abc.def'\n")
    assert 'token = { env = "DISCORD_TOKEN" }' in out and 'export DISCORD_TOKEN' in out
    assert "abc.def" not in out  # the secret is not echoed back


def test_a_missing_secret_is_reported_before_connecting(monkeypatch):
    monkeypatch.delenv("MY_DISCORD_TOKEN", raising=False)
    config = parse_config(tomllib.loads(
        "[discord]\nenabled = true\ntoken = { env = 'MY_DISCORD_TOKEN' }\n"), "bot.toml")
    with pytest.raises(ConfigError, match="MY_DISCORD_TOKEN is not set. Fix: export"):
        config.check_secrets()
    monkeypatch.setenv("MY_DISCORD_TOKEN", "s3cr3t-value")
    config.check_secrets()
    assert "s3cr3t-value" not in repr(config.sections["discord"])


def test_every_problem_is_reported_at_once():
    out = _problems("[bot]\nprefix = 1\ntimezone = 'Mars/Base'\n[communities.x]\n"
                    "channels = ['general']\n[nope]\n")
    assert "prefix: expected a string" in out
    assert "unknown time zone 'Mars/Base'" in out
    assert "channel 'general' is not platform:name" in out
    assert "[nope] unknown section" in out


def test_bad_toml_and_missing_files_are_explained(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[bot\nname = 'x'\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="file not found. Fix: copy bot.example.toml"):
        load_config(tmp_path / "missing.toml")


class Tunable:
    @hookimpl
    def cmbot_config_schema(self):
        return {"threshold": Setting(float, 0.5, "how sure", min=0, max=1),
                "enabled": Setting(bool, True, "on/off")}


async def test_plugin_settings_fall_back_channel_then_platform_then_plugin_then_default(
        cmbot_harness):
    h = await cmbot_harness("""
[plugins.tunable]
threshold = 0.6
[channels.twitch.plugins.tunable]
threshold = 0.7
[channels."twitch:special".plugins.tunable]
threshold = 0.9
enabled = false
""", plugins=[("tunable", Tunable())])
    settings = h.plugin_bot("tunable").settings
    assert settings(Channel(Platform.DISCORD, "1", "general")) == \
        {"threshold": 0.6, "enabled": True}
    assert settings(Channel(Platform.TWITCH, "mychannel", "mychannel"))["threshold"] == 0.7
    assert settings(Channel(Platform.TWITCH, "special", "special")) == \
        {"threshold": 0.9, "enabled": False}
    assert settings() == {"threshold": 0.6, "enabled": True}


async def test_plugin_setting_errors_name_the_channel_table(tmp_path):
    from cmbot.testing import make_harness
    with pytest.raises(ConfigError) as err:
        await make_harness('[channels."twitch:x".plugins.tunable]\nthreshold = 2\n',
                           tmp_path=tmp_path, plugins=[("tunable", Tunable())])
    assert '[channels."twitch:x".plugins.tunable] threshold: 2 is above the maximum 1' in \
        str(err.value)


_toml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.text(max_size=10), children, max_size=3), max_leaves=10)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["bot", "console", "discord", "twitch", "scheduler",
                                        "ratelimit", "communities", "permissions", "plugins",
                                        "channels", "other"]),
                       _toml_values, max_size=4))
def test_fuzzed_configs_either_load_or_explain_every_problem(raw):
    try:
        parse_config(raw, "fuzz.toml")
    except ConfigError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.startswith("fuzz.toml: [")


def test_the_example_config_documents_every_key_and_its_defaults_are_valid(tmp_path):
    import re

    from cmbot.config import COMMUNITY_SCHEMA, CORE_SCHEMA
    from cmbot.runtime import Runtime

    text = (ROOT / "bot.example.toml").read_text()
    documented = set(re.findall(r"^#?\s*([a-z_]+)\s*=", text, re.MULTILINE))
    config = load_config(ROOT / "bot.example.toml")
    bot = Runtime(config)
    expected = {k for schema in CORE_SCHEMA.values() for k in schema} | set(COMMUNITY_SCHEMA)
    expected |= {k for schema in bot.directory.schemas.values() for k in schema}
    assert expected - documented == set()
    stale = []  # a documented plugin default must be the plugin's real default
    section = ""
    for line in text.splitlines():
        if line.startswith("["):
            section = line.strip("[]")
        found = re.match(r"^# ([a-z_]+) = (.*?)\s{2,}#", line)
        schema = bot.directory.schemas.get(section.split(".", 1)[1], {}) \
            if section.startswith("plugins.") else CORE_SCHEMA.get(section, {})
        if found and found.group(1) in schema:
            shown = tomllib.loads(f"v = {found.group(2)}")["v"]
            if shown != schema[found.group(1)].default:
                stale.append(f"[{section}] {found.group(1)} = {found.group(2)}")
    assert stale == []
    uncommented = re.sub(r"^# ([a-z_]+ = .*?)\s+#.*$", r"\1", text, flags=re.MULTILINE)
    path = tmp_path / "all.toml"
    path.write_text(uncommented.replace('database = "cmbot.db"',
                                        f'database = "{tmp_path / "x.db"}"'))
    Runtime(load_config(path))  # every documented default is accepted


def test_a_community_can_take_every_discord_channel_but_only_post_to_named_ones(tmp_path):
    from cmbot.config import ConfigError, load_config
    from cmbot.model import Channel, Platform

    path = tmp_path / "bot.toml"
    path.write_text('[communities.main]\nchannels = ["twitch:mychannel", "discord:*"]\n'
                    'mod_channels = ["discord:mod-log"]\n')
    config = load_config(path)
    [community] = config.communities
    assert community.contains(Channel(Platform.DISCORD, "123", "off-topic"))
    assert not community.contains(Channel(Platform.TWITCH, "9", "otherchannel"))
    assert community.announce_channels == ("twitch:mychannel",)
    path.write_text('[communities.main]\nchannels = ["discord:*"]\n'
                    'mod_channels = ["discord:*"]\n')
    with pytest.raises(ConfigError, match="names every channel"):
        load_config(path)


def test_twitch_channels_must_be_logins_and_a_link_says_which_login_to_write():
    out = _problems('[twitch]\nchannels = ["my channel", "https://twitch.tv/foo", "", "#Bar"]\n')
    assert "[twitch] channels: 'https://twitch.tv/foo' is a link, not a channel login. " \
        "Fix: write 'foo'" in out
    assert "[twitch] channels: 'my channel' is not a Twitch login" in out
    assert "[twitch] channels: '' is not a Twitch login" in out
    assert "'#Bar'" not in out  # "#Bar" is the login bar
    config = parse_config(tomllib.loads('[twitch]\nchannels = ["#Bar"]\n'))
    assert config["twitch"]["channels"] == ["bar"]


def test_a_community_channel_the_bot_never_joins_is_refused_when_twitch_is_on():
    text = ('[twitch]\nenabled = true\nchannels = ["mychannel"]\n'
            '[communities.main]\nchannels = ["twitch:mychannel", "twitch:otherchan"]\n'
            'mod_channels = ["twitch:modchan"]\n')
    out = _problems(text)
    assert "[communities.main] channels: the bot does not join 'twitch:otherchan'. " \
        "Fix: add 'otherchan' to [twitch] channels" in out
    assert "[communities.main] mod_channels: the bot does not join 'twitch:modchan'" in out
    assert "mychannel'" not in out.replace("'mychannel' to", "")


def test_one_channel_in_two_communities_is_refused():
    out = _problems('[communities.a]\nchannels = ["discord:general"]\n'
                    '[communities.b]\nchannels = ["discord:General", "twitch:x1"]\n')
    assert "[communities.b] channels: 'discord:General' is already in [communities.a]" in out


def test_nowhere_to_run_is_a_config_error():
    out = _problems("[console]\nenabled = false\n")
    assert "[console] enabled = false and neither [discord] nor [twitch] is enabled" in out


def test_a_choice_is_case_insensitive_and_a_wrong_one_has_a_fix():
    assert parse_config(tomllib.loads('[bot]\nlog_level = "debug"\n')).bot["log_level"] == \
        "DEBUG"
    out = _problems('[bot]\nlog_level = "verbose"\n')
    assert "[bot] log_level: 'verbose' is not one of 'DEBUG', 'INFO', 'WARNING', 'ERROR'. " \
        'Fix: log_level = "DEBUG"' in out


def test_check_config_reports_core_and_plugin_problems_in_one_pass(tmp_path, capsys):
    from cmbot.cli import main
    path = tmp_path / "bot.toml"
    path.write_text('[bot]\nprefx = "?"\ndisabled_plugins = ["faqq"]\n'
                    '[plugins.toxicity]\naction_insult = "kick"\n'
                    '[plugins.faq]\nthreshhold = 0.5\n')
    assert main(["check-config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "[bot] unknown key 'prefx'" in err
    assert "[bot] disabled_plugins: no plugin is called 'faqq'. Fix: did you mean 'faq'?" in err
    assert "[plugins.toxicity] action_insult: 'kick' is not one of" in err and \
        'Fix: action_insult = "off"' in err
    assert "[plugins.faq] unknown key 'threshhold'" in err
    assert "Traceback" not in err


def test_a_command_defined_by_two_plugins_is_a_clear_error_not_a_traceback(tmp_path, capsys):
    from cmbot.cli import main
    (tmp_path / "plug").mkdir()
    (tmp_path / "plug" / "mynext.py").write_text(
        "from cmbot import Command, hookimpl\n\n"
        "async def _next(ctx):\n    return 'mine'\n\n"
        "@hookimpl\ndef cmbot_commands():\n    return [Command('next', 'my next', _next)]\n")
    path = tmp_path / "bot.toml"
    path.write_text('[bot]\nplugin_dirs = ["plug"]\n')
    for argv in (["check-config", str(path)], ["plugins", "-c", str(path)],
                 ["run", "-c", str(path)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "command 'next'" in err and "clashes with plugin" in err, argv
        assert "disabled_plugins" in err and "Traceback" not in err


@pytest.mark.parametrize("ref, valid", [
    ("discord:1000/general", True), ("discord:1000/*", True), ("discord:general", True),
    ("discord:guild/general", False), ("discord:1000/", False), ("twitch:1000/general", False),
    ("discord:1/2/3", False)])
def test_a_discord_ref_may_name_its_server(tmp_path, ref, valid):
    from cmbot.config import ConfigError, load_config

    path = tmp_path / "bot.toml"
    path.write_text(f'[communities.main]\nchannels = ["{ref}"]\n')
    if valid:
        load_config(path)
    else:
        with pytest.raises(ConfigError, match="SERVER_ID/general"):
            load_config(path)
