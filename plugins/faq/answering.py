"""Answering: ``!key`` lookups and auto-answers to questions asked in plain chat, within
per-entry cooldowns and a per-channel answer budget."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Coroutine
from typing import Any

from cmbot import Context, Later, Message, Priority, Reply, format_duration, hookimpl

from .matching import Match, accepts
from .state import ENCODE, FaqState, state_of
from .store import Entry

PENDING_ANSWERS = 8  # questions being encoded at once; past this, chat floods are not answered
_VARIABLE = re.compile(r"\{(\w+)\}")
_WORDS = re.compile(r"[^\W\d_]{2,}")
_LINK = re.compile(r"https?://|www\.|\b[\w-]+\.(?:gg|com|tv|net|org|io|ly)/", re.IGNORECASE)
_QUESTION_START = re.compile(
    r"^(what|whats|what's|when|where|who|whom|why|how|which|is|are|was|were|do|does|did|"
    r"can|could|will|would|should|shall|may|any|anyone|is there)\b", re.IGNORECASE)


def render(template: str, variables: dict[str, str]) -> str:
    """Replace ``{name}`` with known variables; unknown names stay as written."""
    return _VARIABLE.sub(lambda m: variables.get(m.group(1), m.group(0)), template)


async def answer_text(ctx: Context, state: FaqState, entry: Entry) -> str:
    hits = await state.store.record_hit(entry.id, ctx.time())
    variables = {"next_event": ""}
    variables.update(await ctx.bot.variables(ctx.channel, ctx.message))
    variables.update({
        "user": ctx.user.shown_name if ctx.user else "",
        "channel": ctx.channel.name,
        "count": str(hits),
    })
    return render(entry.answer, variables)


def looks_like_question(text: str, min_words: int) -> bool:
    """Cheap filter that keeps the matcher off emote spam, one-word chatter and lines that
    carry a link (clip shares and promotions state things; they do not ask)."""
    words = len(_WORDS.findall(text))  # first: most chat lines are a word or two
    if words < min_words and not (words >= 2 and ("?" in text or _QUESTION_START.match(text))):
        return False
    # every link pattern has a "." or a "/": most lines need no search
    return not (("." in text or "/" in text) and _LINK.search(text))


def _cooling(state: FaqState, entry_id: int, channel: str, seconds: float, now: float) -> bool:
    last = state.cooldowns.get((entry_id, channel))
    return last is not None and now - last < seconds


def _budget_ok(state: FaqState, channel: str, count: int, window: float, now: float) -> bool:
    times = state.budgets.setdefault(channel, deque())
    while times and times[0] <= now - window:
        times.popleft()
    return len(times) < count


Answer = Reply | Later | None


@hookimpl
def cmbot_answer(ctx: Context, message: Message) -> Answer | Coroutine[Any, Any, Answer]:
    """A plain ``def``: the lines it ignores (most chat) are decided without awaiting,
    so they cost no task; a coroutine is returned only when there is work to wait for."""
    state = state_of(ctx.bot)
    settings = ctx.settings
    text = message.text
    prefix = ctx.bot.prefix
    if text.startswith(prefix):
        name = text[len(prefix):].split(" ", 1)[0].lower()
        names = state.names.get(ctx.scope)
        if not name or (names is not None and name not in names):
            return None
        return _key_answer(ctx, state, name)
    if not settings["auto_answer"] or not looks_like_question(text, settings["min_words"]):
        return None
    threshold = state.threshold(settings)
    if state.recent.get(state.recent_key(ctx.scope, text, threshold, gated=True),
                        ENCODE) is None:
        return None  # this line was gated out before: chat repeats itself
    return _auto_answer(ctx, state, text, threshold)


async def _key_answer(ctx: Context, state: FaqState, name: str) -> Reply | None:
    if not await state.known_name(ctx.scope, name):
        return None
    entry = await state.store.entry(ctx.scope, name)
    if entry is None:
        return None
    slot = f"key:{ctx.channel.key}"
    now = ctx.time()
    seconds = ctx.settings["key_cooldown"]
    if _cooling(state, entry.id, slot, seconds, now):
        # one notice per window, so the asker knows they were heard and a flood of the
        # same shortcut gets one line, not one per repeat
        last = state.cooldowns[(entry.id, slot)]
        if state.key_noticed.get((entry.id, slot), -1.0) >= last:
            return None
        state.key_noticed[(entry.id, slot)] = now
        wait = format_duration(max(1.0, last + seconds - now))
        return Reply(f"✗ {ctx.bot.prefix}{name} was answered just above; it answers again "
                     f"in {wait}", ephemeral=True)
    state.cooldowns[(entry.id, slot)] = now
    return Reply(await answer_text(ctx, state, entry))


async def _auto_answer(ctx: Context, state: FaqState, text: str, threshold: float) -> Answer:
    match = await state.quick_match(ctx.scope, text, threshold, gate=True)
    if match is ENCODE:  # encode off the message path; answer when it is done
        started = ctx.defer(_answer_later(ctx, state, text, threshold), "answer",
                            limit=PENDING_ANSWERS)
        return Later() if started else None
    return await _auto_reply(ctx, state, match, threshold)  # type: ignore[arg-type]


async def _answer_later(ctx: Context, state: FaqState, text: str, threshold: float) -> None:
    match = await state.encoded_match(ctx.scope, text, threshold)
    reply = await _auto_reply(ctx, state, match, threshold)
    if reply is not None:
        await ctx.reply(reply, priority=Priority.LOW)


async def _auto_reply(ctx: Context, state: FaqState, match: Match | None, threshold: float
                      ) -> Reply | None:
    """The answer to a matched chat line, unless below the threshold, cooling down or over
    the channel's budget."""
    if not accepts(match, threshold):
        return None
    assert match is not None
    settings = ctx.settings
    now = ctx.time()
    channel = ctx.channel.key
    if _cooling(state, match.entry_id, channel, settings["entry_cooldown"], now):
        return None
    if not _budget_ok(state, channel, settings["budget_count"], settings["budget_window"], now):
        return None
    state.cooldowns[(match.entry_id, channel)] = now  # taken before awaiting: answers
    state.budgets[channel].append(now)  # found concurrently must not both pass
    entry = await state.store.entry_by_id(ctx.scope, match.entry_id)
    if entry is None:  # removed meanwhile
        return None
    return Reply(await answer_text(ctx, state, entry))
