"""Where a poll lives and what it says there: its channels, broadcasts, the results and
closing it."""

from __future__ import annotations

from cmbot import Bot, Button, Channel, Platform, Priority

from . import render
from .state import state_of
from .store import Poll


def _targets(bot: Bot, origin: Channel, platforms: list[str]) -> list[Channel]:
    """The channels a poll lives in: the community's (on the chosen platforms) or origin."""
    community = bot.community_of(origin)
    channels = bot.community_channels(community) if community else [origin]
    if origin not in channels:
        channels.append(origin)
    return [c for c in channels if c.platform.value in platforms or c == origin]


async def broadcast(bot: Bot, poll: Poll, origin: Channel | None, text: str,
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


async def results_text(bot: Bot, poll: Poll, final: bool) -> str:
    per_option, per_platform, voters = await state_of(bot).store.tally(poll.id)
    return render.results(poll, per_option, per_platform, voters, final=final)


async def close(bot: Bot, poll_id: int, status: str) -> Poll | None:
    state = state_of(bot)
    if not await state.store.set_status(poll_id, status, bot.time()):
        return None
    await bot.timers.cancel_key(f"poll:{poll_id}:close")
    poll = await state.store.get(poll_id)
    assert poll is not None
    if status == "cancelled":
        text = f"📊 Poll #{poll.id} was cancelled: {poll.question}"
    else:
        text = await results_text(bot, poll, final=True)
    await broadcast(bot, poll, None, text)
    return poll
