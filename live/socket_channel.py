"""One participant's open socket in a live room, as the socket session keeps it: the channel
(what a message handler needs to answer: the socket, the room, the actor), its rate limit, and
the one sweep per application that closes silent sockets (:class:`IdleSweep`), instead of a
timer per socket, and gives the heap back after a storm of joins. See :mod:`live.socket_session`
for the session itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.websockets import WebSocket, WebSocketDisconnect

from eschool.broker.base import BrokerError
from live.close_codes import CloseCode
from live.outbox import Connection
from live.protocol import ack_frame
from live.room import Actor
from live.ws_server import SendNow, SendOne

logger = logging.getLogger(__name__)

CLOSE_IDLE = CloseCode.IDLE
# The hub's reasons to close a connection (live.outbox), as close codes (live.close_codes):
# the client reconnects after 1012 and 4001, and stops after the others.
CLOSE_BY_REASON = {
    "overflow": CloseCode.RESYNC,
    "resync": CloseCode.RESYNC,
    "kicked": CloseCode.FORBIDDEN,
    "ended": CloseCode.ENDED,
    "shutdown": CloseCode.SHUTDOWN,
    "closed": CloseCode.NORMAL,
}
# How long a closed connection may take to deliver its last frames (``lesson.end``).
CLOSE_GRACE_SECONDS = 5.0
# What a socket raises when the other side has gone; not worth a traceback.
GONE = (WebSocketDisconnect, RuntimeError, OSError)


class TokenBucket:
    """``rate`` messages a second on average, ``burst`` at once."""

    __slots__ = ("_at", "_clock", "burst", "rate", "tokens")

    def __init__(self, rate: float, burst: float, clock: Any = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self._clock = clock
        self._at = clock()

    def take(self) -> bool:
        """Spend one token if there is one."""
        now = self._clock()
        self.tokens = min(self.burst, self.tokens + (now - self._at) * self.rate)
        self._at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


# An answer waiting to be sent: ``(frame, "", 0)`` as it is, or ``(None, message id, seq)``:
# an ack once the durable log holds the command's event.
_Answer = tuple[str | None, str, int]
Stored = Callable[[], Awaitable[None]]


@dataclass(slots=True, eq=False)
class LiveChannel:
    """One participant's open socket in a room: what a message handler needs to answer."""

    websocket: WebSocket
    live_id: int
    room_id: str
    actor: Actor
    connection: Connection | None = None
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Names this socket's peer connections in the media engine (see :attr:`media_id`).
    _media_id: str | None = None
    # The server's write that does not wait (live.ws_server), once the socket is accepted;
    # ``sending`` counts the sends under way the ordinary way (it may write only when none is).
    direct: SendNow | None = None
    # The same for frames that may wait a little for others (live.ws_server's send_later),
    # and for one frame (its send_one: the hub's fan-out).
    direct_later: SendNow | None = None
    direct_one: SendOne | None = None
    sending: int = 0
    # When the client last sent anything (time.monotonic), for the idle sweep.
    heard_at: float = field(default_factory=time.monotonic)
    # The socket's own task while it listens; the sender of queued frames and the closer,
    # each only while it has work.
    listener: asyncio.Task[Any] | None = None
    sender: asyncio.Task[None] | None = None
    closer: asyncio.Task[None] | None = None
    dropped: bool = False
    # Answers to the client's commands waiting behind an ack that waits for the durable log
    # (see :meth:`acknowledge`), and the task that sends them, only while there are some.
    answers: list[_Answer] | None = None
    answerer: asyncio.Task[None] | None = None

    @property
    def media_id(self) -> str:
        """Names this socket's peer connections in the media engine (one user may have two
        tabs): random, made the first time the engine asks (most sockets never use media, and
        a random token is a system call)."""
        if self._media_id is None:
            self._media_id = secrets.token_hex(8)
        return self._media_id

    @property
    def app(self) -> Starlette:
        """The application (its ``state`` holds the hub, the broker and the settings)."""
        return self.websocket.app

    async def send(self, frame: str) -> None:
        """Send one text frame (frames from several tasks never interleave)."""
        await self.send_each([frame])

    async def send_each(self, frames: list[str]) -> None:
        """Send text frames in order, after any send under way: at once, in one write, when
        none is and the server can (:meth:`send_now`)."""
        if not frames or self.send_now(*frames):
            return
        self.sending += 1
        try:
            async with self.send_lock:
                for frame in frames:
                    await self.websocket.send_text(frame)
        finally:
            self.sending -= 1

    def send_now(self, *frames: str) -> bool:
        """Write text frames at once, when the server can and no send is under way (one would
        go after these frames); ``False``, with nothing written, when not."""
        direct = self.direct
        return direct is not None and not self.sending and direct(*frames)

    def send_one(self, frame: str, soon: bool = False) -> bool:
        """:meth:`send_now` of one frame, the hub's fan-out: the fewest calls on the way.
        ``soon``: at the tick's end with the socket's other frames, never on its own (see
        :mod:`live.ws_server`)."""
        direct = self.direct_one
        return direct is not None and not self.sending and direct(frame, soon)

    def send_later(self, *frames: str) -> bool:
        """As :meth:`send_now`, for frames that may wait a little for others (see
        :mod:`live.ws_server`)."""
        direct = self.direct_later or self.direct
        return direct is not None and not self.sending and direct(*frames)

    async def answer(self, frame: str) -> None:
        """Send an answer to a command (an ``error``, a ``ping``'s ``ack``): at once, or
        behind the answers waiting (see :meth:`acknowledge`), so answers keep their order."""
        if self.answers is None:
            await self.send(frame)
        else:
            self.answers.append((frame, "", 0))

    def acknowledge(
        self, message_id: str, seq: int, stored: Stored, unsaved: Callable[[str], str]
    ) -> None:
        """Acknowledge command ``message_id`` (applied at ``seq``) once ``stored()`` returns
        (the durable log holds its event), without waiting here: the client's next commands
        are applied meanwhile, and every ack waiting for the log is sent after one wait for
        it. When ``stored()`` fails the command is answered ``unsaved(message_id)`` instead."""
        if self.answers is None:
            self.answers = []
            self.answerer = asyncio.ensure_future(_send_answers(self, stored, unsaved))
        self.answers.append((None, message_id, seq))

    async def close(self, code: int, reason: str = "") -> None:
        """Close the socket (once)."""
        self.sending += 1
        try:
            async with self.send_lock:
                with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                    await self.websocket.close(code, reason)
        finally:
            self.sending -= 1

    def frames_queued(self) -> None:
        """The hub queued frames for this socket (it did not keep up): a sender task sends
        them, and any queued behind them, then ends (:attr:`Connection.on_queued`)."""
        if self.sender is None and self.connection is not None:
            self.sender = asyncio.ensure_future(_send_queued(self, self.connection))

    def hub_closed(self) -> None:
        """The hub closed the connection: close the socket after its last frames, unless the
        client is what holds them up (:attr:`Connection.close_reason` tells why)."""
        reason = (self.connection.close_reason if self.connection else None) or "closed"
        grace = 0.0 if reason == "overflow" else CLOSE_GRACE_SECONDS
        self.end_soon(CLOSE_BY_REASON.get(reason, CloseCode.NORMAL), reason, grace=grace)

    def end_soon(self, code: int, reason: str, *, grace: float = 0.0) -> None:
        """Close the socket without waiting here (see :func:`end_socket`); once."""
        if self.closer is None and self.listener is not None:
            self.closer = asyncio.ensure_future(end_socket(self, code, reason, grace))

    def drop(self) -> None:
        """Stop listening: the socket cannot even be closed (its client reads nothing); the
        server then drops it, and the client reconnects with ``since``."""
        if self.listener is not None and not self.dropped:
            self.dropped = True
            self.listener.cancel()


def _heap_trim() -> Callable[[], object] | None:
    """The C library's ``malloc_trim(0)`` (glibc), or ``None`` where there is none."""
    try:
        trim = getattr(ctypes.CDLL("libc.so.6"), "malloc_trim", None)
    except OSError:
        return None
    return None if trim is None else lambda: trim(0)


_HEAP_TRIM = _heap_trim()


class IdleSweep:
    """The listening sockets of one application, and one timer for all of them: a few times per
    idle limit, the sockets whose client said nothing for the limit are closed (``idle``).

    It also gives memory back after a storm of joins. Each join's passing work (the sign-in,
    the welcome, the database's rows) leaves freed blocks of the C heap between the sockets
    that stay, which the allocator keeps: about a third of what a socket seems to cost. A
    second after the last of :data:`TRIM_AFTER` joins or more, ``malloc_trim`` hands the free
    pages back to the system (a couple of milliseconds for a heap of 200 MiB)."""

    # How many sweeps per idle limit: a silent socket is closed within 1 + 1/SWEEPS limits.
    SWEEPS = 4
    TRIM_AFTER = 100
    TRIM_QUIET_SECONDS = 1.0

    def __init__(self, idle: float) -> None:
        self.idle = idle
        self.channels: set[LiveChannel] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._joined = 0  # since the heap was last trimmed
        self._trim: asyncio.TimerHandle | None = None

    def add(self, channel: LiveChannel) -> None:
        """Watch a socket from now on."""
        self.channels.add(channel)
        loop = asyncio.get_running_loop()
        if self._timer is None or self._loop is not loop:  # (an app served again)
            self._loop = loop
            self._timer = loop.call_later(self.idle / self.SWEEPS, self._sweep)
        self._joined += 1
        if self._joined >= self.TRIM_AFTER and _HEAP_TRIM is not None:
            if self._trim is not None:
                self._trim.cancel()  # joins go on: trim once they stop
            self._trim = loop.call_later(self.TRIM_QUIET_SECONDS, self._trim_heap)

    def _trim_heap(self) -> None:
        self._trim = None
        self._joined = 0
        if _HEAP_TRIM is not None:
            _HEAP_TRIM()

    def discard(self, channel: LiveChannel) -> None:
        """Stop watching a socket."""
        self.channels.discard(channel)

    def _sweep(self) -> None:
        self._timer = None
        heard_by = time.monotonic() - self.idle
        for channel in [c for c in self.channels if c.heard_at <= heard_by]:
            self.channels.discard(channel)
            channel.end_soon(CLOSE_IDLE, "idle")
        if self.channels and self._loop is not None:
            self._timer = self._loop.call_later(self.idle / self.SWEEPS, self._sweep)


def idle_sweep(app: Starlette) -> IdleSweep:
    """The application's :class:`IdleSweep` (made with its first socket)."""
    sweep: IdleSweep | None = getattr(app.state, "live_idle_sweep", None)
    if sweep is None:
        sweep = app.state.live_idle_sweep = IdleSweep(app.state.settings.live_idle_seconds)
    return sweep


async def _send_queued(channel: LiveChannel, connection: Connection) -> None:
    """Hub → socket: the frames queued in the connection's outbox, in order, until none is
    left (a frame queued later starts another sender)."""
    try:
        while frames := connection.take_queued():
            await channel.send_each(frames)
    except GONE:
        pass  # the client has gone: the socket's own task ends the session
    finally:
        if channel.sender is asyncio.current_task():
            channel.sender = None


async def _send_answers(
    channel: LiveChannel, stored: Stored, unsaved: Callable[[str], str]
) -> None:
    """The answers of :meth:`LiveChannel.acknowledge`, in order, until none is left."""
    try:
        while answers := channel.answers:
            channel.answers = []
            saved = True
            if any(frame is None for frame, _id, _seq in answers):
                try:
                    await stored()
                except BrokerError:
                    logger.exception("live room %s: a command was not stored", channel.room_id)
                    saved = False
            frames = []
            for frame, message_id, seq in answers:
                if frame is None:
                    frame = ack_frame(message_id, seq) if saved else unsaved(message_id)
                frames.append(frame)
            await channel.send_each(frames)
    except GONE:
        pass  # the client has gone: the socket's own task ends the session
    finally:
        if channel.answerer is asyncio.current_task():
            channel.answerer = None
            channel.answers = None


async def end_socket(channel: LiveChannel, code: int, reason: str, grace: float) -> None:
    """Close the socket: after the queued frames (``grace`` seconds at most: not when the client
    is what holds them up), with ``code``. When even the close cannot be written, drop it
    (:meth:`LiveChannel.drop`)."""
    for sender in (channel.answerer, channel.sender):
        if sender is not None and not sender.done():
            await asyncio.wait({sender}, timeout=grace)
            if not sender.done():
                sender.cancel()
                with contextlib.suppress(asyncio.CancelledError, *GONE):
                    await sender
    try:
        await asyncio.wait_for(channel.close(code, reason), 1.0)
    except TimeoutError:
        channel.drop()
