"""Built-in announcements plugin: events with reminders on every linked platform,
recurring events, and chat timers with an activity gate, quiet hours and rotation."""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime
from typing import Any

from cmbot import (
    Arg,
    Bot,
    Capability,
    Channel,
    Command,
    CommandError,
    Context,
    Cron,
    CronError,
    Message,
    Priority,
    Role,
    Setting,
    Timer,
    format_duration,
    get_zone,
    hookimpl,
    parse_duration,
    parse_int,
    parse_when,
)

from . import templates
from .store import MIGRATIONS, AnnouncementStore, ChatTimer, Event

PLATFORMS = ("discord", "twitch", "console")
log = logging.getLogger("cmbot.plugins.announcements")
MAX_REMINDERS = 5
MAX_TEXTS = 5


@hookimpl
def cmbot_config_schema() -> dict[str, Setting]:
    return {
        "locale": Setting(str, "en", "language of announcements", choices=("en", "fr")),
        "default_reminders": Setting(list, ["1h", "10m"], "reminders when remind: is not "
                                     "given", item_type=str),
        "url": Setting(str, "", "link shown in announcements, e.g. https://twitch.tv/you"),
        "timer_min_lines": Setting(int, 5, "chat lines from viewers needed between two posts "
                                   "of a timer", min=0, max=1000),
        "max_events": Setting(int, 50, "upcoming events allowed per community", min=1,
                              max=1000),
        "native_events": Setting(bool, True, "also create a native scheduled event where the "
                                 "platform has them (Discord), kept in sync on edit/cancel"),
        "event_length": Setting(float, 7200.0, "assumed length of an event for native "
                                "events (seconds)", min=60, max=86400),
    }


@hookimpl
def cmbot_migrations() -> list[str]:
    return MIGRATIONS


class AnnState:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.store = AnnouncementStore(bot.db)
        self.lines: dict[str, int] = {}


def _state(bot: Bot) -> AnnState:
    return bot.state(AnnState)


def _settings(bot: Bot, event_or_channel: Event | Channel) -> dict[str, Any]:
    channel = (event_or_channel if isinstance(event_or_channel, Channel)
               else Channel.from_dict(event_or_channel.origin))
    return bot.settings(channel)


def _targets(bot: Bot, event: Event) -> list[Channel]:
    origin = Channel.from_dict(event.origin)
    community = bot.community_of(origin)
    channels = bot.community_channels(community, "announce_channels") if community else []
    channels = [c for c in channels if c.platform.value in event.platforms]
    return channels or [origin]


def _values(bot: Bot, event: Event) -> dict[str, str]:
    settings = _settings(bot, event)
    return templates.values_for(event.title, datetime.fromtimestamp(event.starts_at, UTC),
                                bot.now(), event.tz, settings["locale"],
                                event.description, settings["url"])


async def _announce(bot: Bot, event: Event, kind: str, *, skip: Channel | None = None,
                    priority: Priority = Priority.NORMAL) -> None:
    text = templates.render(kind, _settings(bot, event)["locale"], _values(bot, event))
    for channel in _targets(bot, event):
        if channel != skip:
            await bot.send(channel, text, priority=priority)


async def _sync_native(bot: Bot, event: Event) -> None:
    """Create/update/delete the platform-native events of an event (Discord guild events)."""
    settings = _settings(bot, event)
    if not settings["native_events"]:
        return
    for channel in _targets(bot, event):
        if not bot.can(channel, Capability.NATIVE_EVENTS):
            continue
        existing = event.native.get(channel.key)
        try:
            if event.status != "scheduled":
                if existing:
                    await bot.delete_native_event(channel, existing)
                    event.native.pop(channel.key, None)
                continue
            native_id = await bot.upsert_native_event(
                channel, existing, title=event.title, starts_at=event.starts_at,
                ends_at=event.starts_at + float(settings["event_length"]),
                description=event.description, location=settings["url"] or "online")
        except Exception:  # noqa: BLE001 - chat announcements go out regardless
            log.exception("native event for #%d on %s failed", event.id, channel.key)
            continue
        if native_id:
            event.native[channel.key] = native_id
    await _state(bot).store.update_event(event)


async def _arm(bot: Bot, event: Event) -> list[float]:
    """(Re)create an event's reminder and start timers; returns reminder offsets kept."""
    await bot.timers.cancel_prefix(f"event:{event.id}:")
    now = bot.time()
    kept = []
    for before in event.reminders:
        at = event.starts_at - before
        if at > now:
            await bot.timers.at("ann.remind", at, {"event": event.id, "before": before},
                                   key=f"event:{event.id}:remind:{int(before)}")
            kept.append(before)
    # infinite grace: the handler runs after any downtime, so a repeating event re-arms
    # (it announces only if the start is at most the scheduler's grace late)
    await bot.timers.at("ann.start", event.starts_at, {"event": event.id},
                        key=f"event:{event.id}:start", grace=math.inf)
    return kept


def _next_start(event: Event) -> float | None:
    if not event.repeat:
        return None
    cron = Cron.parse(event.repeat, event.tz)
    return cron.next_after(datetime.fromtimestamp(event.starts_at, UTC)).timestamp()


@hookimpl
def cmbot_startup(bot: Bot) -> None:
    state = _state(bot)

    async def remind(timer: Timer) -> None:
        event = await state.store.event(int(timer.payload["event"]))
        if event is None or event.status != "scheduled":
            return
        await _announce(bot, event, "reminder")

    async def start(timer: Timer) -> None:
        event = await state.store.event(int(timer.payload["event"]))
        if event is None or event.status != "scheduled":
            return
        if timer.late <= bot.timers.grace:
            await _announce(bot, event, "start", priority=Priority.HIGH)
        following = _next_start(event)
        now = bot.time()
        while following is not None and following <= now:  # skip runs missed while down
            event.starts_at = following
            following = _next_start(event)
        if following is None:
            event.status = "done"
            await state.store.update_event(event)
            return
        event.starts_at = following
        await state.store.update_event(event)
        await _arm(bot, event)
        await _sync_native(bot, event)

    async def chat_timer(timer: Timer) -> None:
        await _fire_chat_timer(bot, int(timer.payload["timer"]))

    bot.timers.on("ann.remind", remind)
    bot.timers.on("ann.start", start)
    bot.timers.on("ann.timer", chat_timer)


@hookimpl
def cmbot_on_message(ctx: Context, message: Message) -> None:
    lines = _state(ctx.bot).lines
    lines[message.channel.key] = lines.get(message.channel.key, 0) + 1


@hookimpl
async def cmbot_variables(ctx: Context) -> dict[str, str]:
    state = _state(ctx.bot)
    upcoming = await state.store.upcoming(ctx.scope, ctx.time(), limit=1)
    if not upcoming:
        return {"next_event": ""}
    values = _values(ctx.bot, upcoming[0])
    return {"next_event": f"{values['title']} — {values['starts_at']} (in "
                          f"{values['starts_in']})"}


# --- event commands -------------------------------------------------------------------


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


def _repeat(value: str | None, starts: datetime, tz: str) -> str | None:
    if value is None or value.lower() in ("none", "no", "off"):
        return None
    local = starts.astimezone(get_zone(tz))
    dow = (local.weekday() + 1) % 7
    shortcuts = {"weekly": f"{local.minute} {local.hour} * * {dow}",
                 "daily": f"{local.minute} {local.hour} * * *"}
    expression = shortcuts.get(value.lower(), value)
    try:
        Cron.parse(expression, tz)
    except CronError as exc:
        raise CommandError(f"repeat: {exc}; or write repeat:weekly / repeat:daily") from None
    return expression


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
    if not kept:
        return "no reminders"
    parts = []
    for before in kept:
        at = datetime.fromtimestamp(event.starts_at - before, UTC)
        shown = templates.format_when(at, event.tz, locale)
        parts.append(f"{format_duration(before)} before ({shown})")
    return "reminders " + ", ".join(parts)


async def _event_add(ctx: Context, title: str, when_and_description: str,
                     remind: list[float] | None = None, where: list[str] | None = None,
                     repeat: str | None = None, tz: str | None = None) -> str:
    state = _state(ctx.bot)
    title = " ".join(title.split())
    if not title:
        raise CommandError('the title is empty; example: !event add "Friday stream" friday '
                           '20:00 remind:1h,10m')
    zone = _tz(ctx, tz)
    starts, description = _when(when_and_description, zone, ctx.now())
    expression = _repeat(repeat, starts, zone)
    reminders = _reminders(ctx, remind)
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
    kept = await _arm(ctx.bot, event)
    await _sync_native(ctx.bot, event)
    await _announce(ctx.bot, event, "created", skip=ctx.channel)
    locale = ctx.settings["locale"]
    repeat_text = f", repeats ({expression})" if expression else ""
    return (f"✓ event #{event.id} “{event.title}” on "
            f"{templates.format_when(starts, zone, locale)} ({zone}), in "
            f"{format_duration(starts.timestamp() - ctx.time())}; "
            f"{_describe_reminders(event, kept, locale)}{repeat_text}")


async def _find(ctx: Context, event_id: int) -> Event:
    event = await _state(ctx.bot).store.event(event_id)
    if event is None or event.scope != ctx.scope:
        raise CommandError(f"there is no event #{event_id} here; {ctx.prefix}event list")
    return event


async def _event_list(ctx: Context) -> str:
    events = await _state(ctx.bot).store.upcoming(ctx.scope, ctx.time(), limit=5)
    locale = ctx.settings["locale"]
    if not events:
        return templates.TEMPLATES[locale]["none"]
    return " | ".join(f"#{e.id} {e.title} — " + templates.format_when(
        datetime.fromtimestamp(e.starts_at, UTC), e.tz, locale) for e in events)


async def _event_show(ctx: Context, id: int) -> str:
    event = await _find(ctx, id)
    locale = ctx.settings["locale"]
    when = templates.format_when(datetime.fromtimestamp(event.starts_at, UTC), event.tz, locale)
    reminders = ", ".join(format_duration(r) for r in event.reminders) or "none"
    return (f"#{event.id} {event.title} [{event.status}] — {when} ({event.tz}); reminders: "
            f"{reminders}; where: {', '.join(event.platforms)}; repeat: "
            f"{event.repeat or 'no'}; {event.description}").rstrip("; ")


async def _event_edit(ctx: Context, id: int, description: str | None = None,
                      title: str | None = None, when: str | None = None,
                      remind: list[float] | None = None, where: list[str] | None = None,
                      repeat: str | None = None, tz: str | None = None) -> str:
    state = _state(ctx.bot)
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
    if repeat is not None:
        event.repeat = _repeat(repeat, datetime.fromtimestamp(event.starts_at, UTC), event.tz)
    if remind is not None:
        event.reminders = _reminders(ctx, remind)
    if where is not None:
        event.platforms = sorted(set(where) | {ctx.channel.platform.value})
    if description is not None:
        event.description = description[:300]
    await state.store.update_event(event)
    kept = await _arm(ctx.bot, event)
    await _sync_native(ctx.bot, event)
    if moved:
        await _announce(ctx.bot, event, "moved", skip=ctx.channel)
    reminders = _describe_reminders(event, kept, ctx.settings["locale"])
    return f"✓ event #{event.id} updated; {reminders}"


async def _event_cancel(ctx: Context, id: int) -> str:
    state = _state(ctx.bot)
    event = await _find(ctx, id)
    if event.status != "scheduled":
        raise CommandError(f"event #{id} is already {event.status}")
    event.status = "cancelled"
    await state.store.update_event(event)
    await ctx.bot.timers.cancel_prefix(f"event:{event.id}:")
    await _sync_native(ctx.bot, event)
    await _announce(ctx.bot, event, "cancelled", skip=ctx.channel)
    return f"✓ event #{event.id} “{event.title}” cancelled and announced"


async def _next(ctx: Context) -> str:
    state = _state(ctx.bot)
    events = await state.store.upcoming(ctx.scope, ctx.time(), limit=1)
    locale = ctx.settings["locale"]
    if not events:
        return templates.TEMPLATES[locale]["none"]
    return templates.render("next", locale, _values(ctx.bot, events[0]))


# --- chat timers ----------------------------------------------------------------------


def _quiet(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        start, end = (parse_int(part, 0, 23) for part in text.split("-"))
    except ValueError:
        raise CommandError(f"quiet:{text} — write the quiet hours like quiet:23-8 "
                           f"(from 23:00 to 08:00)") from None
    return f"{start}-{end}"


def _in_quiet_hours(quiet: str | None, tz: str, now: datetime) -> bool:
    if not quiet:
        return False
    start, end = (int(p) for p in quiet.split("-"))
    hour = now.astimezone(get_zone(tz)).hour
    return start <= hour < end if start <= end else hour >= start or hour < end


def _is_live(bot: Bot, channel: Channel) -> bool | None:
    """The channel's live status; where its platform cannot tell (Discord), the stream of
    its community's channels on other platforms (the linked Twitch channel) decides."""
    status = bot.is_live(channel)
    if status is not None:
        return status
    community = bot.community_of(channel)
    if community is None:
        return None
    known = []
    for other in bot.community_channels(community):
        if other.platform != channel.platform:
            live = bot.is_live(other)
            if live is not None:
                known.append(live)
    return any(known) if known else None


async def _fire_chat_timer(bot: Bot, timer_id: int) -> None:
    state = _state(bot)
    timer = await state.store.timer(timer_id)
    if timer is None or timer.paused:
        return
    channel = Channel.from_dict(timer.channel)
    if _in_quiet_hours(timer.quiet, timer.tz, bot.now()):
        return
    if timer.live_only and _is_live(bot, channel) is False:
        return  # when nobody can tell (None), the timer still posts
    if state.lines.get(channel.key, 0) < timer.min_lines:
        return
    text = timer.texts[timer.next_index % len(timer.texts)]
    await state.store.set_timer(timer.id, next_index=(timer.next_index + 1) % len(timer.texts))
    state.lines[channel.key] = 0
    await bot.send(channel, text, priority=Priority.LOW)


async def _timer_add(ctx: Context, name: str, text: str, every: float,
                     lines: int | None = None, quiet: str | None = None,
                     live: bool | None = None) -> str:
    state = _state(ctx.bot)
    name = name.lower()
    channel = ctx.channel.to_dict()
    if await state.store.timer_by_name(channel, name):
        raise CommandError(f"a timer called {name!r} exists here; {ctx.prefix}timer remove "
                           f"{name} first")
    texts = [t.strip() for t in text.split("||") if t.strip()]
    if not texts or len(texts) > MAX_TEXTS:
        raise CommandError(f"give 1 to {MAX_TEXTS} texts separated by ||")
    min_lines = ctx.settings["timer_min_lines"] if lines is None else lines
    timer_id = await state.store.add_timer(channel, name, every, texts, min_lines,
                                           _quiet(quiet), ctx.timezone, bool(live))
    await ctx.bot.timers.every("ann.timer", every, {"timer": timer_id},
                                  key=f"timer:{timer_id}")
    return (f"✓ timer {name}: every {format_duration(every)} if {min_lines}+ chat lines, "
            f"{len(texts)} text(s)" + (f", quiet {quiet}" if quiet else "")
            + (", only while live" if live else ""))


async def _timer_named(ctx: Context, name: str) -> ChatTimer:
    timer = await _state(ctx.bot).store.timer_by_name(ctx.channel.to_dict(), name.lower())
    if timer is None:
        raise CommandError(f"no timer {name!r} in this channel; {ctx.prefix}timer list")
    return timer


async def _timer_list(ctx: Context) -> str:
    timers = await _state(ctx.bot).store.timers(ctx.channel.to_dict())
    if not timers:
        return f"No timers here. {ctx.prefix}timer add <name> every:15m <text>"
    return " | ".join(f"{t.name}: every {format_duration(t.interval)}, {len(t.texts)} text(s)"
                      f"{' (paused)' if t.paused else ''}" for t in timers)


async def _timer_pause(ctx: Context, name: str) -> str:
    timer = await _timer_named(ctx, name)
    await _state(ctx.bot).store.set_timer(timer.id, paused=1)
    return f"✓ timer {timer.name} paused"


async def _timer_resume(ctx: Context, name: str) -> str:
    timer = await _timer_named(ctx, name)
    await _state(ctx.bot).store.set_timer(timer.id, paused=0)
    return f"✓ timer {timer.name} resumed"


async def _timer_remove(ctx: Context, name: str) -> str:
    timer = await _timer_named(ctx, name)
    await _state(ctx.bot).store.remove_timer(timer.id)
    await ctx.bot.timers.cancel_key(f"timer:{timer.id}")
    return f"✓ timer {timer.name} removed"


@hookimpl
def cmbot_commands() -> list[Command]:
    mod = Role.MODERATOR
    event_id = Arg("id", "int", min=1)
    remind = Arg("remind", "duration", keyword=True, many=True, required=False)
    where = Arg("where", "choice", keyword=True, many=True, required=False, choices=PLATFORMS)
    repeat = Arg("repeat", keyword=True, required=False, max_length=60)
    tz = Arg("tz", keyword=True, required=False, max_length=60)
    name = Arg("name", max_length=32)
    return [
        Command("event add", "schedule an event with reminders on every platform", _event_add,
                role=mod, args=[Arg("title", max_length=100),
                                Arg("when_and_description", "text", max_length=400),
                                remind, where, repeat, tz],
                example='event add "Friday stream" friday 20:00 remind:1h,10m repeat:weekly'),
        Command("event list", "upcoming events", _event_list, channel_cooldown=10),
        Command("event show", "an event's details", _event_show, role=mod, args=[event_id]),
        Command("event edit", "change an event (title:, when:, remind:, where:, repeat:)",
                _event_edit, role=mod,
                args=[event_id, Arg("description", "text", required=False, max_length=300),
                      Arg("title", keyword=True, required=False, max_length=100),
                      Arg("when", keyword=True, required=False, max_length=60),
                      remind, where, repeat, tz]),
        Command("event cancel", "cancel an event and announce it", _event_cancel, role=mod,
                args=[event_id]),
        Command("event next", "the next event with a countdown", _next, channel_cooldown=10),
        Command("next", "the next event with a countdown", _next, channel_cooldown=10),
        Command("timer add", "post a text every so often while chat is active", _timer_add,
                role=mod, args=[name, Arg("text", "text", max_length=450),
                                Arg("every", "duration", keyword=True, min=60, max=86400),
                                Arg("lines", "int", keyword=True, required=False, min=0,
                                    max=1000),
                                Arg("quiet", keyword=True, required=False, max_length=5),
                                Arg("live", "bool", keyword=True, required=False)],
                example="timer add socials every:15m Follow on socials! || Join the Discord!"),
        Command("timer list", "this channel's timers", _timer_list, role=mod),
        Command("timer pause", "stop a timer for now", _timer_pause, role=mod, args=[name]),
        Command("timer resume", "restart a paused timer", _timer_resume, role=mod, args=[name]),
        Command("timer remove", "delete a timer", _timer_remove, role=mod, args=[name]),
    ]
