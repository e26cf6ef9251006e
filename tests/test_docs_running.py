"""README's "Running permanently" is checked like docs/plugins.md: every cmbot command it
shows (the systemd units' Exec lines, the Containerfile's CMD, the shell lines and the
inline commands) parses with the real ``cmbot`` argument parser, so a renamed sub-command
or option fails ``make test``; and the pieces the section promises are there."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shlex
from pathlib import Path

import pytest

from cmbot.cli import _parser, plugin_cli_commands

README = Path(__file__).resolve().parent.parent / "README.md"
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
# "cmbot <sub-command> [args]" as a program name: alone or at the end of a path
_COMMAND = re.compile(r"(?:^|(?<=[\s/]))cmbot((?:[ \t]+[^\s|&;#`]+)+)")


def _section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Running permanently\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def _blocks(kind: str) -> list[str]:
    return [body for lang, body in _FENCE.findall(_section()) if lang == kind]


def _unit(name: str) -> dict[str, list[str]]:
    """The ini block that follows the mention of ``name`` (the unit file's path)."""
    section = _section()
    at = section.index(f"/etc/systemd/system/{name}")
    lang, body = next((m.group(1), m.group(2)) for m in _FENCE.finditer(section, at))
    assert lang == "ini", name
    keys: dict[str, list[str]] = {}
    for line in body.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            keys.setdefault(key.strip(), []).append(value.strip())
    return keys


def _shell_lines(body: str) -> list[str]:
    joined = re.sub(r"\\\n\s*", " ", body)
    return [re.sub(r"\s#.*$", "", line) for line in joined.splitlines()]


def _commands() -> list[tuple[str, list[str]]]:
    """(where it was found, the arguments after ``cmbot``) for every command shown."""
    found: list[tuple[str, list[str]]] = []
    for body in _blocks("ini"):
        for line in body.splitlines():
            key, _, value = line.partition("=")
            if key.startswith("Exec"):
                program, *args = shlex.split(value)
                if program.endswith("/cmbot"):
                    found.append((line, args))
    for body in _blocks("dockerfile"):
        entry = re.search(r"^ENTRYPOINT (\[.*\])$", body, re.MULTILINE)
        cmd = re.search(r"^CMD (\[.*\])$", body, re.MULTILINE)
        assert entry and cmd, "the Containerfile has an ENTRYPOINT and a CMD"
        assert json.loads(entry.group(1)) == ["cmbot"]
        found.append((cmd.group(0), json.loads(cmd.group(1))))
    shell = [line for kind in ("sh", "dockerfile") for body in _blocks(kind)
             for line in _shell_lines(body)]
    inline = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", _section(), flags=re.S))
    for line in shell + inline:
        for match in _COMMAND.finditer(line):
            args = shlex.split(match.group(1))
            if args[0][0].isalpha():
                found.append((line.strip(), args))
    return found


def _parses(args: list[str]) -> str:
    """Empty when the real parser accepts ``args``, else what it said."""
    parser = _parser(plugin_cli_commands())
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            parser.parse_args(args)
    except SystemExit:
        return err.getvalue().strip().splitlines()[-1]
    return ""


def test_the_section_shows_the_commands_an_operator_runs():
    subcommands = {args[0] for _, args in _commands()}
    assert {"run", "check-config", "backup", "twitch-auth"} <= subcommands


@pytest.mark.parametrize(("where", "args"), _commands(),
                         ids=[" ".join(args) for _, args in _commands()])
def test_every_command_in_the_section_is_a_real_cmbot_command(where, args):
    assert _parses(args) == "", where


def test_the_parser_check_catches_a_wrong_command():
    assert "invalid choice" in _parses(["backups", "-c", "bot.toml", "/tmp"])
    assert "unrecognized arguments" in _parses(["backup", "-c", "x", "/tmp", "--keeps", "2"])


def test_the_service_restarts_on_failure_with_its_tokens_in_a_private_env_file():
    unit = _unit("cmbot.service")
    program, *args = shlex.split(unit["ExecStart"][0])
    assert program.endswith("/cmbot") and args[0] == "run"
    assert unit["Restart"] == ["on-failure"]
    env_file = unit["EnvironmentFile"][0]
    assert f"install -m 0600 -o root -g root /dev/null {env_file}" in _section()
    assert unit["UMask"] == ["0077"] and unit["User"] == ["cmbot"]
    pre = shlex.split(unit["ExecStartPre"][0])
    assert pre[1] == "check-config" and pre[2] == args[args.index("-c") + 1]


def test_the_backup_runs_from_a_daily_timer_with_the_backup_command():
    service = _unit("cmbot-backup.service")
    program, *args = shlex.split(service["ExecStart"][0])
    assert program.endswith("/cmbot") and args[0] == "backup" and _parses(args) == ""
    assert service["Type"] == ["oneshot"] and "EnvironmentFile" not in service
    timer = _unit("cmbot-backup.timer")
    assert timer["OnCalendar"] == ["daily"] and timer["Persistent"] == ["true"]
    assert "systemctl enable --now cmbot-backup.timer" in _section()


def test_logs_go_to_the_journal_or_the_container_engine():
    section = _section()
    assert "journalctl -u cmbot" in section and "journald.conf" in section
    assert "PYTHONUNBUFFERED=1" in _blocks("dockerfile")[0]
