"""Five-field cron expressions evaluated in an IANA time zone (DST-safe)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from .numbers import parse_int
from .timeparse import get_zone

_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12),
           ("day of week", 0, 6))
_MONTHS = {m: i for i, m in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}
_DAYS = {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())}
EXAMPLE = 'a cron expression has 5 fields "minute hour day month weekday", e.g. "0 20 * * fri"'


class CronError(ValueError):
    """An invalid cron expression, with an example of a valid one."""


def _parse_field(text: str, index: int) -> frozenset[int]:
    name, low, high = _FIELDS[index]
    names = _MONTHS if index == 3 else _DAYS if index == 4 else {}
    values: set[int] = set()
    for part in text.lower().split(","):
        step = 1
        if "/" in part:
            part, _, step_text = part.partition("/")
            try:
                step = parse_int(step_text, 1)
            except ValueError as exc:
                raise CronError(f"bad step in {name} field {text!r}: {exc}; "
                                f"{EXAMPLE}") from None
        if part in ("*", ""):
            start, end = low, high
        elif "-" in part:
            a, _, b = part.partition("-")
            start, end = _value(a, names, name, text), _value(b, names, name, text)
        else:
            start = _value(part, names, name, text)
            end = high if step > 1 else start
        if index == 4:
            start, end = (7 if start == 7 and end == 7 else start), end
        if not (low <= start <= (7 if index == 4 else high)
                and low <= end <= (7 if index == 4 else high)) or start > end:
            raise CronError(f"{name} field {text!r} is out of range {low}-{high}; {EXAMPLE}")
        values.update(v % 7 if index == 4 else v for v in range(start, end + 1, step))
    return frozenset(values)


def _value(text: str, names: dict[str, int], name: str, whole: str) -> int:
    if text[:1].isdigit():  # any digit: the digits 0-9 only, in range
        try:
            return parse_int(text, 0)
        except ValueError as exc:
            raise CronError(f"{name} field {whole!r}: {exc}; {EXAMPLE}") from None
    if text[:3] in names:
        return names[text[:3]]
    raise CronError(f"{name} field {whole!r} has {text!r}; {EXAMPLE}")


@dataclass(frozen=True)
class Cron:
    """A parsed cron expression bound to a time zone."""

    expression: str
    timezone: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    day_restricted: bool
    weekday_restricted: bool

    @classmethod
    def parse(cls, expression: str, timezone: str = "UTC") -> Cron:
        fields = expression.split()
        if len(fields) != 5:
            raise CronError(f"{expression!r} has {len(fields)} fields; {EXAMPLE}")
        get_zone(timezone)
        parsed = [_parse_field(f, i) for i, f in enumerate(fields)]
        return cls(expression, timezone, parsed[0], parsed[1], parsed[2], parsed[3], parsed[4],
                   fields[2] != "*", fields[4] != "*")

    def _day_matches(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        dom = day.day in self.days
        dow = (day.isoweekday() % 7) in self.weekdays
        if self.day_restricted and self.weekday_restricted:
            return dom or dow  # classic cron: either restriction matches
        return dom and dow

    def next_after(self, after: datetime) -> datetime:
        """The first run strictly after ``after`` (aware), as an aware UTC datetime.

        Wall-clock times skipped by a DST jump run at the shifted instant; repeated
        wall-clock times (fall back) run once, at the first occurrence.
        """
        zone = get_zone(self.timezone)
        local = after.astimezone(zone)
        day = local.date()
        for _ in range(366 * 8):
            if self._day_matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        wall = datetime(day.year, day.month, day.day, hour, minute,
                                        tzinfo=zone)
                        instant = wall.astimezone(UTC)
                        if instant > after:
                            return instant
            day += timedelta(days=1)
        raise CronError(f"{self.expression!r} never runs (e.g. 30 February)")
