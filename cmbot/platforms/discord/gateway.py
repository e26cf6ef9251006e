"""What the Discord gateway's failures mean for supervision: which causes retrying
cannot fix, and the fix to tell the operator."""

from __future__ import annotations

import discord

_FATAL_CLOSE = {4004: "Discord refused the bot token (close code 4004). Fix: reset the "
                      "token in the Developer Portal (Bot tab) and export it again",
                4010: "Discord: invalid shard (4010)", 4011: "Discord: sharding required "
                "(4011); the bot is in too many servers for one connection",
                4012: "Discord: invalid API version (4012); upgrade cmbot",
                4013: "Discord: invalid intents (4013)"}
INTENT_FIX = ("Discord refused the Message Content intent. Fix: enable it in the Developer "
              "Portal (Bot tab > Privileged Gateway Intents > Message Content), or set "
              "[discord] message_content = false (then only slash commands and buttons "
              "work: no FAQ auto-answers, no chat moderation)")


def fatal_cause(exc: BaseException) -> str | None:
    """What to fix, when retrying the connection cannot help; None when it can."""
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return INTENT_FIX
    if isinstance(exc, discord.LoginFailure):
        return _FATAL_CLOSE[4004]
    if isinstance(exc, discord.ConnectionClosed) and exc.code == 4014:
        return INTENT_FIX
    if isinstance(exc, discord.ConnectionClosed) and exc.code in _FATAL_CLOSE:
        return _FATAL_CLOSE[exc.code]
    return None
