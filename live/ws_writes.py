"""How the live WebSocket protocol (:mod:`live.ws_server`) hands frames to the transport:
the frame's bytes, made once for every socket, and the two flushers of an event loop that
write a socket's frames of a tick in one ``transport.write``.

A socket's first frames of a loop tick are written at once (a fan-out's first socket does
not wait for its thousandth); it then notes the tick (:attr:`Flusher.tick`), and its next
frames of the tick wait for the tick's end. One callback per tick and loop
(:meth:`Flusher.flush`) starts the next tick and writes what each socket has pending.
Frames nobody waits for may wait up to :data:`UNHURRIED_SECONDS` (:class:`UnhurriedFlusher`).
"""

from __future__ import annotations

import asyncio
import collections
import functools
import logging
import struct
import weakref
from typing import Protocol

logger = logging.getLogger("live.ws_server")

_FIN_TEXT = 0x81  # FIN, opcode 1 (text)
# Pending bytes of one socket past which a send writes at once (asyncio's default high water
# mark for a transport's buffer).
FLUSH_AT = 64 * 1024
# How long frames sent with ``send_later`` may wait for others (see live.ws_server).
UNHURRIED_SECONDS = 0.15
# Frames due this close to a flush of those that may wait go with it.
_UNHURRIED_SLACK = 0.01


# Texts longer than this are framed without the cache: a welcome (kilobytes, one socket's own)
# would cost a hash of its whole text and a place among the fan-out's frames.
_CACHED_UP_TO = 1024


def text_frame(text: str) -> bytes:
    """``text`` as one unmasked, uncompressed WebSocket text frame (RFC 6455 §5.2): what a
    server sends. A short one is cached, so a fan-out encodes each frame once (the hub hands
    every socket of one kind of viewer the very same ``str``)."""
    if len(text) > _CACHED_UP_TO:
        return _frame(text)
    return _cached_frame(text)


def _frame(text: str) -> bytes:
    payload = text.encode()
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", _FIN_TEXT, length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", _FIN_TEXT, 126, length)
    else:
        header = struct.pack("!BBQ", _FIN_TEXT, 127, length)
    return header + payload


_cached_frame = functools.lru_cache(maxsize=32)(_frame)


class Flushable(Protocol):
    """A socket as the flushers see it."""

    @property
    def loop(self) -> asyncio.AbstractEventLoop: ...

    def flush_pending(self) -> None: ...


class Flusher:
    """The sockets of one event loop with frames pending, and one callback per tick that
    writes each one's frames (see the module). ``tick`` counts the ticks in which a socket
    wrote: a socket that wrote at once notes it, and holds its next frames until it changes."""

    __slots__ = ("dirty", "scheduled", "tick")

    def __init__(self) -> None:
        self.dirty: list[Flushable] = []
        self.scheduled = False
        self.tick = 0

    def add(self, protocol: Flushable) -> None:
        """Write ``protocol``'s pending frames at the tick's end."""
        self.dirty.append(protocol)
        if not self.scheduled:
            self.schedule(protocol.loop)

    def schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        """End the tick (and write what is pending) once the loop has run what is ready."""
        if not self.scheduled:
            self.scheduled = True
            loop.call_soon(self.flush)

    def flush(self) -> None:
        self.scheduled = False
        self.tick += 1
        dirty, self.dirty = self.dirty, []
        for protocol in dirty:
            _flush(protocol)


class UnhurriedFlusher:
    """The sockets of one event loop whose pending frames may wait: each is written
    :data:`UNHURRIED_SECONDS` after its first such frame (sooner when a frame that may not
    wait comes), by one timer for all of them, set for the one that waited longest."""

    __slots__ = ("scheduled", "waiting")

    def __init__(self) -> None:
        self.waiting: collections.deque[tuple[float, Flushable]] = collections.deque()
        self.scheduled = False

    def add(self, protocol: Flushable) -> None:
        loop = protocol.loop
        self.waiting.append((loop.time() + UNHURRIED_SECONDS, protocol))
        if not self.scheduled:
            self.scheduled = True
            loop.call_at(self.waiting[0][0], self.flush)

    def flush(self) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time() + _UNHURRIED_SLACK
        waiting = self.waiting
        while waiting and waiting[0][0] <= due:
            _flush(waiting.popleft()[1])  # (nothing to write: written already)
        self.scheduled = bool(waiting)
        if waiting:
            loop.call_at(waiting[0][0], self.flush)


def _flush(protocol: Flushable) -> None:
    try:
        protocol.flush_pending()
    except Exception:  # one socket's failure must not hold up the others' frames
        logger.exception("a WebSocket's frames could not be written")


# (A flusher holds its loop only through the sockets waiting in it: the loop's entry goes
# with the loop.)
_Flushers = tuple[Flusher, UnhurriedFlusher]
_FLUSHERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Flushers] = (
    weakref.WeakKeyDictionary()
)


def flushers(loop: asyncio.AbstractEventLoop) -> _Flushers:
    """The loop's flusher per tick and its flusher of frames that may wait."""
    found = _FLUSHERS.get(loop)
    if found is None:
        found = _FLUSHERS[loop] = (Flusher(), UnhurriedFlusher())
    return found
