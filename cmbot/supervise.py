"""Supervision for the bot's long-running work (platform connections, the timekeeper):
an unexpected end is logged once with its traceback and retried with capped exponential
backoff and jitter; a fatal cause (a refused token, a disallowed intent) is not retried
but reported, so the process can stop with one clear line and a non-zero exit."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

log = logging.getLogger("cmbot.supervise")


@dataclass
class Backoff:
    """Delays of ``first * 2**n`` seconds, capped at ``cap``, each scaled by a random
    factor in [0.5, 1] so many bots (or shards) do not retry in step."""

    first: float = 1.0
    cap: float = 300.0
    rng: random.Random = field(default_factory=random.Random)
    _failures: int = 0

    def next(self) -> float:
        delay = min(self.cap, self.first * 2 ** self._failures)
        self._failures += 1
        return delay * self.rng.uniform(0.5, 1.0)

    def reset(self) -> None:
        self._failures = 0


class Fatal(Exception):
    """A cause that retrying cannot fix; its message says what to do."""


Status = Callable[[str, str], None]
"""``status(state, detail)``: "connected", "reconnecting" or "failed", and why."""


async def supervise(name: str, run: Callable[[], Awaitable[object]], *,
                    fatal: Callable[[BaseException], str | None] = lambda exc: None,
                    status: Status = lambda state, detail: None,
                    backoff: Backoff | None = None, healthy_after: float = 60.0,
                    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep) -> str:
    """Run ``run`` again whenever it ends, until a fatal cause; returns that cause.

    ``run`` ending (with or without an exception) is unexpected: only cancellation stops
    supervision. ``fatal(exc)`` names a cause that must not be retried. A run that lasted
    ``healthy_after`` seconds resets the backoff. The same failure again is one log line,
    not another traceback.
    """
    backoff = backoff or Backoff()
    loop = asyncio.get_running_loop()
    last: tuple[str, str] | None = None
    repeats = 0
    while True:
        started = loop.time()
        error: BaseException | None = None
        try:
            await run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever ended it, we decide what next
            error = exc
        cause = fatal(error) if error is not None else None
        if cause is not None:
            log.error("%s stopped: %s", name, cause)
            status("failed", cause)
            return cause
        if loop.time() - started >= healthy_after:
            backoff.reset()
            last, repeats = None, 0
        delay = backoff.next()
        what = (type(error).__name__, str(error)) if error is not None else ("ended", "")
        if what != last:
            log.error("%s ended unexpectedly; retrying in %.1fs", name, delay,
                      exc_info=error)
            last, repeats = what, 0
        else:
            repeats += 1
            log.warning("%s failed again (%s: %s; %d time(s) in a row); retrying in %.1fs",
                        name, what[0], what[1], repeats + 1, delay)
        status("reconnecting", what[1] or what[0])
        await sleep(delay)
