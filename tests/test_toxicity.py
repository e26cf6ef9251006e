"""Toxicity plugin through the harness: rules, actions, review queue, raids, privacy."""

from pathlib import Path

import pytest
from cmbot_plugins.toxicity.normalize import for_matching

from cmbot import Action, Platform, Role

D, T, C = Platform.DISCORD, Platform.TWITCH, Platform.CONSOLE
MOD = {"role": Role.MODERATOR, "user": "mo"}
SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def _config(extra=""):
    return ("[communities.main]\nchannels = [\"twitch:mychannel\", \"discord:general\", "
            "\"console:console\"]\nmod_channels = [\"discord:mod-log\"]\n"
            "[plugins.toxicity]\n" + extra)


def _mod_notices(sent):
    return [s for s in sent if s.channel.name == "mod-log"]


@pytest.mark.parametrize("text,category", [
    ("you are trash, uninstall the game", "insult"),
    ("y0u ar3 tr4sh", "insult"),
    ("ѕtuрid bitch", "insult"),            # Cyrillic homoglyphs
    ("k y s", "self_harm"),
    ("THIS IS THE WORST STREAM I HAVE EVER SEEN IN MY WHOLE ENTIRE LIFE", "spam"),
    ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "spam"),
    ("@a1 @b2 @c3 @d4 @e5 @f6 look", "mentions"),
    ("$$$ !!! ??? *** ### @@@ %%% ^^^", "spam"),
    ("free skins at scam-site.xyz/win", "links"),
])
@pytest.mark.parametrize("platform", [D, T, C])
async def test_each_rule_flags_into_the_review_queue_on_every_platform(
        cmbot_harness, platform, text, category):
    h = await cmbot_harness(_config())
    sent = await h.say(text, platform=platform, user="troll")
    assert h.last.verdict is not None and h.last.verdict.action == Action.FLAG
    assert h.last.verdict.category == category
    [notice] = _mod_notices(sent)
    assert notice.text.startswith("🚩 flag #1") and category in notice.text
    assert [b.command for b in notice.buttons] == ["flag allow 1", "flag remove 1",
                                                   "flag timeout 1"]


@pytest.mark.parametrize("text", ["hello everyone!", "that's sick", "KEKW KEKW KEKW",
                                  "gg well played", "https://clips.twitch.tv/abc",
                                  "what a clutch", "LETS GOOOOO"])
async def test_ordinary_chat_is_not_flagged(cmbot_harness, text):
    h = await cmbot_harness(_config())
    assert await h.say(text, user="viewer") == []
    assert h.last.verdict is None


async def test_a_flagged_message_is_not_answered_by_other_plugins(cmbot_harness):
    h = await cmbot_harness(_config())
    await h.say("!faq add rules be kind", **MOD)
    await h.advance(11)
    sent = await h.say("!rules you are trash", user="troll")
    assert [s.channel.name for s in sent] == ["mod-log"]


async def test_configured_actions_delete_and_escalate_timeouts_within_the_window(
        cmbot_harness):
    h = await cmbot_harness(_config('action_insult = "timeout"\naction_links = "delete"\n'))
    sent = await h.say("free skins at scam-site.xyz/win", user="troll")
    assert [s.kind for s in sent if s.kind != "send"] == ["delete"]
    first = await h.say("you are trash", user="troll")
    assert h.last.verdict.action == Action.FLAG  # step 1: a warning
    assert any("this is a warning" in s.text for s in first)
    await h.say("you are trash", user="troll")
    assert h.last.verdict.action == Action.TIMEOUT and h.last.verdict.timeout_seconds == 600
    await h.say("you are trash", user="troll")
    assert h.last.verdict.timeout_seconds == 3600
    await h.advance("25h")  # the window passed: back to a warning
    await h.say("you are trash", user="troll")
    assert h.last.verdict.action == Action.FLAG
    log = (await h.say("!modlog troll", **MOD))[0].text
    assert "timeout troll by auto" in log and "warn troll by auto" in log


async def test_an_automatic_action_the_platform_refuses_is_reported_and_left_for_review(
        cmbot_harness):
    h = await cmbot_harness(_config('action_insult = "timeout"\nescalation = ["1m"]\n'))
    h.platforms[D].refuse.add("timeout")  # Discord without Timeout Members answers 403
    sent = await h.say("you are trash", user="troll", platform=D)
    [notice] = _mod_notices(sent)
    assert notice.text.endswith("; deleted, timeout refused by the platform (missing "
                                "permission) — flagged for review"), notice.text
    assert "timed out" not in notice.text
    assert "flag timeout 1" in [b.command for b in notice.buttons]
    assert [s.kind for s in sent if s.kind != "send"] == ["delete"], "applied once, by the plugin"
    row = await h.bot.storage.fetchone("SELECT status FROM tox_flags WHERE id=1")
    assert row["status"] == "open"
    await h.advance(2)
    assert (await h.say("!flags", **MOD))[0].text.startswith("1 open: #1 troll")
    log = (await h.say("!modlog troll", **MOD))[0].text
    assert "timeout refused by the platform" in log
    h.platforms[D].refuse.clear()  # the permission is given back
    sent = await h.say("you are trash", user="troll", platform=D)
    [notice] = _mod_notices(sent)
    assert notice.text.endswith("; timed out 1m") and "refused" not in notice.text
    assert [s.kind for s in sent if s.kind != "send"] == ["delete", "timeout"]


async def test_a_refused_automatic_delete_is_reported(cmbot_harness):
    h = await cmbot_harness(_config('action_links = "delete"\n'))
    h.platforms[T].refuse.add("delete")
    sent = await h.say("free skins at scam-site.xyz/win", user="troll", platform=T)
    [notice] = _mod_notices(sent)
    assert notice.text.endswith("; delete refused by the platform (missing permission) — "
                                "flagged for review")
    assert [s.kind for s in sent if s.kind != "send"] == []


async def test_moderators_and_vips_are_exempt_and_bans_are_never_default(cmbot_harness):
    h = await cmbot_harness(_config())
    assert await h.say("you are trash", role=Role.VIP, user="vip") == []
    assert await h.say("you are trash", role=Role.MODERATOR, user="mo") == []
    h2 = await cmbot_harness(_config('action_insult = "ban"\n'))
    await h2.say("you are trash", user="troll", platform=D)
    assert h2.last.verdict.action == Action.BAN
    assert [s.kind for s in h2.sent(D, kind=None) if s.kind == "ban"] == ["ban"]


async def test_review_decisions_are_recorded_and_allowed_text_is_not_flagged_again(
        cmbot_harness):
    h = await cmbot_harness(_config())
    await h.say("uninstall the game", user="troll")
    await h.say("uninstall the game", user="troll2", platform=D)
    queue = (await h.say("!flags", **MOD))[0].text
    assert queue.startswith("2 open: #1 troll: “uninstall the game”")
    await h.advance(2)
    assert "is for moderators" in (await h.say("!flag allow 1"))[0].text
    assert (await h.say("!flag allow 1", **MOD))[0].text.startswith("✓ flag #1 allowed")
    await h.advance(2)
    assert "already decided (allowed by mo)" in (await h.say("!flag allow 1", **MOD))[0].text
    assert await h.say("uninstall the game", user="someone") == []  # same text, same channel
    await h.advance(2)
    [_, done] = await h.say("!flag remove 2", platform=D, **MOD)
    assert done.text == "✓ flag #2: message removed"
    row = await h.bot.storage.fetchone("SELECT status, decided_by FROM tox_flags WHERE id=2")
    assert (row["status"], row["decided_by"]) == ("removed", "mo")


async def test_flag_allow_always_adds_the_term_to_the_channel_allowlist(cmbot_harness):
    h = await cmbot_harness(_config())
    await h.say("this boss is a loser", user="a")
    await h.say("what a loser move by the boss", user="c")  # scored once, before
    await h.say("!flag allow 1 --always", **MOD)
    assert await h.say("what a loser move by the boss", user="b") == [], "not a stale score"
    elsewhere = await h.say("what a loser move by the boss", user="d", channel="otherchan")
    assert elsewhere == [] and h.last.verdict is not None, "other channels keep the rule"


async def test_flag_timeout_times_out_and_deletes(cmbot_harness):
    h = await cmbot_harness(_config())
    await h.say("you are trash", user="troll")
    sent = await h.say("!flag timeout 1 5m", **MOD)
    kinds = [(s.kind, s.seconds) for s in sent]
    assert ("timeout", 300) in kinds and ("delete", 0) in kinds
    assert "timed out for 5m" in sent[-1].text


async def test_permit_allows_exactly_one_link(cmbot_harness):
    h = await cmbot_harness(_config())
    await h.say("!permit @fan", **MOD)
    assert await h.say("my clip: example.com/clip", user="fan") == []
    sent = await h.say("another: example.com/two", user="fan")
    assert h.last.verdict is not None and h.last.verdict.category == "links"
    assert _mod_notices(sent)


async def test_dry_run_only_logs(cmbot_harness, caplog):
    import logging
    caplog.set_level(logging.INFO)
    h = await cmbot_harness(_config("dry_run = true\n"))
    assert await h.say("you are trash", user="troll") == []
    assert h.last.verdict is None
    assert any("dry run: would flag troll" in r.getMessage() for r in caplog.records)
    assert await h.bot.storage.fetchval("SELECT COUNT(*) FROM tox_flags") == 0


async def test_a_raid_burst_raises_one_alert(cmbot_harness):
    h = await cmbot_harness(_config())
    alerts = []
    for i in range(40):  # the same line from 40 accounts in 20 seconds
        sent = await h.say("follow my channel for free subs now", user=f"bot{i}")
        alerts += [s for s in _mod_notices(sent) if "possible raid" in s.text]
        await h.advance(0.5)
    assert len(alerts) == 1
    assert "the same message from 8 accounts" in alerts[0].text
    assert "slow mode" in alerts[0].text


async def test_many_viewers_typing_the_same_command_is_not_a_raid(cmbot_harness):
    h = await cmbot_harness(_config())
    await h.say('!poll start "Best map?" Dust Mirage', user="mo", role=Role.MODERATOR)
    alerts = []
    for i in range(30):  # a poll: thirty viewers type the same vote
        sent = await h.say("!vote 2", user=f"viewer{i}")
        alerts += [s for s in _mod_notices(sent) if "possible raid" in s.text]
        await h.advance(0.5)
    assert alerts == []


async def test_a_burst_of_hostile_lines_raises_one_alert_with_rate_and_baseline(
        cmbot_harness):
    h = await cmbot_harness(_config())
    for i in range(30):  # a calm baseline
        await h.say(f"nice play number {i}", user=f"v{i}")
        await h.advance(20)
    alerts = []
    for i in range(25):
        sent = await h.say(f"you are trash {i}", user=f"raider{i}")
        alerts += [s for s in _mod_notices(sent) if "possible raid or crisis" in s.text]
        await h.advance(1)
    assert len(alerts) == 1
    assert "10 flagged/hostile lines in the last 60s (usual: 0.0)" in alerts[0].text


async def test_retention_deletes_flagged_text(cmbot_harness):
    h = await cmbot_harness(_config("retention_days = 1\n"))
    await h.say("you are trash", user="troll")
    await h.advance("1d1h")
    assert await h.bot.storage.fetchval("SELECT COUNT(*) FROM tox_flags") == 0
    assert await h.bot.storage.fetchval("SELECT COUNT(*) FROM tox_modlog") == 0


async def test_forgetme_keeps_the_moderation_record_pseudonymised_and_escalation_goes_on(
        cmbot_harness):
    h = await cmbot_harness(_config('action_insult = "timeout"\n'))
    await h.say("you are trash", user="troll")  # strike 1: a warning, flag #1
    await h.say("uninstall the game", user="troll")  # strike 2: 10m, flag #2 (still open)
    await h.advance(2)
    await h.say("!flag remove 1", **MOD)
    await h.say("uninstall now", user="other")
    reply = (await h.say("!forgetme", user="troll"))[0].text
    assert "kept, with your name replaced by a pseudonym" in reply
    rows = await h.bot.storage.fetchall("SELECT id, user_name, text FROM tox_flags ORDER BY id")
    [pseudonym] = {r["user_name"] for r in rows[:2]}
    assert pseudonym.startswith("forgotten-") and "troll" not in pseudonym
    assert [tuple(r) for r in rows] == [(1, pseudonym, ""),  # decided: text erased
                                        (2, pseudonym, "uninstall the game"),  # open: kept
                                        (3, "other", "uninstall now")]
    log = (await h.say("!modlog", **MOD))[0].text
    assert "troll" not in log and f"warn {pseudonym} by auto" in log
    await h.advance(2)
    await h.say("you are trash", user="troll")  # strike 3 even after !forgetme
    assert h.last.verdict.action == Action.TIMEOUT and h.last.verdict.timeout_seconds == 3600
    await h.advance(2)
    sent = await h.say("!flag timeout 2", **MOD)  # the open flag can still be acted on
    assert ("timeout", 600) in [(s.kind, s.seconds) for s in sent]
    help_text = (await h.say("!help forgetme", user="someone"))[0].text
    assert "moderation records are kept under a pseudonym" in help_text


async def test_an_old_flag_id_never_points_at_a_new_flag(cmbot_harness):
    h = await cmbot_harness(_config("retention_days = 1\n"))
    [notice] = _mod_notices(await h.say("you are trash", user="troll"))
    assert "flag timeout 1" in [b.command for b in notice.buttons]
    await h.advance("1d1h")  # retention empties the table
    await h.say("uninstall the game", user="innocent-ish")
    assert await h.bot.storage.fetchval("SELECT id FROM tox_flags") == 2
    await h.advance(2)
    sent = await h.say("!flag timeout 1", **MOD)  # the old notice's button
    assert "there is no flag #1 here" in sent[0].text
    assert [s.kind for s in sent if s.kind != "send"] == []


async def test_the_migration_keeps_flags_and_starts_ids_past_every_id_handed_out(
        cmbot_harness, tmp_path):
    from cmbot_plugins.toxicity.store import MIGRATIONS

    from cmbot.storage import Storage
    old = Storage(tmp_path / "cmbot.db")  # a database of the previous version
    await old.open()
    await old.migrate("toxicity", MIGRATIONS[:1])
    for i in (1, 2, 3):
        await old.execute(
            "INSERT INTO tox_flags(scope, channel, message_id, user_key, user_name, text, "
            "category, reason, score, action, created_at) "
            "VALUES('main', '{}', 'm', 'twitch:u', 'u', ?, 'insults', 'r', 1, 'flag', ?)",
            (f"line {i}", 1.7e9 + i))
    await old.execute("INSERT INTO tox_modlog(scope, user_key, user_name, action, reason, "
                      "by, at, flag_id) VALUES('main', 'twitch:u', 'u', 'delete', 'r', 'mo', "
                      "1.7e9, 4)")  # flag #4 is gone, its notice may still be read
    await old.execute("DELETE FROM tox_flags WHERE id=3")
    await old.close()
    h = await cmbot_harness(_config())
    texts = await h.bot.storage.fetchall("SELECT id, text FROM tox_flags ORDER BY id")
    assert [tuple(r) for r in texts] == [(1, "line 1"), (2, "line 2")]
    await h.say("you are trash", user="troll")
    assert await h.bot.storage.fetchval("SELECT MAX(id) FROM tox_flags") == 5


@pytest.mark.parametrize("text", ["Z\u0336\u0337" * 4000, "x" * 10_000, "\u202e\u200bkys\x00",
                                  "ｙｏｕ ａｒｅ ｔｒａｓｈ"])
async def test_hostile_input_is_handled(cmbot_harness, text):
    h = await cmbot_harness(_config())
    await h.say(text, user="troll")
    assert h.last.ignored is None


def test_normalisation_defeats_common_evasions():
    assert for_matching("ｙｏｕ ａｒｅ ｔｒａｓｈ") == "you are trash"
    assert for_matching("f.u.c.k y.o.u") == "fuck you"
    assert for_matching("Y0U 4RE TR4SH!!!") == "you are trash"


def test_regexes_run_in_linear_time_and_unsupported_ones_are_refused_with_a_fix():
    from cmbot_plugins.toxicity.rules import compile_patterns
    assert compile_patterns(["(a+)+$"])[0].search("a" * 5000 + "!") is None  # RE2: fast
    with pytest.raises(ValueError, match=r"is refused: missing \).*Fix: write it in RE2"):
        compile_patterns(["(unclosed"])
    with pytest.raises(ValueError, match="is refused: invalid escape sequence"):
        compile_patterns([r"(a)\1"])  # backreferences need backtracking
    assert compile_patterns([r"buy\s+followers"])[0].search("BUY   followers")


@pytest.mark.skipif(not (SHARED / "toxicity").is_dir(), reason="shared data not present")
def test_eval_toxicity_prints_the_four_figures(capsys, tmp_path):
    from cmbot.cli import main
    rows = (SHARED / "toxicity" / "conda_dota2" / "dev.csv").read_text().splitlines()[:400]
    small = tmp_path / "small.csv"
    small.write_text("\n".join(rows) + "\n")
    assert main(["eval", "toxicity", str(small)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert set(dict(p.split("=") for p in last.split())) == {"precision", "recall", "f1",
                                                            "flagged_rate"}
    assert main(["eval", "toxicity", str(small), "--unlabeled"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("flagged_rate=")


def test_eval_toxicity_prints_a_category_table_and_takes_a_level_and_a_language(
        capsys, tmp_path):
    from cmbot.cli import main
    small = tmp_path / "small.csv"
    small.write_text("text,label\nkys,1\nyou are trash,1\nhello everyone,0\n"
                     "THIS IS THE WORST STREAM I HAVE EVER SEEN IN MY WHOLE ENTIRE LIFE,1\n")
    assert main(["eval", "toxicity", str(small), "--sensitivity", "strict",
                 "--language", "fr"]) == 0
    out = capsys.readouterr().out.splitlines()
    table = dict(line.split() for line in out if line.split()[0] in
                 ("self_harm", "insult", "spam"))
    assert table == {"self_harm": "1", "insult": "1", "spam": "1"}
    assert out[-1] == "precision=1.000 recall=1.000 f1=1.000 flagged_rate=0.750"
    with pytest.raises(SystemExit):
        main(["eval", "toxicity", str(small), "--sensitivity", "extreme"])
    assert "invalid choice: 'extreme'" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nhello,maybe\n")
    assert main(["eval", "toxicity", str(bad)]) != 0
    assert "every label must be 0 or 1" in capsys.readouterr().err


@pytest.mark.parametrize("at_once", [False, True])
async def test_a_flood_of_flags_is_summarised_instead_of_burying_the_mod_channel(
        cmbot_harness, caplog, at_once):
    h = await cmbot_harness(_config())
    if at_once:  # all 30 records written concurrently, off the message path (some may
        adapter = h.platforms[T]  # finish, and send, while later messages are handled)
        for i in range(30):
            await h.bot.handle_message(adapter.make_message(
                f"you are trash number {i}", user=f"t{i}", channel="mychannel"))
    for i in range(0 if at_once else 30):
        await h.say(f"you are trash number {i}", user=f"t{i}")
        await h.advance(0.5)  # Discord sends 5 per 5 s
    for _ in range(30 if at_once else 0):
        await h.advance(0.5)
    await h.advance(10)
    notices = _mod_notices(h.sent())
    assert len([n for n in notices if n.text.startswith("🚩 flag #")]) == 10
    digest = _mod_notices(await h.advance(50))
    assert [n.text for n in digest if "more flag(s)" in n.text] == [
        "🚩 20 more flag(s) in the last minute were queued without a notice — review them "
        "with !flags"]
    assert "30 open" in (await h.say("!flags", **MOD))[0].text
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


async def test_flags_are_written_off_the_message_path_and_survive_a_stop(cmbot_harness):
    h = await cmbot_harness(_config())
    adapter = h.platforms[T]
    outcomes = [await h.bot.handle_message(adapter.make_message(
        f"you are trash {i}", user=f"troll{i}", channel="mychannel")) for i in range(3)]
    assert all(o.verdict.action == Action.FLAG for o in outcomes)
    await h.restart()  # stop waits for the records being written
    rows = await h.bot.storage.fetchall("SELECT user_name FROM tox_flags ORDER BY id")
    assert [r["user_name"] for r in rows] == ["troll0", "troll1", "troll2"]
    notices = [s.text for s in h.platforms[D].sent if s.channel.name == "mod-log"]
    assert len(notices) == 3 and all(n.startswith("🚩 flag #") for n in notices)
    queue = (await h.say("!flags", **MOD))[0].text
    assert queue.startswith("3 open:")


def test_a_flood_of_distinct_long_lines_keeps_the_raid_detector_bounded():
    """Memory per channel is capped whatever the lines' length, and a raid that follows
    a flood of distinct lines is still caught."""
    from cmbot_plugins.toxicity.raid import MAX_TRACKED_PAIRS, RaidDetector

    detector = RaidDetector()
    now = 0.0
    for i in range(MAX_TRACKED_PAIRS * 3):  # all inside one window
        line = f"distinct line {i} " + "x" * 1500
        assert detector.observe("twitch:c", now, bad=False, normalised=line, user=f"u{i}",
                                text=line) is None
        now += 0.001
    watch = detector.channels["twitch:c"]
    assert len(watch.pairs) == MAX_TRACKED_PAIRS
    assert sum(watch.senders.values()) == MAX_TRACKED_PAIRS
    alerts = [detector.observe("twitch:c", now, bad=False, normalised="buy followers now",
                               user=f"bot{i}", text="buy followers now") for i in range(8)]
    assert alerts[-1] is not None and "from 8 accounts" in alerts[-1]
    now += 120  # everything leaves the window
    detector.observe("twitch:c", now, bad=False, normalised="hello there", user="v",
                     text="hello there")
    assert len(watch.pairs) == 1 and watch.senders == {hash("hello there"): 1}


@pytest.mark.parametrize("platform", [D, T, C])
async def test_a_lone_surrogate_in_a_chat_line_is_replaced_at_intake_so_the_flag_is_stored(
        cmbot_harness, platform):
    """A lone surrogate ("\\ud800", from a platform's JSON escape) cannot be encoded as
    UTF-8: the flag's write failed. The core replaces it with U+FFFD where messages enter."""
    h = await cmbot_harness(_config())
    sent = await h.say("you are trash \ud800 uninstall the game \ud83d\ude00",
                       platform=platform, user="Tro\udfffll", user_id="troll")
    assert h.last.verdict is not None and h.last.verdict.action == Action.FLAG
    [notice] = _mod_notices(sent)
    assert notice.text.startswith("🚩 flag #1")
    row = await h.bot.storage.fetchone("SELECT text, user_name FROM tox_flags")
    assert row["text"] == "you are trash \ufffd uninstall the game 😀"
    assert "\ufffd" in row["user_name"] and "\udfff" not in row["user_name"]
    sent = await h.say("!feedback great \udc00 stream", platform=platform, user="fan")
    assert [s.text for s in sent] == ["✓ thanks, your feedback was recorded"]
    assert await h.bot.storage.fetchval("SELECT text FROM feedback") == "great \ufffd stream"


async def test_flags_and_modlog_say_how_many_more_and_page(cmbot_harness):
    h = await cmbot_harness(_config())
    for i in range(7):
        await h.say(f"you are trash number {i}", user="troll")
        await h.advance(2)
    first = (await h.say("!flags", **MOD))[0].text
    assert first.startswith("7 open: #1 troll") and "#5 troll" in first and "#6" not in first
    assert "… and 2 more (!flags 2)" in first
    second = (await h.say("!flags 2", **MOD))[0].text
    assert "#6 troll" in second and "#7 troll" in second and "#5" not in second
    assert "more" not in second
    assert "past the end" in (await h.say("!flags 3", **MOD))[0].text
    for i in range(1, 8):
        await h.say(f"!flag allow {i}", **MOD)
        await h.advance(2)
    log = (await h.say("!modlog troll", **MOD))[0].text
    assert log.count("allow troll") == 5 and "… and 2 more (!modlog troll 2)" in log
    older = (await h.say("!modlog troll 2", **MOD))[0].text
    assert older.count("allow troll") == 2 and "more" not in older
    assert "… and 2 more (!modlog 2)" in (await h.say("!modlog", **MOD))[0].text
    assert (await h.say("!modlog 2", **MOD))[0].text.count("allow troll") == 2
    assert (await h.say("!modlog troll 9", **MOD))[0].text == \
        "Nothing in the mod log for troll on page 9."


async def test_a_users_markdown_is_shown_as_typed_in_discord_notices_not_as_markup(
        cmbot_harness):
    h = await cmbot_harness(_config())
    name = "[x](https://evil.example)"
    await h.say("you are trash **FREE NITRO** [claim](https://evil.example)", user=name)
    await h.advance(1)
    notice = [n.text for n in _mod_notices(h.sent()) if n.text.startswith("🚩 flag #")]
    assert len(notice) == 1
    assert r"\[x\]\(https\://evil.example\): “you are trash \*\*FREE NITRO\*\* " \
        r"\[claim\]\(https\://evil.example\)”" in notice[0]
    listing = (await h.say("!flags", **MOD))[0].text  # Twitch shows no markup: as typed
    assert "[x](https://evil.example): “you are trash **FREE NITRO**" in listing
    assert "\ue000" not in listing and "\\[" not in listing
