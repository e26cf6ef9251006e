"""Toxicity categories, sensitivity levels and actions through the harness, on a small
model whose scores the test controls (the shipped weights are tested on data elsewhere):
each category has its own action and level, levels per community language, flags explain
themselves, moderators change levels and actions from chat."""

import pytest
from cmbot_plugins.toxicity import scorer
from cmbot_plugins.toxicity.features import DIMENSIONS, gram_features

from cmbot import Action, Platform, Role

D, T, C = Platform.DISCORD, Platform.TWITCH, Platform.CONSOLE
MOD = {"role": Role.MODERATOR, "user": "mo"}
BROADCASTER = {"role": Role.BROADCASTER, "user": "owner"}
# made-up words, so that no word list knows them: only the test model scores them
WORDS = {"insult": "zorgle", "threat": "blarfen", "profanity": "frak"}


def _config(extra="", language="en"):
    return ("[communities.main]\nchannels = [\"twitch:mychannel\", \"discord:general\", "
            f"\"console:console\"]\nmod_channels = [\"discord:mod-log\"]\n"
            f"language = \"{language}\"\n[plugins.toxicity]\n" + extra)


@pytest.fixture
def model(monkeypatch):
    """A model where each of WORDS drives its category ("you zorgle": insult 0.61);
    levels (en): low 0.9, medium 0.7, high 0.5, strict 0.3; French thresholds 0.2 lower
    (calibrated on other chat)."""
    categories = scorer.CATEGORIES
    weights = [[0.0] * DIMENSIONS for _ in categories]
    for category, word in WORDS.items():
        row = weights[categories.index(category)]
        for index in gram_features(word)[word]:
            row[index] = 0.75
    bias = [-2.0] * len(categories)
    en = [[0.9, 0.7, 0.5, 0.3]] * len(categories)
    fr = [[round(t - 0.2, 2) for t in levels] for levels in en]
    fake = scorer.Model(categories, weights, bias, {"en": en, "fr": fr})
    monkeypatch.setattr(scorer, "model", lambda: fake)
    return fake


def score(category, text):
    return scorer.category_scores(text)[category]


def test_the_test_model_scores_as_documented(model):
    assert 0.55 < score("insult", "you zorgle") < 0.65
    assert 0.52 < score("insult", "t'es un zorgle") < 0.6
    assert score("insult", "zorgle zorgle zorgle") > 0.7
    assert score("threat", "you zorgle") < 0.2 and score("profanity", "frak frak") > 0.5


@pytest.mark.parametrize("platform", [D, T, C])
async def test_each_category_is_flagged_by_its_own_level_and_says_why(
        cmbot_harness, model, platform):
    h = await cmbot_harness(_config('sensitivity = "high"\n'))
    sent = await h.say("you zorgle", platform=platform, user="troll")
    assert h.last.verdict.action == Action.FLAG and h.last.verdict.category == "insult"
    [notice] = [s for s in sent if s.channel.name == "mod-log"]
    assert "insult: high level (0.61 ≥ 0.50); words: zorgle" in notice.text
    [listed] = await h.say("!flags", platform=platform, **MOD)
    assert "(insult)" in listed.text


async def test_a_line_under_its_level_is_not_flagged_and_levels_are_per_category(
        cmbot_harness, model):
    h = await cmbot_harness(_config('sensitivity = "medium"\nsensitivity_threat = "strict"\n'))
    assert await h.say("you zorgle", user="a") == [] and h.last.verdict is None
    await h.say("blarfen you", user="b")
    assert h.last.verdict.category == "threat"
    assert "strict level" in h.last.verdict.reason


async def test_sensitivity_off_never_flags_by_model_but_the_rules_still_hold(
        cmbot_harness, model):
    h = await cmbot_harness(_config('sensitivity = "off"\n'))
    assert await h.say("zorgle zorgle zorgle zorgle", user="a") == []
    await h.say("kys", user="b")
    assert h.last.verdict.category == "self_harm" and "word list" in h.last.verdict.reason


async def test_untargeted_profanity_is_not_flagged_by_default_but_can_be(cmbot_harness,
                                                                         model):
    h = await cmbot_harness(_config('sensitivity = "strict"\n'))
    for line in ("this boss is fucking hard", "frak frak"):
        assert await h.say(line, user="gamer") == [] and h.last.verdict is None
    h = await cmbot_harness(_config('sensitivity = "strict"\naction_profanity = "flag"\n'))
    await h.say("frak frak", user="gamer")
    assert h.last.verdict.category == "profanity"


async def test_a_community_speaking_french_gets_the_french_thresholds(cmbot_harness, model):
    line = "t'es un zorgle"  # 0.56: under the English medium, over the French one
    en = await cmbot_harness(_config())
    assert await en.say(line, user="a") == []
    fr = await cmbot_harness(_config(language="fr"))
    await fr.say(line, user="a")
    assert fr.last.verdict.category == "insult" and "≥ 0.50" in fr.last.verdict.reason


async def test_the_log_action_writes_the_mod_log_only(cmbot_harness, model):
    h = await cmbot_harness(_config('sensitivity = "high"\naction_insult = "log"\n'))
    assert await h.say("you zorgle", user="troll") == []
    assert h.last.verdict is None
    [log] = await h.say("!modlog", **MOD)
    assert "logged" in log.text and "insult" in log.text
    assert "queue is empty" in (await h.say("!flags", **MOD))[0].text or \
        "0 open" in (await h.say("!flags", **MOD))[0].text


async def test_the_strongest_action_wins_when_several_categories_cross(cmbot_harness, model):
    h = await cmbot_harness(_config('sensitivity = "strict"\naction_threat = "delete"\n'))
    sent = await h.say("zorgle blarfen", user="troll")
    assert h.last.verdict.category == "threat" and h.last.verdict.action == Action.DELETE
    assert ("delete", 0) in [(s.kind, s.seconds) for s in sent]


@pytest.mark.parametrize("platform", [D, T, C])
async def test_moderators_change_levels_and_actions_from_chat_and_it_lasts(
        cmbot_harness, model, platform):
    h = await cmbot_harness(_config())
    [shown] = await h.say("!automod", platform=platform, **MOD)
    assert "insult medium/flag" in shown.text and "profanity medium/off" in shown.text
    assert "is for moderators" in (await h.say("!automod level insult strict",
                                               platform=platform))[0].text
    assert await h.say("you zorgle", platform=platform, user="a") == []
    [done] = await h.say("!automod level insult high", platform=platform, **MOD)
    assert done.text == "✓ insult is now at high sensitivity here"
    await h.say("you zorgle", platform=platform, user="b")
    assert h.last.verdict.category == "insult"
    await h.say("!automod action insult timeout", platform=platform, **MOD)
    h = await h.restart()
    [shown] = await h.say("!automod", platform=platform, **MOD)
    assert "insult high/timeout" in shown.text
    refused = await h.say("!automod action insult ban", platform=platform, **MOD)
    assert "for the broadcaster" in refused[0].text
    await h.say("!automod action insult ban", platform=platform, **BROADCASTER)
    await h.say("!automod level all off", platform=platform, **MOD)
    assert await h.say("zorgle zorgle zorgle", platform=platform, user="c") == []
    await h.say("!automod reset", platform=platform, **MOD)
    await h.advance(6)  # past Discord's 5 sends per 5 s in one channel
    [shown] = await h.say("!automod", platform=platform, **MOD)
    assert "insult medium/flag" in shown.text
    bad = await h.say("!automod level insult extreme", platform=platform, **MOD)
    assert bad[0].text.startswith("✗") and "strict" in bad[0].text


async def test_allow_always_allows_the_words_for_that_category_only(cmbot_harness, model):
    h = await cmbot_harness(_config('sensitivity = "strict"\naction_profanity = "flag"\n'))
    await h.say("frak frak", user="a")
    assert h.last.verdict.category == "profanity"
    [done] = await h.say("!flag allow 1 --always", **MOD)
    assert "(as profanity)" in done.text
    assert await h.say("frak frak frak", user="b") == [], "frak is fine as swearing"
    await h.say("frak you zorgle", user="c")
    assert h.last.verdict.category == "insult", "the other categories still count"


@pytest.mark.parametrize("text", ["z" * 10_000, "Z̸̢̛̖a̷̡̛l̶̨̛g̸̢̛o̶̡̧" * 50,
                                  "уоu zоrglе", "zorgle " * 2000, "\u202ezorgle\u202c"])
async def test_hostile_text_is_scored_without_error(cmbot_harness, model, text):
    h = await cmbot_harness(_config('sensitivity = "high"\n'))
    await h.say(text, user="troll")
    assert h.last.ignored is None
