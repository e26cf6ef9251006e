import asyncio
import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cmbot import hookimpl
from cmbot.cron import Cron, CronError

PARIS = ZoneInfo("Europe/Paris")


def test_cron_with_seven_fields_is_refused_with_an_example():
    with pytest.raises(CronError, match='has 7 fields; .*"0 20 \\* \\* fri"'):
        Cron.parse("0 0 20 * * fri 2026")


@pytest.mark.parametrize("expr", ["61 * * * *", "* 24 * * *", "*/0 * * * *", "x * * * *",
                                  "0 0 31 2 *"])
def test_bad_cron_fields_are_refused(expr):
    with pytest.raises(CronError):
        Cron.parse(expr).next_after(datetime(2026, 1, 1, tzinfo=UTC))


def test_cron_names_ranges_steps_and_lists():
    cron = Cron.parse("*/15 9-10 * jan-mar mon,fri", "UTC")
    after = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)  # a Thursday
    assert cron.next_after(after) == datetime(2026, 1, 2, 9, 0, tzinfo=UTC)
    assert cron.next_after(datetime(2026, 1, 2, 10, 45, tzinfo=UTC)) == \
        datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_weekly_paris_event_stays_at_20h_local_across_the_october_change():
    cron = Cron.parse("0 20 * * fri", "Europe/Paris")
    first = cron.next_after(datetime(2026, 10, 19, tzinfo=UTC))
    second = cron.next_after(first)
    assert first.astimezone(PARIS).hour == second.astimezone(PARIS).hour == 20
    assert (first.hour, second.hour) == (18, 19)  # UTC shifts by the DST change (25 Oct)


def test_a_wall_time_skipped_by_spring_forward_still_runs_once():
    cron = Cron.parse("30 2 * * *", "Europe/Paris")
    run = cron.next_after(datetime(2026, 3, 29, 0, 0, tzinfo=UTC))
    assert run.date().isoformat() == "2026-03-29"
    assert cron.next_after(run).date().isoformat() == "2026-03-30"


class Recorder:
    def __init__(self):
        self.fired = []

    @hookimpl
    def cmbot_startup(self, bot):
        async def handler(timer):
            self.fired.append((timer.payload["n"], bot.now(), round(timer.late)))
        bot.timers.on("test.kind", handler)


async def test_one_shot_timer_fires_at_its_instant_with_the_fake_clock(cmbot_harness):
    rec = Recorder()
    h = await cmbot_harness(plugins=[("rec", rec)])
    start = h.clock.now()
    await h.bot.scheduler.at("test.kind", start + timedelta(minutes=10), {"n": 1})
    await h.advance("9m59s")
    assert rec.fired == []
    await h.advance("1s")
    assert rec.fired == [(1, start + timedelta(minutes=10), 0)]
    await h.advance("1h")
    assert len(rec.fired) == 1


async def test_timers_survive_a_restart_and_are_re_armed(cmbot_harness):
    rec = Recorder()
    h = await cmbot_harness(plugins=[("rec", rec)])
    await h.bot.scheduler.every("test.kind", 3600, {"n": 2})
    await h.bot.scheduler.cron("test.kind", "0 20 * * *", "Europe/Paris", {"n": 3})
    h = await h.restart()
    await h.advance("1h")
    assert [f[0] for f in rec.fired] == [2]
    for _ in range(24):  # 24 hourly runs and one 20:00 Paris run
        await h.advance("1h")
    assert [f[0] for f in rec.fired].count(2) == 25
    assert [f[0] for f in rec.fired].count(3) == 1
    [paris] = [f[1] for f in rec.fired if f[0] == 3]
    assert paris.astimezone(PARIS).hour == 20


async def test_a_run_missed_within_the_grace_window_fires_once(cmbot_harness):
    rec = Recorder()
    h = await cmbot_harness("[scheduler]\ngrace_seconds = 600\n", plugins=[("rec", rec)])
    await h.bot.scheduler.every("test.kind", 60, {"n": 4})
    await h.bot.stop()
    h.clock.advance(60 + 300)  # down for 5 minutes past the due time
    h = await h.restart()
    await h.bot.tick()
    assert [(n, late) for n, _, late in rec.fired] == [(4, 300)]
    await h.bot.tick()
    assert len(rec.fired) == 1  # next run is strictly in the future


async def test_a_six_hour_outage_never_produces_a_burst_of_stale_posts(cmbot_harness):
    rec = Recorder()
    h = await cmbot_harness(plugins=[("rec", rec)])
    await h.bot.scheduler.every("test.kind", 600, {"n": 5})
    await h.bot.scheduler.at("test.kind", h.clock.time() + 3600, {"n": 6})
    await h.bot.stop()
    h.clock.advance(6 * 3600)
    h = await h.restart()
    await h.bot.tick()
    assert rec.fired == []
    assert h.bot.scheduler.skipped == 2
    remaining = await h.bot.scheduler.list("test.kind")
    assert [t.payload["n"] for t in remaining] == [5]  # one-shot gone, interval re-armed
    assert remaining[0].due.timestamp() > h.clock.time()
    await h.advance("10m")
    assert [f[0] for f in rec.fired] == [5]


async def test_timers_with_the_same_key_replace_each_other_and_can_be_cancelled(cmbot_harness):
    h = await cmbot_harness(plugins=[("rec", Recorder())])
    s = h.bot.scheduler
    await s.at("test.kind", h.clock.time() + 60, {"n": 1}, key="event:1:remind:1h")
    await s.at("test.kind", h.clock.time() + 90, {"n": 2}, key="event:1:remind:1h")
    await s.at("test.kind", h.clock.time() + 90, {"n": 3}, key="event:1:remind:10m")
    await s.at("test.kind", h.clock.time() + 90, {"n": 4}, key="event:10:remind:10m")
    assert [t.payload["n"] for t in await s.list("test.kind")] == [2, 3, 4]
    assert await s.cancel_prefix("event:1:") == 2
    assert [t.payload["n"] for t in await s.list("test.kind")] == [4]


async def test_a_failing_timer_handler_does_not_stop_other_timers(cmbot_harness):
    class Bad:
        @hookimpl
        def cmbot_startup(self, bot):
            async def boom(timer):
                raise RuntimeError("boom")
            bot.timers.on("bad.kind", boom)

    rec = Recorder()
    h = await cmbot_harness(plugins=[("bad", Bad()), ("rec", rec)])
    await h.bot.scheduler.at("bad.kind", h.clock.time() + 1, {})
    await h.bot.scheduler.at("test.kind", h.clock.time() + 2, {"n": 9})
    await h.advance(5)
    assert [f[0] for f in rec.fired] == [9]


async def test_ticks_before_the_next_deadline_do_not_query_and_new_timers_are_still_seen(
        cmbot_harness):
    h = await cmbot_harness(builtins=False)
    fired = []

    async def handler(timer):
        fired.append(timer.payload["n"])

    scheduler = h.bot.scheduler
    scheduler.on("test.t", handler)
    await scheduler.at("test.t", h.clock.time() + 100, {"n": 1})
    await h.advance(1)  # learns the next deadline
    with h.queries() as queries:
        for _ in range(50):
            await h.advance(1)
    assert queries == [] and fired == []
    await scheduler.at("test.t", h.clock.time() + 5, {"n": 2})  # earlier than the first
    await h.advance(6)
    await h.advance(60)
    assert fired == [2, 1]


async def test_replacing_a_keyed_timer_concurrently_never_collides_on_its_key(cmbot_harness):
    """Item: the keyed-timer write was a delete then an insert, and two replacements at
    once failed with a UNIQUE constraint error. Now it is one upsert."""
    h = await cmbot_harness(builtins=False)
    timers = h.plugin_bot("anyone").timers
    now = h.clock.time()
    ids = await asyncio.gather(*(timers.at("test.kind", now + 60 + n, {"n": n}, key="same")
                                 for n in range(50)))
    remaining = await timers.list("test.kind")
    assert len(remaining) == 1 and len(set(ids)) == 1
    assert remaining[0].payload["n"] in range(50)


async def test_a_timer_never_takes_a_non_finite_time(cmbot_harness):
    h = await cmbot_harness(builtins=False)
    timers = h.plugin_bot("anyone").timers
    with pytest.raises(ValueError, match="finite"):
        await timers.at("test.kind", float("nan"))
    with pytest.raises(ValueError, match="finite"):
        await timers.every("test.kind", float("inf"))
    with pytest.raises(ValueError, match="grace"):
        await timers.at("test.kind", 1.0, grace=float("nan"))
    assert await timers.list() == []


async def test_a_timer_with_infinite_grace_runs_however_late_and_sees_how_late(cmbot_harness):
    """A poll's close or an event's start must run after any outage (a skipped one-shot
    timer was lost: the poll stayed open, the weekly event was deleted)."""
    rec = Recorder()
    h = await cmbot_harness(plugins=[("rec", rec)])
    await h.bot.scheduler.at("test.kind", h.clock.time() + 60, {"n": 1}, grace=math.inf)
    await h.bot.scheduler.at("test.kind", h.clock.time() + 60, {"n": 2})
    await h.bot.stop()
    h.clock.advance(5 * 86400)
    h = await h.restart()
    await h.bot.tick()
    assert [f[0] for f in rec.fired] == [1]
    assert rec.fired[0][2] == pytest.approx(5 * 86400 - 60, abs=5)
    assert await h.bot.scheduler.list("test.kind") == []
