"""Command arguments: how a line splits into words, and how each word (or a value a
platform already typed) becomes the handler's typed, checked keyword argument."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import UsageError
from .numbers import INT_MAX, INT_MIN, parse_int, parse_number
from .timeparse import parse_datetime, parse_duration

if TYPE_CHECKING:
    from .commands import Command

ARG_TYPES = ("str", "int", "float", "duration", "datetime", "choice", "user", "text", "bool",
             "file")
_QUOTES = {'"': '"', "“": "”", "„": "“", "«": "»"}


@dataclass(frozen=True, slots=True)
class UserRef:
    """A user named in a command argument (``@alice`` or a Discord mention)."""

    name: str
    id: str | None = None

    def __str__(self) -> str:
        return self.name or self.id or ""


@dataclass(frozen=True)
class Arg:
    """One command argument.

    ``type`` is one of str, int, float, duration (seconds), datetime, choice, user,
    text (the rest of the line), bool, file (a file name; on Discord an upload, whose
    bytes arrive in ``ctx.message.attachments``). ``keyword`` arguments are written ``name:value``
    anywhere on the line; ``many`` collects all remaining positional words as a list.
    """

    name: str
    type: str = "str"
    required: bool = True
    help: str = ""
    choices: tuple[str, ...] = ()
    default: Any = None
    keyword: bool = False
    many: bool = False
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    autocomplete: str | None = None

    def __post_init__(self) -> None:
        if self.type not in ARG_TYPES:
            raise ValueError(f"Arg {self.name!r}: type must be one of {ARG_TYPES}")
        if self.type == "choice" and not self.choices:
            raise ValueError(f"Arg {self.name!r}: a choice argument needs choices")
        object.__setattr__(self, "choices", tuple(self.choices))

    @property
    def placeholder(self) -> str:
        if self.keyword:
            shown = "|".join(self.choices) if self.choices else f"<{self.type}>"
            return f"[{self.name}:{shown}]" if not self.required else f"{self.name}:{shown}"
        inner = "|".join(self.choices) if self.type == "choice" else self.name
        if self.type == "text" or self.many:
            inner += "..."
        return f"<{inner}>" if self.required else f"[{inner}]"



@dataclass(frozen=True, slots=True)
class Token:
    value: str
    start: int
    end: int
    quoted: bool


def tokenize(text: str) -> list[Token]:
    """Split on spaces; double quotes (also typographic ones) group words.

    Apostrophes never group, so chat like ``don't`` is safe. An unclosed quote runs to
    the end of the line.
    """
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        if text[i] in _QUOTES:
            close = _QUOTES[text[i]]
            j = text.find(close, i + 1)
            if close == "”":
                alt = text.find('"', i + 1)
                j = alt if j == -1 or (alt != -1 and alt < j) else j
            end = n if j == -1 else j + 1
            tokens.append(Token(text[i + 1: j if j != -1 else n], i, end, True))
            i = end
            continue
        j = i
        while j < n and not text[j].isspace():
            if text[j] == ":" and j + 1 < n and text[j + 1] in _QUOTES:
                # key:"quoted value" keeps its spaces: repeat:"0 20 * * fri"
                close = _QUOTES[text[j + 1]]
                k = text.find(close, j + 2)
                end = n if k == -1 else k
                value = text[i:j + 1] + text[j + 2:end]
                i_end = n if k == -1 else k + 1
                tokens.append(Token(value, i, i_end, False))
                j = i_end
                break
            j += 1
        else:
            tokens.append(Token(text[i:j], i, j, False))
        i = j
    return tokens


def _convert(arg: Arg, raw: Any, tz: str) -> Any:
    label = f"<{arg.name}>"
    if not isinstance(raw, str):
        return _convert_typed(arg, raw, label)
    if arg.type in ("str", "text", "file"):
        if not raw.strip():
            raise UsageError(f"{label} must not be empty")
        if arg.max_length is not None and len(raw) > arg.max_length:
            raise UsageError(f"{label} is {len(raw)} characters; the limit is {arg.max_length}")
        return raw
    if arg.type in ("int", "float"):
        try:
            value: float = parse_int(raw) if arg.type == "int" else parse_number(raw)
        except ValueError as exc:
            raise UsageError(f"{label}: {exc}") from None
        if arg.min is not None and value < arg.min:
            raise UsageError(f"{label} must be at least {arg.min:g}, got {raw}")
        if arg.max is not None and value > arg.max:
            raise UsageError(f"{label} must be at most {arg.max:g}, got {raw}")
        return value
    if arg.type == "duration":
        try:
            seconds = parse_duration(raw)
        except ValueError as exc:
            raise UsageError(f"{label}: {exc}") from None
        if arg.min is not None and seconds < arg.min:
            raise UsageError(f"{label} must be at least {arg.min:g}s")
        if arg.max is not None and seconds > arg.max:
            raise UsageError(f"{label} must be at most {arg.max:g}s")
        return seconds
    if arg.type == "datetime":
        try:
            return parse_datetime(raw, tz)
        except ValueError as exc:
            raise UsageError(f"{label}: {exc}") from None
    if arg.type == "choice":
        for choice in arg.choices:
            if raw.lower() == choice.lower():
                return choice
        raise UsageError(f"{label} must be one of {', '.join(arg.choices)}; got {raw!r}")
    if arg.type == "bool":
        low = raw.lower()
        if low in ("yes", "y", "true", "on", "1"):
            return True
        if low in ("no", "n", "false", "off", "0"):
            return False
        raise UsageError(f"{label} must be yes or no, got {raw!r}")
    if arg.type == "user":
        mention = re.fullmatch(r"<@!?(\d+)>", raw)
        if mention:
            return UserRef(name="", id=mention.group(1))
        name = raw.lstrip("@").strip().lower()
        if not re.fullmatch(r"[\w.\-]{1,40}", name):
            raise UsageError(f"{label} must be a user name like @alice, got {raw!r}")
        return UserRef(name=name)
    raise AssertionError(arg.type)  # pragma: no cover - checked in Arg


def _convert_typed(arg: Arg, value: Any, label: str) -> Any:
    """A value a platform already typed (a Discord option): checked like a typed word."""
    if arg.type == "user" and isinstance(value, UserRef):
        return value
    if arg.type == "bool" and isinstance(value, bool):
        return value
    if arg.type in ("int", "float") and isinstance(value, int | float) \
            and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            raise UsageError(f"{label} must be a finite number, got {value!r}")
        number = value
        if arg.type == "int":
            if isinstance(value, float) and not value.is_integer():
                raise UsageError(f"{label} must be a whole number, got {value!r}")
            number = int(value)
            if not INT_MIN <= number <= INT_MAX:
                raise UsageError(f"{label} must be between {INT_MIN} and {INT_MAX}")
        if arg.min is not None and number < arg.min:
            raise UsageError(f"{label} must be at least {arg.min:g}, got {number}")
        if arg.max is not None and number > arg.max:
            raise UsageError(f"{label} must be at most {arg.max:g}, got {number}")
        return float(number) if arg.type == "float" else number
    raise UsageError(f"{label} must be {arg.type}, got {type(value).__name__}")


@dataclass(frozen=True)
class Given:
    """What a user gave a command, by argument name: the words of a ``!command`` line or
    the typed options of a slash command. :func:`bind_arguments` checks it."""

    values: Mapping[str, Any]
    extra: str | None = None
    """A word no argument took (too many arguments)."""
    problem: str | None = None
    """A usage error found while reading the line."""


def split_arguments(command: Command, raw: str, tokens: Sequence[Token]) -> Given:
    """A text line's words per argument, in the same form as a Discord slash command's
    options (``key:value`` keywords, ``many`` as a list, ``text`` as the rest)."""
    keywords = {a.name: a for a in command.args if a.keyword}
    given: dict[str, Any] = {}
    rest: list[Token] = []
    for tok in tokens:
        if keywords and not tok.quoted and ":" in tok.value:
            key, _, value = tok.value.partition(":")
            arg = keywords.get(key.lower())
            if arg is not None:
                if not value:
                    return Given({}, problem=f"{key}: needs a value, like {arg.name}:"
                                 f"{arg.choices[0] if arg.choices else '...'}")
                given[arg.name] = [v for v in value.split(",") if v] if arg.many else value
                continue
        rest.append(tok)
    index = 0
    for arg in command.args:
        if arg.keyword or index >= len(rest):
            continue
        if arg.type == "text":
            part = rest[index:]
            if len(part) == 1 and part[0].quoted:
                given[arg.name] = part[0].value.strip()
            else:
                given[arg.name] = " ".join(raw[t.start:t.end] for t in part).strip()
            index = len(rest)
        elif arg.many:
            given[arg.name] = [t.value for t in rest[index:]]
            index = len(rest)
        else:
            given[arg.name] = rest[index].value
            index += 1
    return Given(given, rest[index].value if index < len(rest) else None)


def bind_arguments(command: Command, given: Given, tz: str = "UTC") -> dict[str, Any]:
    """The handler's keyword arguments from what a user gave, on any platform: text
    words or typed slash-command values, each converted and checked (type, range,
    choices, length); missing ones get their default, or a :class:`UsageError`."""
    if given.problem is not None:
        raise UsageError(given.problem)
    values: dict[str, Any] = {}
    ordered = [a for a in command.args if a.keyword] + [a for a in command.args
                                                        if not a.keyword]
    for arg in ordered:
        value = given.values.get(arg.name)
        if value is None or (arg.many and not value):
            if arg.required:
                raise UsageError(f"missing {arg.name}:..." if arg.keyword
                                 else f"missing <{arg.name}>")
            values[arg.name] = [] if arg.many and not arg.keyword else arg.default
        elif arg.many:
            items = value if isinstance(value, list | tuple) else [value]
            values[arg.name] = [_convert(arg, v, tz) for v in items]
        else:
            values[arg.name] = _convert(arg, value, tz)
    if given.extra is not None:
        raise UsageError(f"unexpected {given.extra!r} (too many arguments; quote text with "
                         f"spaces)")
    return {a.name: values[a.name] for a in command.args}


def parse_arguments(command: Command, raw: str, tokens: Sequence[Token],
                    tz: str = "UTC") -> dict[str, Any]:
    """Turn the tokens after the command name into handler keyword arguments."""
    return bind_arguments(command, split_arguments(command, raw, tokens), tz)
