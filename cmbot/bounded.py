"""Waiting for plugin code with a bound that the plugin cannot defeat.

``asyncio.timeout`` cancels the waiting task and then waits for the cancellation to be
handled, so a plugin that swallows ``CancelledError`` (a retry loop with a bare
``except``) holds its caller for ever. :func:`bounded` runs the plugin's awaitable in a
task of its own and stops *waiting* at the deadline: the task is cancelled and, if it
ignores that, abandoned (kept referenced, reported once, never awaited again).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Coroutine
from typing import Any, TypeVar

log = logging.getLogger("cmbot.bounded")

T = TypeVar("T")

_abandoned: set[asyncio.Future[Any]] = set()
"""Tasks that outlived their bound; referenced so the loop does not lose them."""

PLUGIN_EXIT = (Exception, SystemExit)
"""What a plugin call may raise that never stops the bot: ``SystemExit`` included
(argparse inside a command exits); ``KeyboardInterrupt`` still stops it."""


class PluginExited(Exception):
    """A plugin's awaitable raised ``SystemExit``. Raised out of a task, ``SystemExit``
    would stop the event loop itself, so :func:`bounded` turns it into this."""


async def _contained(work: Awaitable[T]) -> T:
    try:
        return await work
    except SystemExit as exc:
        raise PluginExited(f"SystemExit({exc.code!r})") from exc


def abandoned() -> int:
    """How many timed-out tasks are still running after being cancelled."""
    return len(_abandoned)


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


async def bounded(work: Awaitable[T], seconds: float) -> T:
    """``await work``, raising ``TimeoutError`` after ``seconds`` whatever ``work`` does
    with its cancellation. Cancelling the caller cancels ``work``."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(_contained(work))
    if task.done():
        return task.result()
    waiter: asyncio.Future[None] = loop.create_future()
    task.add_done_callback(lambda _: _wake(waiter))
    timer = loop.call_later(seconds, _wake, waiter)
    try:
        await waiter
    except asyncio.CancelledError:
        task.cancel()
        raise
    finally:
        timer.cancel()
    if task.done():
        return task.result()
    task.cancel()
    _abandoned.add(task)
    task.add_done_callback(_abandoned.discard)
    raise TimeoutError(f"no result within {seconds:g}s")


async def drain(tasks: list[asyncio.Task[Any]], seconds: float) -> int:
    """Cancel ``tasks`` and wait at most ``seconds`` for them to end; returns how many
    ignored the cancellation (they are abandoned)."""
    for task in tasks:
        task.cancel()
    if not tasks:
        return 0
    _, pending = await asyncio.wait(tasks, timeout=seconds)
    for task in pending:
        _abandoned.add(task)
        task.add_done_callback(_abandoned.discard)
    return len(pending)



def run(main: Coroutine[Any, Any, T], *, grace: float = 2.0) -> T:
    """``asyncio.run`` that cannot hang at exit. Ctrl+C cancels ``main`` (its ``finally``
    blocks run) and then raises ``KeyboardInterrupt``; tasks still running when ``main``
    ends are cancelled and given ``grace`` seconds, and those that ignore it are
    reported and left behind where ``asyncio.run`` would wait for them for ever."""
    loop = asyncio.new_event_loop()
    task = loop.create_task(main)
    interrupted = False

    def interrupt() -> None:
        nonlocal interrupted
        interrupted = True
        task.cancel()

    try:
        loop.add_signal_handler(signal.SIGINT, interrupt)
    except (ValueError, RuntimeError, NotImplementedError):  # not the main thread
        pass
    try:
        return loop.run_until_complete(task)
    except asyncio.CancelledError:
        if interrupted:
            raise KeyboardInterrupt from None
        raise
    finally:
        try:
            loop.remove_signal_handler(signal.SIGINT)
            left = [t for t in asyncio.all_tasks(loop) if not t.done()]
            stuck = loop.run_until_complete(drain(left, grace)) if left else 0
            if stuck:
                log.warning("%d task(s) ignored cancellation at exit; left behind", stuck)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()
