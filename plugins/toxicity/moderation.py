"""The moderation hook: scores a line, tells the mods of raids, records flags and
chooses an automatic action (with escalation). A clean line is decided without awaiting."""

from __future__ import annotations

import dataclasses
import inspect
import math
from collections import deque
from collections.abc import Coroutine
from typing import Any

from cmbot import (
    Action,
    ActionResult,
    Button,
    Capability,
    Context,
    Message,
    Priority,
    Verdict,
    format_duration,
    hookimpl,
    literal,
)

from .assess import Assessment, assess
from .rules import links
from .state import ChannelScoring, ToxState, escalation_steps, log, state_of

_VERDICT = {"flag": Action.FLAG, "delete": Action.DELETE, "timeout": Action.TIMEOUT,
            "ban": Action.BAN}

Decision = Verdict | None


@hookimpl
def cmbot_moderate(ctx: Context, message: Message
                   ) -> Decision | Coroutine[Any, Any, Decision]:
    """A plain ``def``: a clean line (most chat) is decided without awaiting, so it costs
    no task; a coroutine is returned only for work to wait for (a channel's first line,
    a raid alert, a flag to record)."""
    state = state_of(ctx.bot)
    channel = state.channels.get(ctx.channel.key)
    if channel is None:
        return _first_line(ctx, state, message)
    return _moderate(ctx, state, channel, message)


async def _first_line(ctx: Context, state: ToxState, message: Message) -> Decision:
    decided = _moderate(ctx, state, await state.scoring(ctx), message)
    return await decided if inspect.isawaitable(decided) else decided


def _moderate(ctx: Context, state: ToxState, channel: ChannelScoring, message: Message
              ) -> Decision | Coroutine[Any, Any, Decision]:
    settings = channel.settings
    if not settings["enabled"]:
        return None
    author = message.author
    if author.role >= channel.exempt:
        return None
    now = ctx.time()
    text = message.text
    permit = False
    if state.permits:  # !permit: one link allowed for a while
        permit_key = f"{author.platform.value}:{author.name.lower()}"
        until = state.permits.get(permit_key)
        if until is not None:
            permit = until > now
            if not permit or links(text, settings["link_allowlist"]) is not None:
                state.permits.pop(permit_key, None)  # expired, or used on this link
    result = state.recent.get(channel.config, text, permit)
    if result is None:
        result = assess(text, settings, allowed_terms=channel.terms,
                        patterns=channel.patterns, permitted_link=permit,
                        language=channel.language, category_terms=channel.category_terms)
        state.recent.put(channel.config, text, permit, result)
    allowed_texts = channel.allowed.get("text")
    if allowed_texts and result.normalised in allowed_texts:
        result = dataclasses.replace(result, hit=None)
    # Many viewers typing the same !command (a poll's "!vote 2") is chat working as
    # intended: commands count for the hostile rate but not as identical lines.
    command = text.startswith(ctx.prefix)
    alert = channel.raid.observe(
        ctx.channel.key, now, bad=result.hit is not None and result.hit.category != "spam",
        normalised="" if command else result.normalised, user=author.key, text=text)
    hit = result.hit
    action = "off" if hit is None else settings[f"action_{hit.category}"]
    if hit is not None and action != "off" and settings["dry_run"]:
        log.info("dry run: would %s %s's message in %s (%s, score %.2f)", action,
                 author.shown_name, ctx.channel.key, hit.reason, result.score)
        action = "off"
    if not alert and action == "off":
        return None
    return _act(ctx, state, settings, message, result, action, alert, now)


async def _act(ctx: Context, state: ToxState, settings: dict[str, Any], message: Message,
               result: Assessment, action: str, alert: str | None, now: float) -> Decision:
    """Tell the mods of a raid, and carry out a hit's action."""
    if alert:
        await ctx.notify_mods(f"[{ctx.channel.platform.value} #{ctx.channel.name}] {alert}")
    hit, author = result.hit, message.author
    if hit is None or action == "off":
        return None
    if action == "log":  # noted in the mod log for the record; the line goes on as usual
        await state.store.log(ctx.scope, author.key, author.shown_name, "logged",
                              f"{hit.category}: {hit.reason}",
                              "auto", now, None)
        return None
    seconds = 0
    if action == "timeout":
        steps = escalation_steps(settings["escalation"])
        strikes = await state.store.strikes(ctx.scope, author.key,
                                            now - settings["escalation_window"])
        seconds = int(steps[min(strikes, len(steps) - 1)])
        if seconds == 0:
            action = "warn"
    verdict = Verdict(_VERDICT.get(action, Action.FLAG), hit.reason, hit.category,
                      result.score, seconds)
    if action == "flag" and ctx.bot.busy() < BACKGROUND_FLAGS:
        # nothing later on this path depends on the row: write it and tell the mods off
        # the message path (strikes for timeouts are counted from it, so those wait)
        ctx.defer(_record(ctx, state, message, result, action, seconds, now), "flag")
        return verdict
    flag_id = await _store(ctx, state, message, result, action, now)
    verdict = dataclasses.replace(verdict, flag_id=flag_id)
    if action not in ENFORCED:
        await _warn_and_notify(ctx, state, message, result, action, seconds, now, flag_id)
        return verdict
    # the plugin acts itself, off the message path (the platform may be slow), so that
    # the notice says what the platform answered; the core does not act again
    if ctx.bot.busy() < BACKGROUND_FLAGS:
        ctx.defer(_enforce(ctx, state, message, result, action, seconds, now, flag_id),
                  "action")
    else:
        await _enforce(ctx, state, message, result, action, seconds, now, flag_id)
    return dataclasses.replace(verdict, applied=True)


ENFORCED = ("delete", "timeout", "ban")


async def _carry_out(ctx: Context, message: Message, action: str, seconds: int,
                     reason: str) -> tuple[ActionResult, ...]:
    """Delete the message, then time out or ban its author, as the core would; each
    :class:`ActionResult` is kept for the notice and the mod log."""
    if action not in ("delete", "timeout", "ban"):
        return ()
    bot, author = ctx.bot, message.author
    outcomes = [await bot.delete(message, reason)]
    if action == "timeout":
        outcomes.append(await bot.timeout(author, message.channel, seconds, reason))
    elif action == "ban":
        outcomes.append(await bot.ban(author, message.channel, reason))
    return tuple(outcomes)


_PROBLEMS = {"refused": "refused by the platform (missing permission)",
             "unsupported": "not possible on this platform",
             "rate limited": "not done (too many actions in this channel just now)",
             "no platform": "not done (the platform is not connected)"}


def _problem(outcome: ActionResult) -> str:
    if outcome.problem.startswith("failed"):
        return f"failed ({outcome.problem.partition(': ')[2] or 'error'})"
    return _PROBLEMS.get(outcome.problem, f"not done ({outcome.problem})")


def _taken(action: str, seconds: int, outcomes: tuple[ActionResult, ...]) -> tuple[str, str]:
    """What the notice says was done, and what the mod log adds when the platform did not
    do all of it (empty when it did). A flag whose action was not done stays open and the
    notice says so: it is for a moderator now."""
    done = {"flag": "flagged for review", "warn": "warned", "delete": "deleted",
            "timeout": f"timed out {format_duration(seconds)}", "ban": "banned"}
    missed = [o for o in outcomes if not o.done]
    if not missed:
        return done[action], ""
    parts = [done[o.action] if o.done else f"{o.action} {_problem(o)}" for o in outcomes]
    return ", ".join(parts) + " — flagged for review", \
        "; ".join(f"{o.action} {_problem(o)}" for o in missed)


BACKGROUND_FLAGS = 32  # past this many flags being written, write on the message path


async def _record(ctx: Context, state: ToxState, message: Message, result: Assessment,
                  action: str, seconds: int, now: float) -> int:
    """Store a flag or a warning, warn, tell the mods."""
    flag_id = await _store(ctx, state, message, result, action, now)
    await _warn_and_notify(ctx, state, message, result, action, seconds, now, flag_id)
    return flag_id


async def _store(ctx: Context, state: ToxState, message: Message, result: Assessment,
                 action: str, now: float) -> int:
    """The flag, and the mod log line of an automatic action (a strike for escalation,
    even when the platform then refuses it: escalation follows what the user did)."""
    author, hit = message.author, result.hit
    assert hit is not None
    flag_id = await state.store.add_flag(
        scope=ctx.scope, channel=ctx.channel.to_dict(),
        message_id=message.id, user_key=author.key, user_name=author.shown_name,
        text=message.text, category=hit.category, reason=hit.reason, score=result.score,
        action=action, created_at=now)
    if action in ("warn", *ENFORCED):
        await state.store.log(ctx.scope, author.key, author.shown_name, action, hit.reason,
                              "auto", now, flag_id)
    return flag_id


async def _enforce(ctx: Context, state: ToxState, message: Message, result: Assessment,
                   action: str, seconds: int, now: float, flag_id: int) -> None:
    """Carry out an automatic action, note in the mod log what the platform refused, and
    tell the mods what was done."""
    assert result.hit is not None
    outcomes = await _carry_out(ctx, message, action, seconds, result.hit.reason)
    taken, missed = _taken(action, seconds, outcomes)
    if missed:
        await state.store.note(flag_id, missed)
    await _notify(ctx, state, message, result, flag_id, taken, now)


async def _warn_and_notify(ctx: Context, state: ToxState, message: Message,
                           result: Assessment, action: str, seconds: int, now: float,
                           flag_id: int) -> None:
    author, hit = message.author, result.hit
    assert hit is not None
    if action == "warn":
        native = ctx.bot.can(ctx.channel, Capability.WARN) and await ctx.bot.warn(
            author, ctx.channel, f"please keep it friendly ({hit.category})")
        if not native:
            await ctx.send(f"@{author.name} please keep it friendly — this is a warning "
                           f"({hit.category}).", priority=Priority.NORMAL)
    await _notify(ctx, state, message, result, flag_id, _taken(action, seconds, ())[0], now)


async def _notify(ctx: Context, state: ToxState, message: Message, result: Assessment,
                  flag_id: int, taken: str, now: float) -> None:
    """The mod notice of a flag, with its buttons (or a place in the next digest)."""
    author, hit = message.author, result.hit
    assert hit is not None
    if await _hold_notice(ctx, state, now):
        return
    buttons = (Button("Allow", f"flag allow {flag_id}", "success"),
               Button("Remove", f"flag remove {flag_id}", "danger"),
               Button("Timeout", f"flag timeout {flag_id}", "secondary"))
    await ctx.notify_mods(
        f"🚩 flag #{flag_id} [{ctx.channel.platform.value} #{ctx.channel.name}] "
        f"{literal(author.shown_name)}: “{literal(message.text[:200])}” — {hit.category}: "
        f"{hit.reason} "
        f"(score {result.score:.2f}); {taken}", buttons=buttons)


NOTICES_PER_MINUTE = 10


async def _hold_notice(ctx: Context, state: ToxState, now: float) -> bool:
    """Past NOTICES_PER_MINUTE per community, flags are still queued but announced in one
    digest a minute later instead of one notice each (a raid must not bury #mod-log)."""
    times = state.notices.setdefault(ctx.scope, deque())
    while times and times[0] <= now - 60:
        times.popleft()
    if len(times) < NOTICES_PER_MINUTE:
        times.append(now)
        return False
    first = not state.held.get(ctx.scope)
    state.held[ctx.scope] = state.held.get(ctx.scope, 0) + 1  # before awaiting: flags are
    if first:  # recorded concurrently, and only the first may schedule the digest
        await ctx.bot.timers.at(
            "toxicity.digest", now + 60, {"scope": ctx.scope, "channel": ctx.channel.to_dict()},
            key=f"toxicity:digest:{ctx.scope}", grace=math.inf)  # late is better than never
    return True
