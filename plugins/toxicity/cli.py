"""``cmbot eval toxicity FILE.csv``: the toxicity plugin's command line."""

from __future__ import annotations

import argparse

from cmbot import CliCommand, CommandError, hookimpl


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="a CSV file with text and label columns")
    parser.add_argument("--unlabeled", action="store_true",
                        help="only a text column: print the flagged rate")


def _run(args: argparse.Namespace) -> int:
    from .evaluate import evaluate

    try:
        result = evaluate(args.file, args.unlabeled)
    except (OSError, ValueError, KeyError) as exc:
        raise CommandError(f"eval toxicity: {exc}") from None
    print(" ".join(f"{k}={v:.3f}" for k, v in result.items()))
    return 0


@hookimpl
def cmbot_cli_commands() -> list[CliCommand]:
    return [CliCommand("eval toxicity", "toxicity flagging on a text,label CSV file", _run,
                       _arguments)]
