"""The plugin face through the runtime: what a plugin asks of ``ctx.bot`` and what comes
back. Moderation actions are checked, rate limited and reported by the core; state and
settings belong to the calling plugin; timers wake the timekeeper; transactions are
traced like every other statement."""

from __future__ import annotations

import asyncio

from cmbot import (
    ActionResult,
    Arg,
    Bot,
    Cache,
    Capability,
    Command,
    Context,
    Platform,
    Role,
    Setting,
    hookimpl,
)

MOD = Role.MODERATOR


class Zapper:
    """Deletes the line that asked, or times its author out, and says what happened."""

    @hookimpl
    def cmbot_commands(self) -> list[Command]:
        async def zap(ctx: Context, how: str) -> str:
            assert ctx.message is not None and ctx.user is not None
            if how == "timeout":
                result = await ctx.bot.timeout(ctx.user, ctx.channel, 60, "test")
            elif how == "warn":
                result = await ctx.bot.warn(ctx.user, ctx.channel, "test")
            else:
                result = await ctx.bot.delete(ctx.message)
            return f"{result.action}: {'done' if result else result.problem}"

        return [Command("zap", "act on yourself", zap, role=Role.EVERYONE,
                        args=[Arg("how", "choice", choices=("delete", "timeout", "warn"))])]


async def test_actions_go_through_the_runtime_and_report_their_outcome(cmbot_harness):
    h = await cmbot_harness(plugins=[("zapper", Zapper())], builtins=False)
    sent = await h.say("!zap delete", platform=Platform.DISCORD)
    assert [s.kind for s in sent] == ["delete", "send"] and sent[-1].text == "delete: done"
    sent = await h.say("!zap timeout", platform=Platform.TWITCH)
    assert [s.kind for s in sent] == ["timeout", "send"] and sent[-1].text == "timeout: done"
    # the fake Twitch here offers no native warnings: the runtime says so, nothing is called
    sent = await h.say("!zap warn", platform=Platform.TWITCH)
    assert [(s.kind, s.text) for s in sent] == [("send", "warn: unsupported")]
    assert h.bot.outbound.outcomes[("warn", False, "unsupported")] == 1


async def test_a_flood_of_actions_in_one_channel_is_refused_past_the_window(cmbot_harness):
    h = await cmbot_harness("[ratelimit]\nactions = 3\nactions_window = 30.0\n",
                            plugins=[("zapper", Zapper())], builtins=False)
    for _ in range(3):
        await h.say("!zap delete", role=MOD, platform=Platform.DISCORD)
    sent = await h.say("!zap delete", role=MOD, platform=Platform.DISCORD)
    assert [s.kind for s in sent] == ["send"] and sent[0].text == "delete: rate limited"
    assert len(h.sent(Platform.DISCORD, kind="delete")) == 3
    await h.advance("31s")  # the window moved on
    sent = await h.say("!zap delete", role=MOD, platform=Platform.DISCORD)
    assert sent[-1].text == "delete: done"


async def test_an_adapter_that_raises_gives_a_failed_outcome_not_a_crash(cmbot_harness):
    h = await cmbot_harness(plugins=[("zapper", Zapper())], builtins=False)

    async def broken(message: object) -> bool:
        raise ConnectionError("platform down")

    h.platforms[Platform.DISCORD].delete = broken  # type: ignore[method-assign]
    sent = await h.say("!zap delete", platform=Platform.DISCORD)
    assert [s.text for s in sent] == ["delete: failed: ConnectionError"]


def test_an_action_result_is_true_only_when_done():
    assert ActionResult("delete", True) and not ActionResult("delete", False, "refused")


class Counter:
    """Keeps a per-plugin object and reads its settings without naming itself."""

    def __init__(self) -> None:
        self.bots: list[Bot] = []

    @hookimpl
    def cmbot_config_schema(self) -> dict[str, Setting]:
        return {"step": Setting(int, 1, "how much to count")}

    @hookimpl
    def cmbot_startup(self, bot: Bot) -> None:
        self.bots.append(bot)

    @hookimpl
    def cmbot_commands(self) -> list[Command]:
        async def count(ctx: Context) -> str:
            totals = ctx.bot.state(lambda bot: {"n": 0, "plugin": bot.plugin})
            totals["n"] += ctx.settings["step"]
            return f"{totals['plugin']} {totals['n']}"

        return [Command("count", "count", count)]


async def test_state_and_settings_belong_to_the_calling_plugin(cmbot_harness):
    one = Counter()
    h = await cmbot_harness("[plugins.one]\nstep = 10\n", plugins=[("one", one)],
                            builtins=False)
    assert [s.text for s in await h.say("!count")] == ["one 10"]
    assert [s.text for s in await h.say("!count", user="other")] == ["one 20"]
    assert one.bots[0].plugin == "one" and one.bots[0].settings() == {"step": 10}
    assert h.plugin_bot("two").state(lambda bot: {"n": 0}) == {"n": 0}  # another plugin's


async def test_adding_a_timer_wakes_the_timekeeper(cmbot_harness):
    h = await cmbot_harness(builtins=False)
    bot = h.plugin_bot("anyone")
    h.bot._wake.clear()
    await bot.timers.at("test.kind", bot.time() + 60)
    assert h.bot._wake.is_set()
    h.bot._wake.clear()
    await bot.timers.cancel_prefix("")
    assert h.bot._wake.is_set()


async def test_statements_inside_a_transaction_are_traced(cmbot_harness):
    h = await cmbot_harness(builtins=False)
    db = h.plugin_bot("anyone").db
    await db.execute("CREATE TABLE t (x INTEGER)")
    with h.queries() as sql:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO t VALUES (1)")
            assert await tx.fetchval("SELECT COUNT(*) FROM t") == 1
    assert sql == ["BEGIN IMMEDIATE", "INSERT INTO t VALUES (1)", "SELECT COUNT(*) FROM t",
                   "COMMIT"]
    await db.execute("DELETE FROM t")
    assert db.last_rowcount == 1


async def test_a_cache_load_that_overlaps_an_edit_is_used_once_and_not_kept():
    cache: Cache[str, int] = Cache()
    release = asyncio.Event()

    async def slow_read() -> int:
        await release.wait()
        return 1  # what the database said before the edit

    loading = asyncio.ensure_future(cache.load("k", slow_read))
    await asyncio.sleep(0)
    cache.drop("k")  # an edit lands while the read is running
    release.set()
    assert await loading == 1
    assert cache.get("k") is None  # not kept: the next reader loads again

    async def read() -> int:
        return 2

    assert await cache.load("k", read) == 2 and cache.get("k") == 2


def test_a_sized_cache_forgets_the_least_recently_used():
    cache: Cache[int, int] = Cache(size=2)
    cache.put(1, 1)
    cache.put(2, 2)
    assert cache.get(1) == 1  # 1 is now the most recent
    cache.put(3, 3)
    assert 2 not in cache and cache.get(1) == 1 and cache.get(3) == 3


async def test_can_tells_what_a_platform_offers(cmbot_harness):
    h = await cmbot_harness(builtins=False)
    bot = h.plugin_bot("anyone")
    discord = h.platforms[Platform.DISCORD].make_message("x").channel
    twitch = h.platforms[Platform.TWITCH].make_message("x").channel
    assert bot.can(discord, Capability.BUTTONS) and not bot.can(twitch, Capability.BUTTONS)
