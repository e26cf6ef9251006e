"""#16 item 28: no plugin can stall the message path, start-up or shutdown, whatever it
raises or catches."""

import asyncio
import time

from cmbot import Command, Role, hookimpl

FAST = "[bot]\nhook_timeout = 0.2\n"
MOD = {"role": Role.MODERATOR, "user": "mo"}


class Exits:
    @hookimpl
    def cmbot_commands(self):
        async def roll(ctx):
            raise SystemExit(2)  # what argparse does on "--bogus"
        return [Command("roll", "roll dice", roll)]


async def test_a_command_raising_system_exit_is_a_failed_command_not_a_dead_bot(
        cmbot_harness):
    h = await cmbot_harness(FAST, plugins=[("roller", Exits())])
    sent = await h.say("!roll")
    assert [s.text for s in sent] == [
        "✗ something went wrong; the bot owner can find details in the log"]
    assert (await h.say("!help"))[0].text  # still answering


async def _stubborn(seconds=1.5):
    """A retry loop with a bare except: swallows every cancellation (for ``seconds``, so
    that the test's own event loop can close)."""
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        try:
            await asyncio.sleep(0.05)
        except BaseException:  # noqa: BLE001, S110 - the hostile plugin under test
            pass


class SwallowsOnMessage:
    @hookimpl
    async def cmbot_on_message(self, ctx, message):
        await _stubborn()


class SwallowsStartup:
    @hookimpl
    async def cmbot_startup(self, bot):
        await _stubborn()


async def test_a_hook_that_swallows_cancellation_cannot_hang_messages(cmbot_harness):
    h = await cmbot_harness(FAST, plugins=[("stubborn", SwallowsOnMessage())])
    await h.say("!faq add discord Join us", **MOD)
    started = time.monotonic()
    sent = await asyncio.wait_for(h.say("!discord"), 5)
    assert [s.text for s in sent] == ["Join us"]
    assert time.monotonic() - started < 1


async def test_a_startup_hook_that_swallows_cancellation_cannot_hang_start_up(
        cmbot_harness):
    started = time.monotonic()
    h = await asyncio.wait_for(
        cmbot_harness(FAST, plugins=[("stubborn", SwallowsStartup())]), 5)
    assert time.monotonic() - started < 1
    assert (await h.say("!help"))[0].text


class HangingVariables:
    @hookimpl
    async def cmbot_variables(self, ctx):
        await asyncio.sleep(3600)


async def test_a_hanging_variables_hook_does_not_break_faq_answers(cmbot_harness):
    h = await cmbot_harness(FAST, plugins=[("hangs", HangingVariables())])
    await h.say("!faq add discord Join us {user}", **MOD)
    sent = await h.say("!discord", user="ann")
    assert [s.text for s in sent] == ["Join us ann"]


def test_the_bot_process_exits_though_a_task_ignores_cancellation():
    from cmbot.bounded import run

    async def main():
        asyncio.get_running_loop().create_task(_stubborn(3600))
        await asyncio.sleep(0)
        return 7

    started = time.monotonic()
    assert run(main(), grace=0.3) == 7
    assert time.monotonic() - started < 1
