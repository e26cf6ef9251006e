"""An event's schedule, checked before it is stored: a repeat no more often than hourly
(chat timers are for frequent posts), a first run that is a run of the repeat, and
reminders that can fire (shorter than the time until the start, or between two runs)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cmbot import CommandError, Cron, CronError, format_duration, get_zone

from . import templates

MIN_REPEAT = 3600.0  # an event repeats at most hourly
SAMPLED_RUNS = 100  # runs looked at for the shortest gap between two (weeks of hourly runs)
SAMPLED_SPAN = 400 * 86400.0  # or the runs of a year and a bit (a DST change, leap days)
OFF = ("none", "no", "off")


def repeat_expression(value: str | None, starts: datetime, tz: str) -> str | None:
    """The cron expression of ``repeat:`` (``weekly``/``daily`` are taken from the start),
    refused when it repeats more often than hourly."""
    if value is None or value.lower() in OFF:
        return None
    local = starts.astimezone(get_zone(tz))
    dow = (local.weekday() + 1) % 7
    shortcuts = {"weekly": f"{local.minute} {local.hour} * * {dow}",
                 "daily": f"{local.minute} {local.hour} * * *"}
    expression = shortcuts.get(value.lower(), value)
    try:
        cron = Cron.parse(expression, tz)
        gap = shortest_gap(cron, starts)
    except CronError as exc:
        raise CommandError(f"repeat: {exc}; or write repeat:weekly / repeat:daily") from None
    if gap < MIN_REPEAT:
        raise CommandError(
            f'repeat:"{expression}" runs every {format_duration(gap)}; an event repeats at '
            f'most hourly (one minute in the expression, e.g. repeat:"0 20 * * fri"). For '
            f"posts more often than that, use !timer add")
    return expression


def shortest_gap(cron: Cron, starts: datetime) -> float:
    """The shortest time between two runs of ``cron`` from ``starts`` (seconds)."""
    runs = [cron.next_after(starts - timedelta(seconds=1))]
    for _ in range(SAMPLED_RUNS):
        runs.append(cron.next_after(runs[-1]))
        if (runs[-1] - runs[0]).total_seconds() > SAMPLED_SPAN:
            break
    return min((b - a).total_seconds() for a, b in zip(runs, runs[1:], strict=False))


def check_first_run(expression: str, starts: datetime, tz: str, locale: str,
                    hint: str = "") -> None:
    """A repeating event's start must be a run of its repeat, else the first occurrence
    (``21:00`` with ``repeat:"0 20 * * fri"``: a Thursday 21:00) is not one of them."""
    cron = Cron.parse(expression, tz)
    first = cron.next_after(starts - timedelta(seconds=1))
    if first == starts:
        return
    shown = templates.format_when(starts.astimezone(UTC), tz, locale)
    run = templates.format_when(first, tz, locale)
    raise CommandError(f'{shown} is not a run of repeat:"{expression}" (its first run after '
                       f"that is {run}); give a time it runs at{hint}")


def check_reminders(reminders: list[float], starts: datetime, now: float,
                    expression: str | None, tz: str) -> None:
    """A reminder must be able to fire: shorter than the time until the start, or for a
    repeating event than the time between two runs (its reminders are armed at the
    previous run)."""
    if not reminders:
        return
    longest = max(reminders)
    if expression:
        limit = shortest_gap(Cron.parse(expression, tz), starts)
        what = f'the {format_duration(limit)} between two runs of repeat:"{expression}"'
    else:
        limit = starts.timestamp() - now
        what = f"the {format_duration(limit)} until the start"
    if longest >= limit:
        raise CommandError(f"remind:{format_duration(longest)} is not shorter than {what}, "
                           f"so it would never be sent; give shorter reminders")
