"""The live fan-in: one broker subscription per process feeds every open notification stream.

After a commit the delivery publishes the new notifications' ids, by recipient, on the one
broker channel :data:`CHANNEL` (``{"users": {"<user_id>": [ids…]}}``). Each process keeps a
single subscription to it (:class:`LiveStreams`, made in the notifications lifespan and put on
``app.state.notification_streams``) and hands each user's ids to the streams that user has
open in this process — never to anyone else's. A stream registers with :meth:`LiveStreams.listen`
and gets a :class:`Listener` with a bounded queue: when a slow page lets it fill up, further
pushes are dropped and the listener is marked ``missed``; the stream then sends the fresh unread
count with its next message or heartbeat. The same happens to every stream when the broker
subscription is lost and made again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from eschool.broker import Broker

log = logging.getLogger("eschool.notifications")

CHANNEL = "notify"
# Pushes waiting for one open stream; more are dropped (the page resyncs its count).
QUEUE_SIZE = 32
# How long startup waits for the broker to confirm the subscription.
READY_SECONDS = 10.0
RETRY_FIRST, RETRY_MOST = 0.5, 30.0


def push_message(by_user: dict[int, list[int]]) -> dict[str, Any]:
    """The message that carries new notification ids (by recipient) on :data:`CHANNEL`."""
    return {"users": {str(user_id): ids for user_id, ids in by_user.items()}}


class Listener:
    """One open stream's inbox: lists of new notification ids of its user, ``None`` at the end."""

    def __init__(self, user_id: int, size: int) -> None:
        self.user_id = user_id
        self.size = size
        self.missed = False
        self._queue: asyncio.Queue[list[int] | None] = asyncio.Queue()

    def offer(self, ids: list[int]) -> None:
        """Queue ``ids`` unless the queue is full (then drop them and remember it)."""
        if self._queue.qsize() >= self.size:
            self.missed = True
        else:
            self._queue.put_nowait(ids)

    def end(self) -> None:
        """Make the stream end (the process shuts down); always fits."""
        self._queue.put_nowait(None)

    async def next(self) -> list[int] | None:
        """The next ids (waiting for them); ``None`` when the stream must end."""
        return await self._queue.get()

    def take_missed(self) -> bool:
        """Whether pushes were dropped since the last call (the count must be sent again)."""
        missed, self.missed = self.missed, False
        return missed


class LiveStreams:
    """The process's one subscription to :data:`CHANNEL` and the registry of open streams."""

    def __init__(self, broker: Broker, *, queue_size: int = QUEUE_SIZE) -> None:
        self.broker = broker
        self.queue_size = queue_size
        self._listeners: dict[int, set[Listener]] = {}
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    @property
    def open_streams(self) -> int:
        """How many streams are registered in this process."""
        return sum(len(group) for group in self._listeners.values())

    async def start(self) -> None:
        """Subscribe (in a task that subscribes again when the broker connection is lost) and
        wait, a bounded time, until the broker confirmed it."""
        self._task = asyncio.get_running_loop().create_task(self._run())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout=READY_SECONDS)
        if not self._ready.is_set():
            log.warning("live notifications: the broker has not confirmed the subscription yet")

    async def close(self) -> None:
        """Drop the subscription and end every open stream."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        for group in self._listeners.values():
            for listener in group:
                listener.end()

    @contextlib.contextmanager
    def listen(self, user_id: int) -> Iterator[Listener]:
        """Register a stream of ``user_id``'s for as long as the block runs."""
        listener = Listener(user_id, self.queue_size)
        self._listeners.setdefault(user_id, set()).add(listener)
        try:
            yield listener
        finally:
            group = self._listeners.get(user_id)
            if group is not None:
                group.discard(listener)
                if not group:
                    del self._listeners[user_id]

    def deliver(self, message: dict[str, Any]) -> None:
        """Hand each user's ids to that user's open streams here (only theirs)."""
        users = message.get("users")
        if not isinstance(users, dict):
            return
        for key, ids in users.items():
            try:
                user_id = int(key)
            except (TypeError, ValueError):
                continue
            group = self._listeners.get(user_id)
            if not group or not isinstance(ids, list):
                continue
            clean = [i for i in ids if isinstance(i, int) and not isinstance(i, bool)]
            for listener in group:
                listener.offer(clean)

    def _all_missed(self) -> None:
        for group in self._listeners.values():
            for listener in group:
                listener.missed = True

    async def _run(self) -> None:
        delay = RETRY_FIRST
        while True:
            try:
                async with self.broker.subscribe_channel(CHANNEL) as messages:
                    if self._ready.is_set():  # subscribed again: pushes may have been lost
                        self._all_missed()
                    self._ready.set()
                    delay = RETRY_FIRST
                    async for message in messages:
                        self.deliver(message)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("live notifications: subscription lost (%s)", type(exc).__name__)
            self._all_missed()
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MOST)
