"""The one way cmbot keeps a value read from storage in memory: :class:`Cache`.

A cache entry is dropped when an edit changes what it was read from. The hard part is
the read that is still running while the edit happens: its value is already stale, so it
must be used once and not kept. Every cache in the core and the built-in plugins goes
through this class instead of a hand-written version counter.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar, overload

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
D = TypeVar("D")


class Cache(Generic[K, V]):
    """Values loaded on first use and kept until :meth:`drop`, at most ``size`` of them
    (least recently used first out; ``None``: no limit).

        names: Cache[str, frozenset[str]] = Cache()
        found = names.get(scope)                      # no await on the hot path
        if found is None:
            found = await names.load(scope, lambda: store.names(scope))
        ...
        names.drop(scope)                             # after an edit of that scope

    A load that overlaps any :meth:`drop` or :meth:`clear` returns its value but does
    not keep it, so a value read before an edit never outlives the edit.
    """

    __slots__ = ("_items", "_size", "_edits")

    def __init__(self, size: int | None = None) -> None:
        self._items: OrderedDict[K, V] = OrderedDict()
        self._size = size
        self._edits = 0

    @overload
    def get(self, key: K) -> V | None: ...

    @overload
    def get(self, key: K, default: D) -> V | D: ...

    def get(self, key: K, default: object = None) -> object:
        """The kept value, or ``default`` (no await: for hot paths)."""
        items = self._items
        if key in items:
            if self._size is not None:
                items.move_to_end(key)
            return items[key]
        return default

    def put(self, key: K, value: V) -> None:
        """Keep a value computed without awaiting (nothing can race it)."""
        items = self._items
        items[key] = value
        if self._size is not None and len(items) > self._size:
            items.popitem(last=False)

    async def load(self, key: K, loader: Callable[[], Awaitable[V]]) -> V:
        """``await loader()``, kept unless an edit happened while it ran."""
        edits = self._edits
        value = await loader()
        if edits == self._edits:
            self.put(key, value)
        return value

    def drop(self, key: K) -> None:
        """Forget ``key`` (its source changed); loads running now are not kept."""
        self._edits += 1
        self._items.pop(key, None)

    def clear(self) -> None:
        """Forget everything; loads running now are not kept."""
        self._edits += 1
        self._items.clear()

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)
