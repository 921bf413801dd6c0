"""Values a process keeps from its database until a notice says they changed.

Each value is kept under a key and a group (a user, a school): a notice names a group, or
everyone. A read that a drop happened during must not be kept (it may predate the change): the
caller takes :meth:`KeptStore.generation` before reading and hands it back to
:meth:`KeptStore.keep`, which keeps nothing when it changed meanwhile. Past ``size`` values the
oldest go (the least recently used, when :meth:`KeptStore.get` is told to ``touch``). Used by
:mod:`eschool.auth_cache` and :mod:`gradebook.diary_versions`.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)


@dataclass(slots=True)
class Kept:
    """One kept value, its group and when it was kept (``time.monotonic``)."""

    value: Any
    group: Hashable
    kept_at: float


class KeptStore(Generic[Key]):
    """Kept values by key, dropped by group (see the module)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Key, Kept] = OrderedDict()
        self._by_group: dict[Hashable, set[Key]] = {}
        # Changes with every drop: a value read across one is not kept.
        self._generation = 0

    def __len__(self) -> int:
        return len(self._entries)

    def generation(self) -> int:
        """What :meth:`keep` is given back: the store's state before a read."""
        return self._generation

    def get(self, key: Key, *, touch: bool = False) -> Kept | None:
        """What is kept for ``key`` (marked the most recently used with ``touch``)."""
        kept = self._entries.get(key)
        if kept is not None and touch:
            self._entries.move_to_end(key)
        return kept

    def keep(self, key: Key, value: Any, *, group: Hashable, since: int) -> None:
        """Keep ``value`` under ``key`` and ``group``, unless something was dropped since
        :meth:`generation` gave ``since``; the oldest go past :attr:`size`."""
        if since != self._generation:
            return
        self.drop(key)
        self._entries[key] = Kept(value, group, time.monotonic())
        self._by_group.setdefault(group, set()).add(key)
        while len(self._entries) > self.size:
            self.drop(next(iter(self._entries)))

    def drop(self, key: Key) -> None:
        """Drop what is kept for ``key`` (a value found too old: no generation changes)."""
        kept = self._entries.pop(key, None)
        if kept is not None:
            keys = self._by_group.get(kept.group)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_group[kept.group]

    def forget_group(self, group: Hashable) -> None:
        """Drop everything kept under ``group``."""
        self._generation += 1
        for key in self._by_group.pop(group, ()):
            self._entries.pop(key, None)

    def forget_everyone(self) -> None:
        """Drop everything kept."""
        self._generation += 1
        self._entries.clear()
        self._by_group.clear()
