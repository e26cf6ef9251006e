"""Built-in toxicity plugin: rule filters and a toxicity score flag messages into one
review queue for Discord and Twitch; moderators decide. Automatic deletes and timeouts
happen only where a community configures them, with escalation."""

from __future__ import annotations

from cmbot import Bot, Channel, Setting, Timer, hookimpl

from .assess import ACTIONS, RULE_CATEGORIES
from .cli import cmbot_cli_commands  # noqa: F401 - a hook of this plugin
from .moderation import cmbot_moderate  # noqa: F401 - a hook of this plugin
from .review import cmbot_commands  # noqa: F401 - a hook of this plugin
from .rules import check_patterns, compile_patterns
from .scorer import CATEGORIES as MODEL_CATEGORIES
from .scorer import LEVEL_CHOICES
from .state import escalation_steps, log, state_of
from .store import MIGRATIONS

CATEGORIES = (*MODEL_CATEGORIES, *RULE_CATEGORIES)
DEFAULT_ACTIONS = {"profanity": "off"}  # untargeted swearing is ordinary chat; the rest: flag
_WHAT = {"insult": "insults aimed at someone", "hate": "identity-based hate and slurs",
         "threat": "threats and violence", "sexual": "sexual harassment",
         "self_harm": "telling someone to hurt or kill themselves (\"kys\")",
         "profanity": "untargeted swearing", "spam": "caps, repeated characters or words, "
         "symbol spam", "links": "links outside link_allowlist",
         "mentions": "mass mentions", "custom": "your regex patterns"}


@hookimpl
def cmbot_config_schema() -> dict[str, Setting]:
    schema = {
        "enabled": Setting(bool, True, "score chat messages"),
        "dry_run": Setting(bool, False, "only log what would be flagged; change nothing"),
        "sensitivity": Setting(str, "medium", "how readily the model flags: off, low, "
                               "medium, high, strict (or 0-4); each level flags roughly "
                               "0.3, 1, 2 or 4 % of ordinary chat per category",
                               choices=LEVEL_CHOICES),
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
        "blocklist": Setting(list, [], "extra words or phrases to flag (as insult)",
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
    for category in MODEL_CATEGORIES:
        schema[f"sensitivity_{category}"] = Setting(
            str, "", f"sensitivity for {category} (default: sensitivity)",
            choices=("", *LEVEL_CHOICES))
    for category in CATEGORIES:
        schema[f"action_{category}"] = Setting(
            str, DEFAULT_ACTIONS.get(category, "flag"),
            f"what happens to {_WHAT[category]}", choices=ACTIONS)
    return schema


@hookimpl
def cmbot_migrations() -> list[str]:
    return MIGRATIONS



@hookimpl
async def cmbot_startup(bot: Bot) -> None:
    state = state_of(bot)
    for key, value in bot.settings().items():
        if key == "regex":
            compile_patterns(value)  # a bad pattern fails at start-up, not at 3 a.m.
        if key == "escalation":
            escalation_steps(value)

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



@hookimpl
async def cmbot_forget_user(bot: Bot, user_key: str) -> None:
    await state_of(bot).store.forget(user_key)
