"""FAQ plugin through the harness, on every platform kind."""

from pathlib import Path

import pytest

from cmbot import Platform, Role

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
CLINC = SHARED / "faq" / "clinc150_dev.json"
MOD = {"role": Role.MODERATOR, "user": "mo"}
DISCORD_QUESTIONS = ["how do i join the discord", "is there a discord server",
                     "whats the discord link", "where can i find the discord",
                     "do you have a discord"]
KEYBOARD_QUESTIONS = ["what keyboard do you use", "which keyboard is that",
                      "what switches are those", "what keyboard is that", "whats your keyboard"]


def _config(matcher="auto", extra=""):
    return f"""
[communities.main]
channels = ["twitch:mychannel", "discord:general"]
mod_channels = ["discord:mod-log"]
[plugins.faq]
matcher = "{matcher}"
{extra}
"""


async def _seed(h, platform=Platform.TWITCH):
    async def mod(text):
        sent = await h.say(text, platform=platform, **MOD)
        await h.advance(2)
        return sent
    await mod("!faq add discord Join us at discord.gg/example, {user}!")
    for q in DISCORD_QUESTIONS:
        await mod(f"!faq teach discord {q}")
    await mod("!faq add keyboard Keychron Q1, brown switches (asked {count} times)")
    for q in KEYBOARD_QUESTIONS:
        await mod(f"!faq teach keyboard {q}")
    h.clear()


@pytest.fixture(params=["semantic", "lexical"])
def matcher(request):
    if request.param == "semantic":
        from cmbot_plugins.faq.matching import semantic_unavailable
        reason = semantic_unavailable()
        if reason:
            pytest.skip(reason)
    return request.param


async def test_moderators_manage_entries_and_viewers_read_them(cmbot_harness, cmbot_platform):
    h = await cmbot_harness(_config("lexical"))
    p = cmbot_platform

    async def say(text, **kw):
        sent = await h.say(text, platform=p, **kw)
        await h.advance(11)  # past the 10 s cooldown of explicit !key answers
        return [s.text for s in sent]

    assert (await say("!faq add discord Join at discord.gg/x", **MOD))[0].startswith(
        "✓ added !discord")
    assert await say("!discord") == ["Join at discord.gg/x"]
    assert await say("!faq discord") == ["Join at discord.gg/x"]
    assert (await say("!faq edit discord New link discord.gg/y", **MOD)) == ["✓ updated !discord"]
    assert (await say("!faq alias discord dc", **MOD)) == ["✓ !dc now answers like !discord"]
    assert await say("!dc") == ["New link discord.gg/y"]
    assert await say("!faq list") == ["FAQ: !discord"]
    show = (await say("!faq show dc", **MOD))[0]
    assert "aliases: dc" in show and "hits: 3" in show
    assert "is for moderators" in (await say("!faq add x y"))[0]
    assert "is for moderators" in (await say("!faq remove discord"))[0]
    assert (await say("!faq remove discord", **MOD))[0].startswith("✓ removed !discord")
    assert await say("!discord") == []
    assert "no FAQ entry 'discord'" in (await say("!faq discord"))[0]


async def test_bad_input_is_answered_clearly_and_nothing_stored_changes(cmbot_harness):
    h = await cmbot_harness(_config("lexical"))
    await h.say("!faq add discord Join us", **MOD)

    async def err(text):
        await h.advance(2)
        [sent] = await h.say(text, **MOD)
        return sent.text

    assert "missing <answer>" in await err("!faq add emptyanswer")
    assert "<key> must not be empty" in await err('!faq add "" something')
    assert "must be 1-32 characters" in await err("!faq add Bad/Key something")
    assert "longer than 2000 characters and was cut, so !faq add did nothing" in \
        await err("!faq add long " + "x" * 5000)
    assert "the answer is 1500 characters; the limit is 400" in \
        await err("!faq edit discord " + "y" * 1500)
    assert "no FAQ entry 'nope'" in await err("!faq edit nope text")
    assert "'help' is already a bot command" in await err("!faq add help text")
    assert "'discord' is already an FAQ key" in await err("!faq add discord again")
    assert "no FAQ entry 'ghost'" in await err("!faq teach ghost how?")
    assert "has 0 phrasing(s)" in await err("!faq forget-phrase discord 3")
    h.clear()
    await h.advance(20)
    assert [s.text for s in await h.say("!discord")] == ["Join us"]
    rows = await h.bot.storage.fetchall("SELECT key, answer FROM faq_entries")
    assert [(r["key"], r["answer"]) for r in rows] == [("discord", "Join us")]


async def test_questions_in_plain_chat_are_answered_and_chatter_is_left_alone(
        cmbot_harness, cmbot_platform, matcher):
    h = await cmbot_harness(_config(matcher))
    await _seed(h, cmbot_platform)
    p = cmbot_platform
    sent = await h.say("hey where is the discord link?", platform=p, user="ann")
    assert [s.text for s in sent] == ["Join us at discord.gg/example, ann!"]
    assert sent[0].reply_to is not None
    assert h.last.answered_by == "faq"
    sent = await h.say("what keyboard do you use?", platform=p, user="bob")
    assert [s.text for s in sent] == ["Keychron Q1, brown switches (asked 1 times)"]
    for chatter in ["lol", "KEKW KEKW", "this song slaps", "gg ez", "what a play that was",
                    "i just got home from work"]:
        sent = await h.say(chatter, platform=p, user="cat")
        assert [s for s in sent if s.channel.name != "mod-log"] == [], chatter


async def test_linked_channels_share_one_faq(cmbot_harness):
    h = await cmbot_harness(_config("lexical"))
    await h.say("!faq add rules Be kind.", platform=Platform.DISCORD, **MOD)
    assert [s.text for s in await h.say("!rules", platform=Platform.TWITCH)] == ["Be kind."]
    other = await h.say("!rules", platform=Platform.TWITCH, channel="otherchannel")
    assert other == []  # not in the community: its own FAQ


async def test_auto_answer_cooldown_budget_and_switch(cmbot_harness):
    h = await cmbot_harness(_config("lexical", "budget_count = 2\nbudget_window = 600"))
    await _seed(h)
    ask = "hey where is the discord link?"
    assert len(await h.say(ask, user="a")) == 1
    assert await h.say(ask, user="b") == []  # entry cooldown (60 s)
    await h.advance(61)
    assert len(await h.say("what keyboard do you use?", user="c")) == 1
    await h.advance(61)
    assert await h.say(ask, user="d") == []  # budget: 2 per 10 minutes
    await h.advance(600)
    assert len(await h.say(ask, user="e")) == 1
    h2 = await h.restart()
    assert (await h2.say("!discord"))[0].text.startswith("Join us")  # explicit still works


async def test_auto_answer_can_be_switched_off_per_channel(cmbot_harness):
    h = await cmbot_harness(_config("lexical") +
                            '[channels."twitch:mychannel".plugins.faq]\nauto_answer = false\n')
    await _seed(h)
    assert await h.say("hey where is the discord link?") == []
    assert len(await h.say("hey where is the discord link?",
                           platform=Platform.DISCORD)) == 1
    assert len(await h.say("!discord")) == 1


async def test_flagged_messages_and_the_bots_own_lines_are_not_answered(cmbot_harness):
    from cmbot import Action, Verdict, hookimpl

    class FlagDiscord:
        @hookimpl
        def cmbot_moderate(self, ctx, message):
            if "stupid" in message.text:
                return Verdict(Action.FLAG, "insult")

    h = await cmbot_harness(_config("lexical"), plugins=[("flagger", FlagDiscord())])
    await _seed(h)
    sent = await h.say("where is the stupid discord link?")
    assert [s for s in sent if s.channel.name != "mod-log"] == []
    assert await h.say("where is the discord link?", user="cmbot", user_id="bot") \
        == []


async def test_teaching_forgetting_and_the_dry_run(cmbot_harness, matcher):
    h = await cmbot_harness(_config(matcher))
    await _seed(h)

    async def mod(text):
        await h.advance(2)
        return (await h.say(text, **MOD))[0].text

    assert (await mod("!faq test how can I join your discord?")).startswith(
        "would answer !discord score")
    assert (await mod("!faq test my cat is sitting on my keyboard")).startswith("no answer")
    assert "already knows that phrasing" in await mod("!faq teach discord do you have a discord")
    assert await mod("!faq forget-phrase discord 1") == \
        "✓ discord forgot “how do i join the discord”"
    assert await mod("!faq forget-phrase discord is there a discord server") == \
        "✓ discord forgot “is there a discord server”"
    show = await mod("!faq show discord")
    assert "1. whats the discord link 2. where can i find" in show


async def test_import_export_round_trip_in_both_formats(cmbot_harness, tmp_path, matcher):
    h = await cmbot_harness(_config(matcher, f'files_dir = "{tmp_path / "files"}"'))
    await _seed(h)
    await h.say("!faq alias discord dc", **MOD)
    for fmt in ("toml", "csv"):
        await h.advance(2)
        sent = await h.say(f"!faq export {fmt}", **MOD)
        assert sent[0].text.startswith("✓ exported 2 entries to ")
        assert (tmp_path / "files" / f"faq-community-main.{fmt}").is_file()
    exported = (tmp_path / "files" / "faq-community-main.toml").read_text()
    await h.say("!faq remove discord", **MOD)
    await h.say("!faq remove keyboard", **MOD)
    await h.advance(5)
    sent = await h.say("!faq import faq-community-main.toml", **MOD)
    assert sent[0].text == "✓ imported faq-community-main.toml: 2 new, 0 updated"
    await h.advance(5)
    await h.say("!faq export toml", **MOD)
    assert (tmp_path / "files" / "faq-community-main.toml").read_text() == exported
    await h.advance(5)
    sent = await h.say("!faq import faq-community-main.csv", **MOD)
    assert sent[0].text == "✓ imported faq-community-main.csv: 0 new, 2 updated"
    await h.advance(5)
    assert len(await h.say("hey where is the discord link?")) == 1


@pytest.mark.parametrize("content,problem", [
    ("[[entry]]\nkey = 'Bad Key'\nanswer = 'x'\n", "entry 1: key 'Bad Key' must be"),
    ("[[entry]]\nkey = 'ok'\nanswer = ''\n", "entry 1 (ok): the answer is empty"),
    ("[[entry]]\nkey = 'a'\nanswer = 'x'\n[[entry]]\nkey = 'a'\nanswer = 'y'\n",
     "'a' is used twice"),
    ("[[entry\n", "not valid TOML"),
])
async def test_a_bad_import_file_changes_nothing(cmbot_harness, tmp_path, content, problem):
    files = tmp_path / "files"
    files.mkdir()
    (files / "bad.toml").write_text(content)
    h = await cmbot_harness(_config("lexical", f'files_dir = "{files}"'))
    await h.say("!faq add keep Still here", **MOD)
    await h.advance(2)
    sent = await h.say("!faq import bad.toml", **MOD)
    assert problem in sent[0].text
    await h.advance(2)
    assert "../etc/passwd" in (await h.say("!faq import ../etc/passwd", **MOD))[0].text
    rows = await h.bot.storage.fetchall("SELECT key FROM faq_entries")
    assert [r["key"] for r in rows] == ["keep"]


async def test_variables_come_from_other_plugins_or_stay_empty(cmbot_harness):
    from cmbot import hookimpl

    class Events:
        @hookimpl
        def cmbot_variables(self, ctx):
            return {"next_event": "Friday 20:00"}

    h = await cmbot_harness(_config("lexical"))
    await h.say("!faq add upcoming Next: {next_event} in #{channel} {unknown}", **MOD)
    assert (await h.say("!upcoming"))[0].text == "Next:  in #mychannel {unknown}"
    h2 = await cmbot_harness(_config("lexical") + '[bot]\ndisabled_plugins = ["announcements"]\n',
                             plugins=[("events", Events())])
    await h2.say("!faq add upcoming Next: {next_event}", **MOD)
    assert (await h2.say("!upcoming"))[0].text == "Next: Friday 20:00"


async def test_cmbot_plugins_says_which_matcher_is_active(cmbot_harness):
    import cmbot_plugins.faq as faq
    h = await cmbot_harness(_config("lexical"))
    assert faq.cmbot_status(h.plugin_bot("faq")).startswith("matcher: lexical")


@pytest.mark.skipif(not CLINC.is_file(), reason="shared evaluation data not present")
def test_eval_faq_on_a_small_clinc_slice_prints_the_three_figures(tmp_path, capsys):
    import json

    from cmbot.cli import main
    data = json.loads(CLINC.read_text())
    keep = sorted({i for _, i in data["train"]})[:8]
    small = {"train": [x for x in data["train"] if x[1] in keep],
             "test": [x for x in data["test"] if x[1] in keep][:80],
             "oos_test": data["oos_test"][:40]}
    path = tmp_path / "small.json"
    path.write_text(json.dumps(small))
    assert main(["eval", "faq", str(path), "--matcher", "lexical"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    figures = dict(part.split("=") for part in last.split())
    assert set(figures) == {"in_scope_accuracy", "oos_recall", "combined"}
    assert float(figures["combined"]) > 0.5


def test_eval_faq_rejects_a_file_of_the_wrong_shape(tmp_path, capsys):
    from cmbot.cli import main
    path = tmp_path / "x.json"
    path.write_text('{"train": []}')
    assert main(["eval", "faq", str(path)]) == 2
    assert "missing 'test'" in capsys.readouterr().err




async def test_stream_hype_chatter_is_not_answered_but_schedule_questions_are(cmbot_harness,
                                                                             matcher):
    h = await cmbot_harness(_config(matcher) + "entry_cooldown = 0.0\nbudget_count = 1000\n")
    for line in ("!faq add schedule We stream Mon/Wed/Fri at 20:00 CET",
                 "!faq teach schedule when do you stream",
                 "!faq teach schedule what is the stream schedule",
                 "!faq teach schedule when is the next stream"):
        await h.say(line, role=Role.MODERATOR, user="mod")
    h.clear()
    for line in ("WW STREAM PIECE", "W stream chat", "last stream gg", "stream it bro",
                 "great stream today everyone", "WWW STREAM LETS GOOO",
                 "when is the next stream clip https://clips.twitch.tv/abc"):
        assert await h.say(line) == [], f"answered chatter: {line!r}"
        await h.advance(2)
    answered = await h.say("hey when is the next stream?")
    assert [s.text for s in answered] == ["We stream Mon/Wed/Fri at 20:00 CET"]


async def test_the_encoder_runs_off_the_message_path_and_a_flood_is_shed(cmbot_harness):
    from cmbot_plugins.faq import PENDING_ANSWERS
    from cmbot_plugins.faq.matching import semantic_unavailable
    if semantic_unavailable():
        pytest.skip(semantic_unavailable())
    h = await cmbot_harness(_config("semantic", "entry_cooldown = 0\nbudget_count = 100"))
    await _seed(h)
    adapter = h.platforms[Platform.TWITCH]
    questions = [f"hey where is the discord link number {i}?" for i in range(PENDING_ANSWERS
                                                                             + 3)]
    outcomes = [await h.bot.handle_message(adapter.make_message(q, user=f"u{i}",
                                                                channel="mychannel"))
                for i, q in enumerate(questions)]
    # the message path returned before any encoding: nothing answered yet
    assert adapter.sent == []
    assert [o.answered_by for o in outcomes] == ["faq"] * PENDING_ANSWERS + [None] * 3
    await h.bot.background.settle()
    await h.advance(60)  # the channel's send limit queues some answers
    answers = [s for s in adapter.sent if s.text.startswith("Join us at discord.gg")]
    assert len(answers) == PENDING_ANSWERS
    assert h.bot.background.shed("faq") == 3
    # the same line again is a cached match: answered on the message path
    outcome = await h.bot.handle_message(adapter.make_message(questions[0], user="late",
                                                              channel="mychannel"))
    assert outcome.answered_by == "faq" and h.bot.background.running("faq") == 0


async def test_questions_answered_concurrently_still_respect_the_entry_cooldown(cmbot_harness):
    from cmbot_plugins.faq.matching import semantic_unavailable
    if semantic_unavailable():
        pytest.skip(semantic_unavailable())
    h = await cmbot_harness(_config("semantic"))
    await _seed(h)
    adapter = h.platforms[Platform.TWITCH]
    for i, q in enumerate(["hey where is the discord link?", "is there a discord server?",
                           "how do i join the discord?"]):
        await h.bot.handle_message(adapter.make_message(q, user=f"u{i}", channel="mychannel"))
    await h.bot.background.settle()
    await h.advance(5)
    assert len([s for s in adapter.sent if s.text.startswith("Join us")]) == 1


async def test_a_line_the_gate_turned_away_still_gets_a_full_dry_run(cmbot_harness, matcher):
    h = await cmbot_harness(_config(matcher))
    await _seed(h)
    assert await h.say("my cat walked across the piano again") == []  # chat: not answered
    reply = (await h.say("!faq test my cat walked across the piano again", **MOD))[0].text
    assert "score" in reply and "threshold" in reply


async def test_unknown_bang_words_in_chat_cost_no_query_and_new_keys_and_aliases_answer(
        cmbot_harness):
    h = await cmbot_harness(_config("lexical", "key_cooldown = 0"))
    await _seed(h)
    assert await h.say("!lurk") == []
    with h.queries() as queries:
        for _ in range(20):
            assert await h.say("!lurk") == []
    assert queries == []
    await h.say("!faq add lurk Enjoy the lurk!", **MOD)
    assert [s.text for s in await h.say("!lurk")] == ["Enjoy the lurk!"]
    await h.say("!faq alias lurk afk", **MOD)
    assert [s.text for s in await h.say("!afk")] == ["Enjoy the lurk!"]


@pytest.mark.parametrize(("text", "min_words", "expected"), [
    ("how do I join the discord", 3, True),       # enough words
    ("when is the stream", 3, True),
    ("discord link?", 3, True),                   # two words and a question mark
    ("what time", 3, True),                       # two words, a question word first
    ("is it", 3, True),
    ("what?", 3, False),                          # one word is chatter, even asking
    ("KEKW KEKW", 3, False),                      # two words, no question
    ("lol nice one", 4, False),                   # below min_words
    ("x1 x2 x3 42", 3, False),                    # digits and one-letter runs are no words
    ("join discord.gg/abc now friends", 3, False),  # a link: a promotion, not a question
    ("what is this https://clips.twitch.tv/abc", 3, False),
    ("anyone seen www.example.org today", 3, False),
    ("what does 3.5/5 mean for the rating", 3, True),  # "." and "/" without a link
    ("é è ça va bien", 3, True),                  # letters beyond ASCII count as words
])
def test_the_question_filter_keeps_its_rules(text, min_words, expected):
    """No link, and either min_words words, or two words with a question mark or a
    question word first."""
    from cmbot_plugins.faq import looks_like_question

    assert looks_like_question(text, min_words) is expected


async def test_a_phrasing_taught_while_the_index_is_being_built_is_used(cmbot_harness):
    """The index build and an edit race: the edit must win (the stale index is not kept)."""
    import asyncio

    from cmbot_plugins.faq.state import state_of
    h = await cmbot_harness(_config("lexical"))
    await _seed(h)
    state = state_of(h.plugin_bot("faq"))
    await h.say("!faq add twitter Follow us @example", **MOD)
    release = asyncio.Event()
    real = state.store.phrases_for_index

    async def slow(scope):
        rows = await real(scope)
        await release.wait()
        return rows
    state.store.phrases_for_index = slow  # type: ignore[method-assign]
    building = asyncio.create_task(h.say("!faq test how do i join the discord", **MOD))
    await asyncio.sleep(0.05)  # the build has read the phrasings and waits
    await h.say("!faq teach twitter where is your twitter account", **MOD)
    release.set()
    assert any("would answer !discord" in s.text for s in await building)
    state.store.phrases_for_index = real  # type: ignore[method-assign]
    sent = await h.say("!faq test where is your twitter account", **MOD)
    assert "would answer !twitter" in sent[0].text


async def test_a_csv_export_quotes_formula_cells_and_imports_back_unchanged(cmbot_harness,
                                                                           tmp_path):
    """CSV injection (OWASP): an answer or phrasing a spreadsheet would run as a formula is
    exported with a leading single quote, which the import removes again."""
    import csv
    h = await cmbot_harness(_config("lexical", f'files_dir = "{tmp_path / "files"}"'))
    answer = '=HYPERLINK("http://evil.example/x","click")'
    for line in (f"!faq add link {answer}", "!faq teach link @SUM(A1) where is the link",
                 "!faq add quoted '=not a formula twice", "!faq add minus -1 is the answer"):
        await h.say(line, **MOD)
        await h.advance(2)
    await h.say("!faq export csv", **MOD)
    path = tmp_path / "files" / "faq-community-main.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = {r["key"]: r for r in csv.DictReader(handle)}
    assert rows["link"]["answer"] == "'" + answer
    assert rows["link"]["phrasings"] == "'@SUM(A1) where is the link"
    assert rows["quoted"]["answer"] == "''=not a formula twice"
    assert rows["minus"]["answer"] == "'-1 is the answer"
    for key in ("link", "quoted", "minus"):
        await h.say(f"!faq remove {key}", **MOD)
        await h.advance(2)
    sent = await h.say("!faq import faq-community-main.csv", **MOD)
    assert sent[0].text == "✓ imported faq-community-main.csv: 3 new, 0 updated"
    await h.advance(2)
    await h.say("!faq export csv", **MOD)
    with path.open(newline="", encoding="utf-8") as handle:
        assert {r["key"]: r for r in csv.DictReader(handle)} == rows
    await h.advance(5)
    assert (await h.say("!link"))[0].text.startswith(answer)
    assert (await h.say("!quoted", user="other"))[0].text.startswith("'=not a formula")


async def test_a_repeated_faq_lookup_gets_one_cooldown_notice(cmbot_harness):
    h = await cmbot_harness()
    assert [s.text for s in await h.say("!faq nosuch")] == [
        "✗ no FAQ entry 'nosuch'; !faq list shows them"]
    assert [s.text for s in await h.say("!faq nosuch")] == [
        "✗ !faq is on cooldown here for 5s more"]
    assert await h.say("!faq nosuch") == []


@pytest.mark.parametrize("platform", [Platform.TWITCH, Platform.DISCORD])
async def test_a_repeated_key_within_its_cooldown_is_answered_once_per_window(
        cmbot_harness, platform):
    """A repeated !key within key_cooldown got no reply at all: the asker could not tell
    the bot heard them. One notice per window (private where the platform can), then
    silence for the rest of the window, then the answer again."""
    h = await cmbot_harness(_config("lexical"))
    await _seed(h, platform)
    [first] = await h.say("!discord", platform=platform, user="ann")
    assert first.text.startswith("Join us at discord.gg/example")
    await h.advance(2)
    [notice] = await h.say("!discord", platform=platform, user="bob")
    assert notice.text == "✗ !discord was answered just above; it answers again in 8s"
    await h.advance(1)
    assert await h.say("!discord", platform=platform, user="cy") == []
    await h.advance(8)
    [again] = await h.say("!discord", platform=platform, user="dee")
    assert again.text.startswith("Join us at discord.gg/example")
