"""One TOML file -> typed config. Each error names the file, key, expectation and a fix."""

from __future__ import annotations

import builtins
import difflib
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .model import Channel, Community, Role
from .timeparse import get_zone


@dataclass(frozen=True)
class Setting:
    """One config key a plugin (or the core) accepts."""

    type: builtins.type
    default: Any
    help: str = ""
    choices: tuple[Any, ...] = ()
    min: float | None = None
    max: float | None = None
    item_type: builtins.type | None = None
    check: Callable[[Any], str | None] | None = None
    """Further validation of a well-typed value: the problem and its fix, or None."""


@dataclass(frozen=True)
class Secret:
    """A secret given by reference (``{ env = "NAME" }``); its value is never printed."""

    env: str

    def reveal(self) -> str:
        return os.environ.get(self.env, "")

    def __repr__(self) -> str:
        return f"Secret(env={self.env!r})"

    __str__ = __repr__


class ConfigError(Exception):
    """One or more problems in a config file, each with a fix."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


_SECRET = object()  # marker type for Setting.type

CORE_SCHEMA: dict[str, dict[str, Setting]] = {
    "bot": {
        "name": Setting(str, "cmbot", "the bot's display name in console output"),
        "prefix": Setting(str, "!", "command prefix on text platforms"),
        "database": Setting(str, "cmbot.db", "SQLite file, relative to the config file"),
        "timezone": Setting(str, "UTC", "default IANA time zone"),
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
        "token": Setting(_SECRET, None, "bot token, as { env = \"DISCORD_TOKEN\" }"),  # type: ignore[arg-type]
        "moderator_role_ids": Setting(list, [], "role ids treated as moderator", item_type=str),
        "vip_role_ids": Setting(list, [], "role ids treated as vip", item_type=str),
        "subscriber_role_ids": Setting(list, [], "role ids treated as subscriber", item_type=str),
        "message_content": Setting(bool, True, "ask for the privileged Message Content intent "
                                   "(FAQ auto-answers and chat moderation need it)"),
        "sync_commands": Setting(bool, True, "publish slash commands when their definition "
                                 "changed"),
        "guild_ids": Setting(list, [], "only serve these servers (ids); empty: every server "
                             "the bot is in", item_type=str),
    },
    "twitch": {
        "enabled": Setting(bool, False, "connect to Twitch"),
        "client_id": Setting(_SECRET, None, "app client id"),  # type: ignore[arg-type]
        "client_secret": Setting(_SECRET, None, "app client secret"),  # type: ignore[arg-type]
        "bot_token": Setting(_SECRET, None, "bot account user token"),  # type: ignore[arg-type]
        "refresh_token": Setting(_SECRET, None, "bot account refresh token"),  # type: ignore[arg-type]
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
}
_STORED_SECRETS = {("twitch", "bot_token"), ("twitch", "refresh_token")}
"""Optional: `cmbot twitch-auth` keeps these in the database instead."""
_TOP_LEVEL = set(CORE_SCHEMA) | {"communities", "permissions", "plugins", "channels"}
_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
               list: "a list", dict: "a table"}


def _suggest(word: str, options: list[str] | set[str]) -> str:
    close = difflib.get_close_matches(word, sorted(options), n=1)
    return f"did you mean {close[0]!r}? " if close else ""


def check_value(where: str, key: str, value: Any, setting: Setting) -> tuple[Any, str | None]:
    """Convert/validate one value; returns (value, problem)."""
    if setting.type is _SECRET:
        if isinstance(value, Mapping) and set(value) == {"env"} and isinstance(value["env"], str):
            return Secret(value["env"]), None
        env = key.upper()
        return None, (f"[{where}] {key}: secrets are never written in the config file. "
                      f"Fix: write {key} = {{ env = \"{env}\" }} and export {env}")
    expected = setting.type
    shown = value
    ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value, ok = float(value), True
    if not ok:
        return None, (f"[{where}] {key}: expected {_TYPE_NAMES.get(expected, expected.__name__)}, "
                      f"got {value!r}. Fix: {key} = {_example(setting)}")
    if expected is list and setting.item_type is not None:
        bad = [v for v in value if not isinstance(v, setting.item_type)]
        if bad:
            return None, (f"[{where}] {key}: every item must be "
                          f"{_TYPE_NAMES.get(setting.item_type, 'valid')}, got {bad[0]!r}")
    if setting.choices and value not in setting.choices:
        choices = ", ".join(repr(c) for c in setting.choices)
        return None, f"[{where}] {key}: {value!r} is not one of {choices}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        if setting.min is not None and value < setting.min:
            return None, f"[{where}] {key}: {shown} is below the minimum {setting.min:g}"
        if setting.max is not None and value > setting.max:
            return None, f"[{where}] {key}: {shown} is above the maximum {setting.max:g}"
    problem = setting.check(value) if setting.check is not None else None
    if problem:
        return None, f"[{where}] {key}: {problem}"
    return value, None


def _example(setting: Setting) -> str:
    if setting.default is None:
        return '"..."'
    if isinstance(setting.default, bool):
        return "true" if setting.default else "false"
    if isinstance(setting.default, str):
        return f'"{setting.default}"'
    return repr(setting.default).replace("'", '"')


def check_table(where: str, data: Mapping[str, Any], schema: Mapping[str, Setting],
                problems: list[str]) -> dict[str, Any]:
    """Validate a table against a schema; unknown keys are problems. Returns defaults+values."""
    out = {k: (list(s.default) if isinstance(s.default, list) else s.default)
           for k, s in schema.items()}
    for key, value in data.items():
        if key not in schema:
            problems.append(f"[{where}] unknown key {key!r}. Fix: {_suggest(key, set(schema))}"
                            f"known keys are: {', '.join(sorted(schema)) or '(none)'}")
            continue
        checked, problem = check_value(where, key, value, schema[key])
        if problem:
            problems.append(problem)
        else:
            out[key] = checked
    return out


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

    def community_of(self, channel: Channel) -> Community | None:
        for community in self.communities:
            if community.contains(channel):
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
                if setting.type is not _SECRET or (platform, key) in _STORED_SECRETS:
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
        """Validate [plugins.X] and per-channel overrides against each plugin's schema."""
        problems: list[str] = []
        for name, data in self.plugins.items():
            if name not in schemas:
                problems.append(f"{self.path}: [plugins.{name}] no loaded plugin is called "
                                f"{name!r}. Fix: {_suggest(name, set(schemas))}loaded plugins: "
                                f"{', '.join(sorted(schemas))}")
                continue
            self.plugins[name] = check_table(f"plugins.{name}", data, schemas[name], problems)
        for ref, per_plugin in self.channel_overrides.items():
            for name, data in per_plugin.items():
                if name not in schemas:
                    problems.append(f"{self.path}: [channels.\"{ref}\".plugins.{name}] unknown "
                                    f"plugin {name!r}. Fix: {_suggest(name, set(schemas))}")
                    continue
                check_table(f"channels.\"{ref}\".plugins.{name}", data, schemas[name], problems)
        problems = [p if p.startswith(str(self.path)) else f"{self.path}: {p}" for p in problems]
        if problems:
            raise ConfigError(problems)


def load_config(path: str | Path) -> Config:
    """Read and validate a config file. Raises ConfigError listing every problem."""
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
    return parse_config(raw, path)


def parse_config(raw: Mapping[str, Any], path: str | Path = "<config>") -> Config:
    """Validate an already-parsed TOML mapping."""
    path = Path(path)
    problems: list[str] = []
    for key in raw:
        if key not in _TOP_LEVEL:
            problems.append(f"[{key}] unknown section. Fix: {_suggest(key, _TOP_LEVEL)}"
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

    communities: list[Community] = []
    for cname, cdata in _table(raw, "communities", problems).items():
        if not isinstance(cdata, Mapping):
            problems.append(f"[communities.{cname}] must be a table")
            continue
        values = check_table(f"communities.{cname}", cdata, COMMUNITY_SCHEMA, problems)
        for ref in values["channels"] + values["mod_channels"] + values["announce_channels"]:
            if not _valid_ref(ref):
                problems.append(f"[communities.{cname}] channel {ref!r} is not platform:name. "
                                f"Fix: write \"twitch:mychannel\" or \"discord:general\"")
        for key in ("mod_channels", "announce_channels"):
            for ref in values[key]:
                if ref.endswith(":*"):
                    problems.append(f"[communities.{cname}] {key}: {ref!r} names every "
                                    f"channel; the bot posts there, so name each one. Fix: "
                                    f"\"discord:mod-log\"")
        try:
            get_zone(values["timezone"])
        except ValueError as exc:
            problems.append(f"[communities.{cname}] timezone: {exc}")
        communities.append(Community(
            name=cname, channels=tuple(values["channels"]),
            mod_channels=tuple(values["mod_channels"]),
            announce_channels=tuple(values["announce_channels"] or
                                    [c for c in values["channels"] if not c.endswith(":*")]),
            timezone=values["timezone"]))

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
    if problems:
        raise ConfigError([f"{path}: {p}" for p in problems])
    return Config(path=path, sections=sections, communities=communities,
                  permissions=permissions, plugins=plugins, channel_overrides=overrides)


def _table(raw: Mapping[str, Any], key: str, problems: list[str]) -> Mapping[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, Mapping):
        problems.append(f"[{key}] must be a table")
        return {}
    return value


def _valid_ref(ref: str) -> bool:
    platform, sep, rest = ref.partition(":")
    return bool(sep and rest) and platform in ("discord", "twitch", "console", "fake")
