import asyncio
import logging

import pytest

from cmbot import Action, Platform, Reply, Role, Verdict, hookimpl
from cmbot.dispatch import FaultReporter

HOOKS = ["cmbot_moderate", "cmbot_answer", "cmbot_on_message", "cmbot_startup",
         "cmbot_shutdown", "cmbot_forget_user"]


class Raiser:
    """Raises in every runtime hook."""

    @hookimpl
    def cmbot_startup(self, bot):
        raise RuntimeError("startup boom")

    @hookimpl
    async def cmbot_moderate(self, ctx, message):
        raise RuntimeError("moderate boom")

    @hookimpl
    async def cmbot_answer(self, ctx, message):
        raise RuntimeError("answer boom")

    @hookimpl
    async def cmbot_on_message(self, ctx, message):
        raise RuntimeError("observe boom")

    @hookimpl
    def cmbot_forget_user(self, bot, user_key):
        raise RuntimeError("forget boom")

    @hookimpl
    def cmbot_shutdown(self, bot):
        raise RuntimeError("shutdown boom")


class Healthy:
    def __init__(self):
        self.calls = []

    @hookimpl
    def cmbot_startup(self, bot):
        self.calls.append("startup")

    @hookimpl
    async def cmbot_moderate(self, ctx, message):
        self.calls.append("moderate")

    @hookimpl
    async def cmbot_answer(self, ctx, message):
        self.calls.append("answer")
        return Reply("healthy answer")

    @hookimpl
    async def cmbot_on_message(self, ctx, message):
        self.calls.append("observe")

    @hookimpl
    async def cmbot_forget_user(self, bot, user_key):
        self.calls.append("forget")

    @hookimpl
    def cmbot_shutdown(self, bot):
        self.calls.append("shutdown")


@pytest.mark.parametrize("order", ["raiser_first", "raiser_last"])
async def test_a_plugin_raising_in_every_hook_does_not_stop_the_others(cmbot_harness, caplog,
                                                                       order):
    healthy = Healthy()
    plugins = [("raiser", Raiser()), ("healthy", healthy)]
    if order == "raiser_last":
        plugins.reverse()
    caplog.set_level(logging.ERROR)
    h = await cmbot_harness(plugins=plugins)
    sent = await h.say("anyone there?")
    assert [s.text for s in sent] == ["healthy answer"]
    await h.plugin_bot("help").forget_user("twitch:viewer")
    await h.bot.stop()
    assert healthy.calls == ["startup", "moderate", "answer", "observe", "forget", "shutdown"]
    failures = [r.getMessage() for r in caplog.records if "raiser" in r.getMessage()]
    hooks = ["startup", "moderate", "observe", "forget", "shutdown"]
    if order == "raiser_last":  # registered last, so pluggy asks it first for an answer
        hooks.append("answer")
    for hook in hooks:
        assert any(hook in f for f in failures), hook


class Hanger:
    @hookimpl
    async def cmbot_answer(self, ctx, message):
        await asyncio.sleep(3600)


async def test_a_hanging_plugin_is_cut_off_by_the_hook_timeout(cmbot_harness):
    h = await cmbot_harness("[bot]\nhook_timeout = 0.05\n",
                            plugins=[("healthy", Healthy()), ("hanger", Hanger())])
    sent = await h.say("hello?")
    assert [s.text for s in sent] == ["healthy answer"]


def test_a_faulty_plugin_is_reported_once_per_interval_not_per_message(caplog):
    now = [0.0]
    reporter = FaultReporter(interval=60, now=lambda: now[0])
    caplog.set_level(logging.ERROR)
    for _ in range(500):
        reporter.report("bad", "cmbot_answer", "boom", None)
    now[0] = 61
    reporter.report("bad", "cmbot_answer", "boom", None)
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert "499 more since last report" in messages[1]
    assert reporter.counts()[("bad", "cmbot_answer")] == 501


class Flagger:
    def __init__(self, action):
        self.action = action

    @hookimpl
    async def cmbot_moderate(self, ctx, message):
        return Verdict(self.action, f"{self.action.name} reason")


class Answerer:
    def __init__(self, text):
        self.text = text

    @hookimpl
    async def cmbot_answer(self, ctx, message):
        return self.text


async def test_the_most_severe_verdict_wins_and_is_applied(cmbot_harness):
    h = await cmbot_harness(plugins=[("a", Flagger(Action.FLAG)), ("b", Flagger(Action.TIMEOUT)),
                                     ("c", Flagger(Action.DELETE))])
    sent = await h.say("bad words", platform=Platform.DISCORD)
    assert h.last.verdict.action == Action.TIMEOUT
    assert [s.kind for s in sent] == ["delete", "timeout"]


async def test_a_flagged_message_is_not_answered_and_not_run_as_a_command(cmbot_harness):
    h = await cmbot_harness(plugins=[("flag", Flagger(Action.FLAG)), ("ans", Answerer("hi"))])
    assert await h.say("question?") == []
    [told] = await h.say("!help")  # held with its flag, run if a moderator allows it
    assert told.text.startswith("⏳ !help waits for a moderator")
    assert h.last.command is None and h.last.held == "help"


async def test_moderators_are_never_punished_automatically(cmbot_harness):
    from cmbot import Role
    h = await cmbot_harness(plugins=[("t", Flagger(Action.TIMEOUT))])
    sent = await h.say("caps LOCK", role=Role.MODERATOR, platform=Platform.TWITCH)
    assert sent == [] and h.last.verdict.action == Action.FLAG


async def test_the_first_non_none_answer_wins_in_plugin_order(cmbot_harness):
    class Silent:
        @hookimpl
        async def cmbot_answer(self, ctx, message):
            return None

    h = await cmbot_harness(plugins=[("first", Answerer("from first")),
                                     ("second", Answerer("from second")), ("silent", Silent())])
    # pluggy calls the last registered first: silent, then second, then first.
    sent = await h.say("question?")
    assert [s.text for s in sent] == ["from second"]
    assert h.last.answered_by == "second"


async def test_hooks_that_wait_and_hooks_that_do_not_both_return_their_results(cmbot_harness):
    class Waits:
        @hookimpl
        async def cmbot_answer(self, ctx, message):
            if "slow" not in message.text:
                return None
            await asyncio.sleep(0.01)  # suspends: runs under the hook timeout
            try:
                await asyncio.sleep(0)
            finally:
                pass
            return Reply("waited")

    class Quick:
        @hookimpl
        async def cmbot_answer(self, ctx, message):
            return Reply("quick") if "quick" in message.text else None

    h = await cmbot_harness(plugins=[("waits", Waits()), ("quick", Quick())],
                            builtins=False)
    assert [s.text for s in await h.say("slow please")] == ["waited"]
    assert [s.text for s in await h.say("quick please")] == ["quick"]


async def test_ordinary_chat_through_every_builtin_plugin_costs_no_database_query(
        cmbot_harness):
    """The hot path: a line that is not a command, not a question and not toxic is decided
    from memory by every built-in plugin (a busy channel must not queue behind SQLite)."""
    h = await cmbot_harness()
    await h.say("!faq add discord Join us at discord.gg/example", role=Role.MODERATOR)
    await h.say("first line loads the channel's allowlist")
    with h.queries() as queries:
        for text in ("lol nice", "W", "that play was clean", "KEKW KEKW", "gg"):
            assert await h.say(text) == []
    assert queries == []
    with h.queries() as queries:
        await h.say("!faq list", role=Role.MODERATOR)
    assert queries  # the tracing itself works


async def test_hook_callers_see_plugins_registered_and_removed_after_a_refresh():
    """Who implements what is read once (the runtime registers every plugin first);
    ``refresh()`` after registering or removing a plugin makes the next call see it."""
    from cmbot.dispatch import HookCaller
    from cmbot.plugins import get_plugin_manager

    pm = get_plugin_manager()

    class Seen:
        def __init__(self, name):
            self.name = name

        @hookimpl
        def cmbot_on_message(self, ctx, message):
            return self.name

    caller = HookCaller(pm)
    assert await caller.call_all("cmbot_on_message", message=None, ctx=None) == []
    first, second = Seen("a"), Seen("b")
    pm.register(first, "a")
    caller.refresh()
    assert await caller.call_all("cmbot_on_message", message=None, ctx=None) == [("a", "a")]
    pm.register(second, "b")
    caller.refresh()
    assert [n for n, _ in await caller.call_all("cmbot_on_message", message=None,
                                                ctx=None)] == ["b", "a"]
    pm.unregister(first)
    caller.refresh()
    assert await caller.call_all("cmbot_on_message", message=None, ctx=None) == [("b", "b")]


async def test_pluggy_tracing_shows_every_hook_call(cmbot_harness):
    """Implementations are called through pluggy, so its tracing sees them by plugin."""
    h = await cmbot_harness(plugins=[("t", Flagger(Action.FLAG))])
    lines: list[str] = []
    h.bot.pm.trace.root.setwriter(lines.append)
    undo = h.bot.pm.enable_tracing()
    try:
        await h.say("caps LOCK")
    finally:
        undo()
    traced = "".join(lines)
    assert "cmbot_moderate" in traced and "cmbot_on_message" in traced
    assert "t" in {name for name, _ in h.bot.hooks.implementations("cmbot_moderate")}
