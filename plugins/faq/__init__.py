"""Built-in FAQ plugin: moderator-managed answers, ``!key`` lookups, and auto-answers to
questions asked in plain chat (semantic matcher when installed, lexical otherwise)."""

from __future__ import annotations

import asyncio

from cmbot import Bot, Setting, hookimpl

from .answering import PENDING_ANSWERS, cmbot_answer, looks_like_question  # noqa: F401
from .cli import cmbot_cli_commands  # noqa: F401 - a hook of this plugin
from .commands import cmbot_autocomplete, cmbot_commands  # noqa: F401 - hooks
from .matching import LEXICAL_THRESHOLD, SEMANTIC_THRESHOLD, semantic_unavailable
from .state import LEXICAL_GATE, MODEL_ID, FaqState, state_of, warm_up  # noqa: F401
from .store import MIGRATIONS


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


@hookimpl
async def cmbot_startup(bot: Bot) -> None:
    state = state_of(bot)
    if state.kind == "semantic":
        # load the encoder now (~0.5 s once per process), not on the first viewer question
        await asyncio.to_thread(warm_up)


@hookimpl
def cmbot_status(bot: Bot) -> str:
    """One line for ``cmbot plugins``: which matcher answers questions."""
    state = state_of(bot)
    if state.kind == "semantic":
        return "matcher: semantic (MiniLM tuned for intents, int8 ONNX, centroids)"
    reason = semantic_unavailable()
    why = f"; semantic unavailable: {reason}" if reason else " (configured)"
    return f"matcher: lexical (TF-IDF character n-grams){why}"


@hookimpl
async def cmbot_forget_user(bot: Bot, user_key: str) -> None:
    await bot.db.execute("UPDATE faq_entries SET created_by=NULL WHERE created_by=?",
                              (user_key,))


