"""``cmbot eval toxicity FILE.csv``: the toxicity plugin's command line."""

from __future__ import annotations

import argparse

from cmbot import CliCommand, CommandError, hookimpl

from .scorer import LANGUAGES, LEVEL_CHOICES


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="a CSV file with text and label columns")
    parser.add_argument("--unlabeled", action="store_true",
                        help="only a text column: print the flagged rate")
    parser.add_argument("--sensitivity", choices=LEVEL_CHOICES, default=None,
                        help="every category at this level (default: the shipped defaults)")
    parser.add_argument("--language", choices=LANGUAGES, default="en",
                        help="the community language whose thresholds apply")


def _run(args: argparse.Namespace) -> int:
    from .evaluate import evaluate

    counts: dict[str, int] = {}
    try:
        result = evaluate(args.file, args.unlabeled, sensitivity=args.sensitivity,
                          language=args.language, by_category=counts)
    except (OSError, ValueError, KeyError) as exc:
        raise CommandError(f"eval toxicity: {exc}") from None
    total = sum(counts.values())
    if total:
        print("category   flagged")
        for category, count in sorted(counts.items(), key=lambda kv: -kv[1]):
            print(f"{category:10s} {count:7d}")
    print(" ".join(f"{k}={v:.3f}" for k, v in result.items()))
    return 0


@hookimpl
def cmbot_cli_commands() -> list[CliCommand]:
    return [CliCommand("eval toxicity", "toxicity flagging on a text,label CSV file "
                       "(--sensitivity, --language)", _run, _arguments)]
