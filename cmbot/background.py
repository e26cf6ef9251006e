"""Work a hook starts and does not wait for, so slow parts (writing a flag, encoding a
question) stay off the message path. Tracked, so tests, benchmarks and shutdown can wait
for it; bounded, so a flood sheds it instead of queueing without end."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from .bounded import drain
from .dispatch import FaultReporter

log = logging.getLogger("cmbot.background")


class Background:
    """Background tasks per plugin, at most ``limit`` running for each."""

    def __init__(self, reporter: FaultReporter, limit: int = 64,
                 now: Callable[[], float] = time.monotonic, interval: float = 60.0) -> None:
        self.reporter = reporter
        self.limit = limit
        self._now = now
        self._interval = interval
        self._tasks: dict[asyncio.Task[Any], str] = {}
        self._running: dict[str, int] = {}
        self._shed: dict[str, int] = {}
        self._shed_reported: dict[str, tuple[float, int]] = {}

    def running(self, plugin: str | None = None) -> int:
        """How many tasks are running (for ``plugin``, or in all)."""
        return len(self._tasks) if plugin is None else self._running.get(plugin, 0)

    def shed(self, plugin: str) -> int:
        """How many tasks ``plugin`` asked for while at its limit (not started)."""
        return self._shed.get(plugin, 0)

    def start(self, plugin: str, work: Coroutine[Any, Any, Any], what: str,
              limit: int | None = None) -> bool:
        """Run ``work`` in the background; False (and ``work`` closed) if ``plugin``
        already has ``limit`` tasks running."""
        cap = self.limit if limit is None else limit
        if self._running.get(plugin, 0) >= cap:
            work.close()
            self._shed[plugin] = self._shed.get(plugin, 0) + 1
            self._report_shedding(plugin, what, cap)
            return False
        task = asyncio.get_running_loop().create_task(work, name=f"cmbot-{plugin}-{what}")
        self._tasks[task] = plugin
        self._running[plugin] = self._running.get(plugin, 0) + 1
        task.add_done_callback(lambda done: self._finished(done, what))
        return True

    def _report_shedding(self, plugin: str, what: str, cap: int) -> None:
        """A warning at most once per interval per plugin, with the count since the last."""
        now = self._now()
        last, count_then = self._shed_reported.get(plugin, (float("-inf"), 0))
        if now - last < self._interval:
            return
        skipped = self._shed[plugin] - count_then
        log.warning("plugin %r is busy: %d %s task(s) running, so %d more were skipped "
                    "(load shedding)", plugin, cap, what, skipped)
        self._shed_reported[plugin] = (now, self._shed[plugin])

    def _finished(self, task: asyncio.Task[Any], what: str) -> None:
        plugin = self._tasks.pop(task)
        self._running[plugin] -= 1
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            self.reporter.report(plugin, f"background {what}",
                                 f"{type(exc).__name__}: {exc}", exc)

    async def settle(self, within: float | None = None) -> None:
        """Wait until no background work is left (tasks may start more tasks); with
        ``within``, cancel what is still running after that many seconds."""
        deadline = None if within is None else asyncio.get_running_loop().time() + within
        while self._tasks:
            pending = list(self._tasks)
            timeout = None if deadline is None else deadline - asyncio.get_running_loop().time()
            if timeout is not None and timeout <= 0:
                stuck = await drain(pending, 1.0)
                log.warning("%d background task(s) cancelled at shutdown%s", len(pending),
                            f" ({stuck} ignored it and were abandoned)" if stuck else "")
                return
            await asyncio.wait(pending, timeout=timeout)
