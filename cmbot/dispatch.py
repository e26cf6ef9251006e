"""Calling pluggy hooks whose implementations may be async, one plugin at a time.

pluggy cannot await, and one failing implementation stops a pluggy call. So each
implementation is called through its own pluggy hook caller (``subset_hook_caller``:
pluggy's tracing and monitoring see every call), in pluggy's order; what it returns is
awaited if awaitable, bounded (:func:`cmbot.bounded.bounded`: a plugin that swallows
its cancellation cannot hold the caller), and a failure is logged with the
plugin's name without stopping the other plugins.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pluggy

from .bounded import PLUGIN_EXIT, bounded

log = logging.getLogger("cmbot.dispatch")

_FAILED = object()  # an implementation raised or timed out (already reported)


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


Each = tuple[str, Callable[[str], Any]]
"""(argument name, factory): the argument each plugin gets its own of, made by
``factory(plugin)``: ``("ctx", ...)`` for message hooks, ``("bot", ...)`` for lifecycle."""


class HookCaller:
    """Runs hooks plugin by plugin, awaiting coroutines, with a timeout and isolation.

    Who implements what is read from pluggy when a hook is first called and again after
    :meth:`refresh` (the runtime registers every plugin before the first call).
    """

    def __init__(self, pm: pluggy.PluginManager, timeout: float = 5.0,
                 reporter: FaultReporter | None = None) -> None:
        self.pm = pm
        self.timeout = timeout
        self.reporter = reporter or FaultReporter()
        self._callers: dict[str, list[tuple[str, pluggy.HookCaller]]] = {}

    def refresh(self) -> None:
        """Forget who implements what (after registering or unregistering a plugin)."""
        self._callers.clear()

    def implementations(self, hook: str) -> list[tuple[str, pluggy.HookCaller]]:
        """(plugin name, a hook caller for that plugin alone), in pluggy's call order
        (tryfirst first, then last registered first)."""
        found = self._callers.get(hook)
        if found is None:
            caller: pluggy.HookCaller = getattr(self.pm.hook, hook)
            impls = list(reversed(caller.get_hookimpls()))
            plugins = [impl.plugin for impl in impls]
            found = [(impl.plugin_name, self.pm.subset_hook_caller(
                hook, [p for p in plugins if p is not impl.plugin])) for impl in impls]
            self._callers[hook] = found
        return found

    async def _call(self, hook: str, name: str, caller: pluggy.HookCaller,
                    kwargs: dict[str, Any], each: Each | None, limit: float | None = None
                    ) -> Any:
        """One implementation's result, or ``_FAILED`` (reported)."""
        limit = self.timeout if limit is None else limit
        if each is not None:
            kwargs[each[0]] = each[1](name)
        try:
            results = caller(**kwargs)
            if not results:
                return None
            result = results[0]
            if inspect.isawaitable(result):
                return await bounded(result, limit)
            return result
        except TimeoutError as exc:
            self.reporter.report(name, hook, f"timed out after {limit:g}s", exc)
        except PLUGIN_EXIT as exc:  # isolation is the point
            self.reporter.report(name, hook, f"{type(exc).__name__}: {exc}", exc)
        return _FAILED

    async def call_all(self, hook: str, each: Each | None = None, *,
                       limit: float | None = None, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call every implementation (each bounded by ``limit`` seconds, default the hook
        timeout); (plugin, result) for those that did not fail."""
        results = []
        for name, caller in self.implementations(hook):
            result = await self._call(hook, name, caller, kwargs, each, limit)
            if result is not _FAILED:
                results.append((name, result))
        return results

    async def call_first(self, hook: str, each: Each | None = None,
                         **kwargs: Any) -> tuple[str, Any] | None:
        """Call implementations in order until one returns something other than None."""
        for name, caller in self.implementations(hook):
            result = await self._call(hook, name, caller, kwargs, each)
            if result is not None and result is not _FAILED:
                return name, result
        return None

    def call_sync_per_plugin(self, hook: str, each: Each | None = None,
                             **kwargs: Any) -> list[tuple[str, Any]]:
        """Load-time hooks (schema, commands, migrations, CLI): sync, errors propagate."""
        out = []
        for name, caller in self.implementations(hook):
            if each is not None:
                kwargs[each[0]] = each[1](name)
            results = caller(**kwargs)
            result = results[0] if results else None
            if inspect.isawaitable(result):
                if hasattr(result, "close"):
                    result.close()
                raise TypeError(f"plugin {name!r}: {hook} must not be async")
            out.append((name, result))
        return out
