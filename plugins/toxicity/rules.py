"""Spam and word-list rules, each returning a category and a reason, or nothing."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import re2
from tldextract import TLDExtract

# Anything shaped like a host name, with an optional scheme and path; a real link only if
# its last labels are a public suffix (tldextract's bundled snapshot of the Public Suffix
# List: never fetched, never cached on disk), so .click, .zip, .gift, .do are links and
# "e.g." or "file.txt" are not.
# (it starts only at the start of a token: linear time on a 2000-character word)
_CANDIDATE = re.compile(r"(?:(?<![\w+.-])(?P<scheme>[a-z][a-z0-9+.-]*://))?(?<![\w.-])"
                        r"(?P<host>(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_][\w-]*)"
                        r"(?P<path>[/?#:]\S*)?", re.IGNORECASE)
_SUFFIXES = TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=False)
_SUFFIXES("example.com")  # load the snapshot now (~70 ms), not on the first chat link
# country codes that are also file extensions chat names ("readme.md", "main.py"): a link
# only with a scheme, "www." or a path
FILE_LIKE_SUFFIXES = frozenset({"md", "py", "sh", "rs", "pl", "so", "cs", "ps", "ai", "in"})
# A mention however it is written, the same on every platform: "@name" typed in chat
# (any length, not inside an e-mail address) and Discord's native <@id>, <@!id>, <@&role>.
MENTION = re.compile(r"(?<![\w.+-])@\w+|<@[!&]?\d+>")


@dataclass(frozen=True)
class Hit:
    category: str  # a model category (insult, hate...) or spam | links | mentions | custom
    reason: str
    severity: float = 1.0
    term: str = ""


class Pattern(Protocol):
    """A compiled moderator pattern (RE2: linear time in the line's length)."""

    @property
    def pattern(self) -> str: ...

    def search(self, text: str) -> object | None: ...


def _options() -> Any:
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False  # a refused pattern is reported once, as a config error
    return options


_RE2_OPTIONS = _options()


def compile_patterns(patterns: Sequence[str]) -> list[Pattern]:
    """Compile moderator regexes with RE2, whose matching time is linear in the line's
    length whatever the pattern (``(a|aa)+$``, ``(.|\\s)*x`` included): no pattern can
    hang the bot. RE2 has no backreferences or lookaround; such patterns are refused."""
    compiled: list[Pattern] = []
    for pattern in patterns:
        try:
            compiled.append(re2.compile(pattern, _RE2_OPTIONS))
        except re2.error as exc:
            reason = exc.args[0] if exc.args else exc
            if isinstance(reason, bytes):
                reason = reason.decode("utf-8", "replace")
            raise ValueError(
                f"regex {pattern!r} is refused: {reason}. Fix: write it in RE2 syntax "
                f"(linear-time matching, so no backreferences like \\1, no lookaround like "
                f"(?=...) or (?!...), \\z instead of \\Z, repeats up to {{1000}}), or "
                f"remove it from regex") from None
    return compiled


def check_patterns(patterns: list[str]) -> str | None:
    """The config check of ``regex``: the first refused pattern, with its fix."""
    try:
        compile_patterns(patterns)
    except ValueError as exc:
        return str(exc)
    return None


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


@lru_cache(maxsize=4096)
def _registered(host: str) -> tuple[str, str] | None:
    """(registrable domain, public suffix) of a host name, or None if it has no public
    suffix (file.txt, e.g, v1.2)."""
    parts = _SUFFIXES(".".join(host.rsplit(".", 6)[-6:]))  # no suffix has more labels
    if not parts.suffix or not parts.domain:
        return None
    return parts.domain, parts.suffix


def find_links(text: str) -> Iterator[tuple[re.Match[str], str]]:
    """Each link in ``text``, with its host name (lowercase)."""
    if "." not in text:
        return
    for match in _CANDIDATE.finditer(text):
        host = match.group("host").lower()
        found = _registered(host)
        if found is None:
            continue
        if (found[1] in FILE_LIKE_SUFFIXES and not match.group("scheme")
                and not match.group("path") and not host.startswith("www.")):
            continue
        yield match, host


def strip_links(text: str) -> str:
    """``text`` with each link replaced by a space."""
    spans = [m.span() for m, _ in find_links(text)]
    for start, end in reversed(spans):
        text = text[:start] + " " + text[end:]
    return text


def links(text: str, allowlist: Iterable[str]) -> Hit | None:
    allowed = [a.lower().lstrip(".") for a in allowlist]
    for _, host in find_links(text):
        if not any(host == a or host.endswith("." + a) for a in allowed):
            return Hit("links", f"link to {host}", term=host)
    return None


def mentions(text: str, limit: int) -> Hit | None:
    count = len(MENTION.findall(text))
    return Hit("mentions", f"{count} mentions") if count > limit else None


def without_terms(padded: str, terms: Iterable[str]) -> str:
    """``padded`` (a text with a space at each end) without any whole-word occurrence of
    the terms: every one, "frak frak frak" included (a single replace misses every second
    one, whose leading space the first one took)."""
    for term in terms:
        while f" {term} " in padded:
            padded = padded.replace(f" {term} ", " ")
    return padded


def word_lists(normalised: str, lists: Mapping[str, Sequence[str]],
               allowed: Iterable[str]) -> Hit | None:
    padded = without_terms(f" {normalised} ", allowed)
    for category, terms in lists.items():
        for term in terms:
            if f" {term} " in padded:
                return Hit(category, f"word list: {term}", term=term)
    return None


def custom(text: str, patterns: Sequence[Pattern]) -> Hit | None:
    for pattern in patterns:  # the whole line: RE2 is linear in its length
        if pattern.search(text) is not None:
            return Hit("custom", f"matches /{pattern.pattern}/")
    return None


