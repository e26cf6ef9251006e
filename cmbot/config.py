"""One TOML file -> typed config. Each error names the file, key, expectation and a fix."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .model import Channel, Community, Role
from .settings import SECRET, ConfigError, Secret, Setting, check_table, suggest
from .timeparse import get_zone

LANGUAGES = ("en", "fr")
"""The languages a community's chat may be in (moderation thresholds, and with time
the bot's own words, follow it)."""

__all__ = ["COMMUNITY_SCHEMA", "CORE_SCHEMA", "Config", "ConfigError", "Secret", "Setting",
           "load_config", "parse_config"]

CORE_SCHEMA: dict[str, dict[str, Setting]] = {
    "bot": {
        "name": Setting(str, "cmbot", "the bot's display name in console output"),
        "prefix": Setting(str, "!", "command prefix on text platforms"),
        "database": Setting(str, "cmbot.db", "SQLite file, relative to the config file"),
        "timezone": Setting(str, "UTC", "default IANA time zone"),
        "language": Setting(str, "en", "default language of the communities' chat (en, fr)",
                            choices=LANGUAGES),
        "log_level": Setting(str, "INFO", "logging level",
                             choices=("DEBUG", "INFO", "WARNING", "ERROR")),
        "plugin_dirs": Setting(list, [], "folders of extra plugin files", item_type=str),
        "disabled_plugins": Setting(list, [], "plugin names never loaded", item_type=str),
        "hook_timeout": Setting(float, 5.0, "seconds one plugin hook may take", min=0.01, max=600),
        "max_inbound_length": Setting(int, 2000, "longer chat messages are cut",
                                      min=100, max=20000),
    },
    "console": {
        "enabled": Setting(bool, True, "use the console when no platform is enabled"),
        "user": Setting(str, "viewer", "starting console identity"),
        "role": Setting(str, "everyone", "starting console role",
                        choices=("everyone", "viewer", "sub", "subscriber", "vip", "mod",
                                 "moderator", "broadcaster")),
        "platform": Setting(str, "twitch", "starting simulated platform",
                            choices=("twitch", "discord")),
    },
    "discord": {
        "enabled": Setting(bool, False, "connect to Discord"),
        "token": Setting(SECRET, None, "bot token, as { env = \"DISCORD_TOKEN\" }"),  # type: ignore[arg-type]
        "moderator_role_ids": Setting(list, [], "role ids treated as moderator", item_type=str),
        "vip_role_ids": Setting(list, [], "role ids treated as vip", item_type=str),
        "subscriber_role_ids": Setting(list, [], "role ids treated as subscriber", item_type=str),
        "message_content": Setting(bool, True, "ask for the privileged Message Content intent "
                                   "(FAQ auto-answers and chat moderation need it)"),
        "sync_commands": Setting(bool, True, "publish slash commands when their definition "
                                 "changed"),
        "guild_ids": Setting(list, [], "only serve these servers (ids); empty: every server "
                             "the bot is in (a bare channel name like \"discord:general\" then "
                             "works only while the bot is in one server)", item_type=str),
    },
    "twitch": {
        "enabled": Setting(bool, False, "connect to Twitch"),
        "client_id": Setting(SECRET, None, "app client id"),  # type: ignore[arg-type]
        "client_secret": Setting(SECRET, None, "app client secret"),  # type: ignore[arg-type]
        "bot_token": Setting(SECRET, None, "bot account user token"),  # type: ignore[arg-type]
        "refresh_token": Setting(SECRET, None, "bot account refresh token"),  # type: ignore[arg-type]
        "bot_id": Setting(str, "", "bot account user id"),
        "channels": Setting(list, [], "channel logins to join", item_type=str),
    },
    "scheduler": {
        "grace_seconds": Setting(float, 600.0, "a run missed by less than this fires once; "
                                 "older ones are skipped", min=0, max=86400),
    },
    "ratelimit": {
        "twitch_messages": Setting(int, 20, "sends per window per Twitch channel", min=1, max=100),
        "twitch_moderator_messages": Setting(int, 100, "same, where the bot is moderator",
                                             min=1, max=100),
        "twitch_account_messages": Setting(
            int, 20, "sends per window across all Twitch channels where the bot is not a "
            "moderator (Twitch limits the account, not each channel; raise it only for a "
            "verified bot)", min=1, max=7500),
        "twitch_window": Setting(float, 30.0, "Twitch window in seconds", min=1, max=3600),
        "discord_messages": Setting(int, 5, "sends per window per Discord channel", min=1, max=50),
        "discord_window": Setting(float, 5.0, "Discord window in seconds", min=1, max=3600),
        "queue_size": Setting(int, 50, "queued sends kept per channel when over the limit",
                              min=0, max=10000),
        "actions": Setting(int, 30, "moderation actions (delete, timeout, warn, ban) per "
                           "window per channel; past it they are refused as rate limited",
                           min=1, max=1000),
        "actions_window": Setting(float, 30.0, "moderation action window in seconds",
                                  min=1, max=3600),
    },
}
COMMUNITY_SCHEMA: dict[str, Setting] = {
    "channels": Setting(list, [], "channel refs, e.g. \"discord:general\", \"twitch:mychannel\"",
                        item_type=str),
    "mod_channels": Setting(list, [], "where moderator notices go", item_type=str),
    "announce_channels": Setting(list, [], "where announcements go (default: channels)",
                                 item_type=str),
    "timezone": Setting(str, "UTC", "the community's IANA time zone"),
    "language": Setting(str, "", "the language its chat is in (en, fr); default: [bot] "
                        "language", choices=("", *LANGUAGES)),
}
_STORED_SECRETS = {("twitch", "bot_token"), ("twitch", "refresh_token")}
"""Optional: `cmbot twitch-auth` keeps these in the database instead."""
_TOP_LEVEL = set(CORE_SCHEMA) | {"communities", "permissions", "plugins", "channels"}
@dataclass
class Config:
    """The whole bot configuration, validated."""

    path: Path
    sections: dict[str, dict[str, Any]]
    communities: list[Community] = field(default_factory=list)
    permissions: dict[str, Role] = field(default_factory=dict)
    plugins: dict[str, dict[str, Any]] = field(default_factory=dict)
    channel_overrides: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def __getitem__(self, section: str) -> dict[str, Any]:
        return self.sections[section]

    @property
    def bot(self) -> dict[str, Any]:
        return self.sections["bot"]

    @property
    def database_path(self) -> Path:
        db = Path(self.bot["database"])
        return db if db.is_absolute() or str(db) == ":memory:" else self.path.parent / db

    def resolve(self, folder: str | Path) -> Path:
        """A path from the config, relative to the config file unless absolute."""
        path = Path(folder)
        return path if path.is_absolute() else self.path.parent / path

    def where(self, key: str) -> str:
        return f"{self.path}: [{key}]"

    def community_of(self, channel: Channel,
                     bind: Callable[[str], Iterable[str]] | None = None) -> Community | None:
        for community in self.communities:
            if community.contains(channel, bind):
                return community
        return None

    def check_secrets(self) -> None:
        """Fail before connecting if an enabled platform's secret is unset."""
        problems: list[str] = []
        for platform in ("discord", "twitch"):
            section = self.sections[platform]
            if not section["enabled"]:
                continue
            for key, setting in CORE_SCHEMA[platform].items():
                if setting.type is not SECRET or (platform, key) in _STORED_SECRETS:
                    continue
                secret = section.get(key)
                if secret is None:
                    problems.append(f"{self.path}: [{platform}] {key} is required when "
                                    f"{platform} is enabled. Fix: {key} = "
                                    f"{{ env = \"{platform.upper()}_{key.upper()}\" }}")
                elif not secret.reveal():
                    problems.append(f"{self.path}: [{platform}] {key}: environment variable "
                                    f"{secret.env} is not set. Fix: export {secret.env}=... "
                                    f"or set [{platform}] enabled = false")
        if problems:
            raise ConfigError(problems)

    def check_plugin_settings(self, schemas: Mapping[str, Mapping[str, Setting]]) -> None:
        """Validate [plugins.X] and per-channel overrides against each plugin's schema.
        A disabled plugin's settings are kept as written, unchecked (disabling a plugin
        must not make its section an error)."""
        problems: list[str] = []
        disabled = set(self.bot["disabled_plugins"])
        for name, data in self.plugins.items():
            if name in disabled and name not in schemas:
                continue
            if name not in schemas:
                problems.append(f"{self.path}: [plugins.{name}] no loaded plugin is called "
                                f"{name!r}. Fix: {suggest(name, set(schemas))}loaded plugins: "
                                f"{', '.join(sorted(schemas))}")
                continue
            self.plugins[name] = check_table(f"plugins.{name}", data, schemas[name], problems)
        for ref, per_plugin in self.channel_overrides.items():
            for name, data in per_plugin.items():
                if name in disabled and name not in schemas:
                    continue
                if name not in schemas:
                    problems.append(f"{self.path}: [channels.\"{ref}\".plugins.{name}] unknown "
                                    f"plugin {name!r}. Fix: {suggest(name, set(schemas))}")
                    continue
                check_table(f"channels.\"{ref}\".plugins.{name}", data, schemas[name], problems)
        problems = [p if p.startswith(str(self.path)) else f"{self.path}: {p}" for p in problems]
        if problems:
            raise ConfigError(problems)


def load_config(path: str | Path, *, problems: list[str] | None = None) -> Config:
    """Read and validate a config file. Raises ConfigError listing every problem; with
    ``problems``, appends them there instead and returns the config with defaults in
    place of the bad values (so the plugins' keys can be checked in the same pass)."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found. Fix: copy bot.example.toml and pass "
                           f"its path with -c"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not valid TOML: {exc}. Fix: check quotes and brackets "
                           f"on that line"]) from None
    except UnicodeDecodeError:
        raise ConfigError([f"{path}: not UTF-8 text. Fix: save the file as UTF-8"]) from None
    return parse_config(raw, path, problems=problems)


def parse_config(raw: Mapping[str, Any], path: str | Path = "<config>", *,
                 problems: list[str] | None = None) -> Config:
    """Validate an already-parsed TOML mapping (``problems``: as in ``load_config``)."""
    path = Path(path)
    collect = problems
    problems = []
    for key in raw:
        if key not in _TOP_LEVEL:
            problems.append(f"[{key}] unknown section. Fix: {suggest(key, _TOP_LEVEL)}"
                            f"sections are: {', '.join(sorted(_TOP_LEVEL))}")
    sections: dict[str, dict[str, Any]] = {}
    for name, schema in CORE_SCHEMA.items():
        data = raw.get(name, {})
        if not isinstance(data, Mapping):
            problems.append(f"[{name}] must be a table. Fix: write [{name}] on its own line")
            data = {}
        sections[name] = check_table(name, data, schema, problems)
    try:
        get_zone(sections["bot"]["timezone"])
    except ValueError as exc:
        problems.append(f"[bot] timezone: {exc}")
    sections["twitch"]["channels"] = _twitch_logins(sections["twitch"]["channels"], problems)
    if not (sections["console"]["enabled"] or sections["discord"]["enabled"]
            or sections["twitch"]["enabled"]):
        problems.append("[console] enabled = false and neither [discord] nor [twitch] is "
                        "enabled: the bot has nowhere to run. Fix: enable [discord] or "
                        "[twitch], or set [console] enabled = true")

    communities: list[Community] = []
    owners: dict[str, str] = {}  # channel ref -> the community that has it
    for cname, cdata in _table(raw, "communities", problems).items():
        if not isinstance(cdata, Mapping):
            problems.append(f"[communities.{cname}] must be a table")
            continue
        values = check_table(f"communities.{cname}", cdata, COMMUNITY_SCHEMA, problems)
        for ref in values["channels"] + values["mod_channels"] + values["announce_channels"]:
            if not _valid_ref(ref):
                problems.append(f"[communities.{cname}] channel {ref!r} is not platform:name. "
                                f"Fix: write \"twitch:mychannel\", \"discord:general\" or "
                                f"\"discord:SERVER_ID/general\"")
        for key in ("mod_channels", "announce_channels"):
            for ref in values[key]:
                if ref.endswith("*"):
                    problems.append(f"[communities.{cname}] {key}: {ref!r} names every "
                                    f"channel; the bot posts there, so name each one. Fix: "
                                    f"\"discord:mod-log\"")
        _check_joined(cname, values, sections["twitch"], problems)
        for ref in values["channels"]:
            key = ref.casefold().replace(":#", ":")
            if key in owners and owners[key] != cname:
                problems.append(f"[communities.{cname}] channels: {ref!r} is already in "
                                f"[communities.{owners[key]}]; a channel belongs to one "
                                f"community. Fix: remove it from one of them")
            owners.setdefault(key, cname)
        try:
            get_zone(values["timezone"])
        except ValueError as exc:
            problems.append(f"[communities.{cname}] timezone: {exc}")
        communities.append(Community(
            name=cname, channels=tuple(values["channels"]),
            mod_channels=tuple(values["mod_channels"]),
            announce_channels=tuple(values["announce_channels"] or
                                    [c for c in values["channels"] if not c.endswith("*")]),
            timezone=values["timezone"],
            language=values["language"] or sections["bot"]["language"]))

    permissions: dict[str, Role] = {}
    for command, role in _table(raw, "permissions", problems).items():
        try:
            permissions[command] = Role.parse(str(role))
        except ValueError as exc:
            problems.append(f"[permissions] {command!r}: {exc}")

    plugins = {k: dict(v) for k, v in _table(raw, "plugins", problems).items()
               if isinstance(v, Mapping)}
    overrides: dict[str, dict[str, dict[str, Any]]] = {}
    for ref, cdata in _table(raw, "channels", problems).items():
        if not (_valid_ref(ref) or ref in ("discord", "twitch", "console")):
            problems.append(f"[channels.\"{ref}\"] is not a platform or platform:channel. "
                            f"Fix: [channels.\"twitch:mychannel\".plugins.faq]")
            continue
        if not isinstance(cdata, Mapping) or set(cdata) - {"plugins"}:
            problems.append(f"[channels.\"{ref}\"] only holds plugins.NAME tables. "
                            f"Fix: [channels.\"{ref}\".plugins.faq]")
            continue
        overrides[ref] = {k: dict(v) for k, v in cdata.get("plugins", {}).items()}
    if problems and collect is None:
        raise ConfigError([f"{path}: {p}" for p in problems])
    if collect is not None:
        collect.extend(f"{path}: {p}" for p in problems)
    return Config(path=path, sections=sections, communities=communities,
                  permissions=permissions, plugins=plugins, channel_overrides=overrides)


def _table(raw: Mapping[str, Any], key: str, problems: list[str]) -> Mapping[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, Mapping):
        problems.append(f"[{key}] must be a table")
        return {}
    return value


def _valid_ref(ref: str) -> bool:
    """``platform:name``; on Discord also ``discord:GUILD_ID/name`` (a server's channel)."""
    platform, sep, rest = ref.partition(":")
    guild, bound, name = rest.partition("/")
    if bound and not (platform == "discord" and guild.isdigit() and name
                      and "/" not in name):
        return False
    return bool(sep and rest) and platform in ("discord", "twitch", "console", "fake")


_LOGIN = re.compile(r"[a-z0-9_]{2,25}")


def _twitch_logins(names: list[str], problems: list[str]) -> list[str]:
    """``[twitch] channels`` as logins: lowercase, no ``#``; a URL or a display name with
    spaces is a problem with the login to write instead."""
    logins = []
    for name in names:
        login = name.strip().lstrip("#").casefold()
        if "twitch.tv/" in login:
            fixed = login.rsplit("twitch.tv/", 1)[1].strip("/").split("/")[0]
            problems.append(f"[twitch] channels: {name!r} is a link, not a channel login. "
                            f"Fix: write {fixed!r}")
        elif not _LOGIN.fullmatch(login):
            problems.append(f"[twitch] channels: {name!r} is not a Twitch login (2-25 "
                            f"letters, digits or _). Fix: write the name from the channel's "
                            f"address, twitch.tv/NAME")
        else:
            logins.append(login)
    return logins


def _check_joined(cname: str, values: Mapping[str, Any], twitch: Mapping[str, Any],
                  problems: list[str]) -> None:
    """With Twitch enabled, every Twitch channel a community names must be one the bot
    joins, or its notices and announcements would go nowhere."""
    if not twitch["enabled"]:
        return
    joined = set(twitch["channels"])
    for key in ("channels", "mod_channels", "announce_channels"):
        for ref in values[key]:
            platform, _, name = ref.partition(":")
            login = name.lstrip("#").casefold()
            if platform == "twitch" and login != "*" and login not in joined:
                problems.append(f"[communities.{cname}] {key}: the bot does not join "
                                f"{ref!r}. Fix: add {login!r} to [twitch] channels")
