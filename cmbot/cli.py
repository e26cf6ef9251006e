"""``cmbot run | check-config | plugins`` and ``cmbot --version``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence

from . import __version__
from .config import Config, ConfigError, load_config
from .platforms.base import PlatformAdapter
from .plugins import PluginLoadError, hooks_of
from .runtime import Bot
from .storage import MigrationError

DEFAULT_CONFIG = "bot.example.toml"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cmbot", description="Community-manager bot for "
                                     "Discord and Twitch.")
    parser.add_argument("--version", action="version", version=f"cmbot {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the bot (console when no platform is enabled)")
    run.add_argument("-c", "--config", default=DEFAULT_CONFIG, help="TOML config file")
    run.add_argument("--console", action="store_true",
                     help="use the console even if platforms are enabled")
    check = sub.add_parser("check-config", help="validate a config file and exit")
    check.add_argument("config", nargs="?", default=DEFAULT_CONFIG)
    plugins = sub.add_parser("plugins", help="list plugins, their hooks and commands")
    plugins.add_argument("-c", "--config", default=DEFAULT_CONFIG)
    auth = sub.add_parser("twitch-auth", help="get the Twitch bot token in a browser and "
                          "store it in the bot's database")
    auth.add_argument("-c", "--config", default=DEFAULT_CONFIG)
    auth.add_argument("--port", type=int, default=4343, help="local port for the OAuth page")
    auth.add_argument("--as", dest="who", choices=("bot", "broadcaster"), default="bot",
                      help="bot: the bot account's token; broadcaster: allow the bot in "
                      "your channel (channel:bot) without making it a moderator")
    sub.add_parser("demo", help="replay a scripted chat through every plugin (no tokens)")
    evaluate = sub.add_parser("eval", help="measure a plugin's quality on a data file")
    kinds = evaluate.add_subparsers(dest="kind", required=True)
    faq = kinds.add_parser("faq", help="FAQ matching on a CLINC150-format JSON file")
    faq.add_argument("file")
    faq.add_argument("--phrasings", type=int, default=5, help="phrasings taught per entry")
    faq.add_argument("--matcher", choices=("auto", "semantic", "lexical"), default="auto")
    faq.add_argument("-v", "--verbose", action="store_true", help="print every mistake")
    tox = kinds.add_parser("toxicity", help="toxicity flagging on a text,label CSV file")
    tox.add_argument("file")
    tox.add_argument("--unlabeled", action="store_true", help="only a text column: print the "
                     "flagged rate")
    return parser


def _fail(message: str) -> int:
    print(f"cmbot: {message}", file=sys.stderr)
    return 2


def _load(path: str) -> Config:
    return load_config(path)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "check-config":
            return _check(args.config)
        if args.command == "plugins":
            return _plugins(args.config)
        if args.command == "eval":
            return _eval(args)
        if args.command == "demo":
            from .demo import run_demo

            logging.basicConfig(level=logging.ERROR)
            return 1 if asyncio.run(run_demo(sys.stdout)) else 0
        if args.command == "twitch-auth":
            from .platforms.twitch.auth import twitch_auth

            return asyncio.run(twitch_auth(_load(args.config), sys.stdout, port=args.port,
                                           who=args.who))
        if args.command == "run":
            return _run(args.config, force_console=args.console)
    except ConfigError as exc:
        return _fail("config error:\n  " + "\n  ".join(exc.problems))
    except PluginLoadError as exc:
        return _fail(f"plugin error: {exc}")
    except MigrationError as exc:
        return _fail(f"database error: {exc}")
    except KeyboardInterrupt:
        return 130
    return 2  # pragma: no cover - argparse requires a command


def _eval(args: argparse.Namespace) -> int:
    if args.kind == "faq":
        from cmbot_plugins.faq.evaluate import evaluate

        if args.phrasings < 1:
            return _fail("--phrasings must be at least 1")
        try:
            result = asyncio.run(evaluate(args.file, args.phrasings, args.matcher,
                                          args.verbose))
        except (OSError, ValueError) as exc:
            return _fail(f"eval faq: {exc}")
        print(" ".join(f"{k}={v:.3f}" for k, v in result.items()))
        return 0
    if args.kind == "toxicity":
        from cmbot_plugins.toxicity.evaluate import evaluate as evaluate_toxicity

        try:
            result = evaluate_toxicity(args.file, args.unlabeled)
        except (OSError, ValueError, KeyError) as exc:
            return _fail(f"eval toxicity: {exc}")
        print(" ".join(f"{k}={v:.3f}" for k, v in result.items()))
        return 0
    return 2  # pragma: no cover - argparse restricts the kinds


def _check(path: str) -> int:
    config = _load(path)
    bot = Bot(config)  # loads plugins and validates their config keys
    config.check_secrets()
    enabled = [p for p in ("discord", "twitch") if config[p]["enabled"]] or ["console"]
    print(f"{path}: OK — {len(bot.plugins)} plugin(s), {len(bot.commands)} command(s), "
          f"platforms: {', '.join(enabled)}")
    return 0


def _plugins(path: str) -> int:
    config = _load(path)
    bot = Bot(config)
    prefix = config.bot["prefix"]
    for info in bot.plugins:
        print(f"{info.name}  [{info.source}]")
        hooks = [h for h in hooks_of(bot.pm, info.name)]
        print(f"  hooks: {', '.join(hooks) or '(none)'}")
        for command in sorted((c for c in bot.commands if c.plugin == info.name),
                              key=lambda c: c.name):
            role = bot.required_role(command).label
            print(f"  {command.usage(prefix)}  — {role}: {command.help}")
        status = getattr(info.module, "cmbot_status", None)
        if callable(status):
            print(f"  status: {status(bot)}")
    return 0


def _run(path: str, *, force_console: bool) -> int:
    config = _load(path)
    logging.basicConfig(level=config.bot["log_level"],
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    platforms = [p for p in ("discord", "twitch") if config[p]["enabled"]]
    if platforms and not force_console:
        config.check_secrets()
        return asyncio.run(_run_platforms(config, platforms))
    if not config["console"]["enabled"]:
        return _fail(f"{path}: no platform is enabled and [console] enabled = false; "
                     f"enable one of [discord], [twitch] or [console]")
    return asyncio.run(_run_console(config))


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
    bot = Bot(config, adapters=platform_adapters(config, platforms))
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
    try:
        await stop.wait()
    finally:
        await bot.stop()
    return 0


async def _run_console(config: Config) -> int:
    from .platforms.console import console_adapters, run_console

    out = sys.stdout
    bot = Bot(config, adapters=console_adapters(out, config.bot["name"]))
    await bot.start()
    try:
        await run_console(bot, sys.stdin, out)
    finally:
        await bot.stop()
    return 0


