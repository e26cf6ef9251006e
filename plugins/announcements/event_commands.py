"""The event commands: add, list, show, edit, cancel and next."""

from __future__ import annotations

from datetime import UTC, datetime

from cmbot import CommandError, Context, format_duration, get_zone, parse_duration, parse_when

from . import templates
from .events import announce, arm, sync_native, values
from .schedule import check_first_run, check_reminders, repeat_expression
from .state import MAX_REMINDERS, PLATFORMS, state_of
from .store import Event


def _when(text: str, tz: str, now: datetime) -> tuple[datetime, str]:
    """Split ``<when> [description]``: the longest leading words that parse as a time."""
    words = text.split()
    problem = None
    for size in (3, 2, 1):
        if len(words) < size:
            continue
        try:
            return parse_when(" ".join(words[:size]), tz, now), " ".join(words[size:])
        except ValueError as exc:
            if problem is None or "past" in str(exc):
                problem = str(exc)
    raise CommandError(problem or "missing time")


def _reminders(ctx: Context, given: list[float] | None) -> list[float]:
    if given is None:
        try:
            given = [parse_duration(r) for r in ctx.settings["default_reminders"]]
        except ValueError:
            given = [3600.0, 600.0]
    if len(given) > MAX_REMINDERS:
        raise CommandError(f"{len(given)} reminders; at most {MAX_REMINDERS}")
    return sorted(set(given), reverse=True)


def _tz(ctx: Context, tz: str | None) -> str:
    try:
        return get_zone(tz).key if tz else ctx.timezone
    except ValueError as exc:
        raise CommandError(str(exc)) from None


def _describe_reminders(event: Event, kept: list[float], locale: str) -> str:
    later = [r for r in event.reminders if r not in kept] if event.repeat else []
    note = (f" ({', '.join(format_duration(r) for r in later)} before from the next run "
            f"on: the first one starts sooner)") if later else ""
    if not kept:
        return "no reminders" + note
    parts = []
    for before in kept:
        at = datetime.fromtimestamp(event.starts_at - before, UTC)
        shown = templates.format_when(at, event.tz, locale)
        parts.append(f"{format_duration(before)} before ({shown})")
    return "reminders " + ", ".join(parts) + note


async def event_add(ctx: Context, title: str, when_and_description: str,
                     remind: list[float] | None = None, where: list[str] | None = None,
                     repeat: str | None = None, tz: str | None = None) -> str:
    state = state_of(ctx.bot)
    title = " ".join(title.split())
    if not title:
        raise CommandError('the title is empty; example: !event add "Friday stream" friday '
                           '20:00 remind:1h,10m')
    zone = _tz(ctx, tz)
    starts, description = _when(when_and_description, zone, ctx.now())
    expression = repeat_expression(repeat, starts, zone)
    if expression:
        check_first_run(expression, starts, zone, ctx.settings["locale"])
    reminders = _reminders(ctx, remind)
    if remind is not None:  # the defaults that cannot fire are left out, not refused
        check_reminders(reminders, starts, ctx.time(), expression, zone)
    upcoming = await state.store.upcoming(ctx.scope, ctx.time(), limit=1000)
    if len(upcoming) >= ctx.settings["max_events"]:
        raise CommandError(f"{len(upcoming)} upcoming events already; cancel some first")
    platforms = sorted(set(where or PLATFORMS) | {ctx.channel.platform.value})
    event_id = await state.store.add_event(
        ctx.scope, title, starts.timestamp(), zone, description[:300], platforms, reminders,
        expression, ctx.channel.to_dict(), ctx.user.key if ctx.user else "",
        ctx.time())
    event = await state.store.event(event_id)
    assert event is not None
    kept = await arm(ctx.bot, event)
    await sync_native(ctx.bot, event)
    await announce(ctx.bot, event, "created", skip=ctx.channel)
    locale = ctx.settings["locale"]
    repeat_text = f", repeats ({expression})" if expression else ""
    return (f"✓ event #{event.id} “{event.title}” on "
            f"{templates.format_when(starts, zone, locale)} ({zone}), in "
            f"{format_duration(starts.timestamp() - ctx.time())}; "
            f"{_describe_reminders(event, kept, locale)}{repeat_text}")


async def _find(ctx: Context, event_id: int) -> Event:
    event = await state_of(ctx.bot).store.event(event_id)
    if event is None or event.scope != ctx.scope:
        raise CommandError(f"there is no event #{event_id} here; {ctx.prefix}event list")
    return event


async def event_list(ctx: Context) -> str:
    events = await state_of(ctx.bot).store.upcoming(ctx.scope, ctx.time(), limit=5)
    locale = ctx.settings["locale"]
    if not events:
        return templates.TEMPLATES[locale]["none"]
    return " | ".join(f"#{e.id} {e.title} — " + templates.format_when(
        datetime.fromtimestamp(e.starts_at, UTC), e.tz, locale) for e in events)


async def event_show(ctx: Context, id: int) -> str:
    event = await _find(ctx, id)
    locale = ctx.settings["locale"]
    when = templates.format_when(datetime.fromtimestamp(event.starts_at, UTC), event.tz, locale)
    reminders = ", ".join(format_duration(r) for r in event.reminders) or "none"
    return (f"#{event.id} {event.title} [{event.status}] — {when} ({event.tz}); reminders: "
            f"{reminders}; where: {', '.join(event.platforms)}; repeat: "
            f"{event.repeat or 'no'}; {event.description}").rstrip("; ")


async def event_edit(ctx: Context, id: int, description: str | None = None,
                      title: str | None = None, when: str | None = None,
                      remind: list[float] | None = None, where: list[str] | None = None,
                      repeat: str | None = None, tz: str | None = None) -> str:
    state = state_of(ctx.bot)
    event = await _find(ctx, id)
    if event.status != "scheduled":
        raise CommandError(f"event #{id} is {event.status}")
    moved = False
    if tz:
        event.tz = _tz(ctx, tz)
    if title is not None:
        if not title.strip():
            raise CommandError("the title is empty")
        event.title = " ".join(title.split())
    if when is not None:
        starts, _ = _when(when, event.tz, ctx.now())
        moved = starts.timestamp() != event.starts_at
        event.starts_at = starts.timestamp()
    starts = datetime.fromtimestamp(event.starts_at, UTC)
    if repeat is not None:
        event.repeat = repeat_expression(repeat, starts, event.tz)
    if event.repeat and (repeat is not None or when is not None or tz):
        hint = "" if repeat is not None else \
            ", or give the new repeat with it (repeat:weekly, repeat:off...)"
        check_first_run(event.repeat, starts, event.tz, ctx.settings["locale"], hint)
    if remind is not None:
        event.reminders = _reminders(ctx, remind)
        check_reminders(event.reminders, starts, ctx.time(), event.repeat, event.tz)
    if where is not None:
        event.platforms = sorted(set(where) | {ctx.channel.platform.value})
    if description is not None:
        event.description = description[:300]
    await state.store.update_event(event)
    kept = await arm(ctx.bot, event)
    await sync_native(ctx.bot, event)
    if moved:
        await announce(ctx.bot, event, "moved", skip=ctx.channel)
    reminders = _describe_reminders(event, kept, ctx.settings["locale"])
    return f"✓ event #{event.id} updated; {reminders}"


async def event_cancel(ctx: Context, id: int) -> str:
    state = state_of(ctx.bot)
    event = await _find(ctx, id)
    if event.status != "scheduled":
        raise CommandError(f"event #{id} is already {event.status}")
    event.status = "cancelled"
    await state.store.update_event(event)
    await ctx.bot.timers.cancel_prefix(f"event:{event.id}:")
    await sync_native(ctx.bot, event)
    await announce(ctx.bot, event, "cancelled", skip=ctx.channel)
    return f"✓ event #{event.id} “{event.title}” cancelled and announced"


async def next_event(ctx: Context) -> str:
    state = state_of(ctx.bot)
    events = await state.store.upcoming(ctx.scope, ctx.time(), limit=1)
    locale = ctx.settings["locale"]
    if not events:
        return templates.TEMPLATES[locale]["none"]
    return templates.render("next", locale, values(ctx.bot, events[0]))
