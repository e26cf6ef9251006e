"""Numbers as users type them: the digits 0-9 only, whole numbers within SQLite's 64-bit
range, other numbers finite. Every typed number in the core (command arguments,
durations, cron fields) and in plugins goes through here, so ``²``, ``①``, ``١٢``,
``99999999999999999999``, ``nan`` and ``inf`` are refused with one clear message instead
of a traceback further on."""

from __future__ import annotations

import math
import re

INT_MIN = -(2**63)
INT_MAX = 2**63 - 1
"""The range SQLite stores as an integer; a bigger id or count could never match one."""

_INT = re.compile(r"[+-]?[0-9]+", re.ASCII)
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_MAX_DIGITS = 40  # far past INT_MAX; bounds int()'s work on hostile input


def has_unicode_digits(text: str) -> bool:
    """True if ``text`` has a digit other than 0-9 (``²``, ``①``, ``١``)."""
    return any(ch.isdigit() and not ch.isascii() for ch in text)


def parse_int(text: str, low: int = INT_MIN, high: int = INT_MAX) -> int:
    """A whole number written with the digits 0-9, between ``low`` and ``high``; else a
    ValueError that says what is wrong and how to write it."""
    raw = text.strip()
    if not _INT.fullmatch(raw):
        if has_unicode_digits(raw):
            raise ValueError(f"{raw!r} is not a whole number; write it with the digits 0-9, "
                             f"like 3")
        raise ValueError(f"{raw!r} is not a whole number; write it like 3")
    digits = raw.lstrip("+-").lstrip("0")
    value = int(raw) if len(digits) <= _MAX_DIGITS else (high + 1 if raw[0] != "-"
                                                          else low - 1)
    if value < low:
        raise ValueError(f"{_shown(raw)} is too small; the lowest allowed is {low}")
    if value > high:
        raise ValueError(f"{_shown(raw)} is too large; the highest allowed is {high}")
    return value


def parse_number(text: str) -> float:
    """A finite number written with the digits 0-9 (``2``, ``0.5``, ``1e3``); else a
    ValueError that says what is wrong and how to write it."""
    raw = text.strip()
    if not _NUMBER.fullmatch(raw):
        if has_unicode_digits(raw):
            raise ValueError(f"{raw!r} is not a number; write it with the digits 0-9, "
                             f"like 2.5")
        raise ValueError(f"{raw!r} is not a number; write it like 2.5")
    value = float(raw)
    if not math.isfinite(value):
        raise ValueError(f"{_shown(raw)} is too large to be a number here")
    return value


def _shown(raw: str) -> str:
    return raw if len(raw) <= 24 else raw[:20] + "…"
