"""Polls and feedback through the harness: Discord and Twitch voters, one tally."""

import asyncio

import pytest

from cmbot import Platform, Role

D, T, C = Platform.DISCORD, Platform.TWITCH, Platform.CONSOLE
MOD = {"role": Role.MODERATOR, "user": "mo"}


async def _start(h, line='!poll start "Best map?" Dust Mirage "Ancient ruins" duration:5m',
                 platform=T):
    sent = await h.say(line, platform=platform, **MOD)
    return sent


async def _tally(h, poll_id=1):
    rows = await h.bot.storage.fetchall(
        "SELECT option, COUNT(*) AS n FROM poll_votes WHERE poll_id=? GROUP BY option",
        (poll_id,))
    return {r["option"] + 1: r["n"] for r in rows}


async def test_a_poll_is_announced_on_every_platform_with_buttons_where_possible(
        cmbot_harness):
    h = await cmbot_harness()
    sent = await _start(h)
    by_platform = {s.platform: s for s in sent}
    assert set(by_platform) == {D, T}
    assert [b.command for b in by_platform[D].buttons] == ["vote 1", "vote 2", "vote 3"]
    assert "Mirage: !vote 2" in by_platform[T].text and by_platform[T].buttons == ()


async def test_votes_from_discord_and_twitch_make_one_tally_and_close_on_the_timer(
        cmbot_harness):
    h = await cmbot_harness()
    await _start(h)
    assert await h.say("!vote 1", platform=T, user="ann") == []  # acknowledged in a batch
    await h.say("!vote mir", platform=T, user="bob")
    await h.say("!vote 3", platform=D, user="cara")
    await h.say("!vote dust", platform=D, user="cara")  # changes her vote
    await h.say("!vote 1", platform=D, user="dan")
    acks = await h.advance(10)
    assert sorted(s.text for s in acks) == ["✓ votes counted: ann, bob",
                                            "✓ votes counted: cara, dan"]
    assert await _tally(h) == {1: 3, 2: 1}
    assert await h.advance("4m") == []
    closing = await h.advance("1m")
    assert {s.platform for s in closing} == {D, T}
    text = closing[0].text
    assert "Poll #1 results: Best map?" in text
    assert "1. Dust ████████░░ 3 (75%)" in text and "2. Mirage ██░░░░░░░░ 1 (25%)" in text
    assert "4 voters (Discord 2, Twitch 2)" in text
    late = await h.say("!vote 2", platform=T, user="eve")
    assert late[0].text == "✗ poll #1 is closed; no poll is open"
    assert await _tally(h) == {1: 3, 2: 1}


async def test_a_poll_survives_a_restart_mid_poll(cmbot_harness):
    h = await cmbot_harness()
    await _start(h)
    await h.say("!vote 2", platform=T, user="ann")
    h = await h.restart()
    await h.say("!vote 2", platform=D, user="bob")
    closing = await h.advance("5m")
    assert any("2. Mirage ██████████ 2 (100%)" in s.text for s in closing)


async def test_a_poll_whose_end_passed_while_the_bot_was_down_for_days_still_closes(
        cmbot_harness):
    """The close timer had a one-day grace: after a longer outage it was skipped and the
    poll stayed open for ever ("poll #1 is still open")."""
    h = await cmbot_harness()
    await _start(h)
    await h.say("!vote 2", platform=T, user="ann")
    await h.bot.stop()
    h.clock.advance(3 * 86400)
    h = await h.restart()
    closing = await h.advance(1)
    assert any("Poll #1 results" in s.text for s in closing)
    late = await h.say("!vote 2", platform=T, user="eve")
    assert late[0].text == "✗ poll #1 is closed; no poll is open"


async def test_concurrent_duplicate_deliveries_count_once(cmbot_harness):
    h = await cmbot_harness()
    await _start(h)
    adapter = h.platforms[T]
    messages = [adapter.make_message("!vote 1", user="ann", channel="mychannel")
                for _ in range(20)]
    messages += [adapter.make_message("!vote 2", user=f"u{i}", channel="mychannel")
                 for i in range(30)]
    await asyncio.gather(*(h.bot.handle_message(m) for m in messages))
    assert await _tally(h) == {1: 1, 2: 30}
    count = await h.bot.storage.fetchval("SELECT COUNT(*) FROM poll_votes")
    assert count == 31


@pytest.mark.parametrize("platform", [D, T, C])
async def test_bad_votes_and_commands_get_clear_replies_and_change_nothing(cmbot_harness,
                                                                           platform):
    h = await cmbot_harness()

    async def say(text, **kw):
        await h.advance(2)
        return [s.text for s in await h.say(text, platform=platform, **kw)]

    assert await say("!vote 1") == ["✗ no poll is open here"]
    assert "give a question and 2 to 10 options" in (await say("!poll start Solo? Yes",
                                                                **MOD))[0]
    assert "11 options; a poll has 2 to 10" in (await say(
        "!poll start Q? a b c d e f g h i j k", **MOD))[0]
    assert "is 250 characters; the limit is 200" in (await say(
        f'!poll start "{"q" * 250}" a b', **MOD))[0]
    assert "two options are the same" in (await say("!poll start Q? yes YES", **MOD))[0]
    assert "<duration>" in (await say("!poll start Q? a b duration:soon", **MOD))[0]
    assert "is for moderators" in (await say("!poll start Q? a b"))[0]
    await say("!poll start Q? apple apricot banana", **MOD)
    assert "option 7 does not exist; choose 1 to 3" in (await say("!vote 7"))[0]
    assert "'ap' matches apple and apricot" in (await say("!vote ap"))[0]
    assert "no option starts with 'kiwi'" in (await say("!vote kiwi"))[0]
    assert "poll #1 is still open" in (await say("!poll start Q2? a b", **MOD))[0]
    assert "there is no poll #9 here" in (await say("!poll results 9"))[0]
    assert await _tally(h) == {}
    await say("!poll cancel", **MOD)
    assert "already cancelled" in (await say("!poll end 1", **MOD))[0]


async def test_where_limits_a_poll_to_some_platforms(cmbot_harness):
    h = await cmbot_harness()
    sent = await _start(h, "!poll start Q? a b where:twitch", platform=T)
    assert {s.platform for s in sent} == {T}
    refused = await h.say("!vote 1", platform=D, user="ann")
    assert refused[0].text == "✗ poll #1 is not open on discord"


async def test_options_cannot_ping_everyone_and_export_writes_csv(cmbot_harness, tmp_path):
    h = await cmbot_harness(f'[plugins.polls]\nfiles_dir = "{tmp_path / "out"}"\n'
                            '[communities.main]\nchannels = ["twitch:mychannel", '
                            '"discord:general"]\n')
    sent = await _start(h, '!poll start "@everyone vote!" "<@&123> team" @here anonymous:no')
    assert all("@everyone" not in s.text and "<@&123>" not in s.text and "@here" not in s.text
               for s in sent)
    await h.say("!vote 2", platform=D, user="ann")
    await h.advance(3)
    out = await h.say("!poll export 1", **MOD)
    assert out[0].text.startswith("✓ exported 1 vote(s) of poll #1")
    rows = (tmp_path / "out" / "poll-1.csv").read_text().splitlines()
    assert rows[0] == "poll,question,option,platform,voted_at_utc,voter"
    assert rows[1].endswith(",ann") and ",discord," in rows[1]


async def test_live_updates_are_throttled(cmbot_harness):
    h = await cmbot_harness("[plugins.polls]\nlive_updates = 60\n"
                            "[communities.main]\nchannels = [\"twitch:mychannel\"]\n")
    await _start(h)
    updates = []
    for i in range(30):
        sent = await h.say("!vote 1", user=f"u{i}")
        updates += [s for s in sent if "so far" in s.text]
        await h.advance(5)
    assert 2 <= len(updates) <= 3  # 150 s of voting, at most one per minute


FEEDBACK = [
    "the new overlay is great, love it",
    "audio is too quiet during gameplay",
    "audio too quiet again, please fix the audio",
    "great stream today, the overlay looks amazing",
    "the schedule is confusing",
    "love the community and the overlay",
    "mic audio clipping is annoying",
    "ok",
]


async def test_feedback_is_stored_and_summarised_for_moderators(cmbot_harness):
    h = await cmbot_harness()
    for i, text in enumerate(FEEDBACK):
        sent = await h.say(f"!feedback {text}", user=f"v{i}",
                           platform=D if i % 2 else T)
        assert sent[0].text == "✓ thanks, your feedback was recorded"
        await h.advance(3)
    [summary] = await h.say("!feedback summary since:7d", platform=D, **MOD)
    text = summary.text
    assert text.startswith("Feedback, last 7d: 8 comment(s) — ")
    assert "Top terms: audio (3), overlay (3)" in text
    assert "👍" in text and "👎" in text
    rows = await h.bot.storage.fetchall("SELECT platform FROM feedback")
    assert {r["platform"] for r in rows} == {"discord", "twitch"}


async def test_feedback_has_a_per_user_cooldown_and_forgetme_erases_it(cmbot_harness):
    h = await cmbot_harness()
    await h.say("!feedback first", user="ann")
    await h.advance(2)
    again = await h.say("!feedback second", user="ann")
    assert again[0].text.startswith("✗ thanks! you can send more feedback in ")
    await _start(h)
    await h.say("!vote 1", user="ann")
    await h.advance(61)
    await h.say("!forgetme", user="ann")
    assert await h.bot.storage.fetchval("SELECT COUNT(*) FROM feedback") == 0
    assert await h.bot.storage.fetchval("SELECT COUNT(*) FROM poll_votes") == 0


@pytest.mark.parametrize("platform", [D, T, C])
async def test_a_viewers_feedback_summary_or_export_is_refused_and_never_stored_as_feedback(
        cmbot_harness, tmp_path, platform):
    """The subcommands resolve, and their role is checked, before free-text feedback: a
    viewer's "!feedback summary" / "!feedback export" were stored as feedback and showed up
    as rows in the moderators' CSV."""
    h = await cmbot_harness(f'[plugins.polls]\nfiles_dir = "{tmp_path}"\n')
    for line in ("!feedback summary", "!feedback export", "!feedback summary since:7d",
                 "!feedback EXPORT of everything"):
        sent = await h.say(line, platform=platform, user="viewer")
        word = line.split()[1].lower()
        assert [s.text for s in sent] == [f"✗ !feedback {word} is for moderators and up."]
        await h.advance(61)
    assert await h.bot.storage.fetchval("SELECT COUNT(*) FROM feedback") == 0
    await h.say("!feedback great stream", platform=platform, user="viewer")
    await h.say('!feedback "summary: the audio was fine"', platform=platform, user="fan")
    [out] = await h.say("!feedback export", platform=platform, **MOD)
    assert out.text.startswith("✓ exported 2 feedback comment(s)")
    texts = [row.rsplit(",", 1)[-1] for row in
             next(tmp_path.glob("feedback-*.csv")).read_text().splitlines()[1:]]
    assert texts == ["great stream", "summary: the audio was fine"]


@pytest.mark.parametrize("platform", [D, T, C])
async def test_a_multi_choice_poll_takes_several_choices_separated_by_spaces_or_commas(
        cmbot_harness, platform):
    h = await cmbot_harness()
    sent = await h.say('!poll start "Best maps?" Dust Mirage "Ancient ruins" Nuke multi:yes',
                       platform=platform, **MOD)
    assert "Several choices allowed: !vote 1 3 or !vote 1,3." in sent[0].text
    assert (await h.say("!vote 1 2", platform=platform, user="ann")) == []
    assert (await h.say("!vote 1,3", platform=platform, user="bob")) == []
    assert (await h.say("!vote #2, 4 ,", platform=platform, user="cara")) == []
    assert (await h.say("!vote mirage, ancient ruins", platform=platform, user="dan")) == []
    assert (await h.say("!vote 4 4", platform=platform, user="eve")) == []
    assert await _tally(h) == {1: 2, 2: 3, 3: 2, 4: 2}
    bad = await h.say("!vote 1 9", platform=platform, user="fay")
    assert bad[0].text == "✗ option 9 does not exist; choose 1 to 4"
    assert await _tally(h) == {1: 2, 2: 3, 3: 2, 4: 2}  # nothing of a bad line is kept
    [help_line] = await h.say("!help vote", platform=platform, user="gus")
    assert "several in a multi-choice poll: 1 3 or 1,3" in help_line.text


async def test_a_single_choice_poll_refuses_several_choices_with_a_clear_reply(
        cmbot_harness):
    h = await cmbot_harness()
    await _start(h)
    for line in ("!vote 1 2", "!vote 1,3", "!vote dust, mirage"):
        refused = await h.say(line, user="ann")
        assert refused[0].text == "✗ poll #1 takes one choice; vote with one number, like " \
                                  "!vote 1"
        await h.advance(2)
    assert await _tally(h) == {}
    assert (await h.say("!vote ,", user="bob"))[0].text == "✗ say which option: !vote 1 " \
                                                            "to !vote 3"


@pytest.mark.parametrize("platform", [D, T, C])
async def test_unicode_digits_and_huge_numbers_get_a_clear_reply_not_a_traceback(
        cmbot_harness, platform):
    """``int()`` takes ``²``/``①`` for digits (a ValueError) and ``١`` for 1; an id past
    SQLite's 64-bit range was an OverflowError: each is refused by the one number parser."""
    h = await cmbot_harness()

    async def say(text, **kw):
        await h.advance(16)  # past !poll results' channel cooldown
        return [s.text for s in await h.say(text, platform=platform, **kw)]

    await say("!poll start Q? apple banana cherry", **MOD)
    for digit in ("²", "①", "١", "#²"):
        shown = digit.lstrip("#")
        assert await say(f"!vote {digit}", user="ann") == [
            f"✗ '{shown}' is not an option number; vote with the digits 0-9: !vote 1 to "
            f"!vote 3"]
    huge = "99999999999999999999"
    assert await say(f"!vote {huge}", user="ann") == [
        f"✗ '{huge}' is not an option number; vote with the digits 0-9: !vote 1 to !vote 3"]
    for line in (f"!poll results {huge}", f"!poll end {huge}", f"!poll export {huge}"):
        [reply] = await say(line, **MOD)
        assert reply.startswith(f"✗ <id>: {huge} is too large; the highest allowed is "
                                f"9223372036854775807. Usage: !poll ")
    assert (await say("!poll results ²"))[0].startswith(
        "✗ <id>: '²' is not a whole number; write it with the digits 0-9, like 3.")
    assert (await say("!poll results 9223372036854775807"))[0] == \
        "✗ there is no poll #9223372036854775807 here"
    assert await _tally(h) == {}
    await say("!vote 2", user="ann")
    assert await _tally(h) == {2: 1}


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cells(path):
    import csv
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


async def test_exported_cells_a_spreadsheet_would_run_as_formulas_start_with_a_quote(
        cmbot_harness, tmp_path):
    """CSV injection (OWASP): a cell starting with = + - @ tab or CR is a formula to a
    spreadsheet; poll and feedback exports write it with a leading single quote."""
    h = await cmbot_harness(f'[plugins.polls]\nfiles_dir = "{tmp_path}"\n')
    await h.say('!poll start "=1+1 best?" "@SUM(A1:A9)" +cmd -2+3 ok anonymous:no '
                'multi:yes', **MOD)
    for voter, vote in (("=1+2", "1 2"), ("\tTab", "3"), ("\rCR", "4"), ("ann", "1")):
        await h.say(f"!vote {vote}", user=voter, user_id=f"id{len(voter)}{vote[0]}")
    await h.advance(11)
    await h.say("!poll export 1", **MOD)
    header, *rows = _cells(tmp_path / "poll-1.csv")
    assert header == ["poll", "question", "option", "platform", "voted_at_utc", "voter"]
    assert sorted((r[0], r[1], r[2], r[5]) for r in rows) == sorted([
        ("1", "'=1+1 best?", "'@SUM(A1:A9)", "'=1+2"),
        ("1", "'=1+1 best?", "'+cmd", "'=1+2"),
        ("1", "'=1+1 best?", "'-2+3", "'\tTab"),
        ("1", "'=1+1 best?", "ok", "'\rCR"),
        ("1", "'=1+1 best?", "'@SUM(A1:A9)", "ann")])
    texts = ['=HYPERLINK("http://evil.example/x","click")', "@SUM(1+1)*cmd|' /C calc'!A0",
             "+1 more please", "-1 the audio was bad and sad today", "'=already quoted",
             "great stream"]
    for i, text in enumerate(texts):
        await h.say(f"!feedback {text}", user=f"v{i}")
    await h.say("!feedback export", **MOD)
    header, *rows = _cells(next(tmp_path.glob("feedback-*.csv")))
    assert [r[5] for r in rows] == ["'" + t for t in texts[:5]] + ["great stream"]
    assert float(rows[3][3]) < 0  # numbers are written as they are: "-0.765", unquoted
    assert all(not c.startswith(FORMULA_STARTS) for r in rows for c in r if c != r[3])


@pytest.mark.parametrize("platform", [D, T, C])
async def test_flagged_feedback_waits_for_review_and_is_stored_when_a_moderator_allows_it(
        cmbot_harness, platform):
    """A !feedback line the toxicity model flagged was silently lost: no reply, not
    stored, even after !flag allow. It is held with its flag, its author is told, and
    allowing the flag runs it as its author typed it; removing the flag drops it."""
    h = await cmbot_harness()
    line = "!feedback you are a worthless idiot and a loser streamer"
    sent = await h.say(line, platform=platform, user="vic")
    assert [s.text for s in sent if s.text.startswith("⏳")] == [
        "⏳ !feedback waits for a moderator: your message was flagged for review, and it "
        "runs if they allow it."]
    assert await h.bot.storage.fetchval("SELECT COUNT(*) FROM feedback") == 0
    await h.restart()  # held work survives a restart
    sent = await h.say("!flag allow 1", platform=platform, **MOD)
    assert any(s.text.startswith("✓ flag #1 allowed") and "its !feedback ran" in s.text
               for s in sent)
    assert any(s.text == "✓ thanks, your feedback was recorded" for s in sent)
    rows = await h.bot.storage.fetchall("SELECT user_key, text FROM feedback")
    assert [(r["user_key"].split(":")[0], r["text"]) for r in rows] == [
        (platform.value, "you are a worthless idiot and a loser streamer")]
    again = await h.say("!flag allow 1", platform=platform, **MOD)
    assert "already decided" in again[0].text
    assert await h.bot.storage.fetchval("SELECT COUNT(*) FROM feedback") == 1

    await h.advance(61)
    await h.say("!feedback absolute trash idiot loser streamer", platform=platform,
                user="tom")
    await h.say("!flag remove 2", platform=platform, **MOD)
    assert await h.bot.storage.fetchval("SELECT COUNT(*) FROM cmbot_held") == 0
    assert await h.bot.storage.fetchval("SELECT COUNT(*) FROM feedback") == 1
