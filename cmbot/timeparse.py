"""Durations (``10m``, ``1h30m``) and date-times (ISO 8601) as users type them."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(w|d|h|m|s)", re.IGNORECASE)
_WHOLE = re.compile(r"^(?:\d+(?:\.\d+)?\s*[wdhms]\s*)+$", re.IGNORECASE)


def parse_duration(text: str) -> float:
    """Parse ``90s``, ``10m``, ``1h30m``, ``2d`` or a bare number of seconds."""
    raw = text.strip().lower().lstrip("+")
    if not raw:
        raise ValueError("empty duration; write it like 30s, 10m, 1h30m or 2d")
    try:
        value = float(raw)
    except ValueError:
        value = None
    if value is None:
        if not _WHOLE.match(raw):
            raise ValueError(f"{text!r} is not a duration; write it like 30s, 10m, 1h30m or 2d")
        value = sum(float(n) * _UNITS[u.lower()] for n, u in _PART.findall(raw))
    if value <= 0 or value > 366 * 86400:
        raise ValueError(f"duration {text!r} must be between 1s and 366d")
    return value


def format_duration(seconds: float) -> str:
    """Render seconds compactly: ``1h30m``, ``45s``, ``2d3h``."""
    seconds = int(round(seconds))
    if seconds <= 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            count, seconds = divmod(seconds, size)
            parts.append(f"{count}{unit}")
    return "".join(parts[:2])


def get_zone(name: str) -> ZoneInfo:
    """An IANA time zone, or a ValueError that says how to spell one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}; use an IANA name such as Europe/Paris or America/New_York"
        ) from None


def parse_datetime(text: str, tz: str = "UTC") -> datetime:
    """Parse ISO 8601 (``2026-12-01T20:00``, ``2026-12-01 20:00``); naive means ``tz``."""
    raw = text.strip()
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{text!r} is not a date-time; write it like 2026-12-01T20:00") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=get_zone(tz))
    return value
