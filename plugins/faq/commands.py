"""The ``!faq`` commands: moderators add, teach, edit and move entries; viewers list
and show them."""

from __future__ import annotations

import asyncio
import time

from cmbot import Arg, Command, CommandError, Context, Reply, Role, hookimpl, parse_int

from . import transfer
from .answering import answer_text, looks_like_question
from .matching import SemanticMatcher, accepts
from .state import MODEL_ID, state_of
from .store import MAX_PHRASE_LENGTH, MAX_PHRASINGS, Entry, check_key


@hookimpl
async def cmbot_autocomplete(ctx: Context, source: str, typed: str) -> list[str] | None:
    """Entry keys for ``/faq`` while a Discord user types."""
    if source != "faq_keys":
        return None
    typed = typed.strip().lower()
    keys = [e.key for e in await state_of(ctx.bot).store.entries(ctx.scope)]
    return sorted(k for k in keys if typed in k)[:25]


async def _require(ctx: Context, name: str) -> Entry:
    entry = await state_of(ctx.bot).store.entry(ctx.scope, name.lower().lstrip("!"))
    if entry is None:
        raise CommandError(f"no FAQ entry {name!r}; {ctx.prefix}faq list shows them")
    return entry


def _check_answer(ctx: Context, answer: str) -> str:
    limit = ctx.settings["max_answer_length"]
    answer = answer.strip()
    if len(answer) > limit:
        raise CommandError(f"the answer is {len(answer)} characters; the limit is {limit} "
                           f"(shorten it, or raise [plugins.faq] max_answer_length)")
    return answer


async def _free_name(ctx: Context, name: str, what: str) -> str:
    try:
        name = check_key(name, what)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    if ctx.bot.commands.get(name) is not None or ctx.bot.commands.subcommands(name):
        raise CommandError(f"{name!r} is already a bot command; pick another {what}")
    if await state_of(ctx.bot).store.name_taken(ctx.scope, name):
        raise CommandError(f"{name!r} is already an FAQ key or alias here")
    return name


async def _show_answer(ctx: Context, key: str) -> str:
    entry = await _require(ctx, key.split()[0])
    return await answer_text(ctx, state_of(ctx.bot), entry)


async def _add(ctx: Context, key: str, answer: str) -> str:
    key = await _free_name(ctx, key, "key")
    answer = _check_answer(ctx, answer)
    state = state_of(ctx.bot)
    await state.store.add(ctx.scope, key, answer, ctx.user.key if ctx.user else "",
                          ctx.time())
    state.invalidate(ctx.scope)
    return (f"✓ added {ctx.prefix}{key}. Teach it how viewers ask: {ctx.prefix}faq teach {key} "
            f"<question> (5-10 phrasings work best)")


async def _edit(ctx: Context, key: str, answer: str) -> str:
    entry = await _require(ctx, key)
    await state_of(ctx.bot).store.set_answer(entry.id, _check_answer(ctx, answer),
                                           ctx.time())
    return f"✓ updated {ctx.prefix}{entry.key}"


async def _remove(ctx: Context, key: str) -> str:
    entry = await _require(ctx, key)
    state = state_of(ctx.bot)
    await state.store.remove(entry.id)
    state.invalidate(ctx.scope)
    return f"✓ removed {ctx.prefix}{entry.key} ({len(entry.phrasings)} phrasing(s))"


async def _alias(ctx: Context, key: str, alias: str) -> str:
    entry = await _require(ctx, key)
    alias = await _free_name(ctx, alias, "alias")
    state = state_of(ctx.bot)
    await state.store.add_alias(ctx.scope, alias, entry.id)
    state.forget_names(ctx.scope)
    return f"✓ {ctx.prefix}{alias} now answers like {ctx.prefix}{entry.key}"


async def _teach(ctx: Context, key: str, question: str) -> str:
    entry = await _require(ctx, key)
    question = question.strip()
    if len(question) > MAX_PHRASE_LENGTH:
        raise CommandError(f"the phrasing is {len(question)} characters; the limit is "
                           f"{MAX_PHRASE_LENGTH}")
    if len(entry.phrasings) >= MAX_PHRASINGS:
        raise CommandError(f"{entry.key} already has {MAX_PHRASINGS} phrasings; forget one "
                           f"first ({ctx.prefix}faq forget-phrase {entry.key} <number>)")
    state = state_of(ctx.bot)
    vector = await state.vector_for(question)
    added = await state.store.add_phrase(entry.id, question,
                                         MODEL_ID if vector else None, vector)
    if not added:
        raise CommandError(f"{entry.key} already knows that phrasing")
    state.invalidate(ctx.scope)
    count = len(entry.phrasings) + 1
    hint = "" if count >= 5 else f" (add {5 - count} more for reliable matching)"
    return f"✓ {entry.key} now has {count} phrasing(s){hint}"


async def _forget_phrase(ctx: Context, key: str, phrase: str) -> str:
    entry = await _require(ctx, key)
    text = phrase
    if phrase.isdigit():  # any digit; a number only with the digits 0-9
        try:
            number = parse_int(phrase)
        except ValueError:
            raise CommandError(f"{phrase!r} is not a phrasing number; write it with the "
                               f"digits 0-9 ({ctx.prefix}faq show {entry.key} numbers "
                               f"them)") from None
        if not 1 <= number <= len(entry.phrasings):
            raise CommandError(f"{entry.key} has {len(entry.phrasings)} phrasing(s); "
                               f"{ctx.prefix}faq show {entry.key} numbers them")
        text = entry.phrasings[number - 1]
    state = state_of(ctx.bot)
    if not await state.store.remove_phrase(entry.id, text):
        raise CommandError(f"{entry.key} has no phrasing {phrase!r}")
    state.invalidate(ctx.scope)
    return f"✓ {entry.key} forgot “{text}”"


async def _list(ctx: Context) -> str:
    entries = await state_of(ctx.bot).store.entries(ctx.scope)
    if not entries:
        return f"No FAQ entries yet. Moderators: {ctx.prefix}faq add <key> <answer>"
    return "FAQ: " + ", ".join(f"{ctx.prefix}{e.key}" for e in entries)


async def _show(ctx: Context, key: str) -> str:
    entry = await _require(ctx, key)
    when = (time.strftime("%Y-%m-%d %H:%M", time.gmtime(entry.last_used))
            if entry.last_used else "never")
    phrasings = " ".join(f"{i}. {p}" for i, p in enumerate(entry.phrasings, 1)) or "(none)"
    aliases = ", ".join(entry.aliases) or "none"
    return (f"{ctx.prefix}{entry.key}: {entry.answer} | aliases: {aliases} | phrasings: "
            f"{phrasings} | hits: {entry.hits}, last used: {when}")


async def _test(ctx: Context, text: str) -> str:
    state = state_of(ctx.bot)
    settings = ctx.settings
    threshold = state.threshold(settings)
    match = await state.match(ctx.scope, text)
    if match is None:
        return "no answer: there are no taught phrasings here yet"
    row = await ctx.db.fetchone("SELECT key FROM faq_entries WHERE id=?", (match.entry_id,))
    key = row["key"] if row else "?"
    detail = (f"{ctx.prefix}{key} score {match.score:.2f}, threshold {threshold:.2f}, "
              f"off-topic {match.anchor:.2f} ({state.kind})")
    filtered = "" if looks_like_question(text, settings["min_words"]) else \
        " — but chat lines this short are skipped unless they look like a question"
    if accepts(match, threshold):
        return f"would answer {detail}{filtered}"
    return f"no answer: best {detail}{filtered}"


async def _export(ctx: Context, format: str | None = None) -> Reply:  # noqa: A002
    entries = await state_of(ctx.bot).store.full_entries(ctx.scope)
    path = transfer.export_file(ctx, entries, format or "toml")
    return Reply(f"✓ exported {len(entries)} entries to {path}", file=path)


async def _import(ctx: Context, file: str) -> str:
    state = state_of(ctx.bot)
    items = transfer.read_file(ctx, file)
    for item in items:
        if ctx.bot.commands.get(item.key) is not None:
            raise CommandError(f"{file}: {item.key!r} is a bot command; rename that entry")
        _check_answer(ctx, item.answer)
    vectors: dict[str, bytes | None] = {}
    phrases = sorted({p for item in items for p in item.phrasings})
    if state.kind == "semantic" and phrases:
        encoded = await asyncio.to_thread(SemanticMatcher().embed, phrases)
        vectors = {p: bytes(v.tobytes()) for p, v in zip(phrases, encoded, strict=True)}
    added, updated = await transfer.apply(ctx, items, vectors, MODEL_ID, state.store)
    state.invalidate(ctx.scope)
    return f"✓ imported {file}: {added} new, {updated} updated"


@hookimpl
def cmbot_commands() -> list[Command]:
    mod = Role.MODERATOR
    key = Arg("key", help="the entry's key, e.g. discord", autocomplete="faq_keys")
    return [
        Command("faq", "show an FAQ answer", _show_answer,
                args=[Arg("key", "text", help="the entry's key", autocomplete="faq_keys")],
                user_cooldown=5),
        Command("faq add", "add an entry", _add, role=mod,
                args=[Arg("key"), Arg("answer", "text")],
                example="faq add discord Join us at discord.gg/yourserver"),
        Command("faq edit", "change an entry's answer", _edit, role=mod,
                args=[key, Arg("answer", "text")]),
        Command("faq remove", "delete an entry", _remove, role=mod, args=[key]),
        Command("faq alias", "another !name for an entry", _alias, role=mod,
                args=[key, Arg("alias")]),
        Command("faq teach", "add a way viewers ask this question", _teach, role=mod,
                args=[key, Arg("question", "text")]),
        Command("faq forget-phrase", "remove a phrasing (by number or text)", _forget_phrase,
                role=mod, args=[key, Arg("phrase", "text")]),
        Command("faq list", "list the entries", _list, user_cooldown=10),
        Command("faq show", "answer, phrasings, hits and last use", _show, role=mod,
                args=[key]),
        Command("faq test", "dry run: which entry would answer this", _test, role=mod,
                args=[Arg("text", "text")]),
        Command("faq export", "write the FAQ to a TOML or CSV file", _export, role=mod,
                args=[Arg("format", "choice", required=False, choices=("toml", "csv"))]),
        Command("faq import", "load entries from a TOML or CSV file", _import, role=mod,
                args=[Arg("file", "file", help="a .toml or .csv file (on Discord: upload it)")]),
    ]
