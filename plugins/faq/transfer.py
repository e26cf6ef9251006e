"""FAQ import/export as TOML or CSV, so a community can version its FAQ.

Files live in ``[plugins.faq] files_dir`` (relative to the config file); commands only take
a bare file name, never a path, so moderators cannot read or write elsewhere on the host.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from cmbot import CommandError, Context, csv_text, csv_value

from .store import MAX_PHRASE_LENGTH, MAX_PHRASINGS, Entry, FaqStore, check_key

FILE_NAME = re.compile(r"^[\w.-]{1,80}\.(toml|csv)$")
MAX_FILE_BYTES = 1_000_000
MAX_ENTRIES = 2000
SEPARATOR = " | "


@dataclass
class Item:
    key: str
    answer: str
    aliases: list[str] = field(default_factory=list)
    phrasings: list[str] = field(default_factory=list)


def files_dir(ctx: Context) -> Path:
    return ctx.bot.path(ctx.settings["files_dir"])


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def export_file(ctx: Context, entries: list[Entry], fmt: str) -> Path:
    folder = files_dir(ctx)
    folder.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "-", ctx.scope).strip("-")
    path = folder / f"faq-{name}.{fmt}"
    if fmt == "toml":
        lines = [f"# cmbot FAQ export for {ctx.scope}. Import with: faq import {path.name}"]
        for e in entries:
            lines += ["", "[[entry]]", f"key = {_toml_string(e.key)}",
                      f"answer = {_toml_string(e.answer)}",
                      f"aliases = [{', '.join(_toml_string(a) for a in e.aliases)}]",
                      "phrasings = [" + "".join(f"\n  {_toml_string(p)}," for p in e.phrasings)
                      + ("\n]" if e.phrasings else "]")]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        table: list[list[object]] = [["key", "answer", "aliases", "phrasings"]]
        table += [[e.key, e.answer, SEPARATOR.join(e.aliases), SEPARATOR.join(e.phrasings)]
                  for e in entries]
        path.write_text(csv_text(table), encoding="utf-8")
    return path


def read_file(ctx: Context, name: str) -> list[Item]:
    """Parse and validate an import file; raises CommandError naming the problem."""
    if not FILE_NAME.match(name):
        raise CommandError(f"{name!r}: give a file name ending in .toml or .csv (no folders); "
                           f"files are read from {files_dir(ctx)}")
    uploaded = next((a for a in (ctx.message.attachments if ctx.message else ())
                     if a.name == name), None)
    if uploaded is not None:
        if len(uploaded.data) > MAX_FILE_BYTES:
            raise CommandError(f"{name} is larger than {MAX_FILE_BYTES // 1000} KB")
        text = uploaded.data.decode("utf-8", errors="replace")
    else:
        path = files_dir(ctx) / name
        if not path.is_file():
            raise CommandError(f"{name}: no such file in {files_dir(ctx)}")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise CommandError(f"{name} is larger than {MAX_FILE_BYTES // 1000} KB")
        text = path.read_text(encoding="utf-8", errors="replace")
    raw: list[dict[str, object]]
    if name.endswith(".toml"):
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise CommandError(f"{name}: not valid TOML ({exc})") from None
        entries = data.get("entry", [])
        if not isinstance(entries, list):
            raise CommandError(f"{name}: expected [[entry]] tables")
        raw = [e for e in entries if isinstance(e, dict)]
    else:
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or not {"key", "answer"} <= set(reader.fieldnames):
            raise CommandError(f"{name}: the first row must be key,answer,aliases,phrasings")
        raw = [{"key": csv_value(r.get("key") or ""),
                "answer": csv_value(r.get("answer") or ""),
                "aliases": _split(csv_value(r.get("aliases") or "")),
                "phrasings": _split(csv_value(r.get("phrasings") or ""))}
               for r in reader]
    if len(raw) > MAX_ENTRIES:
        raise CommandError(f"{name}: {len(raw)} entries; the limit is {MAX_ENTRIES}")
    items: list[Item] = []
    seen: set[str] = set()
    for number, entry in enumerate(raw, 1):
        items.append(_item(name, number, entry, seen))
    return items


def _split(value: str | None) -> list[str]:
    return [p.strip() for p in (value or "").split("|") if p.strip()]


def _item(name: str, number: int, entry: dict[str, object], seen: set[str]) -> Item:
    where = f"{name}: entry {number}"
    try:
        key = check_key(str(entry.get("key", "")))
        aliases = [check_key(str(a), "alias") for a in _list(entry.get("aliases"), where)]
    except ValueError as exc:
        raise CommandError(f"{where}: {exc}") from None
    answer = str(entry.get("answer", "")).strip()
    if not answer:
        raise CommandError(f"{where} ({key}): the answer is empty")
    phrasings = [p.strip() for p in _list(entry.get("phrasings"), where) if p.strip()]
    if len(phrasings) > MAX_PHRASINGS:
        raise CommandError(f"{where} ({key}): {len(phrasings)} phrasings; the limit is "
                           f"{MAX_PHRASINGS}")
    too_long = [p for p in phrasings if len(p) > MAX_PHRASE_LENGTH]
    if too_long:
        raise CommandError(f"{where} ({key}): a phrasing is longer than {MAX_PHRASE_LENGTH} "
                           f"characters")
    for n in (key, *aliases):
        if n in seen:
            raise CommandError(f"{where}: {n!r} is used twice in the file")
        seen.add(n)
    return Item(key, answer, aliases, phrasings)


def _list(value: object, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CommandError(f"{where}: aliases and phrasings must be lists of strings")
    return list(value)


async def apply(ctx: Context, items: list[Item], vectors: dict[str, bytes | None],
                model: str, store: FaqStore) -> tuple[int, int]:
    """Write all items in one transaction (all or nothing). Returns (added, updated)."""
    try:
        return await store.import_entries(
            ctx.scope, [(i.key, i.answer, i.aliases, i.phrasings) for i in items], vectors,
            model, ctx.user.key if ctx.user else "", ctx.time())
    except ValueError as exc:
        raise CommandError(f"{exc}; nothing was imported") from None
