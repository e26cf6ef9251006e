"""``!vote``: picking an option, recording the vote, batched acknowledgements and the
throttled live tally."""

from __future__ import annotations

import re

from cmbot import CommandError, Context, Priority, Reply, parse_int

from .announce import broadcast, results_text
from .state import PollState, state_of
from .store import Poll

_NUMBER = re.compile(r"#?[0-9]+")


def picks(poll: Poll, choice: str, prefix: str) -> list[int]:
    """The options a ``!vote`` line names: one number or option start, or in a
    multi-choice poll several, separated by spaces (numbers) or commas (anything)."""
    text = " ".join(choice.split())
    exact = [i for i, o in enumerate(poll.options) if o.lower() == text.lower()]
    if len(exact) == 1:
        return exact
    items: list[str] = []
    for part in (p.strip() for p in text.split(",")):
        words = part.split()
        if len(words) > 1 and all(_NUMBER.fullmatch(w) for w in words):
            items += words
        elif part:
            items.append(part)
    if not items:
        raise CommandError(f"say which option: {prefix}vote 1 to {prefix}vote "
                           f"{len(poll.options)}")
    if len(items) > 1 and not poll.multi:
        raise CommandError(f"poll #{poll.id} takes one choice; vote with one number, like "
                           f"{prefix}vote 1")
    return list(dict.fromkeys(_pick(poll, item, prefix) for item in items))


def _pick(poll: Poll, choice: str, prefix: str) -> int:
    text = choice.strip().lstrip("#")
    if text.isdigit():  # any digit; a number only with the digits 0-9
        try:
            number = parse_int(text)
        except ValueError:
            raise CommandError(f"{text!r} is not an option number; vote with the digits "
                               f"0-9: {prefix}vote 1 to {prefix}vote "
                               f"{len(poll.options)}") from None
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


async def vote(ctx: Context, choice: str) -> Reply | None:
    state = state_of(ctx.bot)
    assert ctx.user is not None
    poll = await state.store.current(ctx.scope)
    if poll is None:
        latest = await state.store.latest(ctx.scope)
        if latest is not None and not latest.open:
            raise CommandError(f"poll #{latest.id} is {latest.status}; no poll is open")
        raise CommandError("no poll is open here")
    if ctx.channel.platform.value not in poll.platforms:
        raise CommandError(f"poll #{poll.id} is not open on {ctx.channel.platform.value}")
    options = picks(poll, choice, ctx.prefix)
    now = ctx.time()
    result = await state.store.vote(poll, ctx.user.key, ctx.user.shown_name, options,
                                    ctx.channel.platform.value, now)  # committed here
    if result == "closed":
        raise CommandError(f"poll #{poll.id} has just closed")
    if ctx.message is not None and ctx.message.interactive:
        # A button or slash vote: a private acknowledgement, nothing in the channel.
        label = ", ".join(poll.options[o] for o in options)
        ack = (f"✓ you already voted for {label}" if result == "same"
               else f"✓ vote counted: {label}")
        return Reply(ack, ephemeral=True)
    if result != "same":
        await _queue_ack(ctx, state, now)
    interval = float(ctx.settings["live_updates"])
    if interval and now - state.last_live.get(poll.id, poll.created_at) >= interval:
        state.last_live[poll.id] = now
        await broadcast(ctx.bot, poll, ctx.channel,
                        await results_text(ctx.bot, poll, final=False),
                        priority=Priority.LOW)
    return None


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


async def flush_acks(bot_state: PollState, key: str) -> None:
    """Send the batched "vote counted" line of one channel."""
    names = bot_state.pending_acks.pop(key, [])
    channel = bot_state.ack_channels.get(key)
    if names and channel is not None:
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5
                                        else "")
        await bot_state.bot.send(channel, f"✓ vote{'s' if len(names) > 1 else ''} counted: "
                                 f"{shown}", priority=Priority.LOW)
