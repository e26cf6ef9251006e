"""Built-in announcements plugin: events with reminders on every linked platform,
recurring events, and chat timers with an activity gate, quiet hours and rotation."""

from __future__ import annotations

from cmbot import Bot, Context, Message, Setting, hookimpl

from . import events, timers
from .commands import cmbot_commands  # noqa: F401 - a hook of this plugin
from .events import values as event_values
from .state import state_of
from .store import MIGRATIONS


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



@hookimpl
def cmbot_startup(bot: Bot) -> None:
    events.install(bot)
    timers.install(bot)


@hookimpl
def cmbot_on_message(ctx: Context, message: Message) -> None:
    lines = state_of(ctx.bot).lines
    lines[message.channel.key] = lines.get(message.channel.key, 0) + 1


@hookimpl
async def cmbot_variables(ctx: Context) -> dict[str, str]:
    state = state_of(ctx.bot)
    upcoming = await state.store.upcoming(ctx.scope, ctx.time(), limit=1)
    if not upcoming:
        return {"next_event": ""}
    values = event_values(ctx.bot, upcoming[0])
    return {"next_event": f"{values['title']} — {values['starts_at']} (in "
                          f"{values['starts_in']})"}
