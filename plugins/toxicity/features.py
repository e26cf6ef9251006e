"""Hashed text features shared by the runtime scorer and the offline training script."""

from __future__ import annotations

import zlib

DIMENSIONS = 1 << 18


def _grams(words: list[str]) -> dict[str, str]:
    """Every gram of the text, each with the word it comes from (a bigram: its first)."""
    grams: dict[str, str] = {}
    for word in words:
        grams.setdefault("w:" + word, word)
        padded = f"<{word}>"
        for n in (3, 4, 5):
            for i in range(max(1, len(padded) - n + 1)):
                grams.setdefault(padded[i:i + n], word)
    for a, b in zip(words, words[1:], strict=False):
        grams.setdefault("b:" + a + " " + b, a)
    return grams


def _index(gram: str) -> int:
    return zlib.crc32(gram.encode()) % DIMENSIONS


def features(normalised: str) -> dict[int, float]:
    """Word unigrams and bigrams plus character 3-5-grams inside words, hashed, L2-normed."""
    grams = _grams(normalised.split())
    if not grams:
        return {}
    weight = 1.0 / len(grams) ** 0.5
    out: dict[int, float] = {}
    for gram in grams:
        index = _index(gram)
        out[index] = out.get(index, 0.0) + weight
    return out


def gram_features(normalised: str) -> dict[str, dict[int, float]]:
    """The same features grouped by the word they come from (to explain a score)."""
    grams = _grams(normalised.split())
    if not grams:
        return {}
    weight = 1.0 / len(grams) ** 0.5
    out: dict[str, dict[int, float]] = {}
    for gram, word in grams.items():
        mine = out.setdefault(word, {})
        index = _index(gram)
        mine[index] = mine.get(index, 0.0) + weight
    return out
