"""Durations (``10m``, ``1h30m``) and date-times (ISO 8601) as users type them."""

from __future__ import annotations

import math
import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .numbers import has_unicode_digits

_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
# The digits 0-9 only (re.ASCII): "١٠m" or "²s" is not a duration, and nan/inf never match.
_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?", re.ASCII)
_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*(w|d|h|m|s)", re.IGNORECASE | re.ASCII)
_WHOLE = re.compile(r"^(?:[0-9]+(?:\.[0-9]+)?\s*[wdhms]\s*)+$", re.IGNORECASE | re.ASCII)
MAX_DURATION = 366 * 86400


def parse_duration(text: str) -> float:
    """Parse ``90s``, ``10m``, ``1h30m``, ``2d`` or a bare number of seconds: always a
    finite number of seconds from 1s to 366d, or a ValueError saying how to write one."""
    raw = text.strip().lower().lstrip("+")
    if not raw:
        raise ValueError("empty duration; write it like 30s, 10m, 1h30m or 2d")
    if _SECONDS.fullmatch(raw):
        value = float(raw)
    elif _WHOLE.match(raw):
        value = sum(float(n) * _UNITS[u.lower()] for n, u in _PART.findall(raw))
    else:
        digits = " with the digits 0-9" if has_unicode_digits(raw) else ""
        raise ValueError(f"{text!r} is not a duration; write it{digits} like 30s, 10m, "
                         f"1h30m or 2d")
    if not (math.isfinite(value) and 0 < value <= MAX_DURATION):
        shown = text if len(text) <= 24 else text[:20] + "…"
        raise ValueError(f"duration {shown!r} must be between 1s and 366d")
    return value


def format_duration(seconds: float) -> str:
    """Render seconds compactly with the two largest units: ``1h30m``, ``45s``, ``2d3h``,
    ``1d`` (for 1 day and 40 minutes: the minutes are below the second unit)."""
    seconds = int(round(seconds))
    if seconds <= 0:
        return "0s"
    units = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
    counts = []
    for _, size in units:
        count, seconds = divmod(seconds, size)
        counts.append(count)
    first = next(i for i, c in enumerate(counts) if c)
    shown = [f"{counts[first]}{units[first][0]}"]
    if first + 1 < len(units) and counts[first + 1]:
        shown.append(f"{counts[first + 1]}{units[first + 1][0]}")
    return "".join(shown)


def format_countdown(seconds: float) -> str:
    """Like format_duration, rounded to the minute from 10 minutes up ("in 1h")."""
    if seconds >= 600:
        seconds = round(seconds / 60) * 60
    return format_duration(seconds)


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


_WEEKDAYS = {name: i for i, names in enumerate((
    ("monday", "mon"), ("tuesday", "tue", "tues"), ("wednesday", "wed"),
    ("thursday", "thu", "thur", "thurs"), ("friday", "fri"), ("saturday", "sat"),
    ("sunday", "sun"))) for name in names}
_CLOCK = re.compile(r"^([0-9]{1,2})(?::([0-9]{2}))?\s*(am|pm)?$", re.IGNORECASE | re.ASCII)
WHEN_EXAMPLES = "2026-12-01T20:00, in 2h30m, friday 20:00, tomorrow 18:30 or 21:00"


def _clock(text: str) -> tuple[int, int]:
    match = _CLOCK.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a time of day; write it like 20:00 or 8pm")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    suffix = (match.group(3) or "").lower()
    if suffix == "pm" and hour < 12:
        hour += 12
    elif suffix == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        raise ValueError(f"{text!r} is not a time of day; write it like 20:00 or 8pm")
    return hour, minute


def parse_when(text: str, tz: str, now: datetime) -> datetime:
    """A moment as moderators type it, in time zone ``tz``; must be in the future.

    Accepts ISO 8601 (``2026-12-01T20:00``), relative (``in 2h30m``), weekday and time
    (``friday 20:00``: the next one), ``today``/``tomorrow`` and a time, or a bare time
    (``21:00``: today, or tomorrow if already past).
    """
    from datetime import timedelta

    raw = " ".join(text.strip().lower().split())
    zone = get_zone(tz)
    local_now = now.astimezone(zone)
    if not raw:
        raise ValueError(f"missing time; write it like {WHEN_EXAMPLES}")
    if raw.startswith("in "):
        when = now + timedelta(seconds=parse_duration(raw[3:]))
    elif raw[:1].isdigit() and ("-" in raw[:5]):
        when = parse_datetime(raw.replace(" ", "T", 1) if " " in raw else raw, tz)
    else:
        day_word, _, rest = raw.partition(" ")
        if day_word in _WEEKDAYS:
            hour, minute = _clock(rest or "00:00") if rest else (0, 0)
            if not rest:
                raise ValueError(f"{text!r} needs a time; write it like friday 20:00")
            ahead = (_WEEKDAYS[day_word] - local_now.weekday()) % 7
            day = local_now.date() + timedelta(days=ahead)
            when = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
            if when <= now:
                when = _shift_days(when, 7, zone)
        elif day_word in ("today", "tonight", "tomorrow"):
            hour, minute = _clock(rest) if rest else (20, 0)
            day = local_now.date() + timedelta(days=1 if day_word == "tomorrow" else 0)
            when = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
        elif _CLOCK.match(raw):
            hour, minute = _clock(raw)
            day = local_now.date()
            when = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
            if when <= now:
                when = _shift_days(when, 1, zone)
        else:
            raise ValueError(f"{text!r} is not a time I understand; write it like "
                             f"{WHEN_EXAMPLES}")
    if when <= now:
        raise ValueError(f"{text!r} is in the past; write a future time like {WHEN_EXAMPLES}")
    return when


def _shift_days(when: datetime, days: int, zone: ZoneInfo) -> datetime:
    from datetime import timedelta

    day = when.date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, when.hour, when.minute, tzinfo=zone)
