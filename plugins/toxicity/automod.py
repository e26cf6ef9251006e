"""``!automod``: moderators see and change, from chat, how readily each category is flagged
(its sensitivity level) and what happens to it (its action), for their community. What
they set is stored and wins over the config file until ``!automod reset``."""

from __future__ import annotations

from cmbot import Arg, Command, CommandError, Context, Role

from .assess import ACTIONS, RULE_CATEGORIES, level
from .scorer import CATEGORIES as MODEL_CATEGORIES
from .scorer import LEVEL_CHOICES, LEVELS, level_of
from .state import state_of

ALL = (*MODEL_CATEGORIES, *RULE_CATEGORIES)


async def _show(ctx: Context) -> str:
    settings = await state_of(ctx.bot).settings_of(ctx)
    model = ", ".join(f"{c} {LEVELS[level(settings, c)]}/{settings[f'action_{c}']}"
                      for c in MODEL_CATEGORIES)
    rules = ", ".join(f"{c} {settings[f'action_{c}']}" for c in RULE_CATEGORIES)
    return (f"AutoMod ({ctx.language}): {model} · rules: {rules} — "
            f"{ctx.prefix}automod level <category|all> <off|low|medium|high|strict>, "
            f"{ctx.prefix}automod action <category> <{'|'.join(ACTIONS)}>")


async def _changed(ctx: Context, key: str, value: str | None) -> None:
    state = state_of(ctx.bot)
    await state.store.override(ctx.scope, key, value)
    state.forget_settings()


async def _set_level(ctx: Context, category: str, level: str) -> str:
    number = level_of(level)
    if category == "all":
        for each in MODEL_CATEGORIES:
            await _changed(ctx, f"sensitivity_{each}", None)
        await _changed(ctx, "sensitivity", LEVELS[number])
        return f"✓ every category is now at {LEVELS[number]} sensitivity here"
    await _changed(ctx, f"sensitivity_{category}", LEVELS[number])
    return f"✓ {category} is now at {LEVELS[number]} sensitivity here"


async def _set_action(ctx: Context, category: str, action: str) -> str:
    assert ctx.user is not None
    if action == "ban" and ctx.user.role < Role.BROADCASTER:
        raise CommandError("automatic bans are for the broadcaster to switch on")
    await _changed(ctx, f"action_{category}", action)
    return f"✓ {category}: {action} from now on here"


async def _reset(ctx: Context) -> str:
    state = state_of(ctx.bot)
    for key in await state.store.overrides(ctx.scope):
        await state.store.override(ctx.scope, key, None)
    state.forget_settings()
    return "✓ AutoMod levels and actions are back to the config file's"


def commands() -> list[Command]:
    mod = Role.MODERATOR
    return [
        Command("automod", "each category's sensitivity and action here", _show, role=mod),
        Command("automod level", "how readily a category is flagged", _set_level, role=mod,
                args=[Arg("category", "choice", choices=("all", *MODEL_CATEGORIES)),
                      Arg("level", "choice", choices=LEVEL_CHOICES)]),
        Command("automod action", "what happens to a category", _set_action, role=mod,
                args=[Arg("category", "choice", choices=ALL),
                      Arg("action", "choice", choices=ACTIONS)]),
        Command("automod reset", "back to the config file's levels and actions", _reset,
                role=mod),
    ]
