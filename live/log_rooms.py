"""What the durable log (:mod:`live.event_log`) keeps of each room while it stores it: the
events recorded and not stored yet, and who waits for them."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field

from eschool.broker.base import BrokerError


def settle(future: asyncio.Future[None]) -> None:
    """Resolve ``future`` unless it is done already (a timer's callback)."""
    if not future.done():
        future.set_result(None)


class LogNotStored(BrokerError):
    """The room's log could not be written to the database: what the caller waited for is not
    durable and must not be acknowledged (the cause is chained)."""


@dataclass(slots=True)
class Waiter:
    """A caller of :meth:`EventLog.sync`: waits until the first ``upto`` events recorded in its
    room are stored."""

    upto: int
    done: asyncio.Future[None]


@dataclass
class LogRoom:
    """What this process recorded of one room: the events not stored yet, in recording order."""

    pending: deque[tuple[int, str]] = field(default_factory=deque)  # (seq, body)
    recorded: int = 0
    # How many were recorded up to the newest that is not a coming or going (what a welcome
    # waits for: see EventLog.lasting_recorded).
    lasting: int = 0
    stored: int = 0
    waiters: list[Waiter] = field(default_factory=list)
    restoring: asyncio.Lock = field(default_factory=asyncio.Lock)

    def release(self, count: int, lost: list[int]) -> None:
        """The first ``count`` pending events are stored: release whoever waited for them
        (with an error when some seqs hold other events: see live.event_log)."""
        for _stored in range(count):
            self.pending.popleft()
        self.stored += count
        released = [w for w in self.waiters if w.upto <= self.stored]
        self.waiters = [w for w in self.waiters if w.upto > self.stored]
        if lost:
            fail_waiters(released, BrokerError(f"seqs {lost} hold other events"))
        for waiter in released:
            if not waiter.done.done():
                waiter.done.set_result(None)

    def fail(self, cause: BaseException) -> None:
        """Storing failed: nobody waiting now can be released (events are stored in recording
        order, so what a waiter needs lies at or after the batch that failed)."""
        fail_waiters(self.waiters, cause)
        self.waiters = []


def fail_waiters(waiting: list[Waiter], cause: BaseException) -> None:
    for waiter in waiting:
        if not waiter.done.done():
            error = LogNotStored(f"the room's log was not stored: {cause}")
            error.__cause__ = cause
            waiter.done.set_exception(error)
