"""The core's privacy commands: ``!forgetme`` erases what every plugin stores about the
user who types it (each plugin's ``cmbot_forget_user``), but for the moderation record,
kept under a pseudonym (see :data:`PRIVACY`). They belong to the core, not to a plugin,
so disabling any plugin (``help`` included) never takes a user's right to erasure away."""

from __future__ import annotations

from .commands import Command
from .context import Context
from .registry import CORE

# The exception to erasure, for the legitimate interest of keeping a community safe: a user
# under review must not erase the evidence or reset the escalation of their timeouts.
PRIVACY = ("Moderation records (flags, moderators' decisions, strikes, the mod log) are "
           "kept, with your name replaced by a pseudonym, until they expire; the text of a "
           "flagged message is kept only while its flag is under review.")


async def _forget_me(ctx: Context) -> str:
    assert ctx.user is not None
    await ctx.bot.forget_user(ctx.user.key)
    return f"Done: what the bot stored about you has been deleted. {PRIVACY}"


def core_commands() -> list[Command]:
    """The commands every bot has, whatever plugins are loaded."""
    return [
        Command("forgetme", "delete what the bot stores about you (moderation records are "
                "kept under a pseudonym until they expire)", _forget_me,
                user_cooldown=60, plugin=CORE),
    ]
