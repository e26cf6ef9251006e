"""The scoring decision for one chat line, without side effects: rules, word lists and
the model. Used by the moderation hook and by ``cmbot eval toxicity``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import rules
from .normalize import for_matching
from .scorer import model_score
from .wordlists import BUILTIN


@dataclass(frozen=True)
class Assessment:
    hit: rules.Hit | None
    score: float
    normalised: str


def word_lists(settings: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    lists = dict(BUILTIN)
    extra = tuple(for_matching(t) for t in settings["blocklist"] if for_matching(t))
    lists["insults"] = lists["insults"] + extra
    return lists


def assess(text: str, settings: dict[str, Any], *, allowed_terms: frozenset[str] = frozenset(),
           patterns: list[Any] | None = None, permitted_link: bool = False) -> Assessment:
    normalised = for_matching(text)
    allow = frozenset(for_matching(t) for t in settings["allowlist"]) | allowed_terms
    checks = [
        rules.word_lists(normalised, word_lists(settings), allow),
        rules.custom(text, patterns or []),
        None if permitted_link else rules.links(text, settings["link_allowlist"]),
        rules.mentions(text, settings["max_mentions"]),
        rules.caps(text, settings["caps_ratio"], settings["caps_min_length"]),
        rules.repetition(text, settings["max_repeated_chars"], settings["max_repeated_words"]),
        rules.symbols(text, settings["symbol_ratio"], settings["symbol_min_length"]),
    ]
    hit = next((h for h in checks if h is not None), None)
    # links and mentions are the rules' business; the model sees the words around them
    scored = for_matching(rules.MENTION.sub(" ", rules.URL.sub(" ", text)))
    for term in allow:
        scored = f" {scored} ".replace(f" {term} ", " ").strip()
    score = model_score(scored) if scored else 0.0
    if hit is None and score >= settings["flag_threshold"]:
        hit = rules.Hit("insults", f"toxicity score {score:.2f}", severity=score)
    return Assessment(hit, score, normalised)
