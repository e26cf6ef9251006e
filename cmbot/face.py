"""The face a plugin sees, as typed protocols: everything a plugin may ask of the bot.

Every hook that is not about one message receives a :class:`Bot` (``cmbot_startup(bot)``);
message hooks and commands receive a :class:`~cmbot.Context`, whose ``ctx.bot`` is the
same object. It is the bot *as one plugin sees it*: state, settings and background work
are that plugin's own, so no plugin ever names itself. Built-in plugins use exactly this
face; the runtime, the adapters, the storage engine and the dispatcher stay behind it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from .model import (
    ActionResult,
    Button,
    Capability,
    Channel,
    Community,
    Message,
    Role,
    User,
)
from .ratelimit import Priority

if TYPE_CHECKING:
    from .commands import Command
    from .scheduler import Timer

T = TypeVar("T")
Params = Sequence[Any] | dict[str, Any]


class Statements(Protocol):
    """SQL statements on the bot's database (SQLite by default): ``?`` placeholders,
    rows readable by column name (``row["key"]``)."""

    @property
    def last_rowcount(self) -> int:
        """Rows changed by the latest :meth:`execute`."""

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; returns the new row's id for an INSERT."""

    async def fetchone(self, sql: str, params: Params = ()) -> Any:
        """The first row, or None."""

    async def fetchall(self, sql: str, params: Params = ()) -> list[Any]:
        """Every row."""

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None."""


class Store(Statements, Protocol):
    """The database. A lone :meth:`execute` is committed when it returns, so a write that
    acknowledges a user action is durable before the acknowledgement is sent."""

    def transaction(self) -> AbstractAsyncContextManager[Statements]:
        """``async with bot.db.transaction() as tx:`` all of it or nothing, committed on
        exit; ``tx`` offers the same statements."""


TimerHandler = Callable[["Timer"], Awaitable[None]]


class Timers(Protocol):
    """Persistent timers (they survive restarts). Adding or cancelling one wakes the
    timekeeper itself. Keys are global: prefix them with your plugin's name."""

    @property
    def grace(self) -> float:
        """How late (s) a run may fire by default (``[scheduler] grace_seconds``); later
        runs are skipped. Pass ``grace=math.inf`` for a timer whose handler must run however
        late (closing a poll): it sees ``timer.late`` and decides."""

    def on(self, kind: str, handler: TimerHandler) -> None:
        """Register the coroutine that runs timers of ``kind`` (in ``cmbot_startup``)."""

    async def at(self, kind: str, when: datetime | float, payload: dict[str, Any] | None = None,
                 *, key: str | None = None, grace: float | None = None) -> int:
        """Run once at ``when``; a timer with the same ``key`` is replaced."""

    async def every(self, kind: str, seconds: float, payload: dict[str, Any] | None = None,
                    *, key: str | None = None, first: datetime | float | None = None,
                    grace: float | None = None) -> int:
        """Run every ``seconds``, first at ``first`` (default: one interval from now)."""

    async def cron(self, kind: str, expression: str, tz: str = "UTC",
                   payload: dict[str, Any] | None = None, *, key: str | None = None,
                   grace: float | None = None) -> int:
        """Run on a 5-field cron expression in time zone ``tz``."""

    async def cancel(self, timer_id: int) -> bool: ...

    async def cancel_key(self, key: str) -> bool: ...

    async def cancel_prefix(self, prefix: str) -> int:
        """Cancel every timer whose key starts with ``prefix``; returns how many."""

    async def list(self, kind: str | None = None) -> list[Timer]: ...


class Commands(Protocol):
    """Every loaded command (read only)."""

    def get(self, name: str) -> Command | None: ...

    def subcommands(self, group: str) -> list[Command]: ...

    def __iter__(self) -> Iterator[Command]: ...

    def required_role(self, command: Command) -> Role:
        """The role a command needs here (``[permissions]`` over the command's own)."""


class Bot(Protocol):
    """The bot as the calling plugin sees it."""

    @property
    def plugin(self) -> str:
        """The calling plugin's name."""

    @property
    def prefix(self) -> str:
        """What commands start with in chat (``!``)."""

    @property
    def db(self) -> Store:
        """The database (the plugin's own tables, from its migrations)."""

    @property
    def timers(self) -> Timers: ...

    @property
    def commands(self) -> Commands: ...

    # --- time ---------------------------------------------------------------------
    def time(self) -> float:
        """Seconds since the epoch on the bot's clock (frozen and moved in tests)."""

    def now(self) -> datetime:
        """The bot's clock as an aware UTC datetime."""

    # --- this plugin's own --------------------------------------------------------
    def settings(self, channel: Channel | None = None) -> dict[str, Any]:
        """This plugin's settings for ``channel`` (channel > platform > ``[plugins.X]`` >
        the schema's defaults); without a channel, ``[plugins.X]`` over the defaults."""

    def state(self, factory: Callable[[Bot], T]) -> T:
        """This plugin's per-bot object, made by ``factory(bot)`` on first use."""

    def path(self, relative: str | Path) -> Path:
        """A path from the config (``files_dir``) resolved next to the config file."""

    def defer(self, work: Coroutine[Any, Any, Any], what: str, *,
              limit: int | None = None) -> bool:
        """Run ``work`` off the message path (a failure is reported like a failing hook).
        False, and ``work`` not run, when this plugin already has ``limit`` (default 64)
        tasks running: under a flood, shed."""

    def busy(self) -> int:
        """How many of this plugin's deferred tasks are running."""

    # --- communities and channels -------------------------------------------------
    @property
    def communities(self) -> Sequence[Community]: ...

    def community_of(self, channel: Channel) -> Community | None: ...

    def community_channels(self, community: Community, kind: str = "channels"
                           ) -> list[Channel]:
        """A community's ``channels``, ``mod_channels`` or ``announce_channels`` that a
        connected platform knows."""

    def scope_of(self, channel: Channel) -> str:
        """Storage scope: ``community:NAME`` for linked channels, else the channel key."""

    def timezone_of(self, channel: Channel) -> str: ...

    def language_of(self, channel: Channel) -> str:
        """The language of ``channel``'s community (``en``, ``fr``)."""

    # --- saying -------------------------------------------------------------------
    async def send(self, channel: Channel, text: str, *, buttons: Sequence[Button] = (),
                   priority: Priority = Priority.NORMAL, reply_to: Message | None = None,
                   mention: User | None = None, ephemeral: bool = False,
                   file: Path | None = None) -> str | None:
        """Post through the channel's rate limit: cleaned, cut to the platform's length,
        mass mentions neutralised, buttons turned into ``!command`` text where the
        platform has none. Returns the sent id, or None if queued or dropped."""

    async def notify_mods(self, channel: Channel, text: str, *,
                          buttons: Sequence[Button] = ()) -> int:
        """Post to the moderator channels of ``channel``'s community; returns how many."""

    # --- acting -------------------------------------------------------------------
    def can(self, channel: Channel, capability: Capability) -> bool:
        """Whether ``channel``'s platform offers ``capability``."""

    async def delete(self, message: Message, reason: str = "") -> ActionResult:
        """Remove a message (capability checked, rate limited, logged)."""

    async def timeout(self, user: User, channel: Channel, seconds: int,
                      reason: str) -> ActionResult:
        """Stop ``user`` chatting in ``channel`` for ``seconds``."""

    async def warn(self, user: User, channel: Channel, reason: str) -> ActionResult:
        """A platform warning the user must acknowledge (Twitch); else ``unsupported``."""

    async def ban(self, user: User, channel: Channel, reason: str) -> ActionResult:
        """Ban ``user``: only where a community configured it, never by default."""

    async def run_held(self, message: Message) -> str | None:
        """A moderator allowed the flagged ``message``: if it was a command line (held,
        not run, when it was flagged), run it now as its author typed it. Returns the
        command's name, or None when nothing was held."""

    async def drop_held(self, message: Message) -> None:
        """The flagged ``message`` was removed: its held command line never runs."""

    def is_live(self, channel: Channel) -> bool | None:
        """Whether the channel's stream is live; None where the platform cannot tell."""

    async def upsert_native_event(self, channel: Channel, native_id: str | None, *,
                                  title: str, starts_at: float, ends_at: float,
                                  description: str, location: str) -> str | None:
        """Create or update a platform scheduled event (Discord); None where there are
        none (``can(channel, Capability.NATIVE_EVENTS)`` tells)."""

    async def delete_native_event(self, channel: Channel, native_id: str) -> bool: ...

    # --- other plugins ------------------------------------------------------------
    async def variables(self, channel: Channel, message: Message | None = None
                        ) -> dict[str, str]:
        """Template variables every plugin offers for ``channel`` (``cmbot_variables``)."""

    async def forget_user(self, user_key: str) -> None:
        """Erase what every plugin stores about a user (``platform:id``)."""
