"""The WebSocket protocol ``eschool serve`` runs: uvicorn's ``websockets-sansio``, plus a send
that does not wait.

An open lesson fans one event out to a thousand sockets. Through ASGI each frame is an
``await send(...)`` per recipient, in a task per recipient, through every middleware's wrapper:
most of the fan-out's time. This protocol adds an ASGI extension to each socket's scope,
``scope["extensions"][SEND_NOW]``: a plain function that writes text frames to the socket at
once, in one write, as ``websockets.broadcast`` does, and returns ``True``, or returns
``False`` without writing when it cannot (the handshake is not done, the socket is closing, or
its transport is paused because the client reads too slowly). The caller then sends those
frames the ordinary way (``await websocket.send_text``), which waits for the client, and
sends nothing directly until that is done, so frames stay in order (see
:mod:`live.socket_channel`).

A frame is encoded once for every socket it goes to (server frames are not masked; a text
frame is the same bytes for everyone), unless the socket negotiated an extension
(compression), when it goes through the socket's own encoder. ``eschool serve`` turns
compression off: live frames are small, and a compressor per socket costs tens of KiB.

A socket's first frames of a loop tick are written at once (a fan-out's first socket does not
wait for its thousandth to be handed its frame); the rest of the tick's go out in one write:
``send_now`` adds the encoded frames to the socket's pending bytes, and one callback per tick
(:class:`live.ws_writes.Flusher`, one per event loop, for every socket) writes each socket's
bytes with one ``transport.write``, so a burst of events costs two system calls per socket
and tick at most, not one per frame. A caller that expects more frames for the sockets this
tick (several events handed over together) says so, ``send_now(*texts, soon=True)``: then
even the first frames wait for the tick's end, and the tick costs each socket one system
call, not two. ``scope["extensions"][SEND_ONE]`` is ``send_now`` of one frame,
``send_one(text, soon)``: the hub's call for every socket of a fan-out, with the fewest calls
on the way. Whatever else the socket writes (an ordinary send, a close) writes the pending
bytes first, so frames stay in order; pending bytes past :data:`~live.ws_writes.FLUSH_AT`
are written at once, so the transport's flow control (its pause, which makes ``send_now``
refuse) still sees them.

Frames that nobody waits for (a classmate's arrival: ``presence.join`` in a class filling up)
may wait a little longer for company: ``scope["extensions"][SEND_LATER]`` holds them up to
:data:`~live.ws_writes.UNHURRIED_SECONDS` (a second flusher), unless a frame sent with
``send_now`` comes meanwhile, which takes them along at the tick's end, in order. Thirty
pupils joining at once then cost each socket a write or two, not thirty: on a loopback or a
busy host, a write is a system call that also does the receiving side's work.

The handshake's answer (``websocket.accept``) waits with them: a socket's ``101`` and its
first frames (the welcome) go out in one write. Whatever the app left pending when it returns
is written before uvicorn closes the socket.

A server without this extension (another ASGI server, the test client) works the same, only
slower: every frame then takes the ordinary way.

A second extension, ``scope["extensions"][DETACH]``, lets the app serve an accepted socket
from a task of its own (``detach(coroutine)``) and return: the socket then no longer holds the
app's call chain (every middleware's frame, about 5 KiB) for its whole life, only that task;
the socket is closed when the task ends, as when an app returns. Errors in the task are
logged.

An open lesson holds a thousand idle sockets, so a socket keeps little: its incoming messages
wait in a plain list (:class:`_Inbox`) and its flow control is a flag (:class:`_Flag`), each
making a future only while someone waits, where uvicorn's ``asyncio.Queue`` and
``asyncio.Event`` hold four deques (about 4 KiB) for the socket's whole life; and the
handshake's headers are let go of once it is done. Nor does it keep uvicorn's ping timer:
the live socket closes silent clients itself (``live_idle_seconds``).

Nor does a socket write log lines of its own: uvicorn's line for an accepted handshake (which
:func:`eschool.middleware.hide_server_paths` would drop: it names the lesson's code) is not
made, and websockets' "connection open" and "connection closed" are not written (the access
log has a line per socket); warnings and errors are.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from live.ws_writes import FLUSH_AT, flushers, text_frame

# The scope extensions' names; their values are ``send_now(*texts: str, soon=False) -> bool``
# (``send_later``, the same for frames that may wait, and ``send_one(text, soon)``, the same
# for one frame: see the module) and ``detach(work: Coroutine) -> bool``.
SEND_NOW = "eschool.websocket.send_now"
SEND_LATER = "eschool.websocket.send_later"
SEND_ONE = "eschool.websocket.send_one"
DETACH = "eschool.websocket.detach"

SendNow = Callable[..., bool]  # (*texts: str, soon: bool = False) -> bool
SendOne = Callable[[str, bool], bool]  # (text, soon) -> bool
Detach = Callable[[Coroutine[Any, Any, None]], bool]

logger = logging.getLogger(__name__)


class _WithoutChatter(logging.LoggerAdapter[logging.Logger]):
    """uvicorn's error logger as a socket's protocol (websockets) uses it, without its line
    per socket ("connection open", "connection closed"): the access log has one already
    (:class:`eschool.middleware.AccessLogMiddleware`). Warnings and errors pass."""

    def info(self, msg: object, *args: object, **kwargs: Any) -> None:
        """Dropped (see the class)."""


_PROTOCOL_LOG = _WithoutChatter(logging.getLogger("uvicorn.error"), {})


def send_now_of(scope: Any) -> SendNow | None:
    """The socket's ``send_now`` when the server offers it (see the module), else ``None``."""
    extensions = scope.get("extensions") or {}
    send_now = extensions.get(SEND_NOW)
    return send_now if callable(send_now) else None


def send_one_of(scope: Any) -> SendOne | None:
    """The socket's ``send_one`` when the server offers it (see the module), else ``None``."""
    extensions = scope.get("extensions") or {}
    send_one = extensions.get(SEND_ONE)
    return send_one if callable(send_one) else None


def send_later_of(scope: Any) -> SendNow | None:
    """The socket's ``send_later`` when the server offers it (see the module), else ``None``."""
    extensions = scope.get("extensions") or {}
    send_later = extensions.get(SEND_LATER)
    return send_later if callable(send_later) else None


def detach_of(scope: Any) -> Detach | None:
    """The socket's ``detach`` when the server offers it (see the module), else ``None``."""
    extensions = scope.get("extensions") or {}
    detach = extensions.get(DETACH)
    return detach if callable(detach) else None


class _Detached:
    """Stands for uvicorn's ``close_timer`` while a detached task serves the socket: the app's
    return closes the transport only when no close timer runs."""

    __slots__ = ()

    def cancel(self) -> None:
        """Nothing runs: nothing to cancel."""


_DETACHED = _Detached()


class _Flag:
    """What uvicorn's protocol uses of an ``asyncio.Event`` (its ``writable``), with a future
    only while a sender waits."""

    __slots__ = ("_set", "_waiter")

    def __init__(self) -> None:
        self._set = True
        self._waiter: asyncio.Future[None] | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> None:
        while not self._set:
            if self._waiter is None or self._waiter.done():  # done: a waiter was cancelled
                self._waiter = asyncio.get_running_loop().create_future()
            # Shielded: one sender given up on must not cancel the wait of another.
            await asyncio.shield(self._waiter)


class _Inbox:
    """What uvicorn's protocol uses of an ``asyncio.Queue`` (its incoming messages), as a
    list, with a future only while the app waits."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def empty(self) -> bool:
        return not self._items

    async def get(self) -> Any:
        while not self._items:
            if self._waiter is None or self._waiter.done():  # done: a reader was cancelled
                self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter  # one reader: the socket's app
        return self._items.pop(0)


class LiveWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's ``websockets-sansio`` protocol with the :data:`SEND_NOW` extension, keeping
    less once the handshake is done."""

    # What a fan-out reads of each socket, kept in the object itself. uvicorn's protocol has
    # some forty attributes: too many for an instance dict that shares its keys, so each
    # read there is a lookup in a table of the socket's own (memory a thousand sockets of a
    # fan-out do not share). A slot named as an attribute of uvicorn's holds it.
    __slots__ = (
        "_flusher",
        "_pending",
        "_plain_frames",
        "close_sent",
        "disconnected",
        "handshake_complete",
        "initial_response",
        "transport",
        "writable",
        "written_tick",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = _Inbox()  # type: ignore[assignment]
        self.writable = _Flag()  # type: ignore[assignment]
        self.conn.logger = _PROTOCOL_LOG
        # Frames written by ``send_now`` this tick, not yet handed to the transport.
        self._pending: list[bytes] | None = None
        self._pending_size = 0
        # Whether the pending frames go out at the tick's end (else they may wait).
        self._urgent = False
        self._flusher, self._unhurried = flushers(self.loop)
        # The flusher's tick in which the socket last wrote frames at once (its next ones of
        # that tick wait for the tick's end).
        self.written_tick = -1
        # Whether the accepted socket negotiated no extension: its frames are plain
        # (:func:`~live.ws_writes.text_frame`), the same bytes for every socket.
        self._plain_frames = False

    def flush_pending(self) -> None:
        """Hand the frames pending since this tick began to the transport, in one write."""
        pending, self._pending = self._pending, None
        self._pending_size = 0
        if pending and not self.transport.is_closing():
            self.transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def connection_lost(self, exc: Exception | None) -> None:
        self._pending = None
        super().connection_lost(exc)

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)  # set only when the handshake is to go on
        if scope is not None:
            scope["extensions"][SEND_NOW] = self.send_now
            scope["extensions"][SEND_ONE] = self.send_one
            scope["extensions"][SEND_LATER] = self.send_later
            scope["extensions"][DETACH] = self.detach

    async def send(self, message: Any) -> None:
        if self._pending is not None:
            self.flush_pending()  # frames sent without waiting go first
        if message["type"] == "websocket.accept" and not self.handshake_complete:
            await self._accept(message)
        else:
            await super().send(message)
        if message["type"] == "websocket.accept":
            # The handshake is done: its request and response (their headers) are not read
            # again, and a socket may stay open for hours. (The connection's parser still
            # holds the request: its headers are emptied.)
            if self.request is not None:
                self.request.headers.clear()
            self.request = self.response = None  # type: ignore[assignment]

    async def _accept(self, message: Any) -> None:
        """uvicorn's ``websocket.accept``, without its log line (which
        :func:`eschool.middleware.hide_server_paths` drops: it names the path, a lesson's
        code, and the query string, where a pass may be)."""
        await self.writable.wait()
        if self.disconnected:
            raise ClientDisconnected()
        if self.handshake_complete or self.initial_response is not None:
            await super().send(message)  # uvicorn says what is wrong
            return
        headers = [
            (name.decode("latin-1").lower(), value.decode("latin-1"))
            for name, value in (*self.default_headers, *message.get("headers", ()))
        ]
        subprotocol = message.get("subprotocol")
        if subprotocol:
            headers.append(("Sec-WebSocket-Protocol", subprotocol))
        del self.response.headers["Date"]
        self.response.headers.update(headers)
        if not self.transport.is_closing():
            self.handshake_complete = True
            self.conn.send_response(self.response)
            self._plain_frames = not self.conn.extensions
            # Written with the socket's first frames of this tick (the welcome), in one write.
            self._hold(self.conn.data_to_send())
            self.start_keepalive()

    @property
    def app(self) -> Any:
        """The application as uvicorn runs it: the app, then whatever it left pending written
        (uvicorn closes the transport as soon as the app returns)."""
        return self._run_app

    @app.setter
    def app(self, app: Any) -> None:
        self._app = app  # (uvicorn sets it)

    async def _run_app(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await self._app(scope, receive, send)
        finally:
            if self._pending is not None:
                self.flush_pending()

    def start_keepalive(self) -> None:
        """No ping timer per socket: a live socket whose client falls silent (its pings stop,
        or its peer is gone) is closed by the application's idle sweep
        (:class:`live.socket_channel.IdleSweep`)."""

    def detach(self, work: Coroutine[Any, Any, None]) -> bool:
        """Serve the accepted socket with ``work`` in a task of its own (the app returns at
        once); ``False``, with ``work`` closed unstarted, when the socket is not open."""
        if not self.handshake_complete or self.close_sent or self.disconnected:
            work.close()
            return False
        if self.close_timer is None:
            self.close_timer = _DETACHED  # type: ignore[assignment]
        task = self.loop.create_task(self._serve_detached(work))
        self.tasks.add(task)  # the server waits for it on shutdown, as for the app's
        task.add_done_callback(self.tasks.discard)
        return True

    async def _serve_detached(self, work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except Exception:
            logger.exception("a detached WebSocket task failed")
        finally:
            if self.close_timer is None or self.close_timer is _DETACHED:
                self.close_timer = None
                self.flush_pending()
                self.transport.close()

    def send_now(self, *texts: str, soon: bool = False) -> bool:
        """Write text frames (by the end of this tick, with the socket's other frames of the
        tick: see the module), or return ``False`` (nothing written) when the socket is not
        open or not writable; never waits. With ``soon`` they are not written at once even
        when they are the socket's first of the tick: the caller has more for it this tick."""
        frames = self._encoded(texts)
        if frames is None:
            return False
        self._hold(frames, urgent=True, at_once=not soon)
        return True

    def send_one(self, text: str, soon: bool = False) -> bool:
        """:meth:`send_now` of one frame: a fan-out's call for each of a thousand sockets,
        so a socket's first frame of the tick takes the shortest way to the transport."""
        flusher = self._flusher
        if (
            soon
            or self._pending is not None
            or self.written_tick == flusher.tick
            or not self._plain_frames
            or not self._takes_frames()
        ):
            return self.send_now(text, soon=soon)
        self.written_tick = flusher.tick
        if not flusher.scheduled:
            flusher.schedule(self.loop)
        self.transport.write(text_frame(text))
        return True

    def send_later(self, *texts: str) -> bool:
        """As :meth:`send_now`, for frames that may wait up to
        :data:`~live.ws_writes.UNHURRIED_SECONDS` for others (see the module)."""
        frames = self._encoded(texts)
        if frames is None:
            return False
        self._hold(frames, urgent=False)
        return True

    def _encoded(self, texts: tuple[str, ...]) -> list[bytes] | None:
        """``texts`` as frames for this socket; None when it cannot take them now."""
        if not self._takes_frames():
            return None
        if self.conn.extensions:
            for text in texts:
                self.conn.send_text(text.encode())
            return self.conn.data_to_send()
        return [text_frame(text) for text in texts]

    def _takes_frames(self) -> bool:
        """Whether the socket is open and writable (its transport not paused). As uvicorn's
        own send, it asks the protocol, not the connection's state (another object to reach,
        for each socket of a fan-out): a close sent sets ``close_sent``, a close received or
        a broken frame closes the transport, and a refused handshake sets ``initial_response``
        (or ``close_sent``)."""
        return (
            self.handshake_complete
            and not self.close_sent
            and not self.disconnected
            and self.initial_response is None
            and self.writable.is_set()
            and not self.transport.is_closing()
        )

    def _hold(self, frames: list[bytes], *, urgent: bool = True, at_once: bool = False) -> None:
        """Add encoded bytes to the socket's pending ones, written by the end of the tick
        (``urgent``) or within :data:`~live.ws_writes.UNHURRIED_SECONDS`, with the pending
        ones; ``at_once``: written now when they are the socket's first of the tick."""
        pending = self._pending
        if pending is None:
            if at_once and self.written_tick != (flusher := self._flusher).tick:
                self.written_tick = flusher.tick
                flusher.schedule(self.loop)
                self.transport.write(frames[0] if len(frames) == 1 else b"".join(frames))
                return
            self._pending = pending = []
            self._urgent = urgent
            (self._flusher if urgent else self._unhurried).add(self)
        elif urgent and not self._urgent:
            self._urgent = True
            self._flusher.add(self)
        pending.extend(frames)
        self._pending_size += len(frames[0]) if len(frames) == 1 else sum(map(len, frames))
        if self._pending_size >= FLUSH_AT:
            self.flush_pending()  # (the flusher then finds nothing to write)
