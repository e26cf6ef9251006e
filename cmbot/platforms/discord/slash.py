"""Core commands as Discord application commands, and slash-command options back into the
one command line the core parses (so a slash command and ``!faq add`` share one path)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ...arguments import Arg, Given, UserRef, tokenize
from ...commands import Command
from ...model import Role

# Discord option types
SUB_COMMAND, STRING, INTEGER, BOOLEAN, USER, NUMBER, ATTACHMENT = 1, 3, 4, 5, 6, 10, 11
_OPTION_TYPE = {"int": INTEGER, "float": NUMBER, "bool": BOOLEAN, "user": USER,
                "file": ATTACHMENT}
MANAGE_MESSAGES = 1 << 13
MANAGE_GUILD = 1 << 5
OWN_SUBCOMMAND = "ask"
"""Discord cannot invoke a group itself: ``!faq <key>`` becomes ``/faq ask key``."""

_DESCRIPTION_LIMIT = 100
_CHOICE_LIMIT = 25


def _description(text: str, fallback: str) -> str:
    text = " ".join((text or fallback).split())
    return text[:_DESCRIPTION_LIMIT] or fallback[:_DESCRIPTION_LIMIT]


def option_for(arg: Arg) -> dict[str, Any]:
    """One Discord option for a core argument."""
    option: dict[str, Any] = {
        "type": _OPTION_TYPE.get(arg.type, STRING),
        "name": arg.name.lower(),
        "description": _description(arg.help, f"{arg.name} ({arg.type})"),
        "required": bool(arg.required),
    }
    if arg.many and arg.type == "choice":
        option["description"] = _description(
            f"{arg.help or arg.name}: {', '.join(arg.choices)} (several: separate with commas)",
            arg.name)
    elif arg.type == "choice" and len(arg.choices) <= _CHOICE_LIMIT:
        option["choices"] = [{"name": c, "value": c} for c in arg.choices]
    elif arg.autocomplete:
        option["autocomplete"] = True
    if arg.type in ("int", "float"):
        if arg.min is not None:
            option["min_value"] = arg.min
        if arg.max is not None:
            option["max_value"] = arg.max
    if arg.type in ("str", "text") and arg.max_length is not None:
        option["max_length"] = min(6000, int(arg.max_length))
    return option


def _options(command: Command) -> list[dict[str, Any]]:
    # Discord wants required options before optional ones; the core parses by name.
    ordered = sorted(command.args, key=lambda a: not a.required)
    return [option_for(a) for a in ordered]


def _permissions(role: Role) -> str | None:
    if role >= Role.BROADCASTER:
        return str(MANAGE_GUILD)
    if role >= Role.MODERATOR:
        return str(MANAGE_MESSAGES)
    return None


def build_payload(commands: Iterable[Command],
                  required_role: Callable[[Command], Role]) -> list[dict[str, Any]]:
    """The application-command list for a bulk overwrite, sorted for a stable hash.

    ``default_member_permissions`` hides moderator commands from viewers in Discord's UI;
    the core still checks the role on every use.
    """
    singles: dict[str, Command] = {}
    groups: dict[str, list[Command]] = {}
    for command in commands:
        if command.hidden:
            continue
        if command.group:
            groups.setdefault(command.group, []).append(command)
        else:
            singles[command.name] = command
    payload: list[dict[str, Any]] = []
    for name, command in singles.items():
        if name in groups:
            continue
        payload.append({
            "type": 1, "name": name, "description": _description(command.help, name),
            "options": _options(command),
            "default_member_permissions": _permissions(required_role(command)),
            "contexts": [0],
        })
    for group, members in groups.items():
        own = singles.get(group)
        subs = [(OWN_SUBCOMMAND, own)] if own is not None else []
        subs += [(c.name.split(" ")[1], c) for c in members]
        roles = [required_role(c) for _, c in subs]
        payload.append({
            "type": 1, "name": group,
            "description": _description(own.help if own else "", f"{group} commands"),
            "options": [{"type": SUB_COMMAND, "name": sub,
                         "description": _description(c.help, sub), "options": _options(c)}
                        for sub, c in sorted(subs, key=lambda sc: sc[0])],
            "default_member_permissions": _permissions(min(roles)),
            "contexts": [0],
        })
    return sorted(payload, key=lambda c: c["name"])


def payload_hash(payload: Sequence[Mapping[str, Any]]) -> str:
    """A digest of the definitions: commands are only re-published when it changes."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _unwrap(data: Mapping[str, Any]) -> tuple[str, list[Mapping[str, Any]]]:
    """The core command name (``faq add``) and the option list of an interaction."""
    name = str(data.get("name", ""))
    options: list[Mapping[str, Any]] = list(data.get("options") or [])
    if options and options[0].get("type") == SUB_COMMAND:
        sub = str(options[0].get("name", ""))
        options = list(options[0].get("options") or [])
        name = name if sub == OWN_SUBCOMMAND else f"{name} {sub}"
    return name, options


def slash_arguments(data: Mapping[str, Any], find: Callable[[str], Command | None],
                    clean: Callable[[str], str]) -> tuple[Command, Given, str] | None:
    """The core command, its typed arguments and a display line (``/faq add key:...``)
    for an interaction's data; ``find`` looks a command up by name, ``clean`` gives each
    text value the hygiene of a chat line. Values stay typed: no text line is made and
    parsed again, so a quote or a colon in a value is just a character."""
    name, options = _unwrap(data)
    command = find(name)
    if command is None:
        return None
    given = {str(o.get("name")): o.get("value") for o in options}
    resolved = data.get("resolved") or {}
    users, files = resolved.get("users") or {}, resolved.get("attachments") or {}
    values: dict[str, Any] = {}
    for arg in command.args:
        value = given.get(arg.name.lower())
        if value is None:
            continue
        if arg.type == "user":
            user = users.get(str(value)) or {}
            value = UserRef(name=str(user.get("username") or "").lower(), id=str(value))
        elif arg.type == "file":
            value = clean(str((files.get(str(value)) or {}).get("filename") or value))
        elif isinstance(value, str):
            value = clean(value)
            if arg.many and arg.keyword:  # tags:a,b or tags:a b
                value = value.replace(",", " ").split()
            elif arg.many:  # words, "quoted phrases" kept together as in chat
                value = [token.value for token in tokenize(value)]
        values[arg.name] = value
    shown = " ".join(f"{k}:{v}" for k, v in values.items())
    return command, Given(values), f"/{command.name} {shown}".rstrip()


def uploads(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The attachment objects (filename, size, url) given to a slash command."""
    files = (data.get("resolved") or {}).get("attachments") or {}
    return [f for f in files.values() if isinstance(f, Mapping)]


def _takes_rest(arg: Arg) -> bool:
    return not arg.keyword and (arg.type == "text" or arg.many)


def focused_option(data: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """(command name, option name, typed text) of an autocomplete interaction."""
    name, options = _unwrap(data)
    for option in options:
        if option.get("focused"):
            return name, str(option.get("name")), str(option.get("value") or "")
    return None
