"""Built-in: ``help`` lists the commands a user may run (``!forgetme`` is a core command:
see :mod:`cmbot.privacy`)."""

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


@hookimpl
def cmbot_commands() -> list[Command]:
    return [
        Command("help", "list the commands you can use, or explain one", _help,
                args=[Arg("command", "text", required=False, max_length=40)],
                aliases=("commands",), user_cooldown=10),
    ]
