"""Waiting for a room's replica to reach a seq: what a command (or a server event) appended by
this process waits for, before it is acknowledged, when other processes appended events just
before it that the replica has not seen yet.

The hub applies an event it appended at once when it is the replica's next. When it is not,
the events before it are on their way to the room's follower, which reads the log anyway:
rather than read them a second time (a round trip under the room's lock, which holds up the
follower, then the same events decoded again from the follower's read), the append waits for
the follower to apply them and its own event (:meth:`AppliedWaits.wait`), up to a deadline after
which the caller reads what is missing itself. The hub releases the waits up to the replica's
seq after each batch it applies (:meth:`AppliedWaits.release`), and all of them when it lets
the replica go.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools

# How long an append waits for the follower to apply its event before reading it itself: the
# follower's read comes back with the append's answer, so this is reached only when the
# follower is stuck (its connection to the broker slow or lost).
FOLLOWER_WAIT_SECONDS = 1.0


class AppliedWaits:
    """The seqs waited for in one room's replica, soonest first."""

    __slots__ = ("_count", "_heap")

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, asyncio.Future[bool]]] = []
        self._count = itertools.count()

    def __len__(self) -> int:
        return len(self._heap)

    async def wait(self, seq: int, within: float) -> bool:
        """Return once :meth:`release` reached ``seq`` (``True``), or once ``within`` seconds passed
        or every wait was let go (``False``): the caller then looks at the replica itself."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bool] = loop.create_future()
        heapq.heappush(self._heap, (seq, next(self._count), waiter))
        timer = loop.call_later(within, _give_up, waiter)
        try:
            return await waiter
        finally:
            timer.cancel()

    def release(self, seq: int) -> None:
        """The replica has applied every event up to ``seq``: wake who waits for them."""
        heap = self._heap
        while heap and heap[0][0] <= seq:
            waiter = heapq.heappop(heap)[2]
            if not waiter.done():
                waiter.set_result(True)

    def let_go(self) -> None:
        """Wake every wait unreached (the replica is closed or let go)."""
        heap, self._heap = self._heap, []
        for _seq, _count, waiter in heap:
            _give_up(waiter)


def _give_up(waiter: asyncio.Future[bool]) -> None:
    if not waiter.done():
        waiter.set_result(False)
