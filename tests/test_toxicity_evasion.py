"""Evasions of the toxicity filter through the harness: invisible characters (every
default-ignorable code point class, blanks) and homoglyphs (UTS #39 confusables)."""

import pytest

from cmbot import Action, Platform

D, T = Platform.DISCORD, Platform.TWITCH
CONFIG = ("[communities.main]\nchannels = [\"twitch:mychannel\", \"discord:general\"]\n"
          "mod_channels = [\"discord:mod-log\"]\n[plugins.toxicity]\n"
          "blocklist = [\"connard\", \"enculé\", \"sale bête\"]\n")

INVISIBLE = {
    "soft-hyphen": "\u00ad",
    "cgj": "\u034f",
    "alm": "\u061c",
    "hangul-choseong-filler": "\u115f",
    "hangul-jungseong-filler": "\u1160",
    "mongolian-fvs1": "\u180b",
    "word-joiner": "\u2060",
    "lri": "\u2066",
    "rli": "\u2067",
    "fsi": "\u2068",
    "pdi": "\u2069",
    "hangul-filler": "\u3164",
    "vs16": "\ufe0f",
    "vs1": "\ufe00",
    "halfwidth-hangul-filler": "\uffa0",
    "tag-space": "\U000e0020",
    "tag-y": "\U000e0079",
    "cancel-tag": "\U000e007f",
    "vs17": "\U000e0100",
    "braille-blank": "\u2800",
}
# these render as blank space, so they can stand for one (the others show "youaretrash")
BLANK = {"hangul-choseong-filler", "hangul-jungseong-filler", "hangul-filler",
         "halfwidth-hangul-filler", "braille-blank"}
PHRASES = {"you are trash": "insult", "kys": "self_harm", "kill yourself": "self_harm"}


def _inside(phrase, c):
    """One invisible character inside the last word: 'you are tras\u00adh'."""
    return phrase[:-1] + c + phrase[-1]


def _between_letters(phrase, c):
    return c.join(phrase)


def _for_spaces(phrase, c):
    return phrase.replace(" ", c) if " " in phrase else c + phrase + c


CASES = [(name, place) for name in INVISIBLE for place in (_inside, _between_letters)] + [
    (name, _for_spaces) for name in INVISIBLE if name in BLANK]


@pytest.mark.parametrize("name,place", CASES,
                         ids=[f"{n}-{p.__name__.strip('_')}" for n, p in CASES])
@pytest.mark.parametrize("phrase", PHRASES, ids=lambda p: p.replace(" ", "-"))
async def test_an_invisible_character_does_not_hide_a_listed_phrase(
        cmbot_harness, phrase, name, place):
    h = await cmbot_harness(CONFIG)
    text = place(phrase, INVISIBLE[name])
    assert text != phrase
    await h.say(text, user="troll", platform=T)
    assert h.last.verdict is not None, f"{text!r} was not flagged"
    assert h.last.verdict.action == Action.FLAG
    assert h.last.verdict.category == PHRASES[phrase]


@pytest.mark.parametrize("text,category", [
    ("yօս are trasհ", "insult"),         # Armenian oh, seh, ho
    ("yοu аrе trаsh", "insult"),          # Greek omicron, Cyrillic a/e
    ("you are trᎪsh", "insult"),          # Cherokee A
    ("ʏᴏᴜ ᴀʀᴇ ᴛʀᴀꜱʜ", "insult"),          # small capitals
    ("you ɑre trɑsh", "insult"),          # Latin alpha
    ("kıll yourself", "self_harm"),          # dotless i
    ("ⓚⓨⓢ", "self_harm"),                    # circled letters (compatibility forms)
    ("𝐤𝐲𝐬", "self_harm"),                    # mathematical bold
    ("ｋｙｓ", "self_harm"),                   # fullwidth
    ("kуѕ", "self_harm"),                    # Cyrillic u, dze
    ("yօս\u00ad are tr\u034fasհ", "insult"),  # homoglyphs and invisibles together
    ("espèce de connard", "insult"),      # French blocklist entries, accents either way
    ("quel ENCULÉ", "insult"),
    ("quel encule", "insult"),
    ("quel encul\u0065\u0301", "insult"),  # e + combining acute
    ("sale bête", "insult"),
    ("sale bete", "insult"),
])
@pytest.mark.parametrize("platform", [D, T])
async def test_homoglyphs_and_accents_read_as_the_letters_they_look_like(
        cmbot_harness, text, category, platform):
    h = await cmbot_harness(CONFIG)
    await h.say(text, user="troll", platform=platform)
    assert h.last.verdict is not None, f"{text!r} was not flagged"
    assert h.last.verdict.category == category


@pytest.mark.parametrize("text", ["ça va très bien, merci", "c'était génial ce stream",
                                  "on se voit à 20h", "bien joué l'équipe 👍🏽",
                                  "j\u034fon\u034fah says hi",  # CGJ inside a name
                                  "🏳️‍🌈 happy pride", "спасибо за стрим", "ありがとう",
                                  "cœur sur vous", "naïve café"])
async def test_ordinary_non_english_and_emoji_chat_is_not_flagged(cmbot_harness, text):
    h = await cmbot_harness(CONFIG)
    assert await h.say(text, user="viewer") == []
    assert h.last.verdict is None, h.last.verdict


def test_the_normalised_forms_keep_french_letters_readable():
    from cmbot_plugins.toxicity.normalize import for_matching
    assert for_matching("Ça va très bien, sœur") == "ca va tres bien soeur"
    assert for_matching("t'es vraiment une sale bête") == "t es vraiment une sale bete"
