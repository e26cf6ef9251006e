"""Hashed text features shared by the runtime scorer and the offline training script."""

from __future__ import annotations

import zlib

DIMENSIONS = 1 << 18


def features(normalised: str) -> dict[int, float]:
    """Word unigrams and bigrams plus character 3-5-grams inside words, hashed, L2-normed."""
    words = normalised.split()
    grams: set[str] = {"w:" + w for w in words}
    grams.update("b:" + a + " " + b for a, b in zip(words, words[1:], strict=False))
    for word in words:
        padded = f"<{word}>"
        for n in (3, 4, 5):
            for i in range(max(1, len(padded) - n + 1)):
                grams.add(padded[i:i + n])
    if not grams:
        return {}
    weight = 1.0 / len(grams) ** 0.5
    out: dict[int, float] = {}
    for gram in grams:
        index = zlib.crc32(gram.encode()) % DIMENSIONS
        out[index] = out.get(index, 0.0) + weight
    return out
