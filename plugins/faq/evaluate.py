"""``cmbot eval faq FILE.json``: FAQ matching quality on a CLINC150-format file.

Each intent becomes one entry taught with N phrasings from ``train`` (those with the
lowest sha256 of the text); ``test`` and ``oos_test`` utterances are then sent as chat
messages through the real runtime and plugin at the shipped default threshold. Only
cooldowns and answer budgets are switched off, since they are not part of matching.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from cmbot import Channel, Platform
from cmbot.testing import Harness, make_harness

from .state import MODEL_ID, FaqState


def _texts(items: list[Any]) -> list[str]:
    return [item if isinstance(item, str) else item[0] for item in items]


def pick_phrasings(train: list[list[str]], count: int) -> dict[str, list[str]]:
    by_intent: dict[str, list[str]] = {}
    for text, intent in train:
        by_intent.setdefault(intent, []).append(text)
    return {intent: sorted(texts, key=lambda t: hashlib.sha256(t.encode()).hexdigest())[:count]
            for intent, texts in sorted(by_intent.items())}


async def evaluate(path: str | Path, phrasings: int = 5, matcher: str = "auto",
                   verbose: bool = False, split: str = "test",
                   settings: dict[str, Any] | None = None) -> dict[str, float]:
    """Run the evaluation; ``split`` "val" uses val/oos_val (for tuning, never test)."""
    data = json.loads(await asyncio.to_thread(Path(path).read_text, encoding="utf-8"))
    if split != "test":
        data = dict(data, test=data[split], oos_test=data[f"oos_{split}"])
    for key in ("train", "test", "oos_test"):
        if key not in data:
            raise ValueError(f"{path}: missing {key!r}; expected the CLINC150 format "
                             f"(train, test, oos_test lists of [text, intent])")
    with tempfile.TemporaryDirectory() as tmp:
        raw = {"bot": {"database": str(Path(tmp) / "eval.db"),
                       "disabled_plugins": ["help", "toxicity", "polls", "announcements"]},
               "plugins": {"faq": {"matcher": matcher, "entry_cooldown": 0.0,
                                   "key_cooldown": 0.0, "budget_count": 1000}
                           | (settings or {})}}
        h = await make_harness(raw, tmp_path=Path(tmp), platforms=[Platform.FAKE])
        try:
            return await _run(h, data, phrasings, verbose)
        finally:
            await h.close()


async def _run(h: Harness, data: dict[str, Any], phrasings: int,
               verbose: bool) -> dict[str, float]:
    bot = h.plugin_bot("faq")
    state = bot.state(FaqState)
    scope = bot.scope_of(Channel(Platform.FAKE, "eval", "eval"))
    started = time.perf_counter()
    taught = pick_phrasings(data["train"], phrasings)
    all_phrases = [p for texts in taught.values() for p in texts]
    vectors: list[Any] = [None] * len(all_phrases)
    if state.kind == "semantic":
        from .matching import SemanticMatcher
        vectors = list(SemanticMatcher().embed(all_phrases))
    position = 0
    for number, (intent, texts) in enumerate(taught.items()):
        entry_id = await state.store.add(scope, f"i{number}", f"intent:{intent}", "eval", 0)
        for text in texts:
            vector = vectors[position]
            position += 1
            await state.store.add_phrase(entry_id, text, MODEL_ID if vector is not None
                                         else None, None if vector is None
                                         else vector.tobytes())
    state.invalidate(scope)
    await state.index(scope)
    teach_seconds = time.perf_counter() - started

    async def ask(text: str) -> str | None:
        h.clock.advance(1.0)
        # say() also waits for answers that needed the encoder
        for sent in await h.say(text, platform=Platform.FAKE, channel="eval"):
            if sent.text.startswith("intent:"):
                return sent.text[len("intent:"):]
        return None

    started = time.perf_counter()
    correct = 0
    for text, intent in data["test"]:
        got = await ask(text)
        correct += got == intent
        if verbose and got != intent:
            print(f"  in-scope miss: {text!r}: expected {intent}, got {got}")
    oos = _texts(data["oos_test"])
    quiet = 0
    for text in oos:
        got = await ask(text)
        quiet += got is None
        if verbose and got is not None:
            print(f"  answered out-of-scope: {text!r} -> {got}")
    ask_seconds = time.perf_counter() - started
    accuracy = correct / max(1, len(data["test"]))
    recall = quiet / max(1, len(oos))
    combined = 2 * accuracy * recall / (accuracy + recall) if accuracy + recall else 0.0
    print(f"matcher={state.kind} entries={len(taught)} phrasings={phrasings} "
          f"teach_s={teach_seconds:.1f} messages={len(data['test']) + len(oos)} "
          f"ms_per_message={1000 * ask_seconds / max(1, len(data['test']) + len(oos)):.2f}")
    return {"in_scope_accuracy": accuracy, "oos_recall": recall, "combined": combined}
