"""An example third-party plugin, as a plugin author would write it.

Installed through the ``cmbot.plugins`` entry-point group or dropped into a plugin folder.
It greets people, counts greetings per user in its own table, and forgets users on request.
"""

from cmbot import Arg, Bot, Command, Context, Message, Reply, Role, Setting, hookimpl


@hookimpl
def cmbot_config_schema() -> dict[str, Setting]:
    return {"greeting": Setting(str, "Hello", "word used to greet")}


@hookimpl
def cmbot_migrations() -> list[str]:
    return [
        "CREATE TABLE greeter_counts (user_key TEXT PRIMARY KEY, n INTEGER NOT NULL);",
        "ALTER TABLE greeter_counts ADD COLUMN last_channel TEXT;",
    ]


async def _hello(ctx: Context, name: str | None = None) -> str:
    assert ctx.user is not None
    await ctx.db.execute(
        "INSERT INTO greeter_counts(user_key, n, last_channel) VALUES(?, 1, ?) "
        "ON CONFLICT(user_key) DO UPDATE SET n = n + 1, last_channel = excluded.last_channel",
        (ctx.user.key, ctx.channel.key))
    n = await ctx.db.fetchval("SELECT n FROM greeter_counts WHERE user_key=?", (ctx.user.key,))
    return f"{ctx.settings['greeting']} {name or ctx.user.shown_name}! (greeting #{n})"


async def _reset(ctx: Context) -> str:
    await ctx.db.execute("DELETE FROM greeter_counts")
    return "greeting counts reset"


@hookimpl
def cmbot_commands() -> list[Command]:
    return [
        Command("hello", "say hello", _hello, args=[Arg("name", required=False)]),
        Command("greeter reset", "reset counts", _reset, role=Role.MODERATOR),
    ]


@hookimpl
async def cmbot_answer(ctx: Context, message: Message) -> Reply | None:
    if message.text.lower().startswith("good morning"):
        return Reply(f"Good morning, {message.author.shown_name}!")
    return None


@hookimpl
async def cmbot_forget_user(bot: Bot, user_key: str) -> None:
    await bot.db.execute("DELETE FROM greeter_counts WHERE user_key=?", (user_key,))
