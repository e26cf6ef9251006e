"""Text normalisation against filter evasion: Unicode confusables, leetspeak, separators
inside words and stretched letters ("f.u.c.k", "ſh1t", "nooooob")."""

from __future__ import annotations

import re
import unicodedata

_CONFUSABLES = str.maketrans({
    # Cyrillic and Greek letters that look Latin
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d",
    "ɡ": "g", "ո": "n", "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v",
    "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ѵ": "v", "ᴀ": "a", "ʙ": "b",
    "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ɢ": "g", "ʜ": "h", "ɪ": "i", "ᴊ": "j", "ᴋ": "k",
    "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ʀ": "r", "ꜱ": "s", "ᴛ": "t",
    "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ʏ": "y", "ᴢ": "z", "ſ": "s",
})
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


def fold(text: str) -> str:
    """Lowercase, strip accents, map confusables to Latin letters."""
    text = unicodedata.normalize("NFKC", text).lower().translate(_CONFUSABLES)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def for_matching(text: str) -> str:
    """The form word lists are matched against: folded, de-leeted, joined, de-stretched."""
    folded = fold(text)
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
