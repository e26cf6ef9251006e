"""The moderators' poll commands: start, end, cancel, results, list; finding a poll."""

from __future__ import annotations

import math

from cmbot import Button, CommandError, Context, Priority, neutralise_mentions

from . import render
from .announce import broadcast, close, results_text
from .state import state_of
from .store import Poll

MAX_QUESTION = 200
MAX_OPTION = 80
PLATFORM_CHOICES = ("discord", "twitch", "console")


def _clean(text: str, limit: int, what: str) -> str:
    text = neutralise_mentions(" ".join(text.split()))
    if not text:
        raise CommandError(f"{what} is empty")
    if len(text) > limit:
        raise CommandError(f"{what} is {len(text)} characters; the limit is {limit}")
    return text


async def start(ctx: Context, question_and_options: list[str], duration: float | None = None,
                where: list[str] | None = None, multi: bool | None = None,
                anonymous: bool | None = None) -> None:
    state = state_of(ctx.bot)
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
    await broadcast(ctx.bot, poll, ctx.channel, render.announcement(poll, ctx.prefix,
                                                                    seconds / 60),
                    buttons=buttons, priority=Priority.HIGH)


async def find_poll(ctx: Context, poll_id: int | None, *, open_only: bool = False) -> Poll:
    store = state_of(ctx.bot).store
    if poll_id is None:
        poll = await (store.current(ctx.scope) if open_only else store.latest(ctx.scope))
        if poll is None:
            raise CommandError("no poll is open here" if open_only else "no polls here yet")
        return poll
    poll = await store.get(poll_id)
    if poll is None or poll.scope != ctx.scope:
        raise CommandError(f"there is no poll #{poll_id} here")
    return poll


async def end(ctx: Context, id: int | None = None) -> str | None:
    poll = await find_poll(ctx, id, open_only=id is None)
    if await close(ctx.bot, poll.id, "closed") is None:
        raise CommandError(f"poll #{poll.id} is already {poll.status}")
    return None


async def cancel(ctx: Context, id: int | None = None) -> str | None:
    poll = await find_poll(ctx, id, open_only=id is None)
    if await close(ctx.bot, poll.id, "cancelled") is None:
        raise CommandError(f"poll #{poll.id} is already {poll.status}")
    return None


async def results(ctx: Context, id: int | None = None) -> str:
    poll = await find_poll(ctx, id)
    return await results_text(ctx.bot, poll, final=not poll.open)


async def list_polls(ctx: Context) -> str:
    polls = await state_of(ctx.bot).store.recent(ctx.scope)
    if not polls:
        return "No polls yet."
    return "Polls: " + " | ".join(f"#{p.id} {p.question} ({p.status})" for p in polls)


async def poll_ids(ctx: Context, typed: str) -> list[str]:
    """Recent poll ids (newest first) for Discord's option suggestions."""
    polls = await state_of(ctx.bot).store.recent(ctx.scope, limit=25)
    return [str(p.id) for p in polls if str(p.id).startswith(typed.strip())]
