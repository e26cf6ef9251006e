"""Built-in polls and feedback plugin: one poll voted from Discord and Twitch together,
closed by a persistent timer, plus open feedback with a summary for moderators.

Its parts: poll_commands (start, end, results...), voting (``!vote``), feedback_commands,
exports (CSV), announce (where a poll is shown, closing it), state, store, render and
feedback (the summary's sentiment and terms)."""

from __future__ import annotations

from cmbot import Arg, Bot, Command, Context, Role, Setting, Timer, hookimpl

from . import exports, feedback_commands, poll_commands, voting
from .announce import close
from .poll_commands import MAX_OPTION, MAX_QUESTION, PLATFORM_CHOICES
from .state import state_of
from .store import MIGRATIONS


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


@hookimpl
def cmbot_startup(bot: Bot) -> None:
    state = state_of(bot)

    async def close_on_time(timer: Timer) -> None:
        await close(bot, int(timer.payload["poll_id"]), "closed")

    async def flush_acks(timer: Timer) -> None:
        await voting.flush_acks(state, timer.payload["channel"])

    bot.timers.on("polls.close", close_on_time)
    bot.timers.on("polls.ack", flush_acks)


@hookimpl
async def cmbot_forget_user(bot: Bot, user_key: str) -> None:
    await state_of(bot).store.forget(user_key)


@hookimpl
async def cmbot_autocomplete(ctx: Context, source: str, typed: str) -> list[str] | None:
    """Recent poll ids (newest first) for Discord's option suggestions."""
    if source != "poll_ids":
        return None
    return await poll_commands.poll_ids(ctx, typed)


@hookimpl
def cmbot_commands() -> list[Command]:
    mod = Role.MODERATOR
    poll_id = Arg("id", "int", required=False, min=1, autocomplete="poll_ids")
    since = Arg("since", "duration", keyword=True, required=False, max=3650 * 86400)
    return [
        Command("poll start", "start a poll: question then 2-10 options", poll_commands.start,
                role=mod,
                args=[Arg("question_and_options", many=True, max_length=MAX_QUESTION),
                      Arg("duration", "duration", keyword=True, required=False, min=10,
                          max=7 * 86400),
                      Arg("where", "choice", keyword=True, many=True, required=False,
                          choices=PLATFORM_CHOICES),
                      Arg("multi", "bool", keyword=True, required=False,
                          help="allow several choices: !vote 1 3 or !vote 1,3"),
                      Arg("anonymous", "bool", keyword=True, required=False)],
                example='poll start "Best map?" Dust Mirage "Ancient ruins" duration:5m'),
        Command("poll end", "close a poll now and announce the results", poll_commands.end,
                role=mod, args=[poll_id]),
        Command("poll cancel", "cancel a poll without results", poll_commands.cancel,
                role=mod, args=[poll_id]),
        Command("poll results", "show a poll's results", poll_commands.results,
                args=[poll_id], channel_cooldown=15),
        Command("poll list", "recent polls", poll_commands.list_polls, role=mod),
        Command("poll export", "write a poll's votes to a CSV file", exports.export_poll,
                role=mod, args=[poll_id]),
        Command("vote", "vote in the open poll: a number or an option's start; several in a "
                "multi-choice poll: 1 3 or 1,3",
                voting.vote, args=[Arg("choice", "text", max_length=MAX_OPTION)]),
        Command("feedback", "tell the team what you think", feedback_commands.give,
                args=[Arg("text", "text", max_length=500)]),
        Command("feedback summary", "count, sentiment, recurring terms and examples",
                feedback_commands.summary, role=mod, args=[since]),
        Command("feedback export", "write feedback to a CSV file", exports.export_feedback,
                role=mod, args=[since]),
    ]
