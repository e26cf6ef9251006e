"""The shipped toxicity weights (cmbot/data/toxicity_model.npz) on lines whose category
is plain: each category's head fires on its own kind of line at the default level, and
identity terms alone raise none."""

import pytest
from cmbot_plugins.toxicity import scorer
from cmbot_plugins.toxicity.normalize import for_matching


def crossed(text, level=2, language="en"):
    scores = scorer.category_scores(for_matching(text), language)
    return {c for c, s in scores.items() if s >= scorer.threshold(c, level, language)}


@pytest.mark.parametrize("text,category", [
    ("kys", "self_harm"), ("you are a worthless idiot", "insult"),
    ("i will kill you", "threat"), ("this boss is fucking hard", "profanity"),
])
def test_each_head_fires_on_its_own_kind_of_line_at_medium(text, category):
    assert category in crossed(text)


@pytest.mark.parametrize("text", ["I am a gay man", "je suis musulmane", "my friend is black",
                                  "hello everyone, gg", "what a clutch play", "LETS GOOOO"])
def test_identity_terms_and_ordinary_chat_cross_no_medium_threshold(text):
    assert crossed(text) == set()


def test_untargeted_swearing_is_profanity_not_insult():
    assert "insult" not in crossed("this boss is fucking hard")


def test_levels_are_ordered_and_french_has_thresholds():
    for language in scorer.LANGUAGES:
        for category in scorer.CATEGORIES:
            levels = [scorer.threshold(category, lv, language) for lv in range(1, 5)]
            assert levels == sorted(levels, reverse=True) and levels[0] < 1.0
            assert scorer.threshold(category, 0, language) == float("inf")


def test_the_explanation_names_the_driving_word():
    assert scorer.explain(for_matching("you are a worthless idiot"), "insult")[0] == "idiot"
