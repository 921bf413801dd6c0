"""The in-process broker: one asyncio event loop, no I/O.

Events are kept as JSON text, so a caller can neither mutate the log nor store what Redis could
not. Several ``MemoryBroker`` objects may share one :class:`MemoryStore` to stand for several
processes in tests; each broker keeps to its namespace.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from eschool.broker.base import (
    DEFAULT_NAMESPACE,
    DEFAULT_READ_LIMIT,
    Broker,
    BrokerError,
    Event,
    LogBounds,
    LogMissing,
    one_by_one,
)

# Generations of restored logs (0: a log started by an append).
_generations = itertools.count(1)


def _encode(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class _Signal:
    """Fired once, by the next append: wakes the followers waiting on it (each waits on one
    future of its own, which the broker's disconnect also wakes: a follower takes no task, as
    ``asyncio.wait`` on two events would, for each event of a busy room)."""

    __slots__ = ("fired", "waiters")

    def __init__(self) -> None:
        self.fired = False
        self.waiters: list[asyncio.Future[None]] = []

    def fire(self) -> None:
        self.fired = True
        waiters, self.waiters = self.waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def add(self, waiter: asyncio.Future[None]) -> None:
        """Wake ``waiter`` when fired (at once if it has been)."""
        if self.fired:
            waiter.set_result(None)
        else:
            self.waiters.append(waiter)


@dataclass
class _RoomLog:
    # Retained events as (seq, JSON text without seq), oldest first.
    entries: list[tuple[int, str]] = field(default_factory=list)
    last_seq: int = 0
    dedupe: dict[str, tuple[int, str]] = field(default_factory=dict)
    # Replaced by a fresh signal on every append: waiting on the current one wakes on the next.
    appended: _Signal = field(default_factory=_Signal)
    # Whether an append or a restore started it (a reader alone only looks at an empty log).
    started: bool = False
    generation: int = 0

    @property
    def first_seq(self) -> int:
        return self.entries[0][0] if self.entries else self.last_seq + 1

    def after(self, seq: int, limit: int) -> list[Event]:
        start = max(0, seq + 1 - self.first_seq)
        return [
            {**json.loads(text), "seq": entry_seq}
            for entry_seq, text in self.entries[start : start + limit]
        ]

    def announce(self) -> None:
        appended, self.appended = self.appended, _Signal()
        appended.fire()


class MemoryStore:
    """The shared memory behind one or more :class:`MemoryBroker` objects."""

    def __init__(self) -> None:
        self.rooms: dict[str, _RoomLog] = {}
        self.channels: dict[str, set[asyncio.Queue[str | None]]] = {}
        self.values: dict[str, tuple[str, float | None]] = {}


class MemoryBroker(Broker):
    """A :class:`~eschool.broker.base.Broker` for one process (``memory://``)."""

    def __init__(
        self,
        *,
        namespace: str = DEFAULT_NAMESPACE,
        store: MemoryStore | None = None,
        max_events: int | None = None,
    ) -> None:
        self.namespace = namespace
        self.store = store if store is not None else MemoryStore()
        self.max_events = max_events
        self._closed = asyncio.Event()
        self._channel_queues: set[asyncio.Queue[str | None]] = set()
        # The followers' waits for an append, woken by :meth:`disconnect` too.
        self._waiting: set[asyncio.Future[None]] = set()

    def _log(self, room: str) -> _RoomLog:
        return self.store.rooms.setdefault(f"{self.namespace}:{room}", _RoomLog())

    async def connect(self) -> None:
        """Nothing to open; makes the broker usable again after :meth:`disconnect`."""
        self._closed = asyncio.Event()

    async def disconnect(self) -> None:
        """End this broker's subscriptions."""
        self._closed.set()
        for waiter in self._waiting:
            if not waiter.done():
                waiter.set_result(None)
        for queue in self._channel_queues:
            queue.put_nowait(None)

    async def ping(self) -> bool:
        """Always reachable while connected."""
        return not self._closed.is_set()

    async def append(
        self,
        room: str,
        event: Event,
        *,
        dedupe_key: str | None = None,
        existing_only: bool = False,
    ) -> Event:
        """Append with the next seq (see :meth:`Broker.append`)."""
        if existing_only and not await self.has_log(room):
            raise LogMissing(f"no log of room {room!r} in this process")
        log = self._log(room)
        log.started = True
        if dedupe_key is not None and dedupe_key in log.dedupe:
            seq, text = log.dedupe[dedupe_key]
            return {**json.loads(text), "seq": seq}
        text = _encode({key: value for key, value in event.items() if key != "seq"})
        log.last_seq += 1
        log.entries.append((log.last_seq, text))
        if self.max_events is not None and len(log.entries) > self.max_events:
            del log.entries[: len(log.entries) - self.max_events]
        if dedupe_key is not None:
            log.dedupe[dedupe_key] = (log.last_seq, text)
        log.announce()
        return {**json.loads(text), "seq": log.last_seq}

    async def has_log(self, room: str) -> bool:
        """Whether ``room``'s log was started (see :meth:`Broker.has_log`)."""
        log = self.store.rooms.get(f"{self.namespace}:{room}")
        return log is not None and log.started

    async def restore(self, room: str, events: Sequence[Event]) -> bool:
        """Start ``room``'s log as ``events`` unless it has one (see :meth:`Broker.restore`)."""
        if await self.has_log(room):
            return False
        restored = _RoomLog(started=True, generation=next(_generations))
        for event in events:
            text = _encode({key: value for key, value in event.items() if key != "seq"})
            restored.entries.append((event["seq"], text))
            restored.last_seq = event["seq"]
        if self.max_events is not None and len(restored.entries) > self.max_events:
            del restored.entries[: len(restored.entries) - self.max_events]
        replaced = self.store.rooms.get(f"{self.namespace}:{room}")
        self.store.rooms[f"{self.namespace}:{room}"] = restored
        if replaced is not None:
            replaced.announce()  # its followers see the new generation
        return True

    async def read(
        self, room: str, after_seq: int = 0, limit: int = DEFAULT_READ_LIMIT
    ) -> list[Event]:
        """Retained events after ``after_seq``, oldest first."""
        return self._log(room).after(after_seq, limit)

    async def bounds(self, room: str) -> LogBounds:
        """The retained range of ``room``'s log."""
        log = self._log(room)
        return LogBounds(first=log.first_seq, last=log.last_seq)

    async def _follow(self, room: str, position: int) -> AsyncIterator[list[Event]]:
        """The room's events after ``position``, those appended meanwhile together."""
        log = self._log(room)
        while not self._closed.is_set():
            current = self._log(room)  # a dropped room starts a new log
            if current is not log:
                if current.started and current.generation != log.generation:
                    raise BrokerError(f"the log of {room!r} was restored: it is another log now")
                log = current
            # Take the signal before looking, so an append in between is not missed.
            appended = log.appended
            if position < log.first_seq - 1:
                raise BrokerError(f"events after {position} of {room!r} are no longer retained")
            events = log.after(position, DEFAULT_READ_LIMIT)
            if not events:
                waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
                appended.add(waiter)
                self._waiting.add(waiter)
                try:
                    await waiter
                finally:
                    self._waiting.discard(waiter)
                continue
            position = events[-1]["seq"]
            yield events

    def subscribe(
        self, room: str, *, after_seq: int | None = None
    ) -> AbstractAsyncContextManager[AsyncIterator[Event]]:
        """Follow ``room``'s log (see :meth:`Broker.subscribe`)."""
        return one_by_one(self.subscribe_batches(room, after_seq=after_seq))

    @asynccontextmanager
    async def subscribe_batches(
        self, room: str, *, after_seq: int | None = None
    ) -> AsyncIterator[AsyncIterator[list[Event]]]:
        """Follow ``room``'s log, what was appended meanwhile together (see
        :meth:`Broker.subscribe_batches`)."""
        position = self._log(room).last_seq if after_seq is None else after_seq
        batches = self._follow(room, position)
        try:
            yield batches
        finally:
            await batches.aclose()  # type: ignore[attr-defined]

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        """Hand ``message`` to every current subscriber of ``channel``."""
        text = _encode(message)
        for queue in self.store.channels.get(f"{self.namespace}:{channel}", set()):
            queue.put_nowait(text)

    @asynccontextmanager
    async def subscribe_channel(self, channel: str) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        """Receive what is published on ``channel`` from now on."""
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        subscribers = self.store.channels.setdefault(f"{self.namespace}:{channel}", set())
        subscribers.add(queue)
        self._channel_queues.add(queue)

        async def messages() -> AsyncIterator[dict[str, Any]]:
            while (text := await queue.get()) is not None:
                yield json.loads(text)

        try:
            yield messages()
        finally:
            subscribers.discard(queue)
            self._channel_queues.discard(queue)

    async def set_value(
        self, key: str, value: str, *, ttl: float | None = None, only_if_absent: bool = False
    ) -> bool:
        """Store ``value`` (see :meth:`Broker.set_value`)."""
        if only_if_absent and await self.get_value(key) is not None:
            return False
        expires = time.monotonic() + ttl if ttl is not None else None
        self.store.values[f"{self.namespace}:{key}"] = (value, expires)
        return True

    async def get_value(self, key: str) -> str | None:
        """The live value under ``key``."""
        stored = self.store.values.get(f"{self.namespace}:{key}")
        if stored is None:
            return None
        value, expires = stored
        if expires is not None and time.monotonic() >= expires:
            del self.store.values[f"{self.namespace}:{key}"]
            return None
        return value

    async def delete_value(self, key: str) -> None:
        """Forget ``key``."""
        self.store.values.pop(f"{self.namespace}:{key}", None)

    async def drop(self, room: str) -> None:
        """Forget ``room``'s log; its followers wait on the new, empty one."""
        log = self.store.rooms.pop(f"{self.namespace}:{room}", None)
        if log is not None:
            log.announce()
