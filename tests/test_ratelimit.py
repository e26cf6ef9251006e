import pytest

from cmbot import Platform, Priority, Reply, Role, hookimpl
from cmbot.ratelimit import Outbox, SlidingWindow


def _max_in_window(times, window):
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


def test_sliding_window_counts_events_inside_the_window_only():
    win = SlidingWindow(2, 10)
    win.record(0)
    win.record(1)
    assert not win.available(9.9)
    assert win.next_free(9.9) == 10
    assert win.available(10.0)


async def test_outbox_queues_normal_drops_low_and_sends_high_first():
    now = [0.0]
    sent = []

    def sender(name):
        async def go():
            sent.append((name, now[0]))
        return go

    box = Outbox(limits=lambda key: ((key, 2, 10.0),), now=lambda: now[0], queue_size=3)
    for name in ("a", "b"):
        await box.submit("k", sender(name))
    await box.submit("k", sender("low"), Priority.LOW)
    await box.submit("k", sender("n1"))
    await box.submit("k", sender("n2"))
    await box.submit("k", sender("high"), Priority.HIGH)
    await box.submit("k", sender("n3"))  # queue full: the oldest normal item (n1) is dropped
    assert [s[0] for s in sent] == ["a", "b"] and box.dropped == 2
    now[0] = 10
    await box.flush()
    now[0] = 20
    await box.flush()
    assert [s[0] for s in sent] == ["a", "b", "high", "n2", "n3"]
    assert box.pending() == 0


class Chatty:
    @hookimpl
    def cmbot_answer(self, ctx, message):
        return Reply(f"answer to {message.text}")


@pytest.mark.parametrize("platform,moderator,limit,window", [
    (Platform.TWITCH, False, 20, 30), (Platform.TWITCH, True, 100, 30),
    (Platform.DISCORD, False, 5, 5)])
async def test_a_flood_of_replies_never_exceeds_the_platform_limit(cmbot_harness, platform,
                                                                   moderator, limit, window):
    h = await cmbot_harness(plugins=[("chatty", Chatty())], twitch_moderator=moderator)
    for i in range(200):
        await h.say(f"q{i}?", platform=platform, user=f"user{i % 7}")
        await h.advance(0.1)
    times = [s.at for s in h.sent(platform)]
    assert len(times) >= limit
    assert _max_in_window(times, window) <= limit


async def test_moderator_commands_are_queued_not_dropped_when_the_channel_is_busy(
        cmbot_harness):
    h = await cmbot_harness(plugins=[("chatty", Chatty())])
    for i in range(25):
        await h.say(f"flood {i}", user=f"u{i}")
    assert len(h.sent(Platform.TWITCH)) == 20
    assert await h.say("!help", role=Role.MODERATOR, user="mo") == []  # queued
    later = await h.advance(31)
    assert any(s.text.startswith("Commands:") for s in later)


@pytest.mark.parametrize("moderator,account_limit", [(False, 20), (True, 200)])
async def test_twitch_sends_across_channels_share_the_account_limit(
        cmbot_harness, moderator, account_limit):
    h = await cmbot_harness(plugins=[("chatty", Chatty())], twitch_moderator=moderator)
    for i in range(300):
        await h.say(f"q{i}?", channel=("mychannel", "otherchannel")[i % 2], user=f"u{i % 7}")
        await h.advance(0.1)
    sent = h.sent(Platform.TWITCH)
    per_channel = 100 if moderator else 20
    for name in ("mychannel", "otherchannel"):
        times = [s.at for s in sent if s.channel.id == name]
        assert len(times) >= 10 and _max_in_window(times, 30) <= per_channel
    # where the bot is no moderator, both channels together stay within Twitch's account
    # limit; as a moderator each channel has its own larger window
    both = _max_in_window([s.at for s in sent], 30)
    assert both <= account_limit and (moderator or both == 20)
