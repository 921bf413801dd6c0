"""One client's place in a live room: a bounded outbox of encoded frames.

Kept lean, since an open lesson holds a thousand of them: a list of frames (often the very
same ``str`` for every viewer of one kind: the hub encodes each projection once; a bounded
outbox is short, and an idle one is an empty list) and a future only while someone waits.
While the socket keeps up, frames skip the outbox: :attr:`Connection.writer` writes them at
once (see live.ws_server), so a fan-out wakes no task per recipient; a frame that goes into the
outbox is announced through :attr:`Connection.on_queued`, so a socket needs no task waiting
on its outbox while it keeps up.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from live.room import Actor

DEFAULT_OUTBOX_SIZE = 256


class Connection:
    """One client's place in a room: a bounded outbox of encoded frames.

    The hub only ever puts frames without waiting; the web layer drains them with
    ``async for frame in connection`` (or :meth:`receive`) and closes the socket when the
    iteration ends, with :attr:`close_reason` telling why: ``"overflow"`` (too slow: resync),
    ``"kicked"``, ``"ended"``, ``"resync"`` (the room's replica broke), ``"shutdown"`` or
    ``"closed"``.
    """

    __slots__ = (
        "_closing",
        "_on_close",
        "_outbox",
        "_ready",
        "actor",
        "after",
        "close_reason",
        "max_pending",
        "on_queued",
        "overflowed",
        "room_id",
        "shown_recorded",
        "writer",
        "writer_later",
    )

    def __init__(self, room_id: str, actor: Actor, *, max_pending: int = DEFAULT_OUTBOX_SIZE):
        self.room_id = room_id
        self.actor = actor
        self.max_pending = max_pending
        self.overflowed = False
        self.close_reason: str | None = None
        # The seq its first frames (the welcome, or the missed events) reach: a counted
        # presence frame at or below it has nothing new for it.
        self.after = 0
        # How many of the events this process recorded in the room's durable log its first
        # frames wait for: those recorded when the frames were made, up to the newest that is
        # not a coming or going (EventLog.lasting_recorded, EventLog.sync).
        self.shown_recorded = 0
        self._outbox: list[str] = []
        # Made only while a reader waits for a frame, or someone for the close.
        self._ready: asyncio.Future[None] | None = None
        self._closing: asyncio.Future[None] | None = None
        self._on_close: Callable[[], None] | None = None
        # Set by the web layer: ``writer(frame, soon)`` writes a frame to the socket at once
        # (``soon``: by the tick's end, with the socket's others) and returns ``True``, or
        # returns ``False`` when the socket cannot take it now (see :meth:`deliver`).
        self.writer: Callable[[str, bool], bool] | None = None
        # The same, for frames that may wait a little for others (see live.ws_server).
        self.writer_later: Callable[[str], bool] | None = None
        # Set by the web layer: called (without waiting) when a frame goes into the outbox,
        # so that something sends it (a socket starts a sender only while it has frames).
        self.on_queued: Callable[[], None] | None = None

    @property
    def closed(self) -> bool:
        """Whether the connection is closed (frames already queued may still be read)."""
        return self.close_reason is not None

    @property
    def pending(self) -> int:
        """How many frames wait in the outbox."""
        return len(self._outbox)

    def deliver(self, frame: str, *, later: bool = False, soon: bool = False) -> bool:
        """Hand ``frame`` on without waiting: straight to the socket through :attr:`writer`
        (:attr:`writer_later` when the frame may wait: ``later``) when nothing is queued
        before it and the socket takes it now, else into the outbox (read with
        :meth:`receive`); a full outbox closes the connection instead. ``soon``: more frames
        for the socket are expected this tick, so this one waits for the tick's end, to go
        with them in one write (see live.ws_server)."""
        if self.close_reason is not None:
            return False
        if not self._outbox:
            if later:
                if (later_writer := self.writer_later) is not None and later_writer(frame):
                    return True
            elif (writer := self.writer) is not None and writer(frame, soon):
                return True
        if len(self._outbox) >= self.max_pending:
            self.overflowed = True
            # The client will resync from its last seq; what is queued is of no use to it.
            self._outbox.clear()
            self.close("overflow")
            return False
        self._outbox.append(frame)
        self._wake()
        if self.on_queued is not None:
            self.on_queued()
        return True

    def close(self, reason: str = "closed") -> None:
        """Close after the frames already queued (all of them dropped on overflow)."""
        if self.close_reason is not None:
            return
        self.close_reason = reason
        self._wake()
        if self._closing is not None and not self._closing.done():
            self._closing.set_result(None)
        on_close, self._on_close = self._on_close, None
        if on_close is not None:
            on_close()

    def on_close(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` (once, without waiting) when the connection closes, or now when it
        is closed already: the web layer's watch on it, without a task of its own."""
        if self.close_reason is not None:
            callback()
        else:
            self._on_close = callback

    def _wake(self) -> None:
        ready, self._ready = self._ready, None
        if ready is not None and not ready.done():
            ready.set_result(None)

    async def wait_closed(self) -> str:
        """Wait until the connection is closed (a sender blocked on a slow socket may never
        read the end marker); returns :attr:`close_reason`."""
        if self.close_reason is None:
            if self._closing is None or self._closing.done():  # done: a waiter was cancelled
                self._closing = asyncio.get_running_loop().create_future()
            await self._closing
        return self.close_reason or "closed"

    async def receive(self) -> str | None:
        """The next frame, or ``None`` once the connection is closed and drained."""
        while not self._outbox:
            if self.close_reason is not None:
                return None
            if self._ready is None or self._ready.done():  # done: a reader was cancelled
                self._ready = asyncio.get_running_loop().create_future()
            await self._ready
        return self._outbox.pop(0)

    def take_queued(self) -> list[str]:
        """The frames queued right now, without waiting (a sender may batch them)."""
        frames, self._outbox = self._outbox, []
        return frames

    async def __aiter__(self) -> AsyncIterator[str]:
        while (frame := await self.receive()) is not None:
            yield frame
