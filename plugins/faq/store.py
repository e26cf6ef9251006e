"""FAQ rows: entries per scope (a community or one channel), aliases, taught phrasings
with their cached embedding vectors."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from cmbot import Store

MIGRATIONS = [
    """
    CREATE TABLE faq_entries (
        id INTEGER PRIMARY KEY,
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        answer TEXT NOT NULL,
        hits INTEGER NOT NULL DEFAULT 0,
        last_used REAL,
        created_by TEXT,
        updated_at REAL NOT NULL,
        UNIQUE(scope, key)
    );
    CREATE TABLE faq_aliases (
        scope TEXT NOT NULL,
        alias TEXT NOT NULL,
        entry_id INTEGER NOT NULL REFERENCES faq_entries(id) ON DELETE CASCADE,
        PRIMARY KEY(scope, alias)
    );
    CREATE TABLE faq_phrases (
        id INTEGER PRIMARY KEY,
        entry_id INTEGER NOT NULL REFERENCES faq_entries(id) ON DELETE CASCADE,
        text TEXT NOT NULL,
        model TEXT,
        vector BLOB,
        UNIQUE(entry_id, text)
    );
    """,
]

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
MAX_PHRASINGS = 50
MAX_PHRASE_LENGTH = 200


@dataclass
class Entry:
    id: int
    scope: str
    key: str
    answer: str
    hits: int = 0
    last_used: float | None = None
    aliases: list[str] = field(default_factory=list)
    phrasings: list[str] = field(default_factory=list)


def check_key(key: str, what: str = "key") -> str:
    """Normalise and validate an entry key or alias; raises ValueError with the rule."""
    normal = key.strip().lower().lstrip("!")
    if not KEY_PATTERN.match(normal):
        raise ValueError(f"{what} {key!r} must be 1-32 characters: letters, digits, - or _, "
                         f"starting with a letter or digit (e.g. discord, next-stream)")
    return normal


class FaqStore:
    def __init__(self, storage: Store) -> None:
        self.db = storage

    async def entry(self, scope: str, name: str) -> Entry | None:
        """An entry by key or alias."""
        row = await self.db.fetchone(
            "SELECT * FROM faq_entries WHERE scope=? AND key=?", (scope, name))
        if row is None:
            row = await self.db.fetchone(
                "SELECT e.* FROM faq_aliases a JOIN faq_entries e ON e.id=a.entry_id "
                "WHERE a.scope=? AND a.alias=?", (scope, name))
        if row is None:
            return None
        entry = Entry(row["id"], row["scope"], row["key"], row["answer"], row["hits"],
                      row["last_used"])
        entry.aliases = [r["alias"] for r in await self.db.fetchall(
            "SELECT alias FROM faq_aliases WHERE entry_id=? ORDER BY alias", (entry.id,))]
        entry.phrasings = [r["text"] for r in await self.db.fetchall(
            "SELECT text FROM faq_phrases WHERE entry_id=? ORDER BY id", (entry.id,))]
        return entry

    async def entry_by_id(self, scope: str, entry_id: int) -> Entry | None:
        """An entry without its aliases and phrasings (what answering needs), one query."""
        row = await self.db.fetchone("SELECT * FROM faq_entries WHERE id=? AND scope=?",
                                     (entry_id, scope))
        return None if row is None else Entry(row["id"], row["scope"], row["key"],
                                              row["answer"], row["hits"], row["last_used"])

    async def entries(self, scope: str) -> list[Entry]:
        rows = await self.db.fetchall(
            "SELECT * FROM faq_entries WHERE scope=? ORDER BY key", (scope,))
        return [Entry(r["id"], r["scope"], r["key"], r["answer"], r["hits"], r["last_used"])
                for r in rows]

    async def full_entries(self, scope: str) -> list[Entry]:
        out = []
        for entry in await self.entries(scope):
            full = await self.entry(scope, entry.key)
            if full is not None:
                out.append(full)
        return out

    async def names(self, scope: str) -> frozenset[str]:
        """Every key and alias in ``scope``."""
        rows = await self.db.fetchall(
            "SELECT key AS name FROM faq_entries WHERE scope=? "
            "UNION SELECT alias FROM faq_aliases WHERE scope=?", (scope, scope))
        return frozenset(r["name"] for r in rows)

    async def name_taken(self, scope: str, name: str) -> bool:
        return await self.entry(scope, name) is not None

    async def add(self, scope: str, key: str, answer: str, by: str, now: float) -> int:
        return await self.db.execute(
            "INSERT INTO faq_entries(scope, key, answer, created_by, updated_at) "
            "VALUES(?,?,?,?,?)", (scope, key, answer, by, now))

    async def set_answer(self, entry_id: int, answer: str, now: float) -> None:
        await self.db.execute("UPDATE faq_entries SET answer=?, updated_at=? WHERE id=?",
                              (answer, now, entry_id))

    async def remove(self, entry_id: int) -> None:
        await self.db.execute("DELETE FROM faq_entries WHERE id=?", (entry_id,))

    async def add_alias(self, scope: str, alias: str, entry_id: int) -> None:
        await self.db.execute("INSERT INTO faq_aliases(scope, alias, entry_id) VALUES(?,?,?)",
                              (scope, alias, entry_id))

    async def add_phrase(self, entry_id: int, text: str, model: str | None,
                         vector: bytes | None) -> bool:
        await self.db.execute(
            "INSERT OR IGNORE INTO faq_phrases(entry_id, text, model, vector) VALUES(?,?,?,?)",
            (entry_id, text, model, vector))
        return bool(self.db.last_rowcount)

    async def remove_phrase(self, entry_id: int, text: str) -> bool:
        await self.db.execute("DELETE FROM faq_phrases WHERE entry_id=? AND text=?",
                              (entry_id, text))
        return bool(self.db.last_rowcount)

    async def record_hit(self, entry_id: int, now: float) -> int:
        await self.db.execute("UPDATE faq_entries SET hits=hits+1, last_used=? WHERE id=?",
                              (now, entry_id))
        return int(await self.db.fetchval("SELECT hits FROM faq_entries WHERE id=?",
                                          (entry_id,)) or 0)

    async def phrases_for_index(self, scope: str) -> list[Any]:
        return await self.db.fetchall(
            "SELECT p.id, p.entry_id, p.text, p.model, p.vector, e.key FROM faq_phrases p "
            "JOIN faq_entries e ON e.id=p.entry_id WHERE e.scope=? ORDER BY p.id", (scope,))

    async def set_vector(self, phrase_id: int, model: str, vector: bytes) -> None:
        await self.db.execute("UPDATE faq_phrases SET model=?, vector=? WHERE id=?",
                              (model, vector, phrase_id))

    async def scopes(self) -> list[str]:
        return [r["scope"] for r in await self.db.fetchall(
            "SELECT DISTINCT scope FROM faq_entries")]

    async def import_entries(self, scope: str,
                             items: list[tuple[str, str, list[str], list[str]]],
                             vectors: dict[str, bytes | None], model: str, by: str,
                             now: float) -> tuple[int, int]:
        """(key, answer, aliases, phrasings) items in one transaction, all or nothing;
        ValueError names a clash. Returns (added, updated)."""
        added = updated = 0
        async with self.db.transaction() as tx:
            for key, answer, aliases, phrasings in items:
                entry_id = await tx.fetchval(
                    "SELECT id FROM faq_entries WHERE scope=? AND key=?", (scope, key))
                if entry_id is None:
                    if await tx.fetchval("SELECT entry_id FROM faq_aliases WHERE scope=? AND "
                                         "alias=?", (scope, key)) is not None:
                        raise ValueError(f"{key!r} is already an alias here")
                    entry_id = await tx.execute(
                        "INSERT INTO faq_entries(scope, key, answer, created_by, updated_at) "
                        "VALUES(?,?,?,?,?)", (scope, key, answer, by, now))
                    added += 1
                else:
                    await tx.execute("UPDATE faq_entries SET answer=?, updated_at=? WHERE id=?",
                                     (answer, now, entry_id))
                    updated += 1
                for alias in aliases:
                    owner = await tx.fetchval("SELECT entry_id FROM faq_aliases WHERE scope=? "
                                              "AND alias=?", (scope, alias))
                    if owner is not None and owner != entry_id:
                        raise ValueError(f"alias {alias!r} already belongs to another entry")
                    await tx.execute("INSERT OR IGNORE INTO faq_aliases(scope, alias, entry_id) "
                                     "VALUES(?,?,?)", (scope, alias, entry_id))
                for phrase in phrasings:
                    vector = vectors.get(phrase)
                    await tx.execute(
                        "INSERT OR IGNORE INTO faq_phrases(entry_id, text, model, vector) "
                        "VALUES(?,?,?,?)", (entry_id, phrase, model if vector else None, vector))
        return added, updated
