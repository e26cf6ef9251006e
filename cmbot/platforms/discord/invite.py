"""``cmbot discord-invite APP_ID``: the link that adds the bot to a server, with the ``bot``
and ``applications.commands`` scopes and exactly the permissions the bot uses.

Each permission and why (least privilege: nothing the built-in plugins never do):

- View Channels: see the channels of the config and read their messages.
- Send Messages / Send Messages in Threads: answers, announcements, reminders, poll
  results, moderator notices (in channels and in their threads).
- Read Message History: answers are sent as replies, and Discord refuses a reply to a
  message without it.
- Embed Links: the links the bot posts (stream links in announcements, FAQ answers) show
  their preview.
- Attach Files: ``faq export``, ``poll export`` and ``feedback export`` post the file they
  write (as a slash command the file goes with the interaction's answer; typed with ``!``
  in a channel, it is a channel message).
- Manage Messages: remove a flagged message (``!flag remove``, the Remove button,
  ``action_* = "delete"``).
- Timeout Members: ``!flag timeout``, the Timeout button, ``action_* = "timeout"``.
- Create Events: announcements create a native scheduled event, and edit or delete it
  when the event is edited or cancelled (Create Events covers the bot's own events; Manage
  Events, which edits everyone's, is not asked for).

Ban Members is asked for only with ``--ban``: bans are never automatic unless a config sets
``action_* = "ban"``. Administrator, Manage Server, Manage Roles, Mention Everyone are never
asked for.
"""

from __future__ import annotations

import discord

SNOWFLAKE_MAX = 2**64 - 1
SCOPES = ("bot", "applications.commands")
PERMISSIONS: dict[str, str] = {
    "view_channel": "View Channels: see the configured channels and their messages",
    "send_messages": "Send Messages: answers, announcements, poll results, mod notices",
    "send_messages_in_threads": "Send Messages in Threads: the same inside threads",
    "read_message_history": "Read Message History: answers are replies to the question",
    "embed_links": "Embed Links: previews of the links the bot posts",
    "attach_files": "Attach Files: faq, poll and feedback export post their file",
    "manage_messages": "Manage Messages: remove flagged messages",
    "moderate_members": "Timeout Members: time out (flag timeout, action_* = \"timeout\")",
    "create_events": "Create Events: a scheduled event per announcement, edited with it",
}
"""discord.py permission name -> what it is for (printed by ``cmbot discord-invite``)."""
BAN = {"ban_members": "Ban Members: only for action_* = \"ban\" (--ban)"}


class InviteError(ValueError):
    """APP_ID is not an application id; the message says what to paste instead."""


def application_id(text: str) -> int:
    """``text`` as a Discord application id (a snowflake: 17 to 20 digits, under 2**64).
    The error never repeats ``text``: a pasted token must not end up in a terminal log."""
    value = text.strip()
    where = ("Fix: copy the Application ID from https://discord.com/developers/applications "
             "→ your application → General Information")
    if "." in value or len(value) > 40:
        raise InviteError(f"APP_ID looks like a bot token or a secret, not an id (not shown "
                          f"here). {where}. If it was the bot token, reset it there: it has "
                          f"been pasted somewhere.")
    if not value.isascii() or not value.isdigit():
        raise InviteError(f"APP_ID must be a Discord id, digits only ({len(value)} "
                          f"character(s) given, not all digits). {where}")
    if not 17 <= len(value) <= 20 or int(value) > SNOWFLAKE_MAX:
        raise InviteError(f"APP_ID must be a Discord id of 17 to 20 digits (a snowflake); "
                          f"{len(value)} digit(s) given. {where}")
    return int(value)


def permissions(*, ban: bool = False) -> discord.Permissions:
    """The permission set the invite asks for."""
    return discord.Permissions(**dict.fromkeys(PERMISSIONS | (BAN if ban else {}), True))


def invite_url(app_id: int | str, *, ban: bool = False) -> str:
    """The bot invite URL with exactly the permissions the built-in plugins use."""
    snowflake = application_id(str(app_id))
    return (f"https://discord.com/oauth2/authorize?client_id={snowflake}"
            f"&scope={'+'.join(SCOPES)}&permissions={permissions(ban=ban).value}")


def describe(app_id: str, *, ban: bool = False) -> str:
    """What ``cmbot discord-invite`` prints: the link first (alone on its line), then each
    permission with its reason."""
    lines = [invite_url(app_id, ban=ban), "",
             f"Scopes: {', '.join(SCOPES)} (slash commands). Permissions asked for:"]
    lines += [f"  - {reason}" for reason in (PERMISSIONS | (BAN if ban else {})).values()]
    if not ban:
        lines.append("  (Ban Members is left out: add --ban only if the config sets "
                     "action_* = \"ban\".)")
    lines.append("Open the link as a member with Manage Server on the target server.")
    return "\n".join(lines) + "\n"
