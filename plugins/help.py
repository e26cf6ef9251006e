"""Built-in: ``help`` lists the commands a user may run; ``forgetme`` erases their data
(but for the moderation record, kept under a pseudonym: see PRIVACY)."""

from __future__ import annotations

from dataclasses import replace

from cmbot import Arg, Command, CommandError, Context, describe, hookimpl


async def _help(ctx: Context, command: str | None = None) -> str:
    bot = ctx.bot
    role = ctx.user.role if ctx.user else None
    if command:
        found = bot.commands.get(command)
        if found is None or found.hidden:
            raise CommandError(f"no command {command!r}; {ctx.prefix}help lists them")
        required = bot.commands.required_role(found)
        return describe(replace(found, role=required), ctx.prefix)
    names = sorted(c.name for c in bot.commands
                   if not c.hidden and role is not None and bot.commands.required_role(c) <= role)
    listed = ", ".join(ctx.prefix + n for n in names)
    return f"Commands: {listed}. {ctx.prefix}help <command> for details."


# The exception to erasure, for the legitimate interest of keeping a community safe: a user
# under review must not erase the evidence or reset the escalation of their timeouts.
PRIVACY = ("Moderation records (flags, moderators' decisions, strikes, the mod log) are "
           "kept, with your name replaced by a pseudonym, until they expire; the text of a "
           "flagged message is kept only while its flag is under review.")


async def _forget_me(ctx: Context) -> str:
    assert ctx.user is not None
    await ctx.bot.forget_user(ctx.user.key)
    return f"Done: what the bot stored about you has been deleted. {PRIVACY}"


@hookimpl
def cmbot_commands() -> list[Command]:
    return [
        Command("help", "list the commands you can use, or explain one", _help,
                args=[Arg("command", "text", required=False, max_length=40)],
                aliases=("commands",), user_cooldown=10),
        Command("forgetme", "delete what the bot stores about you (moderation records are "
                "kept under a pseudonym until they expire)", _forget_me,
                user_cooldown=60),
    ]
