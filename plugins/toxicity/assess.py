"""The scoring decision for one chat line, without side effects: rules, word lists and
the model's categories at their sensitivity levels. Used by the moderation hook and by
``cmbot eval toxicity``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from . import rules, scorer
from .normalize import for_matching, has_invisible
from .wordlists import BUILTIN

ACTIONS = ("off", "log", "flag", "delete", "timeout", "ban")
"""What can happen to a category, mildest first."""
ACTION_RANK = {action: rank for rank, action in enumerate(ACTIONS)}
RULE_CATEGORIES = ("spam", "links", "mentions", "custom")
NO_TERMS: Mapping[str, frozenset[str]] = {}


@dataclass(frozen=True)
class Assessment:
    hit: rules.Hit | None
    score: float
    normalised: str
    scores: Mapping[str, float] = field(default_factory=dict)
    """The model's score per category."""


@lru_cache(maxsize=64)
def _word_lists(blocklist: tuple[str, ...], off: frozenset[str]
                ) -> dict[str, tuple[str, ...]]:
    lists = dict(BUILTIN)
    extra = tuple(n for n in (for_matching(t) for t in blocklist) if n)
    lists["insult"] = lists["insult"] + extra
    return {c: terms for c, terms in lists.items() if c not in off}


@lru_cache(maxsize=64)
def _allowed(allowlist: tuple[str, ...]) -> frozenset[str]:
    return frozenset(for_matching(t) for t in allowlist)


def word_lists(settings: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """Built-in lists plus the configured blocklist, normalised once per configuration;
    only the categories whose action is not off."""
    off = frozenset(c for c in BUILTIN if settings[f"action_{c}"] == "off")
    return _word_lists(tuple(settings["blocklist"]), off)


def level(settings: dict[str, Any], category: str) -> int:
    """The sensitivity level (0-4) a category is scored at."""
    return scorer.level_of(settings[f"sensitivity_{category}"] or settings["sensitivity"])


def _without(text: str, terms: frozenset[str]) -> str:
    """The text with every whole-word occurrence of the terms taken out."""
    return rules.without_terms(f" {text} ", terms).strip()


def _model_hit(scored: str, settings: dict[str, Any], language: str,
               category_terms: Mapping[str, frozenset[str]]
               ) -> tuple[rules.Hit | None, dict[str, float]]:
    """The category whose score crosses its level's threshold with the strongest action
    (then the widest margin), explained by the words that drove it."""
    scores = scorer.category_scores(scored, language) if scored else {}
    best: tuple[tuple[int, float], rules.Hit] | None = None
    for category, score in scores.items():
        action = settings.get(f"action_{category}", "off")
        at = level(settings, category) if action != "off" else 0
        threshold = scorer.threshold(category, at, language)
        if score < threshold:
            continue
        own = category_terms.get(category)
        text = scored
        if own:  # words a moderator allowed for this category: scored without them
            text = _without(scored, own)
            score = scorer.category_scores(text, language)[category] if text else 0.0
            scores[category] = score
            if score < threshold:
                continue
        rank = (ACTION_RANK[action], score - threshold)
        if best is None or rank > best[0]:
            words = scorer.explain(text, category)
            why = f"; words: {', '.join(words)}" if words else ""
            best = (rank, rules.Hit(category, f"{scorer.LEVELS[at]} level ({score:.2f} ≥ "
                                    f"{threshold:.2f}){why}", severity=score,
                                    term=words[0] if words else ""))
    return (best[1] if best else None), scores


def assess(text: str, settings: dict[str, Any], *, allowed_terms: frozenset[str] = frozenset(),
           patterns: list[Any] | None = None, permitted_link: bool = False,
           language: str = "en",
           category_terms: Mapping[str, frozenset[str]] = NO_TERMS) -> Assessment:
    """``allowed_terms`` are never counted against a line; ``category_terms`` only for
    their category (``!flag allow --always`` on a flag of that category)."""
    normalised = for_matching(text)
    allow = _allowed(tuple(settings["allowlist"])) | allowed_terms
    lists = word_lists(settings)
    if category_terms:
        lists = {c: tuple(t for t in terms if t not in category_terms.get(c, ()))
                 for c, terms in lists.items()}
    listed = rules.word_lists(normalised, lists, allow)
    if listed is None and has_invisible(text):  # a filler between words, a blank in one
        swapped = for_matching(text, swapped=True)
        listed = rules.word_lists(swapped, lists, allow)
    checks = [
        listed,
        rules.custom(text, patterns or []),
        None if permitted_link else rules.links(text, settings["link_allowlist"]),
        rules.mentions(text, settings["max_mentions"]),
        rules.caps(text, settings["caps_ratio"], settings["caps_min_length"]),
        rules.repetition(text, settings["max_repeated_chars"], settings["max_repeated_words"]),
        rules.symbols(text, settings["symbol_ratio"], settings["symbol_min_length"]),
    ]
    hit = next((h for h in checks if h is not None), None)
    # links and mentions are the rules' business; the model sees the words around them
    bare = rules.MENTION.sub(" ", rules.strip_links(text))
    scored = _without(normalised if bare == text else for_matching(bare), allow)
    found, scores = _model_hit(scored, settings, language, category_terms)
    if hit is None:
        hit = found
    elif found is not None and ACTION_RANK[settings[f"action_{found.category}"]] > \
            ACTION_RANK[settings[f"action_{hit.category}"]]:
        hit = found  # the model's category asks for more than the rule's (a listed term
        # already explains a hit of its own category)
    top = max(scores.values(), default=0.0)
    score = scores.get(hit.category, top) if hit is not None else top
    return Assessment(hit, score, normalised, scores)
