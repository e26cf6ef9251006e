"""The review queue: moderators list open flags and decide them (allow, remove, timeout),
read the mod log and permit a link."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from cmbot import (
    ActionResult,
    Arg,
    Channel,
    Command,
    CommandError,
    Context,
    Message,
    Role,
    User,
    format_duration,
    hookimpl,
    literal,
)

from .automod import commands as automod_commands
from .state import state_of


async def _flag_row(ctx: Context, flag_id: int) -> Any:
    row = await state_of(ctx.bot).store.flag(flag_id)
    if row is None or row["scope"] != ctx.scope:
        raise CommandError(f"there is no flag #{flag_id} here; {ctx.prefix}flags lists them")
    if row["status"] != "open":
        raise CommandError(f"flag #{flag_id} was already decided ({row['status']} by "
                           f"{row['decided_by']})")
    return row


def _message_of(row: Any) -> Message:
    channel = Channel.from_dict(json.loads(row["channel"]))
    user_id = row["user_key"].split(":", 1)[1]
    author = User(channel.platform, user_id, row["user_name"].lower(), row["user_name"])
    return Message(row["message_id"], channel.platform, channel, author, row["text"],
                   datetime.fromtimestamp(row["created_at"], UTC))


PAGE = 5  # entries per page of !flags and !modlog


def _more(total: int, page: int, command: str) -> str:
    """" … and N more (!flags 2)" when entries follow this page, else ""."""
    rest = total - page * PAGE
    return f" … and {rest} more ({command} {page + 1})" if rest > 0 else ""


async def _flags(ctx: Context, page: int | None = None) -> str:
    page = page or 1
    state = state_of(ctx.bot)
    rows = await state.store.open_flags(ctx.scope, PAGE, (page - 1) * PAGE)
    total = await state.store.count_open(ctx.scope)
    if not rows:
        return "The review queue is empty." if not total else \
            f"{total} open; page {page} is past the end: {ctx.prefix}flags 1"
    items = " | ".join(f"#{r['id']} {literal(r['user_name'])}: “{literal(r['text'][:60])}” "
                        f"({r['category']})"
                       for r in rows)
    more = _more(total, page, f"{ctx.prefix}flags")
    return f"{total} open: {items}{more} — {ctx.prefix}flag allow|remove|timeout <id>"


async def _decided(ctx: Context, row: Any, status: str, action: str, reason: str) -> None:
    state = state_of(ctx.bot)
    assert ctx.user is not None
    now = ctx.time()
    if not await state.store.decide(row["id"], status, ctx.user.shown_name, now):
        raise CommandError(f"flag #{row['id']} was just decided by someone else")
    await state.store.log(ctx.scope, row["user_key"], row["user_name"], action, reason,
                          ctx.user.shown_name, now, row["id"])


def _terms_of(reason: str, normalised: str) -> list[str]:
    """What a flag's reason says drove it: the word-list term, the model's words, or
    else the whole message."""
    if reason.startswith("word list: "):
        return [reason[len("word list: "):].split(";", 1)[0]]
    if "words: " in reason:
        return [w.strip() for w in reason.rsplit("words: ", 1)[1].split(",") if w.strip()]
    return [normalised]


async def _allow(ctx: Context, id: int, option: str | None = None) -> str:
    row = await _flag_row(ctx, id)
    state = state_of(ctx.bot)
    await _decided(ctx, row, "allowed", "allow", f"false positive: {row['reason']}")
    key = Channel.from_dict(json.loads(row["channel"])).key
    from .normalize import for_matching
    normalised = for_matching(row["text"])
    await state.store.allow(key, "text", normalised)
    extra = ""
    if option:
        # for the flag's category only: "hell" allowed as swearing is still a threat word
        for term in _terms_of(row["reason"], normalised):
            await state.store.allow(key, f"term:{row['category']}", term)
        extra = (f" and its words are allowed in this channel from now on (as "
                 f"{row['category']})")
    state.forget_channel(key)
    ran = await ctx.bot.run_held(_message_of(row))
    if ran is not None:
        extra += f"; its {ctx.prefix}{ran} ran"
    return f"✓ flag #{id} allowed: the same message will not be flagged again{extra}"


async def _claim(ctx: Context, row: Any) -> None:
    """Claim an open flag while its action runs: nobody else decides it meanwhile."""
    assert ctx.user is not None
    if not await state_of(ctx.bot).store.decide(row["id"], "acting", ctx.user.shown_name,
                                                ctx.time()):
        raise CommandError(f"flag #{row['id']} was just decided by someone else")


async def _refused(ctx: Context, row: Any, action: str, result: ActionResult) -> str:
    """The platform did not act: the flag goes back to the queue, the mod log says why."""
    state = state_of(ctx.bot)
    assert ctx.user is not None
    await state.store.release(row["id"])
    await state.store.log(ctx.scope, row["user_key"], row["user_name"], f"{action} refused",
                          f"{row['reason']} — {_why(result)}", ctx.user.shown_name,
                          ctx.time(), row["id"])
    return (f"✗ flag #{row['id']} stays open: not {action}d ({_why(result)}); "
            f"{ctx.prefix}flag allow|remove|timeout {row['id']} decides it")


async def _remove(ctx: Context, id: int) -> str:
    row = await _flag_row(ctx, id)
    message = _message_of(row)
    await _claim(ctx, row)
    done = await ctx.bot.delete(message)
    if not done:
        return await _refused(ctx, row, "delete", done)
    await _settled(ctx, row, "removed", "delete", row["reason"])
    return f"✓ flag #{id}: message removed"


async def _timeout(ctx: Context, id: int, duration: float | None = None) -> str:
    row = await _flag_row(ctx, id)
    message = _message_of(row)
    seconds = int(duration or 600)
    await _claim(ctx, row)
    done = await ctx.bot.timeout(message.author, message.channel, seconds, row["reason"])
    if not done:
        return await _refused(ctx, row, "timeout", done)
    await _settled(ctx, row, "timedout", "timeout", f"{row['reason']} ({seconds}s)")
    await ctx.bot.delete(message)
    return f"✓ flag #{id}: {row['user_name']} timed out for {format_duration(seconds)}"


async def _settled(ctx: Context, row: Any, status: str, action: str, reason: str) -> None:
    state = state_of(ctx.bot)
    assert ctx.user is not None
    await state.store.settle(row["id"], status)
    await ctx.bot.drop_held(_message_of(row))
    await state.store.log(ctx.scope, row["user_key"], row["user_name"], action, reason,
                          ctx.user.shown_name, ctx.time(), row["id"])


def _why(result: ActionResult) -> str:
    return {"unsupported": "the platform cannot", "refused": "the platform refused"}.get(
        result.problem, result.problem)


async def _modlog(ctx: Context, user: Any = None, page: int | None = None) -> str:
    if user is not None and page is None and str(user).isdigit():
        user, page = None, int(str(user))  # !modlog 2: a page, not a user named 2
    page = page or 1
    store = state_of(ctx.bot).store
    name = str(user) if user else None
    rows = await store.modlog(ctx.scope, name, PAGE, (page - 1) * PAGE)
    if not rows:
        return "Nothing in the mod log" + (f" for {user}" if user else "") + \
            (f" on page {page}." if page > 1 else ".")
    items = []
    for r in rows:
        when = datetime.fromtimestamp(r["at"], UTC).strftime("%m-%d %H:%M")
        items.append(f"{when} {r['action']} {literal(r['user_name'])} by {literal(r['by'])}: "
                     f"{r['reason']}")
    command = f"{ctx.prefix}modlog" + (f" {name}" if name else "")
    return " | ".join(items) + _more(await store.count_modlog(ctx.scope, name), page, command)


async def _permit(ctx: Context, user: Any) -> str:
    state = state_of(ctx.bot)
    seconds = float(ctx.settings["permit_seconds"])
    name = str(user)
    key = f"{ctx.channel.platform.value}:{(user.name or user.id or '').lower()}"
    state.permits[key] = ctx.time() + seconds
    return f"✓ {name} may post one link in the next {format_duration(seconds)}"


@hookimpl
def cmbot_commands() -> list[Command]:
    mod = Role.MODERATOR
    flag_id = Arg("id", "int", min=1)
    return [*automod_commands(),
        Command("flags", "the open review queue (5 a page)", _flags, role=mod,
                args=[Arg("page", "int", required=False, min=1)]),
        Command("flag allow", "a false positive: allow it (--always: allow its words here)",
                _allow, role=mod, args=[flag_id, Arg("option", "choice", required=False,
                                                     choices=("--always", "always"))]),
        Command("flag remove", "delete the flagged message", _remove, role=mod,
                args=[flag_id]),
        Command("flag timeout", "time the author out (default 10m) and delete the message",
                _timeout, role=mod, args=[flag_id, Arg("duration", "duration", required=False,
                                                      min=1, max=14 * 86400)]),
        Command("modlog", "recent moderation decisions, optionally for one user", _modlog,
                role=mod, args=[Arg("user", "user", required=False),
                                Arg("page", "int", required=False, min=1)]),
        Command("permit", "let a user post one link", _permit, role=mod,
                args=[Arg("user", "user")]),
    ]
