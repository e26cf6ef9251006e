"""Built-in FAQ plugin: moderator-managed answers, ``!key`` lookups, and auto-answers to
questions asked in plain chat (semantic matcher when installed, lexical otherwise)."""

from __future__ import annotations

import asyncio
import re
import time
from collections import OrderedDict, deque
from typing import Any

from cmbot import (
    Arg,
    Bot,
    Command,
    CommandError,
    Context,
    Later,
    Message,
    Priority,
    Reply,
    Role,
    Setting,
    hookimpl,
)

from . import transfer
from .cli import cmbot_cli_commands  # noqa: F401 - a hook of this plugin
from .matching import (
    LEXICAL_THRESHOLD,
    SEMANTIC_THRESHOLD,
    EntryText,
    LexicalMatcher,
    Match,
    SemanticMatcher,
    accepts,
    semantic_unavailable,
)
from .store import MAX_PHRASE_LENGTH, MAX_PHRASINGS, MIGRATIONS, Entry, FaqStore, check_key

RECENT_MATCHES = 4096
ENCODE = object()  # quick_match: the encoder is needed
PENDING_ANSWERS = 8  # questions being encoded at once; past this, chat floods are not answered
LEXICAL_GATE = 0.10  # lines sharing almost no n-grams with any phrasing skip the encoder
MODEL_ID = "minilm-faq-int8-v2"  # stored vectors of another model are computed again
_VARIABLE = re.compile(r"\{(\w+)\}")
_WORDS = re.compile(r"[^\W\d_]{2,}")
_LINK = re.compile(r"https?://|www\.|\b[\w-]+\.(?:gg|com|tv|net|org|io|ly)/", re.IGNORECASE)
_QUESTION_START = re.compile(
    r"^(what|whats|what's|when|where|who|whom|why|how|which|is|are|was|were|do|does|did|"
    r"can|could|will|would|should|shall|may|any|anyone|is there)\b", re.IGNORECASE)


@hookimpl
def cmbot_config_schema() -> dict[str, Setting]:
    return {
        "auto_answer": Setting(bool, True, "answer questions asked in plain chat"),
        "matcher": Setting(str, "auto", "auto (semantic when installed), semantic or lexical",
                           choices=("auto", "semantic", "lexical")),
        "semantic_threshold": Setting(float, SEMANTIC_THRESHOLD,
                                      "minimum similarity for the semantic matcher; raise it "
                                      "if the bot answers chatter", min=0.0, max=1.0),
        "lexical_threshold": Setting(float, LEXICAL_THRESHOLD,
                                     "minimum similarity for the lexical matcher",
                                     min=0.0, max=1.0),
        "min_words": Setting(int, 3, "a chat line needs this many words (or a question "
                             "mark and two) to be considered", min=1, max=20),
        "entry_cooldown": Setting(float, 60.0, "seconds before one entry auto-answers again "
                                  "in a channel", min=0, max=86400),
        "key_cooldown": Setting(float, 10.0, "seconds between two !key answers of one entry "
                                "in a channel", min=0, max=3600),
        "budget_count": Setting(int, 6, "auto-answers allowed per channel per budget_window",
                                min=0, max=1000),
        "budget_window": Setting(float, 300.0, "seconds of the auto-answer budget",
                                 min=1, max=86400),
        "max_answer_length": Setting(int, 400, "longest answer a moderator may store",
                                     min=20, max=1900),
        "files_dir": Setting(str, "faq-files", "folder for faq import/export files, "
                             "relative to the config file"),
    }


@hookimpl
def cmbot_migrations() -> list[str]:
    return MIGRATIONS


# --- runtime state --------------------------------------------------------------------


class FaqState:
    """Per-bot caches: one matcher index per scope, cooldowns and answer budgets."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.store = FaqStore(bot.db)
        self.indexes: dict[str, Any] = {}
        self.gates: dict[str, LexicalMatcher] = {}
        self.dirty: set[str] = set()
        self.cooldowns: dict[tuple[int, str], float] = {}
        self.budgets: dict[str, deque[float]] = {}
        self.kind = self._choose_kind(bot)
        self.lock = asyncio.Lock()
        self.recent: OrderedDict[tuple[Any, ...], Match | None] = OrderedDict()
        self.names: dict[str, frozenset[str]] = {}
        self.names_version = 0

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
        self.dirty.add(scope)
        self.recent.clear()
        self.forget_names(scope)

    def forget_names(self, scope: str) -> None:
        self.names.pop(scope, None)
        self.names_version += 1

    async def known_name(self, scope: str, name: str) -> bool:
        """Whether ``name`` is a key or alias here, from memory: chat is full of
        ``!lurk``-style lines that are nobody's command, and each cost a query before."""
        names = self.names.get(scope)
        if names is None:
            version = self.names_version
            names = await self.store.names(scope)
            if version == self.names_version:  # no edit while the query ran
                self.names[scope] = names
        return name in names

    async def index(self, scope: str) -> Any:
        """The matcher for a scope, rebuilt after edits; vectors come from the database."""
        if scope in self.indexes and scope not in self.dirty:
            return self.indexes[scope]
        async with self.lock:
            rows = await self.store.phrases_for_index(scope)
            texts: dict[int, EntryText] = {}
            for entry in await self.store.entries(scope):
                texts[entry.id] = EntryText(entry.id, [])
            if self.kind == "semantic":
                matcher: Any = SemanticMatcher()
                await self._fill_vectors(matcher, rows)
                rows = await self.store.phrases_for_index(scope)
                import numpy as np
                for row in rows:
                    texts[row["entry_id"]].phrasings.append(row["text"])
                    texts[row["entry_id"]].vectors.append(
                        np.frombuffer(row["vector"], dtype=np.float32))
            else:
                matcher = LexicalMatcher()
                for row in rows:
                    texts[row["entry_id"]].phrasings.append(row["text"])
            await asyncio.to_thread(matcher.build, list(texts.values()))
            if self.kind == "semantic":
                gate = LexicalMatcher()
                gate.build(list(texts.values()))
                self.gates[scope] = gate
            self.indexes[scope] = matcher
            self.dirty.discard(scope)
            return matcher

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
        matcher = SemanticMatcher()
        vector = await asyncio.to_thread(matcher.embed, [text])
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
        key = (scope, text.lower(), threshold)
        for known in (key, (*key, "gated")) if gate else (key,):
            if known in self.recent:
                self.recent.move_to_end(known)
                return self.recent[known]
        matcher = await self.index(scope)
        if matcher.size == 0:
            return None
        if self.kind == "semantic":
            cheap = self.gates[scope].best(text, 2.0) if gate and scope in self.gates else None
            if gate and (cheap is None or cheap.score < LEXICAL_GATE):
                # chat repeats itself: gate each line once (a dry run still matches it)
                return self._remember((*key, "gated"), None)
            return ENCODE
        return self._remember(key, matcher.best(text, threshold))

    async def encoded_match(self, scope: str, text: str, threshold: float | None) -> Match | None:
        matcher = await self.index(scope)
        found = await asyncio.to_thread(matcher.best, text)
        return self._remember((scope, text.lower(), threshold), found)

    def _remember(self, key: tuple[Any, ...], found: Match | None) -> Match | None:
        self.recent[key] = found
        if len(self.recent) > RECENT_MATCHES:
            self.recent.popitem(last=False)
        return found


def warm_up() -> None:
    """Load the encoder and embed the off-topic anchors (about a second, once per
    process)."""
    SemanticMatcher().anchors()


def _state(bot: Bot) -> FaqState:
    return bot.state(FaqState)


@hookimpl
async def cmbot_startup(bot: Bot) -> None:
    state = _state(bot)
    if state.kind == "semantic":
        # load the encoder now (~0.5 s once per process), not on the first viewer question
        await asyncio.to_thread(warm_up)


@hookimpl
def cmbot_status(bot: Bot) -> str:
    """One line for ``cmbot plugins``: which matcher answers questions."""
    state = _state(bot)
    if state.kind == "semantic":
        return "matcher: semantic (MiniLM tuned for intents, int8 ONNX, centroids)"
    reason = semantic_unavailable()
    why = f"; semantic unavailable: {reason}" if reason else " (configured)"
    return f"matcher: lexical (TF-IDF character n-grams){why}"


# --- answering ------------------------------------------------------------------------


def render(template: str, variables: dict[str, str]) -> str:
    """Replace ``{name}`` with known variables; unknown names stay as written."""
    return _VARIABLE.sub(lambda m: variables.get(m.group(1), m.group(0)), template)


async def _answer_text(ctx: Context, state: FaqState, entry: Entry) -> str:
    hits = await state.store.record_hit(entry.id, ctx.time())
    variables = {"next_event": ""}
    variables.update(await ctx.bot.variables(ctx.channel, ctx.message))
    variables.update({
        "user": ctx.user.shown_name if ctx.user else "",
        "channel": ctx.channel.name,
        "count": str(hits),
    })
    return render(entry.answer, variables)


def looks_like_question(text: str, min_words: int) -> bool:
    """Cheap filter that keeps the matcher off emote spam, one-word chatter and lines that
    carry a link (clip shares and promotions state things; they do not ask)."""
    words = len(_WORDS.findall(text))  # first: most chat lines are a word or two
    if words < min_words and not (words >= 2 and ("?" in text or _QUESTION_START.match(text))):
        return False
    # every link pattern has a "." or a "/": most lines need no search
    return not (("." in text or "/" in text) and _LINK.search(text))


def _cooling(state: FaqState, entry_id: int, channel: str, seconds: float, now: float) -> bool:
    last = state.cooldowns.get((entry_id, channel))
    return last is not None and now - last < seconds


def _budget_ok(state: FaqState, channel: str, count: int, window: float, now: float) -> bool:
    times = state.budgets.setdefault(channel, deque())
    while times and times[0] <= now - window:
        times.popleft()
    return len(times) < count


@hookimpl
async def cmbot_answer(ctx: Context, message: Message) -> Reply | Later | None:
    state = _state(ctx.bot)
    settings = ctx.settings
    text = message.text
    prefix = ctx.bot.prefix
    if text.startswith(prefix):
        name = text[len(prefix):].split(" ", 1)[0].lower()
        if not name or not await state.known_name(ctx.scope, name):
            return None
        entry = await state.store.entry(ctx.scope, name)
        if entry is None:
            return None
        slot = f"key:{ctx.channel.key}"
        now = ctx.time()
        if _cooling(state, entry.id, slot, settings["key_cooldown"], now):
            return None
        state.cooldowns[(entry.id, slot)] = now
        return Reply(await _answer_text(ctx, state, entry))
    if not settings["auto_answer"] or not looks_like_question(text, settings["min_words"]):
        return None
    threshold = state.threshold(settings)
    match = await state.quick_match(ctx.scope, text, threshold, gate=True)
    if match is ENCODE:  # encode off the message path; answer when it is done
        started = ctx.defer(_answer_later(ctx, state, text, threshold), "answer",
                            limit=PENDING_ANSWERS)
        return Later() if started else None
    return await _auto_reply(ctx, state, match, threshold)  # type: ignore[arg-type]


async def _answer_later(ctx: Context, state: FaqState, text: str, threshold: float) -> None:
    match = await state.encoded_match(ctx.scope, text, threshold)
    reply = await _auto_reply(ctx, state, match, threshold)
    if reply is not None:
        await ctx.reply(reply, priority=Priority.LOW)


async def _auto_reply(ctx: Context, state: FaqState, match: Match | None, threshold: float
                      ) -> Reply | None:
    """The answer to a matched chat line, unless below the threshold, cooling down or over
    the channel's budget."""
    if not accepts(match, threshold):
        return None
    assert match is not None
    settings = ctx.settings
    now = ctx.time()
    channel = ctx.channel.key
    if _cooling(state, match.entry_id, channel, settings["entry_cooldown"], now):
        return None
    if not _budget_ok(state, channel, settings["budget_count"], settings["budget_window"], now):
        return None
    state.cooldowns[(match.entry_id, channel)] = now  # taken before awaiting: answers
    state.budgets[channel].append(now)  # found concurrently must not both pass
    entry = await state.store.entry_by_id(ctx.scope, match.entry_id)
    if entry is None:  # removed meanwhile
        return None
    return Reply(await _answer_text(ctx, state, entry))


@hookimpl
async def cmbot_autocomplete(ctx: Context, source: str, typed: str) -> list[str] | None:
    """Entry keys for ``/faq`` while a Discord user types."""
    if source != "faq_keys":
        return None
    typed = typed.strip().lower()
    keys = [e.key for e in await _state(ctx.bot).store.entries(ctx.scope)]
    return sorted(k for k in keys if typed in k)[:25]


@hookimpl
async def cmbot_forget_user(bot: Bot, user_key: str) -> None:
    await bot.db.execute("UPDATE faq_entries SET created_by=NULL WHERE created_by=?",
                              (user_key,))


# --- commands -------------------------------------------------------------------------


async def _require(ctx: Context, name: str) -> Entry:
    entry = await _state(ctx.bot).store.entry(ctx.scope, name.lower().lstrip("!"))
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
    if await _state(ctx.bot).store.name_taken(ctx.scope, name):
        raise CommandError(f"{name!r} is already an FAQ key or alias here")
    return name


async def _show_answer(ctx: Context, key: str) -> str:
    entry = await _require(ctx, key.split()[0])
    return await _answer_text(ctx, _state(ctx.bot), entry)


async def _add(ctx: Context, key: str, answer: str) -> str:
    key = await _free_name(ctx, key, "key")
    answer = _check_answer(ctx, answer)
    state = _state(ctx.bot)
    await state.store.add(ctx.scope, key, answer, ctx.user.key if ctx.user else "",
                          ctx.time())
    state.invalidate(ctx.scope)
    return (f"✓ added {ctx.prefix}{key}. Teach it how viewers ask: {ctx.prefix}faq teach {key} "
            f"<question> (5-10 phrasings work best)")


async def _edit(ctx: Context, key: str, answer: str) -> str:
    entry = await _require(ctx, key)
    await _state(ctx.bot).store.set_answer(entry.id, _check_answer(ctx, answer),
                                           ctx.time())
    return f"✓ updated {ctx.prefix}{entry.key}"


async def _remove(ctx: Context, key: str) -> str:
    entry = await _require(ctx, key)
    state = _state(ctx.bot)
    await state.store.remove(entry.id)
    state.invalidate(ctx.scope)
    return f"✓ removed {ctx.prefix}{entry.key} ({len(entry.phrasings)} phrasing(s))"


async def _alias(ctx: Context, key: str, alias: str) -> str:
    entry = await _require(ctx, key)
    alias = await _free_name(ctx, alias, "alias")
    state = _state(ctx.bot)
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
    state = _state(ctx.bot)
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
    if phrase.isdigit():
        number = int(phrase)
        if not 1 <= number <= len(entry.phrasings):
            raise CommandError(f"{entry.key} has {len(entry.phrasings)} phrasing(s); "
                               f"{ctx.prefix}faq show {entry.key} numbers them")
        text = entry.phrasings[number - 1]
    state = _state(ctx.bot)
    if not await state.store.remove_phrase(entry.id, text):
        raise CommandError(f"{entry.key} has no phrasing {phrase!r}")
    state.invalidate(ctx.scope)
    return f"✓ {entry.key} forgot “{text}”"


async def _list(ctx: Context) -> str:
    entries = await _state(ctx.bot).store.entries(ctx.scope)
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
    state = _state(ctx.bot)
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
    entries = await _state(ctx.bot).store.full_entries(ctx.scope)
    path = transfer.export_file(ctx, entries, format or "toml")
    return Reply(f"✓ exported {len(entries)} entries to {path}", file=path)


async def _import(ctx: Context, file: str) -> str:
    state = _state(ctx.bot)
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
