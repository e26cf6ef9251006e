"""``!feedback``: a viewer's comment, and the moderators' summary of them."""

from __future__ import annotations

from cmbot import CommandError, Context, Role, format_duration

from . import feedback as fb
from .state import state_of


async def give(ctx: Context, text: str) -> str:
    state = state_of(ctx.bot)
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


async def summary(ctx: Context, since: float | None = None) -> str:
    seconds = since or 7 * 86400.0
    rows = await state_of(ctx.bot).store.feedback_since(ctx.scope, ctx.time() - seconds)
    found = fb.summarise([(r["text"], r["sentiment"]) for r in rows])
    return fb.render(found, format_duration(seconds))
