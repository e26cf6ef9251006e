"""Every hook a cmbot plugin can implement, in one documented file.

Hooks are plain pluggy specs; implementations may be ``async def``. pluggy cannot await,
so :mod:`cmbot.dispatch` calls each implementation through pluggy on its own, in pluggy's
order, awaits what is awaitable, bounds each call with ``[bot] hook_timeout`` and logs a
failure with the plugin's name without stopping the other plugins. An implementation may
accept fewer arguments than the spec lists, so hooks can grow arguments without breaking
plugins. No hook uses ``firstresult``: "first non-None wins" is done by the dispatcher.
A hook on the message path that usually has nothing to wait for can be a plain ``def``
that returns a coroutine only when it must wait (``return self._slow(ctx, message)``): a
result that is not awaitable is used as it is, with no timer armed for it.

``bot`` is always the bot as the called plugin sees it (:class:`cmbot.face.Bot`), and
``ctx`` a :class:`cmbot.Context` whose ``ctx.bot`` is that same object.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .commands import CliCommand, Command
    from .context import Context
    from .face import Bot
    from .model import Later, Message, Reply, Verdict
    from .settings import Setting

hookspec = pluggy.HookspecMarker("cmbot")

# --- loading -------------------------------------------------------------------------


@hookspec
def cmbot_config_schema() -> dict[str, Setting] | None:
    """Called once at load time. Return the plugin's config keys as ``{key: Setting}``.

    Values come from ``[plugins.NAME]`` and per-channel overrides
    (``[channels."twitch:chan".plugins.NAME]`` over ``[channels.twitch.plugins.NAME]``
    over ``[plugins.NAME]`` over the defaults). A key not declared here is reported as
    an error with the file and key before anything connects.
    """


@hookspec
def cmbot_migrations() -> list[str] | None:
    """Called once at start-up. Return the plugin's SQL schema steps, oldest first.

    Each step is one SQL script applied once, in a transaction, and recorded by version
    (its index). Never edit or reorder a released step: append a new one.
    """


@hookspec
def cmbot_commands() -> list[Command] | None:
    """Called once at load time. Return the :class:`~cmbot.commands.Command` objects
    this plugin offers. They become ``!commands`` on Twitch/console and slash commands
    on Discord; the core checks roles and cooldowns before the handler runs.
    """


# --- lifecycle -----------------------------------------------------------------------


@hookspec
def cmbot_startup(bot: Bot) -> None:
    """Called after storage and migrations are ready, before adapters connect.

    Register timer handlers here (``bot.timers.on(kind, handler)``).
    """


@hookspec
def cmbot_shutdown(bot: Bot) -> None:
    """Called once when the bot stops, before storage closes."""


# --- chat ----------------------------------------------------------------------------


@hookspec
def cmbot_moderate(ctx: Context, message: Message) -> Verdict | None:
    """Called for every chat message from a non-bot user, before commands and answers.

    Return a :class:`~cmbot.model.Verdict` or None. All verdicts are collected and the
    most severe one is applied by the core; a message with any verdict (flag or worse)
    is not handled as a command and not answered.
    """


@hookspec
def cmbot_answer(ctx: Context, message: Message) -> Reply | str | Later | None:
    """Called for a chat message that is not a command and was not flagged.

    Return a reply to post, or None. The first non-None answer (in plugin order) is
    posted at low priority (dropped rather than queued when over the rate limit) and
    the remaining plugins are not asked. Slow answers (a model, a web lookup) start a
    task with ``ctx.defer`` that replies itself, and return ``Later()``.
    """


@hookspec
def cmbot_on_message(ctx: Context, message: Message) -> None:
    """Called for every chat message after moderation, commands and answers; observe only.

    ``ctx.verdict`` holds the applied verdict (None if clean) and ``ctx.handled`` is
    True when the message ran a command or got an answer.
    """


@hookspec
def cmbot_variables(ctx: Context) -> dict[str, str] | None:
    """Called when a plugin renders a user-facing template (an FAQ answer, an
    announcement) for ``ctx.channel``. Return extra ``{name}`` variables, e.g.
    ``{"next_event": "Friday stream in 2h"}``; plugins that render templates fall back to
    an empty string for variables nobody offers.
    """


# --- privacy -------------------------------------------------------------------------


@hookspec
def cmbot_forget_user(bot: Bot, user_key: str) -> None:
    """Called when a user's data must be erased (``platform:id``). Delete every row the
    plugin stores about that user, except a record kept for a legitimate interest (the
    toxicity plugin's moderation record): pseudonymise that one and say so to the user."""


@hookspec
def cmbot_autocomplete(ctx: Context, source: str, typed: str) -> list[str] | None:
    """Called while a Discord user types a slash-command argument declared with
    ``Arg(autocomplete=source)``. Return up to 25 values starting with or
    containing ``typed``, or None if ``source`` is not yours."""


# --- command line --------------------------------------------------------------------


@hookspec
def cmbot_cli_commands() -> list[CliCommand] | None:
    """Called when ``cmbot`` builds its command line (built-in and entry-point plugins
    only: no config is read yet). Return :class:`~cmbot.CliCommand` objects; a two-word
    name shares its first word with other plugins' (``cmbot eval faq`` from the FAQ
    plugin, ``cmbot eval toxicity`` from the toxicity plugin). No bot runs for them.
    """


@hookspec
def cmbot_status(bot: Bot) -> str | None:
    """Called by ``cmbot plugins``. Return one line on how the plugin runs here (which
    matcher, which model), or None."""


def all_hook_names() -> list[str]:
    """Names of every hook defined here."""
    return [name for name, value in globals().items()
            if name.startswith("cmbot_") and callable(value)]

