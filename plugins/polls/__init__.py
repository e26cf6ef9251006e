"""Built-in polls and feedback plugin: one poll voted from Discord and Twitch together,
closed by a persistent timer, plus open feedback with a summary for moderators."""

from __future__ import annotations

import csv
import io
import math
import re
from datetime import UTC, datetime
from pathlib import Path

from cmbot import (
    Arg,
    Bot,
    Button,
    Channel,
    Command,
    CommandError,
    Context,
    Platform,
    Priority,
    Reply,
    Role,
    Setting,
    Timer,
    format_duration,
    hookimpl,
    neutralise_mentions,
)

from . import feedback as fb
from . import render
from .store import MIGRATIONS, Poll, PollStore

MAX_QUESTION = 200
MAX_OPTION = 80
PLATFORM_CHOICES = ("discord", "twitch", "console")


@hookimpl
def cmbot_config_schema() -> dict[str, Setting]:
    return {
        "default_duration": Setting(float, 300.0, "poll length when duration: is not given "
                                    "(seconds)", min=10, max=7 * 86400),
        "ack_delay": Setting(float, 10.0, "vote acknowledgements are batched over this many "
                             "seconds per channel", min=1, max=600),
        "live_updates": Setting(float, 120.0, "post the running tally at most this often "
                                "(seconds); 0 turns live updates off", min=0, max=86400),
        "feedback_cooldown": Setting(float, 60.0, "seconds between two feedback messages "
                                     "from one user", min=0, max=86400),
        "files_dir": Setting(str, "exports", "folder for poll and feedback CSV exports, "
                             "relative to the config file"),
    }


@hookimpl
def cmbot_migrations() -> list[str]:
    return MIGRATIONS


class PollState:
    """Per-bot: store, batched acknowledgements, live-update clocks."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.store = PollStore(bot.db)
        self.pending_acks: dict[str, list[str]] = {}
        self.ack_channels: dict[str, Channel] = {}
        self.last_live: dict[int, float] = {}
        self.feedback_times: dict[str, float] = {}


def _state(bot: Bot) -> PollState:
    return bot.state(PollState)


@hookimpl
def cmbot_startup(bot: Bot) -> None:
    state = _state(bot)

    async def close(timer: Timer) -> None:
        await _close(bot, int(timer.payload["poll_id"]), "closed")

    async def flush_acks(timer: Timer) -> None:
        key = timer.payload["channel"]
        names = state.pending_acks.pop(key, [])
        channel = state.ack_channels.get(key)
        if names and channel is not None:
            shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5
                                            else "")
            await bot.send(channel, f"✓ vote{'s' if len(names) > 1 else ''} counted: {shown}",
                           priority=Priority.LOW)

    bot.timers.on("polls.close", close)
    bot.timers.on("polls.ack", flush_acks)


@hookimpl
async def cmbot_forget_user(bot: Bot, user_key: str) -> None:
    await _state(bot).store.forget(user_key)


# --- targets and announcements ----------------------------------------------------------


def _targets(bot: Bot, origin: Channel, platforms: list[str]) -> list[Channel]:
    """The channels a poll lives in: the community's (on the chosen platforms) or origin."""
    community = bot.community_of(origin)
    channels = bot.community_channels(community) if community else [origin]
    if origin not in channels:
        channels.append(origin)
    return [c for c in channels if c.platform.value in platforms or c == origin]


async def _broadcast(bot: Bot, poll: Poll, origin: Channel | None, text: str,
                     buttons: tuple[Button, ...] = (),
                     priority: Priority = Priority.NORMAL) -> None:
    if origin is None:
        origin = _origin_from_scope(bot, poll.scope)
    if origin is None:
        return
    for channel in _targets(bot, origin, poll.platforms):
        await bot.send(channel, text, buttons=buttons, priority=priority)


def _origin_from_scope(bot: Bot, scope: str) -> Channel | None:
    kind, _, name = scope.partition(":")
    if kind == "community":
        for community in bot.communities:
            if community.name == name:
                found = bot.community_channels(community)
                return found[0] if found else None
        return None
    try:
        platform = Platform(kind)
    except ValueError:
        return None
    return Channel(platform, name, name)


async def _results_text(bot: Bot, poll: Poll, final: bool) -> str:
    per_option, per_platform, voters = await _state(bot).store.tally(poll.id)
    return render.results(poll, per_option, per_platform, voters, final=final)


async def _close(bot: Bot, poll_id: int, status: str) -> Poll | None:
    state = _state(bot)
    if not await state.store.set_status(poll_id, status, bot.time()):
        return None
    await bot.timers.cancel_key(f"poll:{poll_id}:close")
    poll = await state.store.get(poll_id)
    assert poll is not None
    if status == "cancelled":
        text = f"📊 Poll #{poll.id} was cancelled: {poll.question}"
    else:
        text = await _results_text(bot, poll, final=True)
    await _broadcast(bot, poll, None, text)
    return poll


# --- commands -------------------------------------------------------------------------


def _clean(text: str, limit: int, what: str) -> str:
    text = neutralise_mentions(" ".join(text.split()))
    if not text:
        raise CommandError(f"{what} is empty")
    if len(text) > limit:
        raise CommandError(f"{what} is {len(text)} characters; the limit is {limit}")
    return text


async def _start(ctx: Context, question_and_options: list[str], duration: float | None = None,
                 where: list[str] | None = None, multi: bool | None = None,
                 anonymous: bool | None = None) -> None:
    state = _state(ctx.bot)
    options = question_and_options
    if len(options) < 3:
        raise CommandError(f'give a question and 2 to 10 options: {ctx.prefix}poll start '
                           f'"Best map?" Dust Mirage "Ancient ruins"')
    question = _clean(options[0], MAX_QUESTION, "the question")
    choices = [_clean(o, MAX_OPTION, f"option {i}") for i, o in enumerate(options[1:], 1)]
    if len(choices) > 10:
        raise CommandError(f"{len(choices)} options; a poll has 2 to 10")
    lowered = [c.lower() for c in choices]
    if len(set(lowered)) != len(lowered):
        raise CommandError("two options are the same")
    current = await state.store.current(ctx.scope)
    if current is not None:
        raise CommandError(f"poll #{current.id} is still open; {ctx.prefix}poll end first")
    seconds = duration or float(ctx.settings["default_duration"])
    now = ctx.time()
    platforms = sorted(set(where or PLATFORM_CHOICES) | {ctx.channel.platform.value})
    poll_id = await state.store.create(ctx.scope, question, choices, bool(multi),
                                       anonymous is not False, platforms,
                                       ctx.user.key if ctx.user else "", now, now + seconds)
    await ctx.bot.timers.at("polls.close", now + seconds, {"poll_id": poll_id},
                               key=f"poll:{poll_id}:close", grace=math.inf)
    poll = await state.store.get(poll_id)
    assert poll is not None
    buttons = tuple(Button(f"{i}. {c}"[:80], f"vote {i}") for i, c in enumerate(choices, 1))
    await _broadcast(ctx.bot, poll, ctx.channel, render.announcement(poll, ctx.prefix,
                                                                     seconds / 60),
                     buttons=buttons, priority=Priority.HIGH)


async def _find(ctx: Context, poll_id: int | None, *, open_only: bool = False) -> Poll:
    store = _state(ctx.bot).store
    if poll_id is None:
        poll = await (store.current(ctx.scope) if open_only else store.latest(ctx.scope))
        if poll is None:
            raise CommandError("no poll is open here" if open_only else "no polls here yet")
        return poll
    poll = await store.get(poll_id)
    if poll is None or poll.scope != ctx.scope:
        raise CommandError(f"there is no poll #{poll_id} here")
    return poll


async def _end(ctx: Context, id: int | None = None) -> str | None:
    poll = await _find(ctx, id, open_only=id is None)
    if await _close(ctx.bot, poll.id, "closed") is None:
        raise CommandError(f"poll #{poll.id} is already {poll.status}")
    return None


async def _cancel(ctx: Context, id: int | None = None) -> str | None:
    poll = await _find(ctx, id, open_only=id is None)
    if await _close(ctx.bot, poll.id, "cancelled") is None:
        raise CommandError(f"poll #{poll.id} is already {poll.status}")
    return None


async def _results(ctx: Context, id: int | None = None) -> str:
    poll = await _find(ctx, id)
    return await _results_text(ctx.bot, poll, final=not poll.open)


async def _list(ctx: Context) -> str:
    polls = await _state(ctx.bot).store.recent(ctx.scope)
    if not polls:
        return "No polls yet."
    return "Polls: " + " | ".join(f"#{p.id} {p.question} ({p.status})" for p in polls)


def _pick(poll: Poll, choice: str, prefix: str) -> int:
    text = choice.strip().lstrip("#")
    if text.isdigit():
        number = int(text)
        if not 1 <= number <= len(poll.options):
            raise CommandError(f"option {number} does not exist; choose 1 to "
                               f"{len(poll.options)}")
        return number - 1
    matches = [i for i, o in enumerate(poll.options) if o.lower().startswith(text.lower())]
    exact = [i for i, o in enumerate(poll.options) if o.lower() == text.lower()]
    if len(exact) == 1:
        return exact[0]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise CommandError(f"no option starts with {text!r}; {prefix}vote 1 to "
                           f"{prefix}vote {len(poll.options)}")
    names = " and ".join(poll.options[i] for i in matches[:3])
    raise CommandError(f"{text!r} matches {names}; vote with the number")


async def _vote(ctx: Context, choice: str) -> Reply | None:
    state = _state(ctx.bot)
    assert ctx.user is not None
    poll = await state.store.current(ctx.scope)
    if poll is None:
        latest = await state.store.latest(ctx.scope)
        if latest is not None and not latest.open:
            raise CommandError(f"poll #{latest.id} is {latest.status}; no poll is open")
        raise CommandError("no poll is open here")
    if ctx.channel.platform.value not in poll.platforms:
        raise CommandError(f"poll #{poll.id} is not open on {ctx.channel.platform.value}")
    option = _pick(poll, choice, ctx.prefix)
    now = ctx.time()
    result = await state.store.vote(poll, ctx.user.key, ctx.user.shown_name, option,
                                    ctx.channel.platform.value, now)  # committed here
    if result == "closed":
        raise CommandError(f"poll #{poll.id} has just closed")
    if ctx.message is not None and ctx.message.interactive:
        # A button or slash vote: a private acknowledgement, nothing in the channel.
        label = poll.options[option]
        ack = (f"✓ you already voted for {label}" if result == "same"
               else f"✓ vote counted: {label}")
        return Reply(ack, ephemeral=True)
    if result != "same":
        await _queue_ack(ctx, state, now)
    interval = float(ctx.settings["live_updates"])
    if interval and now - state.last_live.get(poll.id, poll.created_at) >= interval:
        state.last_live[poll.id] = now
        await _broadcast(ctx.bot, poll, ctx.channel,
                         await _results_text(ctx.bot, poll, final=False),
                         priority=Priority.LOW)
    return None


@hookimpl
async def cmbot_autocomplete(ctx: Context, source: str, typed: str) -> list[str] | None:
    """Recent poll ids (newest first) for Discord's option suggestions."""
    if source != "poll_ids":
        return None
    polls = await _state(ctx.bot).store.recent(ctx.scope, limit=25)
    return [str(p.id) for p in polls if str(p.id).startswith(typed.strip())]


async def _queue_ack(ctx: Context, state: PollState, now: float) -> None:
    assert ctx.user is not None
    key = ctx.channel.key
    pending = state.pending_acks.setdefault(key, [])
    if ctx.user.shown_name not in pending:
        pending.append(ctx.user.shown_name)
    state.ack_channels[key] = ctx.channel
    if len(pending) == 1:
        await ctx.bot.timers.at("polls.ack", now + float(ctx.settings["ack_delay"]),
                                   {"channel": key}, key=f"polls:ack:{key}")


def _export_dir(ctx: Context) -> Path:
    folder = ctx.bot.path(ctx.settings["files_dir"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def _export(ctx: Context, id: int | None = None) -> Reply:
    poll = await _find(ctx, id)
    rows = await _state(ctx.bot).store.votes(poll.id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["poll", "question", "option", "platform", "voted_at_utc"] +
                    ([] if poll.anonymous else ["voter"]))
    for row in rows:
        stamp = datetime.fromtimestamp(row["voted_at"], UTC).isoformat()
        writer.writerow([poll.id, poll.question, poll.options[row["option"]], row["platform"],
                         stamp] + ([] if poll.anonymous else [row["voter_name"]]))
    path = _export_dir(ctx) / f"poll-{poll.id}.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return Reply(f"✓ exported {len(rows)} vote(s) of poll #{poll.id} to {path}", file=path)


# --- feedback -------------------------------------------------------------------------


async def _feedback(ctx: Context, text: str) -> str:
    state = _state(ctx.bot)
    assert ctx.user is not None
    now = ctx.time()
    wait = float(ctx.settings["feedback_cooldown"])
    last = state.feedback_times.get(ctx.user.key)
    if last is not None and now - last < wait and ctx.user.role < Role.MODERATOR:
        raise CommandError(f"thanks! you can send more feedback in "
                           f"{format_duration(wait - (now - last))}")
    text = " ".join(text.split())
    await state.store.add_feedback(ctx.scope, ctx.user.key, ctx.channel.platform.value, text,
                                   fb.sentiment(text), now)
    state.feedback_times[ctx.user.key] = now
    return "✓ thanks, your feedback was recorded"


async def _summary(ctx: Context, since: float | None = None) -> str:
    seconds = since or 7 * 86400.0
    rows = await _state(ctx.bot).store.feedback_since(ctx.scope,
                                                      ctx.time() - seconds)
    summary = fb.summarise([(r["text"], r["sentiment"]) for r in rows])
    return fb.render(summary, format_duration(seconds))


async def _feedback_export(ctx: Context, since: float | None = None) -> Reply:
    seconds = since or 3650 * 86400.0
    rows = await _state(ctx.bot).store.feedback_since(ctx.scope,
                                                      ctx.time() - seconds)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "platform", "created_at_utc", "sentiment", "label", "text"])
    for row in rows:
        stamp = datetime.fromtimestamp(row["created_at"], UTC).isoformat()
        writer.writerow([row["id"], row["platform"], stamp, f"{row['sentiment']:.3f}",
                         fb.label(row["sentiment"]), row["text"]])
    name = re.sub(r"[^\w.-]+", "-", ctx.scope).strip("-")
    path = _export_dir(ctx) / f"feedback-{name}.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return Reply(f"✓ exported {len(rows)} feedback comment(s) to {path}", file=path)


@hookimpl
def cmbot_commands() -> list[Command]:
    mod = Role.MODERATOR
    poll_id = Arg("id", "int", required=False, min=1, autocomplete="poll_ids")
    since = Arg("since", "duration", keyword=True, required=False, max=3650 * 86400)
    return [
        Command("poll start", "start a poll: question then 2-10 options", _start, role=mod,
                args=[Arg("question_and_options", many=True, max_length=MAX_QUESTION),
                      Arg("duration", "duration", keyword=True, required=False, min=10,
                          max=7 * 86400),
                      Arg("where", "choice", keyword=True, many=True, required=False,
                          choices=PLATFORM_CHOICES),
                      Arg("multi", "bool", keyword=True, required=False),
                      Arg("anonymous", "bool", keyword=True, required=False)],
                example='poll start "Best map?" Dust Mirage "Ancient ruins" duration:5m'),
        Command("poll end", "close a poll now and announce the results", _end, role=mod,
                args=[poll_id]),
        Command("poll cancel", "cancel a poll without results", _cancel, role=mod,
                args=[poll_id]),
        Command("poll results", "show a poll's results", _results, args=[poll_id],
                channel_cooldown=15),
        Command("poll list", "recent polls", _list, role=mod),
        Command("poll export", "write a poll's votes to a CSV file", _export, role=mod,
                args=[poll_id]),
        Command("vote", "vote in the open poll: a number or the start of an option", _vote,
                args=[Arg("choice", "text", max_length=MAX_OPTION)]),
        Command("feedback", "tell the team what you think", _feedback,
                args=[Arg("text", "text", max_length=500)], absorbs_subcommands=True),
        Command("feedback summary", "count, sentiment, recurring terms and examples",
                _summary, role=mod, args=[since]),
        Command("feedback export", "write feedback to a CSV file", _feedback_export,
                role=mod, args=[since]),
    ]

