"""``cmbot eval faq FILE.json``: the FAQ plugin's command line."""

from __future__ import annotations

import argparse
import asyncio

from cmbot import CliCommand, CommandError, hookimpl


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="a CLINC150-format JSON file")
    parser.add_argument("--phrasings", type=int, default=5, help="phrasings taught per entry")
    parser.add_argument("--matcher", choices=("auto", "semantic", "lexical"), default="auto")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every mistake")


def _run(args: argparse.Namespace) -> int:
    from .evaluate import evaluate

    if args.phrasings < 1:
        raise CommandError("--phrasings must be at least 1")
    try:
        result = asyncio.run(evaluate(args.file, args.phrasings, args.matcher, args.verbose))
    except (OSError, ValueError) as exc:
        raise CommandError(f"eval faq: {exc}") from None
    print(" ".join(f"{k}={v:.3f}" for k, v in result.items()))
    return 0


@hookimpl
def cmbot_cli_commands() -> list[CliCommand]:
    return [CliCommand("eval faq", "FAQ matching on a CLINC150-format JSON file", _run,
                       _arguments)]
