"""The FAQ plugin's memory: one matcher index per scope, the names that are FAQ keys,
recent match results, cooldowns and answer budgets. Every cached read goes through
:class:`cmbot.Cache`, so an edit during a read never leaves a stale value behind."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import Any

from cmbot import Bot, Cache

from .matching import EntryText, LexicalMatcher, Match, SemanticMatcher, semantic_unavailable
from .store import FaqStore

RECENT_MATCHES = 4096
ENCODE = object()  # quick_match: the encoder is needed
LEXICAL_GATE = 0.10  # lines sharing almost no n-grams with any phrasing skip the encoder
MODEL_ID = "minilm-faq-int8-v2"  # stored vectors of another model are computed again


@dataclass(frozen=True)
class Index:
    """A scope's matcher, and for the semantic matcher the cheap lexical gate before it."""

    matcher: Any
    gate: LexicalMatcher | None


class FaqState:
    """Per-bot caches: one matcher index per scope, cooldowns and answer budgets."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.store = FaqStore(bot.db)
        self.kind = self._choose_kind(bot)
        self.indexes: Cache[str, Index] = Cache()
        self.names: Cache[str, frozenset[str]] = Cache()
        self.recent: Cache[tuple[Any, ...], Match | None] = Cache(RECENT_MATCHES)
        self.cooldowns: dict[tuple[int, str], float] = {}
        self.key_noticed: dict[tuple[int, str], float] = {}
        """When a !key shortcut's cooldown was last answered, per entry and channel."""
        self.budgets: dict[str, deque[float]] = {}
        self.lock = asyncio.Lock()

    @staticmethod
    def _choose_kind(bot: Bot) -> str:
        wanted = bot.settings()["matcher"]
        if wanted == "lexical":
            return "lexical"
        reason = semantic_unavailable()
        if reason is None:
            return "semantic"
        if wanted == "semantic":
            raise RuntimeError(f"[plugins.faq] matcher = \"semantic\" but {reason}")
        return "lexical"

    def threshold(self, settings: dict[str, Any]) -> float:
        key = "semantic_threshold" if self.kind == "semantic" else "lexical_threshold"
        return float(settings[key])

    def invalidate(self, scope: str) -> None:
        """The entries or phrasings of ``scope`` changed."""
        self.indexes.drop(scope)
        self.recent.clear()
        self.names.drop(scope)

    def forget_names(self, scope: str) -> None:
        """The keys or aliases of ``scope`` changed (the matcher did not)."""
        self.names.drop(scope)

    async def known_name(self, scope: str, name: str) -> bool:
        """Whether ``name`` is a key or alias here, from memory: chat is full of
        ``!lurk``-style lines that are nobody's command, and each cost a query before."""
        names = self.names.get(scope)
        if names is None:
            names = await self.names.load(scope, lambda: self.store.names(scope))
        return name in names

    async def index(self, scope: str) -> Index:
        """The matcher for a scope, rebuilt after edits; vectors come from the database."""
        found = self.indexes.get(scope)
        if found is not None:
            return found
        async with self.lock:  # one build at a time: the encoder is the costly part
            found = self.indexes.get(scope)
            if found is None:
                found = await self.indexes.load(scope, lambda: self._build(scope))
            return found

    async def _build(self, scope: str) -> Index:
        texts = {entry.id: EntryText(entry.id, []) for entry in await self.store.entries(scope)}
        if self.kind == "semantic":
            import numpy as np

            matcher: Any = SemanticMatcher()
            await self._fill_vectors(matcher, await self.store.phrases_for_index(scope))
            for row in await self.store.phrases_for_index(scope):
                texts[row["entry_id"]].phrasings.append(row["text"])
                texts[row["entry_id"]].vectors.append(
                    np.frombuffer(row["vector"], dtype=np.float32))
        else:
            matcher = LexicalMatcher()
            for row in await self.store.phrases_for_index(scope):
                texts[row["entry_id"]].phrasings.append(row["text"])
        await asyncio.to_thread(matcher.build, list(texts.values()))
        gate = None
        if self.kind == "semantic":
            gate = LexicalMatcher()
            gate.build(list(texts.values()))
        return Index(matcher, gate)

    async def _fill_vectors(self, matcher: SemanticMatcher, rows: list[Any]) -> None:
        missing = [r for r in rows if r["vector"] is None or r["model"] != MODEL_ID]
        if not missing:
            return
        vectors = await asyncio.to_thread(matcher.embed, [r["text"] for r in missing])
        for row, vector in zip(missing, vectors, strict=True):
            await self.store.set_vector(row["id"], MODEL_ID, vector.tobytes())

    async def vector_for(self, text: str) -> bytes | None:
        if self.kind != "semantic":
            return None
        vector = await asyncio.to_thread(SemanticMatcher().embed, [text])
        return bytes(vector[0].tobytes())

    async def match(self, scope: str, text: str, threshold: float | None = None,
                    *, gate: bool = False) -> Match | None:
        """Best entry for ``text``; recent results are cached (chat repeats itself).

        With ``gate``, the semantic matcher only runs if the cheap lexical matcher finds
        some overlap with a phrasing (on CLINC150 this costs 0.001 combined).
        """
        found = await self.quick_match(scope, text, threshold, gate=gate)
        if found is ENCODE:
            return await self.encoded_match(scope, text, threshold)
        return found  # type: ignore[return-value]

    async def quick_match(self, scope: str, text: str, threshold: float | None = None,
                          *, gate: bool = False) -> Match | None | object:
        """Everything but the encoder: the answer, or ``ENCODE`` if the semantic
        matcher has to encode ``text`` (a few milliseconds: best off the message path)."""
        key = self.recent_key(scope, text, threshold)
        recent = self.recent
        for known in (key, (*key, "gated")) if gate else (key,):
            if known in recent:
                return recent.get(known)
        index = await self.index(scope)
        if index.matcher.size == 0:
            return None
        if index.gate is not None:
            if gate:
                cheap = index.gate.best(text, 2.0)
                if cheap is None or cheap.score < LEXICAL_GATE:
                    # chat repeats itself: gate each line once (a dry run still matches it)
                    return self._remember(index, (*key, "gated"), None)
            return ENCODE
        return self._remember(index, key, index.matcher.best(text, threshold))

    @staticmethod
    def recent_key(scope: str, text: str, threshold: float | None, *, gated: bool = False
                   ) -> tuple[Any, ...]:
        """The key of a remembered match (``gated``: the line the lexical gate refused)."""
        key = (scope, text.lower(), threshold)
        return (*key, "gated") if gated else key

    async def encoded_match(self, scope: str, text: str, threshold: float | None
                            ) -> Match | None:
        index = await self.index(scope)
        found = await asyncio.to_thread(index.matcher.best, text)
        return self._remember(index, self.recent_key(scope, text, threshold), found)

    def _remember(self, index: Index, key: tuple[Any, ...], found: Match | None
                  ) -> Match | None:
        """Keep a result unless the index it came from was replaced meanwhile."""
        if self.indexes.get(key[0]) is index:
            self.recent.put(key, found)
        return found


def warm_up() -> None:
    """Load the encoder and embed the off-topic anchors (about a second, once per
    process)."""
    SemanticMatcher().anchors()


def state_of(bot: Bot) -> FaqState:
    """This bot's FAQ state (one per bot, made on first use)."""
    return bot.state(FaqState)
