"""``cmbot run | check-config | plugins | twitch-auth | discord-invite | backup | demo``
and ``cmbot --version``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import __version__
from .bounded import run
from .clock import Clock
from .commands import CliCommand
from .config import Config, ConfigError, Secret, load_config
from .dispatch import HookCaller
from .errors import CommandError
from .platforms.base import PlatformAdapter
from .plugins import PluginLoadError, get_plugin_manager, hooks_of, load_plugins
from .registry import CORE
from .runtime import Runtime
from .storage import StorageError

DEFAULT_CONFIG = "bot.example.toml"


def plugin_cli_commands() -> list[CliCommand]:
    """The ``cmbot`` sub-commands built-in and entry-point plugins add."""
    pm = get_plugin_manager()
    load_plugins(pm)
    found: list[CliCommand] = []
    for _, commands in HookCaller(pm).call_sync_per_plugin("cmbot_cli_commands"):
        found.extend(commands or ())
    return found


def _parser(plugin_cli: Sequence[CliCommand] = ()) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cmbot", description="Community-manager bot for "
                                     "Discord and Twitch.")
    parser.add_argument("--version", action="version", version=f"cmbot {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    groups: dict[str, Any] = {}
    run = sub.add_parser("run", help="run the bot (console when no platform is enabled)")
    run.add_argument("-c", "--config", default=DEFAULT_CONFIG, help="TOML config file")
    run.add_argument("--console", action="store_true",
                     help="use the console even if platforms are enabled")
    run.add_argument("--clock-start", metavar="YYYY-MM-DDTHH:MM", type=_instant,
                     help="console only: start the clock at this UTC time and move it only "
                     "with /clock, so a piped script gives the same output every run")
    check = sub.add_parser("check-config", help="validate a config file and exit")
    check.add_argument("config", nargs="?", default=DEFAULT_CONFIG)
    plugins = sub.add_parser("plugins", help="list plugins, their hooks and commands")
    plugins.add_argument("-c", "--config", default=DEFAULT_CONFIG)
    auth = sub.add_parser("twitch-auth", help="get the Twitch bot token (in a browser, or "
                          "with a code on a headless server) and store it in the bot's "
                          "database")
    auth.add_argument("-c", "--config", default=DEFAULT_CONFIG)
    auth.add_argument("--port", type=int, default=4343, help="local port for the OAuth page")
    auth.add_argument("--device", action="store_true",
                      help="no browser here: print a code to enter at twitch.tv/activate "
                      "on any device (Device Code Grant flow)")
    auth.add_argument("--as", dest="who", choices=("bot", "broadcaster"), default="bot",
                      help="bot: the bot account's token; broadcaster: allow the bot in "
                      "your channel (channel:bot) without making it a moderator")
    invite = sub.add_parser("discord-invite", help="print the link that adds the bot to a "
                            "Discord server, with exactly the permissions it uses")
    invite.add_argument("app_id", metavar="APP_ID",
                        help="the application id (Developer Portal → General Information)")
    invite.add_argument("--ban", action="store_true",
                        help="also ask for Ban Members (only for action_* = \"ban\")")
    backup = sub.add_parser("backup", help="copy the bot's database consistently, even "
                            "while the bot runs (the copy is created 0600)")
    backup.add_argument("-c", "--config", default=DEFAULT_CONFIG)
    backup.add_argument("dest", metavar="DEST", help="the copy's path, or an existing folder "
                        "for a time-stamped copy")
    backup.add_argument("--keep", type=_positive, default=None, metavar="N",
                        help="with a folder DEST: keep only the N newest copies")
    sub.add_parser("demo", help="replay a scripted chat through every plugin (no tokens)")
    for command in plugin_cli:
        words = command.name.split()
        if len(words) == 1:
            target = sub.add_parser(words[0], help=command.help)
        else:
            group = groups.get(words[0])
            if group is None:
                holder = sub.add_parser(words[0], help=f"{words[0]} commands from plugins")
                group = groups[words[0]] = holder.add_subparsers(dest=f"{words[0]}_command",
                                                                  required=True)
            target = group.add_parser(words[1], help=command.help)
        if command.arguments is not None:
            command.arguments(target)
        target.set_defaults(plugin_cli=command)
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return value


def _fail(message: str) -> int:
    print(f"cmbot: {message}", file=sys.stderr)
    return 2


def _load(path: str) -> Config:
    """The config, with every problem in it (core keys, plugins, their keys) reported in
    one pass rather than one stage at a time."""
    problems: list[str] = []
    config = load_config(path, problems=problems)
    try:
        Runtime(config)  # loads the plugins and checks their keys and commands
    except ConfigError as exc:
        problems += exc.problems
    except PluginLoadError as exc:
        problems.append(f"{path}: {exc}")
    if problems:
        raise ConfigError(problems)
    return config


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser(plugin_cli_commands()).parse_args(argv)
    except PluginLoadError as exc:
        return _fail(f"plugin error: {exc}")
    try:
        if getattr(args, "plugin_cli", None) is not None:
            return int(args.plugin_cli.run(args))
        if args.command == "check-config":
            return _check(args.config)
        if args.command == "plugins":
            return _plugins(args.config)
        if args.command == "demo":
            from .demo import run_demo

            logging.basicConfig(level=logging.ERROR)
            return 1 if run(run_demo(sys.stdout)) else 0
        if args.command == "discord-invite":
            from .platforms.discord import invite

            try:
                sys.stdout.write(invite.describe(args.app_id, ban=args.ban))
            except invite.InviteError as exc:
                return _fail(str(exc))
            return 0
        if args.command == "backup":
            return _backup(args.config, args.dest, args.keep)
        if args.command == "twitch-auth":
            from .platforms.twitch import auth

            if args.device:
                return run(auth.twitch_device_auth(_load(args.config), sys.stdout,
                                                   who=args.who))
            return run(auth.twitch_auth(_load(args.config), sys.stdout, port=args.port,
                                        who=args.who))
        if args.command == "run":
            return _run(args.config, force_console=args.console, clock_start=args.clock_start)
    except ConfigError as exc:
        return _fail("config error:\n  " + "\n  ".join(exc.problems))
    except PluginLoadError as exc:
        return _fail(f"plugin error: {exc}")
    except StorageError as exc:
        return _fail(f"database error: {exc}")
    except CommandError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 130
    return 2  # pragma: no cover - argparse requires a command


def _check(path: str) -> int:
    config = _load(path)
    bot = Runtime(config)  # loads plugins and validates their config keys
    config.check_secrets()
    enabled = [p for p in ("discord", "twitch") if config[p]["enabled"]] or ["console"]
    print(f"{path}: OK — {len(bot.plugins)} plugin(s), {len(bot.commands)} command(s), "
          f"platforms: {', '.join(enabled)}")
    for warning in _warnings(config, path):
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def _warnings(config: Config, path: str) -> list[str]:
    """What would stop the bot at start although the file is valid."""
    found = []
    twitch = config["twitch"]
    token = twitch.get("bot_token")
    if twitch["enabled"] and not (isinstance(token, Secret) and token.reveal()):
        from .platforms.twitch.auth import stored_token_user

        if stored_token_user(config.database_path) is None:
            found.append(f"[twitch] is enabled but no bot token is stored in "
                         f"{config.database_path} yet (and bot_token is unset). Fix: run "
                         f"`cmbot twitch-auth -c {path}` (on a server without a browser: "
                         f"`cmbot twitch-auth -c {path} --device`)")
    return found


def _backup(path: str, dest: str, keep: int | None) -> int:
    from .backup import BackupError, backup

    database = _load(path).database_path
    try:
        made = backup(database, Path(dest), keep=keep)
    except BackupError as exc:
        return _fail(f"backup failed: {exc}")
    print(f"✓ {database} copied to {made.path} ({made.bytes:,} bytes, readable by its "
          f"owner only)")
    if made.removed:
        print(f"  removed {len(made.removed)} older cop{'y' if len(made.removed) == 1 else 'ies'}"
              f" (--keep {keep})")
    return 0


def _plugins(path: str) -> int:
    config = _load(path)
    bot = Runtime(config)
    prefix = config.bot["prefix"]
    statuses = dict(bot.hooks.call_sync_per_plugin("cmbot_status", ("bot", bot.host)))

    def commands_of(plugin: str) -> None:
        for command in sorted((c for c in bot.commands if c.plugin == plugin),
                              key=lambda c: c.name):
            role = bot.commands.required_role(command).label
            print(f"  {command.usage(prefix)}  — {role}: {command.help}")

    print(f"{CORE}  [core: kept whatever plugins are disabled]")
    commands_of(CORE)
    for info in bot.plugins:
        print(f"{info.name}  [{info.source}]")
        hooks = [h for h in hooks_of(bot.pm, info.name)]
        print(f"  hooks: {', '.join(hooks) or '(none)'}")
        commands_of(info.name)
        line = statuses.get(info.name)
        if line:
            print(f"  status: {line}")
    return 0


def _instant(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date and time; write it as 2026-01-05T12:00 (UTC)") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def _run(path: str, *, force_console: bool, clock_start: datetime | None = None) -> int:
    config = _load(path)
    logging.basicConfig(level=config.bot["log_level"],
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    platforms = [p for p in ("discord", "twitch") if config[p]["enabled"]]
    if platforms and not force_console:
        config.check_secrets()
        return run(_run_platforms(config, platforms))
    return run(_run_console(config, clock_start))


def platform_adapters(config: Config, platforms: Sequence[str]) -> list[PlatformAdapter]:
    """The real adapters for the enabled platforms."""
    adapters: list[PlatformAdapter] = []
    if "discord" in platforms:
        from .platforms.discord import DiscordAdapter

        adapters.append(DiscordAdapter(config["discord"]))
    if "twitch" in platforms:
        from .platforms.twitch import TwitchAdapter

        adapters.append(TwitchAdapter(config["twitch"]))
    return adapters


async def _run_platforms(config: Config, platforms: Sequence[str],
                         stop: asyncio.Event | None = None) -> int:
    """Run the real adapters until SIGINT/SIGTERM (or ``stop`` is set)."""
    bot = Runtime(config, adapters=platform_adapters(config, platforms))
    try:
        await bot.start()
    except RuntimeError as exc:
        await bot.stop()
        return _fail(str(exc))
    print(f"cmbot is running on {' and '.join(platforms)}; Ctrl+C stops it", flush=True)
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(bot.failed.wait())]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        await bot.stop()
    if bot.failure is not None:
        return _fail(f"stopped: {bot.failure}")
    return 0


async def _run_console(config: Config, clock_start: datetime | None = None) -> int:
    from .platforms.console import console_adapters, run_console

    out = sys.stdout
    bot = Runtime(config, adapters=console_adapters(out, config.bot["name"]),
                  clock=Clock(clock_start))
    await bot.start()
    try:
        await run_console(bot, sys.stdin, out)
    finally:
        await bot.stop()
    return 0


