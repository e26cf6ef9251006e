"""Work plugins run off the message path: ``ctx.defer`` and ``Later`` answers."""

import asyncio
import logging

from cmbot import Later, Reply, hookimpl
from cmbot.background import Background
from cmbot.dispatch import FaultReporter


class SlowAnswerer:
    """Answers from a background task, as the FAQ does when it must run its encoder."""

    def __init__(self, gate: asyncio.Event | None = None) -> None:
        self.gate = gate

    @hookimpl
    async def cmbot_answer(self, ctx, message):
        async def later():
            if self.gate is not None:
                await self.gate.wait()
            await asyncio.sleep(0.01)
            await ctx.reply(Reply(f"answer to {message.text}"))

        return Later() if ctx.defer(later(), "answer", limit=2) else None


class Fallback:
    @hookimpl
    async def cmbot_answer(self, ctx, message):
        return Reply("fallback")


async def test_a_later_answer_arrives_after_the_message_path_returned(cmbot_harness):
    gate = asyncio.Event()
    # pluggy asks the last registered first: the slow answerer claims the message
    h = await cmbot_harness(plugins=[("fallback", Fallback()), ("slow", SlowAnswerer(gate))],
                            builtins=False)
    adapter = next(iter(h.platforms.values()))
    outcome = await h.bot.handle_message(adapter.make_message("when?", channel="mychannel"))
    assert outcome.answered_by == "slow"
    assert adapter.sent == []  # the message path did not wait, and no one else answered
    assert h.bot.background.running("slow") == 1
    gate.set()
    await h.bot.background.settle()
    assert [s.text for s in adapter.sent] == ["answer to when?"]
    assert adapter.sent[0].reply_to is not None


async def test_past_its_limit_a_plugin_sheds_background_work_and_says_so_once(
        cmbot_harness, caplog):
    caplog.set_level(logging.WARNING)
    gate = asyncio.Event()
    h = await cmbot_harness(plugins=[("fallback", Fallback()), ("slow", SlowAnswerer(gate))],
                            builtins=False)
    adapter = next(iter(h.platforms.values()))
    outcomes = [await h.bot.handle_message(adapter.make_message(f"q{i}", channel="mychannel"))
                for i in range(4)]  # the platform's send limit would drop a fifth answer
    assert [o.answered_by for o in outcomes] == ["slow", "slow", "fallback", "fallback"]
    assert h.bot.background.shed("slow") == 2
    gate.set()
    await h.bot.background.settle()
    assert sorted(s.text for s in adapter.sent) == ["answer to q0", "answer to q1", "fallback",
                                                     "fallback"]
    reports = [r for r in caplog.records if "load shedding" in r.getMessage()]
    assert len(reports) == 1 and "'slow' is busy" in reports[0].getMessage()
    assert reports[0].levelname == "WARNING"


async def test_stop_lets_background_work_finish_before_the_database_closes(cmbot_harness):
    h = await cmbot_harness(plugins=[("slow", SlowAnswerer())], builtins=False)
    adapter = next(iter(h.platforms.values()))
    await h.bot.handle_message(adapter.make_message("bye?", channel="mychannel"))
    await h.bot.stop()
    assert [s.text for s in adapter.sent] == ["answer to bye?"]


async def test_a_failing_task_is_reported_and_a_hung_one_is_cancelled_at_the_deadline(caplog):
    caplog.set_level(logging.ERROR)
    background = Background(FaultReporter())

    async def boom():
        raise RuntimeError("disk on fire")

    async def hang():
        await asyncio.sleep(3600)

    assert background.start("p", boom(), "write")
    assert background.start("p", hang(), "wait")
    await background.settle(within=0.05)
    assert background.running() == 0
    assert any("disk on fire" in r.getMessage() and "background write" in r.getMessage()
               for r in caplog.records)


async def test_settle_waits_for_work_that_starts_more_work():
    background = Background(FaultReporter())
    done = []

    async def second():
        await asyncio.sleep(0.01)
        done.append("second")

    async def first():
        await asyncio.sleep(0.01)
        background.start("p", second(), "second")
        done.append("first")

    background.start("p", first(), "first")
    await background.settle()
    assert done == ["first", "second"]
