"""Commands as data: one definition becomes ``!faq add ...`` on text platforms and a
slash command on Discord. A command's definition, usage line and help listing live here;
its arguments in :mod:`cmbot.arguments`, the registry in :mod:`cmbot.registry`, cooldowns
in :mod:`cmbot.cooldowns` (all re-exported here)."""

from __future__ import annotations

import argparse
import inspect
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .arguments import (
    ARG_TYPES,
    Arg,
    Given,
    Token,
    UserRef,
    bind_arguments,
    parse_arguments,
    split_arguments,
    tokenize,
)
from .cooldowns import Cooldowns
from .errors import CommandError, UsageError
from .model import Role
from .registry import CommandRegistry, Resolved, after_words

__all__ = [
    "ARG_TYPES", "Arg", "CliCommand", "Command", "CommandError", "CommandRegistry",
    "Cooldowns", "Given", "Handler", "Resolved", "Token", "UsageError", "UserRef",
    "after_words", "bind_arguments", "describe", "parse_arguments", "split_arguments",
    "tokenize",
]

_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


Handler = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Command:
    """A command a plugin offers. ``name`` may contain one space for a group (``faq add``)."""

    name: str
    help: str
    handler: Handler
    args: Sequence[Arg] = ()
    """A list or tuple; stored as a tuple."""
    role: Role = Role.EVERYONE
    user_cooldown: float = 0.0
    channel_cooldown: float = 0.0
    aliases: tuple[str, ...] = ()
    plugin: str = ""
    hidden: bool = False
    example: str = ""
    """A complete example line (without prefix), shown with usage errors."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "args", tuple(self.args))
        object.__setattr__(self, "aliases", tuple(a.lower() for a in self.aliases))
        object.__setattr__(self, "name", " ".join(self.name.lower().split()))
        parts = self.name.split(" ")
        if not 1 <= len(parts) <= 2 or not all(_NAME.match(p) for p in parts):
            raise ValueError(f"command name {self.name!r}: one or two lowercase words "
                             f"(letters, digits, - or _)")
        positional = [a for a in self.args if not a.keyword]
        for arg in positional[:-1]:
            if arg.type == "text" or arg.many:
                raise ValueError(f"command {self.name!r}: {arg.name!r} takes the rest of "
                                 f"the line, so it must be the last positional argument")
        _check_handler(self)
        seen_optional = False
        for arg in positional:
            if not arg.required:
                seen_optional = True
            elif seen_optional:
                raise ValueError(f"command {self.name!r}: required {arg.name!r} follows an "
                                 f"optional argument")

    @property
    def group(self) -> str | None:
        return self.name.split(" ")[0] if " " in self.name else None

    def usage(self, prefix: str = "!") -> str:
        return " ".join([prefix + self.name, *(a.placeholder for a in self.args)])


def _check_handler(command: Command) -> None:
    """Fail at load time if the handler cannot take ``ctx`` and every argument."""
    try:
        params = inspect.signature(command.handler).parameters
    except (TypeError, ValueError):
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    names = set(params)
    missing = [a.name for a in command.args if a.name not in names]
    if missing or not params:
        raise ValueError(f"command {command.name!r}: its handler must accept ctx and "
                         f"{', '.join(missing) or 'ctx'} as keyword parameters")


@dataclass(frozen=True)
class CliCommand:
    """A ``cmbot`` sub-command a plugin adds through ``cmbot_cli_commands``.

    ``name`` is one or two words (``"eval faq"``: plugins share the first word);
    ``arguments(parser)`` declares its argparse arguments; ``run(args)`` does the work
    and returns the exit status (raise ``CommandError`` for a clean one-line failure).
    """

    name: str
    help: str
    run: Callable[[argparse.Namespace], int]
    arguments: Callable[[argparse.ArgumentParser], None] | None = None

    def __post_init__(self) -> None:
        parts = self.name.split()
        if not 1 <= len(parts) <= 2 or not all(_NAME.match(p) for p in parts):
            raise ValueError(f"cli command name {self.name!r}: one or two lowercase words")


def describe(command: Command, prefix: str = "!") -> str:
    """One line for help listings: usage, role, help."""
    role = "" if command.role == Role.EVERYONE else f" ({command.role.label}+)"
    return f"{command.usage(prefix)}{role}: {command.help}"


