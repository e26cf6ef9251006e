"""The announcements plugin's commands."""

from __future__ import annotations

from cmbot import Arg, Command, Role, hookimpl

from .event_commands import (
    event_add,
    event_cancel,
    event_edit,
    event_list,
    event_show,
    next_event,
)
from .state import PLATFORMS
from .timers import timer_add, timer_list, timer_pause, timer_remove, timer_resume


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
        Command("event add", "schedule an event with reminders on every platform", event_add,
                role=mod, args=[Arg("title", max_length=100),
                                Arg("when_and_description", "text", max_length=400),
                                remind, where, repeat, tz],
                example='event add "Friday stream" friday 20:00 remind:1h,10m repeat:weekly'),
        Command("event list", "upcoming events", event_list, channel_cooldown=10),
        Command("event show", "an event's details", event_show, role=mod, args=[event_id]),
        Command("event edit", "change an event (title:, when:, remind:, where:, repeat:)",
                event_edit, role=mod,
                args=[event_id, Arg("description", "text", required=False, max_length=300),
                      Arg("title", keyword=True, required=False, max_length=100),
                      Arg("when", keyword=True, required=False, max_length=60),
                      remind, where, repeat, tz]),
        Command("event cancel", "cancel an event and announce it", event_cancel, role=mod,
                args=[event_id]),
        Command("event next", "the next event with a countdown", next_event, channel_cooldown=10),
        Command("next", "the next event with a countdown", next_event, channel_cooldown=10),
        Command("timer add", "post a text every so often while chat is active", timer_add,
                role=mod, args=[name, Arg("text", "text", max_length=450),
                                Arg("every", "duration", keyword=True, min=60, max=86400),
                                Arg("lines", "int", keyword=True, required=False, min=0,
                                    max=1000),
                                Arg("quiet", keyword=True, required=False, max_length=5),
                                Arg("live", "bool", keyword=True, required=False)],
                example="timer add socials every:15m Follow on socials! || Join the Discord!"),
        Command("timer list", "this channel's timers", timer_list, role=mod),
        Command("timer pause", "stop a timer for now", timer_pause, role=mod, args=[name]),
        Command("timer resume", "restart a paused timer", timer_resume, role=mod, args=[name]),
        Command("timer remove", "delete a timer", timer_remove, role=mod, args=[name]),
    ]
