"""Calling pluggy hooks whose implementations may be async, one plugin at a time."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import CoroutineType
from typing import Any

import pluggy

log = logging.getLogger("cmbot.dispatch")


@dataclass
class _FaultCount:
    count: int = 0
    suppressed: int = 0
    last_report: float = float("-inf")


@dataclass
class FaultReporter:
    """Logs a failing plugin at most once per ``interval`` seconds per hook, with a count."""

    interval: float = 60.0
    now: Callable[[], float] = time.monotonic
    _faults: dict[tuple[str, str], _FaultCount] = field(default_factory=dict)

    def report(self, plugin: str, hook: str, problem: str, exc: BaseException | None) -> None:
        fault = self._faults.setdefault((plugin, hook), _FaultCount())
        fault.count += 1
        now = self.now()
        if now - fault.last_report < self.interval:
            fault.suppressed += 1
            return
        more = f" ({fault.suppressed} more since last report)" if fault.suppressed else ""
        log.error("plugin %r failed in %s: %s%s", plugin, hook, problem, more,
                  exc_info=exc if exc is not None and fault.last_report == float("-inf") else None)
        fault.last_report = now
        fault.suppressed = 0

    def counts(self) -> dict[tuple[str, str], int]:
        return {k: v.count for k, v in self._faults.items()}


class _Resumed:
    """Await the rest of a coroutine that was stepped once and is waiting on ``first``."""

    __slots__ = ("coro", "first")

    def __init__(self, coro: Any, first: Any) -> None:
        self.coro = coro
        self.first = first

    def __await__(self) -> Any:
        coro, value = self.coro, self.first
        while True:
            try:
                sent = yield value
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # noqa: BLE001 - cancellation goes to the coroutine
                try:
                    value = coro.throw(exc)
                except StopIteration as done:
                    return done.value
            else:
                try:
                    value = coro.send(sent)
                except StopIteration as done:
                    return done.value


_FAILED = object()  # an implementation raised or timed out (already reported)


class _Pending:
    """A hook call still waiting on something."""

    __slots__ = ("awaitable",)

    def __init__(self, awaitable: Any) -> None:
        self.awaitable = awaitable


class _Plan:
    """How to call one implementation: its plugin's name and which arguments it takes,
    worked out once instead of per message."""

    __slots__ = ("name", "impl", "function", "plain", "wants_ctx")

    def __init__(self, name: str, impl: pluggy.HookImpl) -> None:
        self.name = name
        self.impl = impl
        self.function = impl.function
        self.plain = tuple(arg for arg in impl.argnames if arg != "ctx")
        self.wants_ctx = "ctx" in impl.argnames


class HookCaller:
    """Runs hooks plugin by plugin, awaiting coroutines, with a timeout and isolation."""

    def __init__(self, pm: pluggy.PluginManager, timeout: float = 5.0,
                 reporter: FaultReporter | None = None) -> None:
        self.pm = pm
        self.timeout = timeout
        self.reporter = reporter or FaultReporter()
        self._cache: dict[str, tuple[list[Any], Any, list[_Plan]]] = {}

    def implementations(self, hook: str) -> list[tuple[str, pluggy.HookImpl]]:
        """(plugin name, impl) in pluggy's call order (tryfirst first, then LIFO)."""
        return [(plan.name, plan.impl) for plan in self._plans(hook)]

    def _plans(self, hook: str) -> list[_Plan]:
        cached = self._cache.get(hook)
        changes = getattr(self.pm, "changes", None)  # cmbot's PluginManager counts them
        if cached is not None:
            live, stamp, plans = cached
            if changes is not None:
                if stamp == changes:
                    return plans
            # another PluginManager: pluggy keeps a hook's implementations in one list
            # that (un)registering changes; its length and ends tell without a copy
            elif stamp == ((len(live), id(live[0]), id(live[-1])) if live else (0, 0, 0)):
                return plans
        caller = getattr(self.pm.hook, hook)
        live = getattr(caller, "_hookimpls", None)
        plans = [_Plan(self.pm.get_name(impl.plugin) or "?", impl)
                 for impl in reversed(caller.get_hookimpls())]
        if changes is not None:
            self._cache[hook] = ([], changes, plans)
        elif live is not None:  # otherwise (another pluggy): worked out on every call
            self._cache[hook] = (live, (len(live), id(live[0]), id(live[-1])) if live
                                 else (0, 0, 0), plans)
        return plans

    def _start(self, hook: str, plan: _Plan, kwargs: dict[str, Any],
               make_ctx: Callable[[str], Any] | None) -> Any:
        """Call one implementation. Returns its result, ``_FAILED`` (reported), or a
        ``_Pending`` when it has to wait on something: most calls finish without
        waiting, and those pay for no extra coroutine and no timer."""
        args = {arg: kwargs[arg] for arg in plan.plain}
        if plan.wants_ctx:
            args["ctx"] = make_ctx(plan.name) if make_ctx is not None else kwargs["ctx"]
        try:
            result = plan.function(**args)
            if result is None:
                return None
            if isinstance(result, CoroutineType):
                try:
                    first = result.send(None)
                except StopIteration as done:
                    return done.value
                return _Pending(_Resumed(result, first))
            if inspect.isawaitable(result):
                return _Pending(result)
            return result
        except Exception as exc:  # noqa: BLE001 - isolation is the point
            self.reporter.report(plan.name, hook, f"{type(exc).__name__}: {exc}", exc)
            return _FAILED

    async def _finish(self, hook: str, plan: _Plan, pending: _Pending) -> Any:
        """Await the rest of a call that is waiting, under the hook timeout."""
        try:
            async with asyncio.timeout(self.timeout):
                return await pending.awaitable
        except TimeoutError as exc:
            self.reporter.report(plan.name, hook, f"timed out after {self.timeout:g}s", exc)
        except Exception as exc:  # noqa: BLE001 - isolation is the point
            self.reporter.report(plan.name, hook, f"{type(exc).__name__}: {exc}", exc)
        return _FAILED

    async def call_all(self, hook: str, make_ctx: Callable[[str], Any] | None = None,
                       **kwargs: Any) -> list[tuple[str, Any]]:
        """Call every implementation; return (plugin, result) for those that succeeded."""
        results = []
        for plan in self._plans(hook):
            result = self._start(hook, plan, kwargs, make_ctx)
            if type(result) is _Pending:
                result = await self._finish(hook, plan, result)
            if result is not _FAILED:
                results.append((plan.name, result))
        return results

    async def call_first(self, hook: str, make_ctx: Callable[[str], Any] | None = None,
                         **kwargs: Any) -> tuple[str, Any] | None:
        """Call implementations in order until one returns a non-None result."""
        for plan in self._plans(hook):
            result = self._start(hook, plan, kwargs, make_ctx)
            if type(result) is _Pending:
                result = await self._finish(hook, plan, result)
            if result is not None and result is not _FAILED:
                return plan.name, result
        return None

    def call_sync_per_plugin(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Load-time hooks (schema, commands, migrations): sync, errors propagate."""
        out = []
        for name, impl in self.implementations(hook):
            args = {a: kwargs[a] for a in impl.argnames}
            result = impl.function(**args)
            if inspect.isawaitable(result):
                if hasattr(result, "close"):
                    result.close()
                raise TypeError(f"plugin {name!r}: {hook} must not be async")
            out.append((name, result))
        return out
