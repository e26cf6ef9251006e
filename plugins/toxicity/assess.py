"""The scoring decision for one chat line, without side effects: rules, word lists and
the model. Used by the moderation hook and by ``cmbot eval toxicity``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from . import rules
from .normalize import for_matching, has_invisible
from .scorer import model_score
from .wordlists import BUILTIN


@dataclass(frozen=True)
class Assessment:
    hit: rules.Hit | None
    score: float
    normalised: str


@lru_cache(maxsize=64)
def _word_lists(blocklist: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    lists = dict(BUILTIN)
    extra = tuple(n for n in (for_matching(t) for t in blocklist) if n)
    lists["insults"] = lists["insults"] + extra
    return lists


@lru_cache(maxsize=64)
def _allowed(allowlist: tuple[str, ...]) -> frozenset[str]:
    return frozenset(for_matching(t) for t in allowlist)


def word_lists(settings: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """Built-in lists plus the configured blocklist, normalised once per configuration."""
    return _word_lists(tuple(settings["blocklist"]))


def assess(text: str, settings: dict[str, Any], *, allowed_terms: frozenset[str] = frozenset(),
           patterns: list[Any] | None = None, permitted_link: bool = False) -> Assessment:
    normalised = for_matching(text)
    allow = _allowed(tuple(settings["allowlist"])) | allowed_terms
    listed = rules.word_lists(normalised, word_lists(settings), allow)
    if listed is None and has_invisible(text):  # a filler between words, a blank in one
        swapped = for_matching(text, swapped=True)
        listed = rules.word_lists(swapped, word_lists(settings), allow)
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
    scored = normalised if bare == text else for_matching(bare)
    for term in allow:
        scored = f" {scored} ".replace(f" {term} ", " ").strip()
    score = model_score(scored) if scored else 0.0
    if hit is None and score >= settings["flag_threshold"]:
        hit = rules.Hit("insults", f"toxicity score {score:.2f}", severity=score)
    return Assessment(hit, score, normalised)
