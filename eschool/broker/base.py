"""The broker contract: an ordered, durable event log per room plus light pub/sub.

A room's log gives every event an integer ``seq`` (1, 2, 3, … with no gaps) at append time,
keeps it for readers that reconnect, and streams new ones to subscribers in order. Channels
carry messages that are not logged (WebRTC signalling between processes); values are small
shared facts with a time to live (which process homes a room's media).

A broker may lose a room's log (Redis restarted without persistence or flushed, the process of
the in-process broker restarted). The database holds the durable copy, so whoever appends for a
durable room asks with ``existing_only``: a lost log is refused (:class:`LogMissing`) instead of
silently starting again at seq 1, and :meth:`Broker.restore` puts the stored log back, once,
before anything new is appended. A restored log is a new *generation*: a subscriber of the old
one ends with :class:`BrokerError` when it sees the new one, so nobody follows a log that was
replaced under them.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

Event = dict[str, Any]
DEFAULT_NAMESPACE = "eschool"
DEFAULT_READ_LIMIT = 1_000
# How long a dedupe key is remembered: longer than any client retries a message.
DEDUPE_TTL_SECONDS = 24 * 3600


class BrokerError(Exception):
    """The broker could not do what was asked (unreachable, or a log no longer retained)."""


class LogMissing(BrokerError):
    """The broker holds no log for the room (never started, or lost): it must be restored with
    :meth:`Broker.restore` before anything is appended to it."""


class LogClosed(BrokerError):
    """The room's log is closed for good (its lesson has ended): nothing more is appended."""


@dataclass(frozen=True, slots=True)
class LogBounds:
    """The retained part of a room's log: events ``first..last``.

    An empty log has ``first == last + 1`` (``LogBounds(1, 0)`` for a room never written).
    A reader who has seen up to ``since`` can resume when ``since >= first - 1``.
    """

    first: int
    last: int

    def can_resume_after(self, since: int) -> bool:
        """Whether every event after ``since`` is still retained."""
        return self.first - 1 <= since <= self.last


class Broker(abc.ABC):
    """What the hub needs from an event broker; see the module docstring."""

    namespace: str

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.disconnect()

    @abc.abstractmethod
    async def connect(self) -> None:
        """Open connections; call once before anything else."""

    @abc.abstractmethod
    async def disconnect(self) -> None:
        """Close connections; open subscriptions end."""

    @abc.abstractmethod
    async def ping(self) -> bool:
        """Whether the broker answers right now (for health checks); never raises."""

    @abc.abstractmethod
    async def append(
        self,
        room: str,
        event: Event,
        *,
        dedupe_key: str | None = None,
        existing_only: bool = False,
    ) -> Event:
        """Store ``event`` at the end of ``room``'s log and return it with its new ``seq``.

        Seq assignment and storage are one atomic step for every process sharing the broker.
        When ``dedupe_key`` was already used in this room, nothing is appended and the event
        stored the first time is returned (so a retried command is applied once). With
        ``existing_only`` a room without a log (see :meth:`has_log`) is refused with
        :class:`LogMissing`, in the same atomic step; without it the log is started.
        """

    @abc.abstractmethod
    async def has_log(self, room: str) -> bool:
        """Whether the broker holds ``room``'s log (started by an append or a restore, and
        neither dropped nor lost since)."""

    @abc.abstractmethod
    async def restore(self, room: str, events: Sequence[Event]) -> bool:
        """Start ``room``'s log as ``events`` (each with its ``seq``, ascending; the next append
        gets the last seq + 1), unless the room has a log: atomic for every process sharing
        the broker. Returns whether this call restored it. Subscribers of a log that was there
        before end with :class:`BrokerError` once they see the restored one.
        """

    @abc.abstractmethod
    async def read(
        self, room: str, after_seq: int = 0, limit: int = DEFAULT_READ_LIMIT
    ) -> list[Event]:
        """Up to ``limit`` retained events with ``seq > after_seq``, in order."""

    @abc.abstractmethod
    async def bounds(self, room: str) -> LogBounds:
        """The seqs of the oldest retained and the newest event of ``room``."""

    @abc.abstractmethod
    def subscribe(
        self, room: str, *, after_seq: int | None = None
    ) -> AbstractAsyncContextManager[AsyncIterator[Event]]:
        """Follow ``room``'s log: ``async with broker.subscribe(room) as events: async for …``.

        With ``after_seq`` the iterator first yields the retained events after it, then new ones
        as they are appended, in seq order and without gaps; without it, only events appended
        after the subscription started.
        """

    def subscribe_batches(
        self, room: str, *, after_seq: int | None = None
    ) -> AbstractAsyncContextManager[AsyncIterator[list[Event]]]:
        """As :meth:`subscribe`, the events in lists, in order: those the broker had at once
        (one read of its log) together, so a follower can hand them on together (the hub
        writes them to each socket in one go). Here, each event on its own."""
        return _singly(self.subscribe(room, after_seq=after_seq))

    @abc.abstractmethod
    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        """Send a JSON-able message to the current subscribers of ``channel`` (not logged)."""

    @abc.abstractmethod
    def subscribe_channel(
        self, channel: str
    ) -> AbstractAsyncContextManager[AsyncIterator[dict[str, Any]]]:
        """Receive the messages published on ``channel`` once this context is entered."""

    @abc.abstractmethod
    async def set_value(
        self, key: str, value: str, *, ttl: float | None = None, only_if_absent: bool = False
    ) -> bool:
        """Store a small shared value, optionally expiring after ``ttl`` seconds.

        With ``only_if_absent`` the value is stored only when the key holds none (an atomic
        claim); returns whether it was stored.
        """

    @abc.abstractmethod
    async def get_value(self, key: str) -> str | None:
        """The value stored under ``key``, or ``None`` (never set, deleted or expired)."""

    @abc.abstractmethod
    async def delete_value(self, key: str) -> None:
        """Forget ``key``."""

    @abc.abstractmethod
    async def drop(self, room: str) -> None:
        """Delete ``room``'s log and dedupe keys (after the lesson is saved)."""


def one_by_one(
    subscription: AbstractAsyncContextManager[AsyncIterator[list[Event]]],
) -> AbstractAsyncContextManager[AsyncIterator[Event]]:
    """A subscription of :meth:`Broker.subscribe_batches` as one of :meth:`Broker.subscribe`:
    the events of its lists, one by one (a broker that reads in batches subscribes so)."""
    return _reshaped(subscription, _each_of)


def _singly(
    subscription: AbstractAsyncContextManager[AsyncIterator[Event]],
) -> AbstractAsyncContextManager[AsyncIterator[list[Event]]]:
    """A subscription's events, each in a list of its own."""
    return _reshaped(subscription, _alone)


async def _each_of(batches: AsyncIterator[list[Event]]) -> AsyncIterator[Event]:
    async for batch in batches:
        for event in batch:
            yield event


async def _alone(events: AsyncIterator[Event]) -> AsyncIterator[list[Event]]:
    async for event in events:
        yield [event]


@asynccontextmanager
async def _reshaped(
    subscription: AbstractAsyncContextManager[AsyncIterator[Any]],
    reshape: Callable[[AsyncIterator[Any]], AsyncIterator[Any]],
) -> AsyncIterator[AsyncIterator[Any]]:
    """``subscription``'s iterator passed through ``reshape``, closed when the block ends."""
    async with subscription as items:
        reshaped = reshape(items)
        try:
            yield reshaped
        finally:
            await reshaped.aclose()  # type: ignore[attr-defined]
