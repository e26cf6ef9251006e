"""The command registry: every loaded command by name and alias, and which one a line
of text invokes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .arguments import Token, tokenize
from .model import Role

if TYPE_CHECKING:
    from .commands import Command

CORE = "cmbot"
"""The plugin name of the core's own commands (``!forgetme``: see :mod:`cmbot.privacy`)."""


@dataclass
class Resolved:
    """A command found in a line of text, with the tokens that follow its name."""

    command: Command
    args_raw: str
    tokens: list[Token]


def after_words(command: Command, text: str, tokens: Sequence[Token], size: int) -> Resolved:
    """``command`` with the part of ``text`` after its first ``size`` words."""
    rest = tokens[size:]
    start = rest[0].start if rest else len(text)
    shift = [Token(t.value, t.start - start, t.end - start, t.quoted) for t in rest]
    return Resolved(command, text[start:], shift)


class CommandRegistry:
    """Every loaded command by name and alias."""

    def __init__(self, commands: Iterable[Command] = (),
                 permissions: Mapping[str, Role] | None = None) -> None:
        self._by_name: dict[str, Command] = {}
        self._commands: list[Command] = []
        self.permissions: Mapping[str, Role] = permissions or {}
        """``[permissions]``: command name -> the role it needs instead of its own."""
        for cmd in commands:
            self.add(cmd)

    def add(self, command: Command) -> None:
        for key in (command.name, *command.aliases):
            if key in self._by_name:
                other = self._by_name[key]
                if other.plugin == CORE:
                    raise ValueError(f"command {key!r} from plugin {command.plugin!r} clashes "
                                     f"with a core command of cmbot; the plugin must rename it")
                raise ValueError(f"command {key!r} from plugin {command.plugin!r} clashes with "
                                 f"plugin {other.plugin!r}; disable one of them")
            self._by_name[key] = command
        self._commands.append(command)

    def __iter__(self) -> Iterator[Command]:
        return iter(self._commands)

    def required_role(self, command: Command) -> Role:
        """The role ``command`` needs here: ``[permissions]`` over its own."""
        return self.permissions.get(command.name, command.role)

    def __len__(self) -> int:
        return len(self._commands)

    def get(self, name: str) -> Command | None:
        return self._by_name.get(" ".join(name.lower().split()))

    def subcommands(self, group: str) -> list[Command]:
        return [c for c in self._commands if c.group == group]

    def resolve(self, text: str) -> Resolved | str | None:
        """Find the command a line (prefix removed) invokes.

        Returns a :class:`Resolved`, an error string for an unknown subcommand of a
        known group, or None when no command matches (other bots' commands are ignored).
        """
        tokens = tokenize(text)
        if not tokens or tokens[0].quoted:
            return None
        words = [t.value.lower() for t in tokens[:2]]
        for size in (2, 1):
            if len(words) >= size and not any(t.quoted for t in tokens[:size]):
                command = self._by_name.get(" ".join(words[:size]))
                if command is not None:
                    return after_words(command, text, tokens, size)
        subs = self.subcommands(words[0])
        if subs:
            names = ", ".join(sorted(c.name.split(" ")[1] for c in subs if not c.hidden))
            given = f" {tokens[1].value!r}" if len(tokens) > 1 else ""
            return f"unknown {words[0]} subcommand{given}; try one of: {names}"
        return None
