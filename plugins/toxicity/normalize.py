"""Text normalisation against filter evasion: Unicode confusables, leetspeak, separators
inside words and stretched letters ("f.u.c.k", "ſh1t", "nooooob")."""

from __future__ import annotations

import re
import unicodedata

from .unicode_tables import CONFUSABLE, DEFAULT_IGNORABLE

# Letters whose UTS #39 prototype is not plain Latin (к -> ĸ, м -> ʍ) but which chat uses
# as Latin ones all the same; the generated table covers the rest.
_EXTRA_CONFUSABLES = {"к": "k", "м": "m", "β": "b", "ε": "e", "κ": "k", "χ": "x"}
# Render as blank space without being spaces (nor default-ignorable): word gaps.
_BLANKS = (0x2800,)  # BRAILLE PATTERN BLANK


def _table(ignorable: str | None, blank: str | None) -> dict[int, str | None]:
    table: dict[int, str | None] = dict(CONFUSABLE)
    table.update({ord(k): v for k, v in _EXTRA_CONFUSABLES.items()})
    for lo, hi in DEFAULT_IGNORABLE:
        table.update(dict.fromkeys(range(lo, hi + 1), ignorable))
    table.update(dict.fromkeys(_BLANKS, blank))
    return table


# default-ignorable code points (soft hyphen, CGJ, tags, VS16, fillers) vanish and blanks
# are spaces; the other reading (ignorables as gaps, blanks vanishing) is checked too
_FOLD = _table(None, " ")
_FOLD_SWAPPED = _table(" ", None)
_INVISIBLE = frozenset(c for c, v in _FOLD.items() if v is None) | frozenset(_BLANKS)
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a",
                       "$": "s", "!": "i", "|": "i", "€": "e", "+": "t"})
_SEPARATED = re.compile(r"\b(?:[a-z][\.\-_\*\s]){2,}[a-z]\b")
_STRETCH = re.compile(r"([a-z])\1{2,}")
_NON_WORD = re.compile(r"[^a-z0-9\s]")


def _join_separated(match: re.Match[str]) -> str:
    """"k y s" -> "kys"; "f.u.c.k y.o.u" -> "fuck you" (spaces split dotted runs)."""
    run = match.group(0)
    if re.search(r"[\.\-_\*]", run):
        return " ".join(re.sub(r"[\.\-_\*]", "", part) for part in run.split())
    return run.replace(" ", "")


def has_invisible(text: str) -> bool:
    """Whether ``text`` holds a default-ignorable code point or a blank (braille blank):
    then ``for_matching(text, swapped=True)`` is its other reading."""
    return not text.isascii() and any(ord(c) in _INVISIBLE for c in text)


def fold(text: str, *, swapped: bool = False) -> str:
    """Lowercase, strip accents and default-ignorable code points, map confusables (UTS #39
    prototypes) to Latin letters. ``swapped``: ignorables read as a word gap and blanks
    vanish (a Hangul filler between words, a braille blank inside one)."""
    if text.isascii():
        return text.lower()
    table = _FOLD_SWAPPED if swapped else _FOLD
    text = unicodedata.normalize("NFKC", text).translate(table).lower().translate(table)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def for_matching(text: str, *, swapped: bool = False) -> str:
    """The form word lists are matched against: folded, de-leeted, joined, de-stretched."""
    folded = fold(text, swapped=swapped)
    words = []
    for word in folded.split():
        core = word.strip("!?.,;:'\"()")
        if any(c.isalpha() for c in core):
            word = core.translate(_LEET)
        words.append(word)
    joined = " ".join(words)
    joined = _SEPARATED.sub(_join_separated, joined)
    joined = _STRETCH.sub(r"\1\1", joined)
    return " ".join(_NON_WORD.sub(" ", joined).split())
