import io
import subprocess
import sys
from pathlib import Path

import pytest

from cmbot import __version__
from cmbot.cli import main

ROOT = Path(__file__).parent.parent


def _config(tmp_path, extra=""):
    text = (ROOT / "bot.example.toml").read_text()
    text = text.replace('database = "cmbot.db"', f'database = "{tmp_path / "c.db"}"')
    path = tmp_path / "bot.toml"
    path.write_text(text + extra)
    return path


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"cmbot {__version__}"


def test_check_config_accepts_the_example_and_explains_errors(tmp_path, capsys):
    assert main(["check-config", str(_config(tmp_path))]) == 0
    assert "OK" in capsys.readouterr().out
    bad = _config(tmp_path, '\n[plugins.help]\nverbose = true\n')
    assert main(["check-config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "[plugins.help] unknown key 'verbose'" in err and str(bad) in err


def test_plugins_lists_each_plugin_its_hooks_and_commands_with_roles(tmp_path, capsys):
    assert main(["plugins", "-c", str(_config(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "help  [builtin]" in out and "hooks: cmbot_commands" in out
    assert "!help [command...]  — everyone" in out


def test_run_refuses_an_enabled_platform_without_its_secret(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    path = _config(tmp_path)
    path.write_text(path.read_text().replace("[discord]\nenabled = false",
                                             "[discord]\nenabled = true"))
    assert main(["run", "-c", str(path)]) == 2
    assert "DISCORD_TOKEN is not set" in capsys.readouterr().err


async def test_console_session_switches_identity_platform_channel_and_clock(tmp_path):
    from cmbot.config import load_config
    from cmbot.platforms.console import console_adapters, run_console
    from cmbot.runtime import Runtime

    out = io.StringIO()
    config = load_config(_config(tmp_path))
    bot = Runtime(config, adapters=console_adapters(out, "cmbot"))
    await bot.start(run_loop=False)
    script = io.StringIO("hello\n!help\n/as alice mod\n/platform discord\n/channel lounge\n"
                         "!help help\n/clock +10m\n/as bob king\n/frobnicate\n/quit\nnever\n")
    await run_console(bot, script, out)
    await bot.stop()
    lines = out.getvalue().splitlines()
    assert "[twitch #mychannel] viewer: hello" in lines
    assert any(line.startswith("[twitch #mychannel] cmbot: Commands: ") and "!help" in line
               and "!faq add" not in line for line in lines)  # viewers see viewer commands
    assert "now alice (moderator)" in lines
    assert "[discord #lounge] alice: !help help" in lines
    assert any(line.startswith("[discord #lounge] cmbot: !help [command...]") for line in lines)
    assert any(line.startswith("clock moved forward 10m") for line in lines)
    assert any("unknown role 'king'" in line for line in lines)
    assert "unknown console command /frobnicate; /help lists them" in lines
    assert not any("never" in line for line in lines)


def test_cmbot_run_reads_a_piped_script_and_ends_at_end_of_input(tmp_path):
    path = _config(tmp_path)
    result = subprocess.run([sys.executable, "-m", "cmbot", "run", "-c", str(path)],
                            input="/as mo mod\n!help\n", capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert "[twitch #mychannel] cmbot: Commands:" in result.stdout


SCRIPT = """/as alice mod
!event add "Weekly" in 30m remind:10m repeat:daily
!faq add discord Join us at https://discord.gg/example
/as bob
you are a stupid idiot
what is the discord link?
/as alice mod
!flags
/clock +25m
/clock +6m
/clock +1d
"""


def test_the_same_piped_script_gives_byte_identical_output_every_run(tmp_path):
    outputs = []
    for run_ in range(3):
        folder = tmp_path / f"run{run_}"
        folder.mkdir()
        result = subprocess.run(
            [sys.executable, "-m", "cmbot", "run", "-c", str(_config(folder)),
             "--clock-start", "2026-01-05T12:00"],
            input=SCRIPT, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1] == outputs[2]
    lines = outputs[0].splitlines()
    # each line's work, background included, is done before the next line is read
    insult = lines.index("[twitch #mychannel] bob: you are a stupid idiot")
    assert lines[insult + 1].startswith("[discord #mod-log] cmbot: 🚩 flag #1")
    assert "1 open: #1 bob" in lines[lines.index("[twitch #mychannel] alice: !flags") + 1]
    assert "clock moved forward 25m: now 2026-01-05 12:25 UTC" in lines


def test_clock_start_must_be_a_date_and_time(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["run", "-c", str(_config(tmp_path)), "--clock-start", "friday"])
    assert "'friday' is not a date and time; write it as 2026-01-05T12:00" in \
        capsys.readouterr().err
