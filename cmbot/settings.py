"""Typed settings: how one config key is declared, checked and explained. The core's
schema (``config.py``) and every plugin's ``cmbot_config_schema`` use them."""

from __future__ import annotations

import builtins
import dataclasses
import difflib
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    """One config key a plugin (or the core) accepts."""

    type: builtins.type
    default: Any
    help: str = ""
    choices: tuple[Any, ...] = ()
    min: float | None = None
    max: float | None = None
    item_type: builtins.type | None = None
    check: Callable[[Any], str | None] | None = None
    """Further validation of a well-typed value: the problem and its fix, or None."""


@dataclass(frozen=True)
class Secret:
    """A secret given by reference (``{ env = "NAME" }``); its value is never printed."""

    env: str

    def reveal(self) -> str:
        return os.environ.get(self.env, "")

    def __repr__(self) -> str:
        return f"Secret(env={self.env!r})"

    __str__ = __repr__


class ConfigError(Exception):
    """One or more problems in a config file, each with a fix."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


SECRET = object()  # marker type for Setting.type

_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
               list: "a list", dict: "a table"}


def suggest(word: str, options: list[str] | set[str]) -> str:
    close = difflib.get_close_matches(word, sorted(options), n=1)
    return f"did you mean {close[0]!r}? " if close else ""


def check_value(where: str, key: str, value: Any, setting: Setting) -> tuple[Any, str | None]:
    """Convert/validate one value; returns (value, problem)."""
    if setting.type is SECRET:
        if isinstance(value, Mapping) and set(value) == {"env"} and isinstance(value["env"], str):
            return Secret(value["env"]), None
        env = f"{where.split('.')[0]}_{key}".upper()  # DISCORD_TOKEN, TWITCH_CLIENT_ID
        return None, (f"[{where}] {key}: secrets are never written in the config file. "
                      f"Fix: write {key} = {{ env = \"{env}\" }} and export {env}")
    expected = setting.type
    shown = value
    ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value, ok = float(value), True
    if expected is str and isinstance(value, int) and not isinstance(value, bool) \
            and str(value) in setting.choices:
        value, ok = str(value), True  # sensitivity = 3 among choices "0".."4"
    if ok and isinstance(value, float) and not math.isfinite(value):
        return None, (f"[{where}] {key}: {value!r} is not a finite number. "
                      f"Fix: {key} = {example(setting)}")
    if not ok:
        return None, (f"[{where}] {key}: expected {_TYPE_NAMES.get(expected, expected.__name__)}, "
                      f"got {value!r}. Fix: {key} = {example(setting)}")
    if expected is list and setting.item_type is not None:
        bad = [v for v in value if not isinstance(v, setting.item_type)]
        if bad:
            return None, (f"[{where}] {key}: every item must be "
                          f"{_TYPE_NAMES.get(setting.item_type, 'valid')}, got {bad[0]!r}")
    if setting.choices and value not in setting.choices:
        folded = {str(c).casefold(): c for c in setting.choices}
        if isinstance(value, str) and value.casefold() in folded:
            return folded[value.casefold()], None  # log_level = "debug" means DEBUG
        choices = ", ".join(repr(c) for c in setting.choices)
        words = [str(c) for c in setting.choices]
        return None, (f"[{where}] {key}: {value!r} is not one of {choices}. Fix: "
                      f"{suggest(str(value), words)}{key} = "
                      f"{example(dataclasses.replace(setting, default=setting.choices[0]))}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if setting.min is not None and value < setting.min:
            return None, f"[{where}] {key}: {shown} is below the minimum {setting.min:g}"
        if setting.max is not None and value > setting.max:
            return None, f"[{where}] {key}: {shown} is above the maximum {setting.max:g}"
    problem = setting.check(value) if setting.check is not None else None
    if problem:
        return None, f"[{where}] {key}: {problem}"
    return value, None


def example(setting: Setting) -> str:
    if setting.default is None:
        return '"..."'
    if isinstance(setting.default, bool):
        return "true" if setting.default else "false"
    if isinstance(setting.default, str):
        return f'"{setting.default}"'
    return repr(setting.default).replace("'", '"')


def check_table(where: str, data: Mapping[str, Any], schema: Mapping[str, Setting],
                problems: list[str]) -> dict[str, Any]:
    """Validate a table against a schema; unknown keys are problems. Returns defaults+values."""
    out = {k: (list(s.default) if isinstance(s.default, list) else s.default)
           for k, s in schema.items()}
    for key, value in data.items():
        if key not in schema:
            problems.append(f"[{where}] unknown key {key!r}. Fix: {suggest(key, set(schema))}"
                            f"known keys are: {', '.join(sorted(schema)) or '(none)'}")
            continue
        checked, problem = check_value(where, key, value, schema[key])
        if problem:
            problems.append(problem)
        else:
            out[key] = checked
    return out
