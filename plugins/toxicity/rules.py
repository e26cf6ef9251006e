"""Spam and word-list rules, each returning a category and a reason, or nothing."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

URL = re.compile(r"(?:https?://)?(?:[a-z0-9-]+\.)+(?:com|net|org|gg|tv|io|be|me|ly|co|xyz|ru|"
                  r"info|link|app|dev|live|uk|de|fr|shop|site|online|club)(?:/\S*)?",
                  re.IGNORECASE)
MENTION = re.compile(r"@\w{2,}|<@!?\d+>")
_NESTED_QUANTIFIER = re.compile(r"\([^)]*[+*][^)]*\)\s*[+*{]")
REGEX_INPUT_LIMIT = 500


@dataclass(frozen=True)
class Hit:
    category: str  # insults | slurs | sexual | threats | spam | links | custom
    reason: str
    severity: float = 1.0
    term: str = ""


def compile_patterns(patterns: Sequence[str]) -> list[re.Pattern[str]]:
    """Compile moderator regexes, refusing ones that can backtrack catastrophically."""
    compiled = []
    for pattern in patterns:
        if _NESTED_QUANTIFIER.search(pattern):
            raise ValueError(f"regex {pattern!r} nests quantifiers like (a+)+, which can "
                             f"hang on hostile input; rewrite it without the nesting")
        try:
            compiled.append(re.compile(pattern, re.IGNORECASE))
        except re.error as exc:
            raise ValueError(f"regex {pattern!r} is invalid: {exc}") from None
    return compiled


def caps(text: str, ratio: float, min_length: int) -> Hit | None:
    letters = [c for c in text if c.isalpha()]
    if len(letters) < min_length:
        return None
    upper = sum(c.isupper() for c in letters) / len(letters)
    return Hit("spam", f"{upper:.0%} capitals") if upper >= ratio else None


def repetition(text: str, max_chars: int, max_words: int) -> Hit | None:
    run = best = 1
    for a, b in zip(text, text[1:], strict=False):
        run = run + 1 if a == b and not a.isspace() else 1
        best = max(best, run)
    if best > max_chars:
        return Hit("spam", f"a character repeated {best} times")
    words = text.lower().split()
    if len(words) > max_words:
        counts: dict[str, int] = {}
        for word in words:
            counts[word] = counts.get(word, 0) + 1
        word, count = max(counts.items(), key=lambda kv: kv[1])
        if count > max_words and count / len(words) > 0.5:
            return Hit("spam", f"{word!r} repeated {count} times")
    return None


def symbols(text: str, ratio: float, min_length: int) -> Hit | None:
    visible = [c for c in text if not c.isspace()]
    if len(visible) < min_length:
        return None
    share = sum(not c.isalnum() for c in visible) / len(visible)
    return Hit("spam", f"{share:.0%} symbols") if share >= ratio else None


def links(text: str, allowlist: Iterable[str]) -> Hit | None:
    allowed = [a.lower().lstrip(".") for a in allowlist]
    for match in URL.finditer(text):
        url = match.group(0)
        host = urlsplit(url if "://" in url else "http://" + url).hostname or ""
        if not any(host == a or host.endswith("." + a) for a in allowed):
            return Hit("links", f"link to {host}", term=host)
    return None


def mentions(text: str, limit: int) -> Hit | None:
    count = len(MENTION.findall(text))
    return Hit("spam", f"{count} mentions") if count > limit else None


def word_lists(normalised: str, lists: Mapping[str, Sequence[str]],
               allowed: Iterable[str]) -> Hit | None:
    padded = f" {normalised} "
    for term in allowed:
        padded = padded.replace(f" {term} ", " ")
    for category, terms in lists.items():
        for term in terms:
            if f" {term} " in padded:
                return Hit(category, f"word list: {term}", term=term)
    return None


def custom(text: str, patterns: Sequence[re.Pattern[str]]) -> Hit | None:
    bounded = text[:REGEX_INPUT_LIMIT]
    for pattern in patterns:
        if pattern.search(bounded):
            return Hit("custom", f"matches /{pattern.pattern}/")
    return None


