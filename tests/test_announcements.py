"""Announcements through the harness: events, reminders, DST, restarts, chat timers."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from cmbot import Platform, Role
from cmbot.clock import Clock

D, T, C = Platform.DISCORD, Platform.TWITCH, Platform.CONSOLE
MOD = {"role": Role.MODERATOR, "user": "mo"}
PARIS = ZoneInfo("Europe/Paris")
CONFIG = """
[communities.main]
channels = ["twitch:mychannel", "discord:general", "console:console"]
announce_channels = ["twitch:mychannel", "discord:announcements"]
mod_channels = ["discord:mod-log"]
timezone = "Europe/Paris"
[plugins.announcements]
url = "https://twitch.tv/mychannel"
"""


def _split(sent):
    """(the reply to the moderator, the announcements)."""
    replies = [s for s in sent if s.reply_to is not None]
    assert len(replies) == 1, sent
    return replies[0], [s for s in sent if s.reply_to is None]


def _texts(sent):
    return sorted((s.platform.value, s.channel.name, s.text) for s in sent)


@pytest.mark.parametrize("platform", [D, T, C])
async def test_an_event_is_confirmed_and_reminders_fire_at_the_right_instants(
        cmbot_harness, platform):
    h = await cmbot_harness(CONFIG)  # clock: Monday 2026-01-05 12:00 UTC (13:00 Paris)
    confirm, announced = _split(await h.say(
        '!event add "Friday stream" friday 20:00 remind:1d,1h,10m Chill run',
        platform=platform, **MOD))
    assert confirm.text.startswith("✓ event #1 “Friday stream” on Fri 9 Jan 20:00 CET "
                                   "(Europe/Paris), in 4d7h; reminders 1d before (Thu 8 Jan "
                                   "20:00 CET), 1h before (Fri 9 Jan 19:00 CET), 10m before")
    assert announced and all("📅 Friday stream — Fri 9 Jan 20:00 CET" in s.text
                             for s in announced)
    assert await h.advance("3d6h59m") == []  # Thursday 19:59 Paris
    reminder = await h.advance("1m")
    assert _texts(reminder) == [
        ("discord", "announcements", "⏰ Friday stream starts in 1d (Fri 9 Jan 20:00 CET). "
                                     "Chill run https://twitch.tv/mychannel"),
        ("twitch", "mychannel", "⏰ Friday stream starts in 1d (Fri 9 Jan 20:00 CET). "
                                "Chill run https://twitch.tv/mychannel")]
    assert len(await h.advance("23h")) == 2
    assert len(await h.advance("50m")) == 2
    start = await h.advance("10m")
    assert all(s.text.startswith("🔴 Friday stream is starting now!") for s in start)
    assert await h.advance("7d") == []  # not repeating
    assert (await h.say("!next", platform=platform))[0].text == "No upcoming events."


async def test_viewers_see_the_next_event_and_only_moderators_manage_events(cmbot_harness):
    h = await cmbot_harness(CONFIG)
    assert "is for moderators" in (await h.say('!event add "X" friday 20:00'))[0].text
    await h.say('!event add "Friday stream" friday 20:00', **MOD)
    await h.advance(15)
    assert (await h.say("!next"))[0].text == \
        "Next: Friday stream — Fri 9 Jan 20:00 CET, in 4d7h. https://twitch.tv/mychannel"
    await h.advance(15)
    assert (await h.say("!event next", platform=D))[0].text.startswith("Next: Friday stream")
    assert "is for moderators" in (await h.say("!event cancel 1"))[0].text


@pytest.mark.parametrize("line,problem", [
    ('!event add "" yesterday', "<title> must not be empty"),
    ('!event add "Stream" yesterday', "'yesterday' is not a time I understand"),
    ('!event add "Stream" 2020-01-01T20:00', "is in the past"),
    ('!event add "Stream" friday 20:00 tz:Mars/Base', "unknown time zone 'Mars/Base'"),
    ('!event add "Stream" friday 20:00 repeat:"0 0 20 * * fri 2026"', "has 7 fields"),
    ('!event add "Stream" friday 20:00 remind:soon', "<remind>: 'soon' is not a duration"),
    ('!event add "Stream" friday 20:00 repeat:"* * * * *"',
     'repeat:"* * * * *" runs every 1m; an event repeats at most hourly'),
    ('!event add "Stream" friday 20:00 repeat:"0,30 20 * * fri"', "runs every 30m"),
    ('!event add "Stream" friday 20:00 repeat:"0 20 30 2 *"', "never runs"),
    ('!event add "Stream" friday 20:00 remind:30d',
     "remind:30d is not shorter than the 4d7h until the start, so it would never be sent"),
    ('!event add "Stream" friday 20:00 remind:1h,8d repeat:weekly',
     # the shortest gap is real time: one week of the year is an hour short (DST)
     'remind:8d is not shorter than the 6d23h between two runs of repeat:"0 20 * * 5"'),
    ('!event add "Stream" 21:00 repeat:"0 20 * * fri"',
     'Mon 5 Jan 21:00 CET is not a run of repeat:"0 20 * * fri" (its first run after that '
     "is Fri 9 Jan 20:00 CET); give a time it runs at"),
    ('!event edit 99 title:"New"', "there is no event #99 here"),
    ("!timer add t every:10s hi", "<every> must be at least 60s"),
    ("!timer add t hello", "missing every:..."),
    ("!timer add t every:5m quiet:25-99 hi", "write the quiet hours like quiet:23-8"),
    # not finite, or not the digits 0-9: refused where durations and numbers are read
    ('!event add "Stream" friday 20:00 remind:nan', "<remind>: 'nan' is not a duration"),
    ('!event add "Stream" friday 20:00 remind:inf', "<remind>: 'inf' is not a duration"),
    ('!event add "Stream" friday 20:00 remind:1e999',
     "<remind>: '1e999' is not a duration"),
    ('!event add "Stream" friday 20:00 remind:99999999999999999999w',
     "must be between 1s and 366d"),
    ('!event add "Stream" in nan', "'nan' is not a duration"),
    ('!event add "Stream" friday ²0:00', "is not a time of day"),
    ('!event add "Stream" friday 20:00 remind:١٠m',
     "is not a duration; write it with the digits 0-9 like 30s"),
    ('!event add "Stream" friday 20:00 repeat:"0 ² * * fri"',
     "hour field '²': '²' is not a whole number; write it with the digits 0-9"),
    ('!event add "Stream" friday 20:00 repeat:"0 20 */① * *"',
     "bad step in day of month field '*/①'"),
    ("!timer add t every:nan hi", "<every>: 'nan' is not a duration"),
    ("!timer add t every:-inf hi", "<every>: '-inf' is not a duration"),
    ("!timer add t every:5m quiet:٢٣-8 hi", "write the quiet hours like quiet:23-8"),
    ("!timer add t every:5m lines:nan hi", "<lines>: 'nan' is not a whole number"),
])
async def test_bad_input_gets_a_clear_reply_with_an_example_and_changes_nothing(
        cmbot_harness, line, problem):
    h = await cmbot_harness(CONFIG)
    [reply] = await h.say(line, **MOD)
    assert problem in reply.text
    assert await h.bot.storage.fetchval("SELECT COUNT(*) FROM ann_events") == 0
    assert await h.bot.storage.fetchval("SELECT COUNT(*) FROM ann_timers") == 0
    assert [t for t in await h.bot.scheduler.list() if t.kind.startswith("ann.")] == []


async def test_a_cron_repeat_gives_the_first_run_and_edits_keep_to_it(cmbot_harness):
    h = await cmbot_harness(CONFIG)  # Monday 2026-01-05 13:00 Paris
    confirm, _ = _split(await h.say('!event add "Stream" friday 20:00 remind:2d repeat:"0 20 '
                                    '* * mon,fri"', **MOD))
    assert confirm.text.startswith("✓ event #1 “Stream” on Fri 9 Jan 20:00 CET"), confirm.text
    assert "reminders 2d before (Wed 7 Jan 20:00 CET)" in confirm.text
    await h.advance(5)
    [refused] = await h.say('!event edit 1 remind:3d', **MOD)  # runs Fri, Mon: 3 days
    assert "remind:3d is not shorter than the 2d23h between two runs" in refused.text  # DST
    await h.advance(5)
    [refused] = await h.say('!event edit 1 when:"saturday 18:00"', **MOD)
    assert refused.text.startswith('✗ Sat 10 Jan 18:00 CET is not a run of repeat:"0 20 * * '
                                   'mon,fri"') and "repeat:weekly" in refused.text
    await h.advance(5)
    moved, _ = _split(await h.say('!event edit 1 when:"saturday 18:00" repeat:weekly', **MOD))
    assert moved.text.startswith("✓ event #1 updated; reminders 2d before (Thu 8 Jan")
    [shown] = await h.say("!event show 1", **MOD)
    assert "repeat: 0 18 * * 6" in shown.text and "Sat 10 Jan 18:00" in shown.text
    await h.advance(5)
    hourly, _ = _split(await h.say('!event add "Check-in" 14:00 remind:10m repeat:"0 * * * *"',
                                   **MOD))
    assert hourly.text.startswith("✓ event #2") and "repeats (0 * * * *)" in hourly.text
    await h.advance(5)
    later, _ = _split(await h.say('!event add "Soon" tuesday 10:00 remind:2d repeat:weekly',
                                  **MOD))
    assert "no reminders (2d before from the next run on: the first one starts sooner)" \
        in later.text


async def test_usage_errors_show_an_example(cmbot_harness):
    h = await cmbot_harness(CONFIG)
    [reply] = await h.say('!event add "" yesterday', **MOD)
    assert 'Example: !event add "Friday stream" friday 20:00' in reply.text


async def test_editing_moves_reminders_and_cancelling_announces_everywhere(cmbot_harness):
    h = await cmbot_harness(CONFIG)
    await h.say('!event add "Stream" friday 20:00 remind:1h', **MOD)
    await h.advance(5)
    confirm, moved = _split(await h.say(
        '!event edit 1 when:"saturday 18:00" title:"Big stream"', **MOD))
    assert confirm.text.startswith("✓ event #1 updated; reminders 1h before (Sat 10 Jan")
    assert all("Big stream moved to Sat 10 Jan 18:00 CET" in s.text for s in moved)
    assert await h.advance("4d6h") == []  # Friday 20:00: nothing any more
    assert len(await h.advance("22h")) == 2  # Saturday 17:00 Paris reminder
    await h.advance(5)
    done, cancelled = _split(await h.say("!event cancel 1", platform=D, **MOD))
    assert done.text == "✓ event #1 “Big stream” cancelled and announced"
    assert {(s.platform.value, s.channel.name) for s in cancelled} == {
        ("twitch", "mychannel"), ("discord", "announcements")}
    assert all("is cancelled" in s.text for s in cancelled)
    assert await h.advance("2h") == []


async def test_reminders_survive_a_restart_and_missed_ones_follow_the_grace_window(
        cmbot_harness):
    h = await cmbot_harness(CONFIG)
    await h.say('!event add "Stream" friday 20:00 remind:1d,1h,10m', **MOD)
    await h.bot.stop()
    h.clock.advance(3 * 86400 + 7 * 3600 + 5 * 60)  # down until Thursday 20:05 Paris
    h = await h.restart()
    late = await h.advance(1)
    assert len(late) == 2 and "starts in 23h55m" in late[0].text  # 5 min late: fired once
    await h.bot.stop()
    h.clock.advance(23 * 3600 + 30 * 60)  # down across the 1h and 10m reminders
    h = await h.restart()
    assert [s for s in await h.advance(1) if "⏰" in s.text] == []  # stale: skipped
    assert await h.advance(60 * 5) == []


@pytest.mark.parametrize(("repeat", "down", "next_start"), [
    ("weekly", 2 * 86400, "Fri 16 Jan 20:00"),      # the clock jumps two days
    ("weekly", 5 * 86400, "Fri 16 Jan 20:00"),      # a restart five days later
    ("daily", 3 * 86400, "Tue 13 Jan 20:00"),
])
async def test_a_repeating_event_missed_while_down_re_arms_instead_of_vanishing(
        cmbot_harness, repeat, down, next_start):
    """#16 item 3: the start timer was skipped past the grace window and, being one-shot,
    deleted with the event's only link to its next run: "No upcoming events."."""
    h = await cmbot_harness(CONFIG)  # Monday 2026-01-05 13:00 Paris
    start = "friday" if repeat == "weekly" else "saturday"
    await h.say(f'!event add "Show" {start} 20:00 remind:10m repeat:{repeat}', **MOD)
    until = (4 if repeat == "weekly" else 5) * 86400 + 7 * 3600 - 60  # 19:59 on the day
    assert len(await h.advance(until - 10 * 60 + 60)) == 2  # the 10m reminder, on time
    await h.bot.stop()
    h.clock.advance(down)
    h = await h.restart()
    late = await h.advance(1)
    assert [s for s in late if "starting now" in s.text] == []  # stale: not announced
    nxt = (await h.say("!next"))[0].text
    assert next_start in nxt, nxt


async def test_a_weekly_event_stays_at_20h_paris_across_the_october_change(cmbot_harness):
    h = await cmbot_harness(CONFIG, clock=Clock(datetime(2026, 10, 19, 12, 0, tzinfo=UTC)))
    await h.say('!event add "Weekly" friday 20:00 remind:10m repeat:weekly', **MOD)
    starts = []
    for _ in range(3 * 7 * 24):
        for sent in await h.advance("1h"):
            if "starting now" in sent.text and sent.platform == T:
                starts.append(h.clock.now())
    assert [s.astimezone(PARIS).strftime("%a %H:%M") for s in starts] == ["Fri 20:00"] * 3
    assert [s.hour for s in starts] == [18, 19, 19]  # UTC moves with the DST change


async def test_a_timer_posts_only_after_enough_chat_and_rotates_its_texts(cmbot_harness):
    h = await cmbot_harness(CONFIG)
    await h.say("!timer add socials every:10m lines:3 Follow us! || Join the Discord!", **MOD)
    assert await h.advance("10m") == []  # no chat since: gated
    for i in range(3):
        await h.say(f"chat line {i}", user=f"v{i}")
    assert [s.text for s in await h.advance("10m")] == ["Follow us!"]
    assert await h.advance("10m") == []
    for i in range(3):
        await h.say(f"more chat {i}", user=f"v{i}")
    assert [s.text for s in await h.advance("10m")] == ["Join the Discord!"]
    await h.say("!timer pause socials", **MOD)
    for i in range(5):
        await h.say(f"x {i}", user=f"v{i}")
    assert await h.advance("10m") == []
    await h.say("!timer resume socials", **MOD)
    assert [s.text for s in await h.advance("10m")] == ["Follow us!"]
    assert "socials: every 10m" in (await h.say("!timer list", **MOD))[0].text
    await h.advance(5)
    assert (await h.say("!timer remove socials", **MOD))[0].text == "✓ timer socials removed"
    assert await h.bot.scheduler.list("ann.timer") == []


async def test_quiet_hours_hold_a_timer(cmbot_harness):
    h = await cmbot_harness(CONFIG)  # 13:00 Paris
    await h.say("!timer add t every:1h lines:0 quiet:14-16 hello", **MOD)
    posted = [h.clock.now().astimezone(PARIS).hour
              for _ in range(6) for s in await h.advance("1h") if s.text == "hello"]
    assert posted == [16, 17, 18, 19]  # quiet from 14:00 to 16:00


async def test_many_timers_firing_together_stay_under_the_rate_limit(cmbot_harness):
    h = await cmbot_harness(CONFIG)
    for i in range(30):
        await h.say(f"!timer add t{i} every:5m lines:0 timer text {i}", **MOD)
        await h.advance(2)
    h.clear()
    sent = []
    for _ in range(60):
        sent += await h.advance(5)
    times = sorted(s.at for s in sent if s.platform == T)
    assert len(times) >= 20
    window = max(sum(1 for t in times if start <= t < start + 30) for start in times)
    assert window <= 20


async def test_the_next_event_is_available_to_faq_answers(cmbot_harness):
    h = await cmbot_harness(CONFIG)
    await h.say('!event add "Friday stream" friday 20:00', **MOD)
    await h.say("!faq add schedule Next stream: {next_event}", **MOD)
    await h.advance(11)
    assert (await h.say("!schedule"))[0].text == \
        "Next stream: Friday stream — Fri 9 Jan 20:00 CET (in 4d7h)"


async def test_french_templates(cmbot_harness):
    h = await cmbot_harness(CONFIG.replace('url = "https://twitch.tv/mychannel"',
                                           'locale = "fr"'))
    await h.say('!event add "Live du vendredi" friday 20:00', **MOD)
    await h.advance(11)
    assert (await h.say("!next"))[0].text == \
        "Prochain : Live du vendredi — ven. 9 janv. 20:00 CET, dans 4d7h."


async def test_discord_native_events_are_created_moved_and_deleted(cmbot_harness):
    h = await cmbot_harness(CONFIG)
    natives = h.platforms[D].native_events
    await h.say('!event add "Friday stream" friday 20:00 Chill', **MOD)
    [(native_id, event)] = natives.items()
    assert event["title"] == "Friday stream" and event["location"] == \
        "https://twitch.tv/mychannel"
    assert event["channel"] == "discord:announcements"
    first = event["starts_at"]
    await h.say('!event edit 1 when:"saturday 18:00"', **MOD)
    assert natives[native_id]["starts_at"] == first + 22 * 3600
    assert h.platforms[T].native_events == {}  # Twitch has no native events
    await h.say("!event cancel 1", **MOD)
    assert natives == {}


async def test_live_only_timers_wait_for_the_stream_where_the_platform_can_tell(
        cmbot_harness):
    h = await cmbot_harness(CONFIG)
    await h.say("!timer add t every:1h lines:0 live:yes hello", **MOD)
    h.platforms[T].live = False
    assert await h.advance("1h") == []
    h.platforms[T].live = True
    assert [s.text for s in await h.advance("1h")] == ["hello"]
    h.platforms[T].live = None  # unknown: post
    assert [s.text for s in await h.advance("1h")] == ["hello"]


async def test_a_discord_live_only_timer_follows_the_linked_twitch_stream(cmbot_harness):
    h = await cmbot_harness(CONFIG)
    await h.say("!timer add t every:1h lines:0 live:yes hello", platform=D, **MOD)
    h.platforms[D].live = None  # Discord cannot tell
    h.platforms[T].live = False
    assert await h.advance("1h") == []
    h.platforms[T].live = True
    assert [(s.platform, s.text) for s in await h.advance("1h")] == [(D, "hello")]
