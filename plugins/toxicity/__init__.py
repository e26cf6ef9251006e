"""Built-in toxicity plugin: rule filters and a toxicity score flag messages into one
review queue for Discord and Twitch; moderators decide. Automatic deletes and timeouts
happen only where a community configures them, with escalation."""

from __future__ import annotations

import dataclasses
import inspect
import json
import logging
import math
from collections import OrderedDict, deque
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any

from cmbot import (
    Action,
    Arg,
    Bot,
    Button,
    Capability,
    Channel,
    Command,
    CommandError,
    Context,
    Message,
    Priority,
    Role,
    Setting,
    Timer,
    User,
    Verdict,
    format_duration,
    hookimpl,
    parse_duration,
)

from .assess import Assessment, assess
from .cli import cmbot_cli_commands  # noqa: F401 - a hook of this plugin
from .raid import RaidDetector
from .rules import check_patterns, compile_patterns, links
from .store import MIGRATIONS, ToxStore

log = logging.getLogger("cmbot.plugins.toxicity")
ACTIONS = ("off", "flag", "delete", "timeout", "ban")
CATEGORIES = ("insults", "slurs", "sexual", "threats", "spam", "links", "custom")
_VERDICT = {"flag": Action.FLAG, "delete": Action.DELETE, "timeout": Action.TIMEOUT,
            "ban": Action.BAN}


@hookimpl
def cmbot_config_schema() -> dict[str, Setting]:
    schema = {
        "enabled": Setting(bool, True, "score chat messages"),
        "dry_run": Setting(bool, False, "only log what would be flagged; change nothing"),
        "flag_threshold": Setting(float, 0.92, "toxicity score from which a message is "
                                  "flagged (0-1); lower catches more and flags more "
                                  "innocent lines", min=0.0, max=1.0),
        "exempt_role": Setting(str, "vip", "this role and above are never scored "
                               "(moderators never are)",
                               choices=("subscriber", "vip", "moderator")),
        "caps_ratio": Setting(float, 0.9, "share of capital letters that counts as caps "
                              "spam", min=0.3, max=1.0),
        "caps_min_length": Setting(int, 40, "letters needed before caps are checked",
                                   min=1, max=500),
        "max_repeated_chars": Setting(int, 20, "longest run of one character", min=3,
                                      max=500),
        "max_repeated_words": Setting(int, 10, "times one word may repeat in a message",
                                      min=2, max=500),
        "symbol_ratio": Setting(float, 0.6, "share of symbols that counts as symbol spam",
                                min=0.2, max=1.0),
        "symbol_min_length": Setting(int, 15, "characters needed before symbols are checked",
                                     min=1, max=500),
        "max_mentions": Setting(int, 5, "mentions allowed in one message", min=1, max=100),
        "link_allowlist": Setting(list, ["twitch.tv", "discord.gg", "discord.com",
                                         "discordapp.com", "youtube.com", "youtu.be",
                                         "x.com", "twitter.com", "instagram.com",
                                         "tiktok.com", "reddit.com", "imgur.com",
                                         "streamable.com", "kick.com", "spotify.com"],
                                  "domains anyone may post (subdomains included)",
                                  item_type=str),
        "blocklist": Setting(list, [], "extra words or phrases to flag (as insults)",
                             item_type=str),
        "allowlist": Setting(list, [], "words never counted against a message",
                             item_type=str),
        "regex": Setting(list, [], "extra patterns to flag (category custom; RE2 syntax)",
                         item_type=str, check=check_patterns),
        "escalation": Setting(list, ["warn", "10m", "1h"], "steps of the timeout action "
                              "within escalation_window", item_type=str),
        "escalation_window": Setting(float, 86400.0, "seconds strikes are remembered",
                                     min=60, max=30 * 86400),
        "permit_seconds": Setting(float, 60.0, "how long !permit allows one link", min=5,
                                  max=3600),
        "retention_days": Setting(float, 30.0, "flagged text and mod log kept this long",
                                  min=1, max=3650),
        "raid_window": Setting(float, 60.0, "seconds of the raid detector's window", min=10,
                               max=3600),
        "raid_factor": Setting(float, 5.0, "alert when hostile lines exceed this many times "
                               "the usual rate", min=1.5, max=100),
        "raid_minimum": Setting(int, 10, "and at least this many in the window", min=2,
                                max=10000),
        "raid_identical_accounts": Setting(int, 8, "alert when this many accounts send the "
                                           "same line in the window", min=2, max=10000),
    }
    for category in CATEGORIES:
        schema[f"action_{category}"] = Setting(
            str, "flag", f"what happens to {category}: off, flag (review queue), delete, "
            f"timeout (escalating) or ban", choices=ACTIONS)
    return schema


@hookimpl
def cmbot_migrations() -> list[str]:
    return MIGRATIONS


MAX_CONFIGS = 1024


class RecentAssessments:
    """An LRU of (configuration, text, permitted link) -> Assessment. The same line under
    the same scoring settings and allowlist always gets the same assessment, and half of
    real Twitch chat repeats one of the previous thousand lines (emotes, "W", copypasta)."""

    SIZE = 4096

    def __init__(self) -> None:
        self._items: OrderedDict[tuple[int, str, bool], Assessment] = OrderedDict()

    def get(self, config: int, text: str, permit: bool) -> Assessment | None:
        key = (config, text, permit)
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, config: int, text: str, permit: bool, result: Assessment) -> None:
        self._items[(config, text, permit)] = result
        if len(self._items) > self.SIZE:
            self._items.popitem(last=False)


def _frozen(settings: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v)
                        for k, v in settings.items()))


@dataclasses.dataclass(slots=True)
class ChannelScoring:
    """What scoring a line needs from its channel, worked out on its first line (and again
    after its allowlist changes) instead of on every message."""

    settings: dict[str, Any]
    exempt: Role
    allowed: dict[str, set[str]]
    terms: frozenset[str]
    patterns: list[Any]
    config: int
    raid: RaidDetector


class ToxState:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.store = ToxStore(bot.db)
        self.permits: dict[str, float] = {}
        self.channels: dict[str, ChannelScoring] = {}
        self.raids: dict[str, RaidDetector] = {}
        self.notices: dict[str, deque[float]] = {}
        self.held: dict[str, int] = {}
        self.recent = RecentAssessments()
        self.configs: dict[tuple[Any, ...], int] = {}
        self.forgotten = 0  # allowlist changes so far

    async def scoring(self, ctx: Context) -> ChannelScoring:
        """The channel's scoring setup, loaded on its first line."""
        key = ctx.channel.key
        found = self.channels.get(key)
        if found is not None:
            return found
        settings = ctx.settings
        forgotten = self.forgotten
        allowed = await self.store.allowed(key)
        terms = frozenset(allowed.get("term", ()))
        try:
            patterns = compile_patterns(settings["regex"])
        except ValueError as exc:
            log.error("[plugins.toxicity] regex: %s; custom patterns are off", exc)
            patterns = []
        if len(self.configs) >= MAX_CONFIGS:  # years of allowlist changes: start afresh
            self.configs.clear()
            self.channels.clear()
            self.recent = RecentAssessments()
        # channels configured alike share cached assessments
        fingerprint = (_frozen(settings), terms, tuple(p.pattern for p in patterns))
        config = self.configs.setdefault(fingerprint, len(self.configs))
        raid = self.raids.get(key)
        if raid is None:  # survives allowlist changes: a burst in progress stays tracked
            raid = self.raids[key] = RaidDetector(
                settings["raid_window"], settings["raid_factor"], settings["raid_minimum"],
                settings["raid_identical_accounts"])
        found = ChannelScoring(settings, min(Role.parse(settings["exempt_role"]), Role.MODERATOR),
                               allowed, terms, patterns, config, raid)
        if forgotten == self.forgotten:  # not if the allowlist changed while it was read
            self.channels[key] = found
        return found

    def forget_channel(self, channel: str) -> None:
        """The channel's allowlist changed: re-read it and score its lines again."""
        self.channels.pop(channel, None)
        self.forgotten += 1


def _state(bot: Bot) -> ToxState:
    return bot.state(ToxState)


@hookimpl
async def cmbot_startup(bot: Bot) -> None:
    state = _state(bot)
    for key, value in bot.settings().items():
        if key == "regex":
            compile_patterns(value)  # a bad pattern fails at start-up, not at 3 a.m.
        if key == "escalation":
            _steps(value)

    async def expire(timer: Timer) -> None:
        days = float(bot.settings()["retention_days"])
        removed = await state.store.expire(bot.time() - days * 86400)
        if removed:
            log.info("retention: deleted %d flagged message(s) older than %g days", removed,
                     days)

    async def digest(timer: Timer) -> None:
        scope = timer.payload["scope"]
        held = state.held.pop(scope, 0)
        if held:
            channel = Channel.from_dict(timer.payload["channel"])
            await bot.notify_mods(channel, f"🚩 {held} more flag(s) in the last minute were "
                                  f"queued without a notice — review them with !flags")

    bot.timers.on("toxicity.retention", expire)
    bot.timers.on("toxicity.digest", digest)
    if not await bot.timers.list("toxicity.retention"):
        await bot.timers.every("toxicity.retention", 3600.0, key="toxicity:retention",
                                  grace=10 * 365 * 86400.0)  # maintenance: always catch up


def _steps(steps: list[str]) -> list[float]:
    """Escalation steps in seconds (0 = a warning)."""
    out = []
    for step in steps:
        if step.lower() == "warn":
            out.append(0.0)
            continue
        try:
            out.append(parse_duration(step))
        except ValueError as exc:
            raise ValueError(f"[plugins.toxicity] escalation: {exc}") from None
    return out or [0.0]


@hookimpl
async def cmbot_forget_user(bot: Bot, user_key: str) -> None:
    await _state(bot).store.forget(user_key)


# --- moderation -----------------------------------------------------------------------


Decision = Verdict | None


@hookimpl
def cmbot_moderate(ctx: Context, message: Message
                   ) -> Decision | Coroutine[Any, Any, Decision]:
    """A plain ``def``: a clean line (most chat) is decided without awaiting, so it costs
    no task; a coroutine is returned only for work to wait for (a channel's first line,
    a raid alert, a flag to record)."""
    state = _state(ctx.bot)
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
                        patterns=channel.patterns, permitted_link=permit)
        state.recent.put(channel.config, text, permit, result)
    allowed_texts = channel.allowed.get("text")
    if allowed_texts and result.normalised in allowed_texts:
        result = type(result)(None, result.score, result.normalised)
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
    seconds = 0
    if action == "timeout":
        steps = _steps(settings["escalation"])
        strikes = await state.store.strikes(ctx.scope, author.key,
                                            now - settings["escalation_window"])
        seconds = int(steps[min(strikes, len(steps) - 1)])
        if seconds == 0:
            action = "warn"
    verdict = Verdict(_VERDICT.get(action, Action.FLAG), hit.reason, hit.category,
                      result.score, seconds)
    record = _record(ctx, state, message, result, action, seconds, now)
    if action == "flag" and ctx.bot.busy() < BACKGROUND_FLAGS:
        # nothing later on this path depends on the row: write it and tell the mods off
        # the message path (strikes for timeouts are counted from it, so those wait)
        ctx.defer(record, "flag")
        return verdict
    return dataclasses.replace(verdict, flag_id=await record)


BACKGROUND_FLAGS = 32  # past this many flags being written, write on the message path


async def _record(ctx: Context, state: ToxState, message: Message, result: Assessment,
                  action: str, seconds: int, now: float) -> int:
    """Store the flag (and the mod log line for automatic actions), warn, tell the mods."""
    author, hit = message.author, result.hit
    assert hit is not None
    flag_id = await state.store.add_flag(
        scope=ctx.scope, channel=ctx.channel.to_dict(),
        message_id=message.id, user_key=author.key, user_name=author.shown_name,
        text=message.text, category=hit.category, reason=hit.reason, score=result.score,
        action=action, created_at=now)
    if action in ("warn", "timeout", "delete", "ban"):
        await state.store.log(ctx.scope, author.key, author.shown_name, action, hit.reason,
                              "auto", now, flag_id)
    if action == "warn":
        native = ctx.bot.can(ctx.channel, Capability.WARN) and await ctx.bot.warn(
            author, ctx.channel, f"please keep it friendly ({hit.category})")
        if not native:
            await ctx.send(f"@{author.name} please keep it friendly — this is a warning "
                           f"({hit.category}).", priority=Priority.NORMAL)
    taken = {"flag": "flagged for review", "warn": "warned",
             "delete": "deleted", "timeout": f"timed out {format_duration(seconds)}",
             "ban": "banned"}[action]
    if await _hold_notice(ctx, state, now):
        return flag_id
    buttons = (Button("Allow", f"flag allow {flag_id}", "success"),
               Button("Remove", f"flag remove {flag_id}", "danger"),
               Button("Timeout", f"flag timeout {flag_id}", "secondary"))
    await ctx.notify_mods(
        f"🚩 flag #{flag_id} [{ctx.channel.platform.value} #{ctx.channel.name}] "
        f"{author.shown_name}: “{message.text[:200]}” — {hit.category}: {hit.reason} "
        f"(score {result.score:.2f}); {taken}", buttons=buttons)
    return flag_id


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


# --- review queue commands ------------------------------------------------------------


async def _flag_row(ctx: Context, flag_id: int) -> Any:
    row = await _state(ctx.bot).store.flag(flag_id)
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


async def _flags(ctx: Context) -> str:
    state = _state(ctx.bot)
    rows = await state.store.open_flags(ctx.scope)
    if not rows:
        return "The review queue is empty."
    total = await state.store.count_open(ctx.scope)
    items = " | ".join(f"#{r['id']} {r['user_name']}: “{r['text'][:60]}” ({r['category']})"
                       for r in rows)
    return f"{total} open: {items} — {ctx.prefix}flag allow|remove|timeout <id>"


async def _decided(ctx: Context, row: Any, status: str, action: str, reason: str) -> None:
    state = _state(ctx.bot)
    assert ctx.user is not None
    now = ctx.time()
    if not await state.store.decide(row["id"], status, ctx.user.shown_name, now):
        raise CommandError(f"flag #{row['id']} was just decided by someone else")
    await state.store.log(ctx.scope, row["user_key"], row["user_name"], action, reason,
                          ctx.user.shown_name, now, row["id"])


async def _allow(ctx: Context, id: int, option: str | None = None) -> str:
    row = await _flag_row(ctx, id)
    state = _state(ctx.bot)
    await _decided(ctx, row, "allowed", "allow", f"false positive: {row['reason']}")
    key = Channel.from_dict(json.loads(row["channel"])).key
    from .normalize import for_matching
    normalised = for_matching(row["text"])
    await state.store.allow(key, "text", normalised)
    extra = ""
    if option:
        term = row["reason"].split(": ", 1)[-1] if row["reason"].startswith("word list") \
            else normalised
        await state.store.allow(key, "term", normalised if term == normalised else term)
        extra = " and its words are allowed in this channel from now on"
    state.forget_channel(key)
    return f"✓ flag #{id} allowed: the same message will not be flagged again{extra}"


async def _remove(ctx: Context, id: int) -> str:
    row = await _flag_row(ctx, id)
    message = _message_of(row)
    await _decided(ctx, row, "removed", "delete", row["reason"])
    done = await ctx.bot.delete(message)
    return f"✓ flag #{id}: message removed" if done else \
        f"✓ flag #{id} recorded as removed (the platform could not delete it)"


async def _timeout(ctx: Context, id: int, duration: float | None = None) -> str:
    row = await _flag_row(ctx, id)
    message = _message_of(row)
    seconds = int(duration or 600)
    await _decided(ctx, row, "timedout", "timeout", f"{row['reason']} ({seconds}s)")
    done = await ctx.bot.timeout(message.author, message.channel, seconds, row["reason"])
    await ctx.bot.delete(message)
    return (f"✓ flag #{id}: {row['user_name']} timed out for {format_duration(seconds)}"
            if done else f"✓ flag #{id} recorded (the platform could not time out)")


async def _modlog(ctx: Context, user: Any = None) -> str:
    rows = await _state(ctx.bot).store.modlog(ctx.scope, str(user) if user else None)
    if not rows:
        return "Nothing in the mod log" + (f" for {user}." if user else ".")
    items = []
    for r in rows:
        when = datetime.fromtimestamp(r["at"], UTC).strftime("%m-%d %H:%M")
        items.append(f"{when} {r['action']} {r['user_name']} by {r['by']}: {r['reason']}")
    return " | ".join(items)


async def _permit(ctx: Context, user: Any) -> str:
    state = _state(ctx.bot)
    seconds = float(ctx.settings["permit_seconds"])
    name = str(user)
    key = f"{ctx.channel.platform.value}:{(user.name or user.id or '').lower()}"
    state.permits[key] = ctx.time() + seconds
    return f"✓ {name} may post one link in the next {format_duration(seconds)}"


@hookimpl
def cmbot_commands() -> list[Command]:
    mod = Role.MODERATOR
    flag_id = Arg("id", "int", min=1)
    return [
        Command("flags", "the open review queue", _flags, role=mod),
        Command("flag allow", "a false positive: allow it (--always: allow its words here)",
                _allow, role=mod, args=[flag_id, Arg("option", "choice", required=False,
                                                     choices=("--always", "always"))]),
        Command("flag remove", "delete the flagged message", _remove, role=mod,
                args=[flag_id]),
        Command("flag timeout", "time the author out (default 10m) and delete the message",
                _timeout, role=mod, args=[flag_id, Arg("duration", "duration", required=False,
                                                      min=1, max=14 * 86400)]),
        Command("modlog", "recent moderation decisions, optionally for one user", _modlog,
                role=mod, args=[Arg("user", "user", required=False)]),
        Command("permit", "let a user post one link", _permit, role=mod,
                args=[Arg("user", "user")]),
    ]
