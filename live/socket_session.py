"""The room's WebSocket: one participant's session, from the handshake to the close.

This is the only module that touches a live room's socket. :func:`live_socket` checks the
handshake's Origin, finds who connects (a signed-in user, or the holder of an observer's or a
board's pass), joins them to the hub and then pumps frames both ways until one side stops:
the hub's frames to the socket (written by the hub's fan-out itself while the socket keeps up,
see :mod:`live.ws_server`, else from the connection's outbox by one task), the client's
commands from the socket to the hub (the socket's own task), each answered with ``ack`` or
``error``.
A session keeps little: the channel, the hub's :class:`~live.outbox.Connection`, one extra task.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.websockets import WebSocket, WebSocketDisconnect

from eschool.broker.base import BrokerError
from eschool.errors import DomainError
from eschool.i18n import gettext as _
from eschool.models import User
from live import board_pass, queries
from live.close_codes import CloseCode
from live.event_log import EventLog
from live.handlers.notes import note_add, notes_welcome
from live.hub import Connection, Hub
from live.media import MediaSignalling
from live.models import SessionStatus
from live.protocol import (
    SIGNALLING_TYPES,
    ClientMessage,
    ProtocolError,
    ack_frame,
    error_frame,
    parse_client_message,
)
from live.room import Actor, RoomError
from live.ws_server import SendNow, send_now_of

logger = logging.getLogger(__name__)

# The socket's idle and rate limits are settings (``live_idle_seconds``, ``live_rate_*``).
# A client that keeps sending after this many refusals in a row is cut off.
MAX_REFUSALS = 200

# WebSocket close codes (live.close_codes): the client reconnects after 1012 and 4001, and
# stops after the others.
CLOSE_RESYNC = CloseCode.RESYNC
CLOSE_SHUTDOWN = CloseCode.SHUTDOWN
CLOSE_BY_REASON = {
    "overflow": CloseCode.RESYNC,
    "resync": CloseCode.RESYNC,
    "kicked": CloseCode.FORBIDDEN,
    "ended": CloseCode.ENDED,
    "shutdown": CloseCode.SHUTDOWN,
    "closed": CloseCode.NORMAL,
}
CLOSE_BY_STATUS = {
    401: CloseCode.UNAUTHORIZED,
    403: CloseCode.FORBIDDEN,
    404: CloseCode.NOT_FOUND,
    409: CloseCode.CONFLICT,
}
CLOSE_BY_ROOM_ERROR = {
    "forbidden": CloseCode.FORBIDDEN,
    "locked": CloseCode.LOCKED,
    "ended": CloseCode.ENDED,
}
CLOSE_IDLE = CloseCode.IDLE
# How long a closed connection may take to deliver its last frames (``lesson.end``).
CLOSE_GRACE_SECONDS = 5.0
CLOSE_FLOOD = CloseCode.FLOOD
# What a socket raises when the other side has gone; not worth a traceback.
_GONE = (WebSocketDisconnect, RuntimeError, OSError)


def _hub(app: Starlette) -> Hub:
    return app.state.hub


def _log(app: Starlette) -> EventLog:
    return app.state.live_log


def _media(app: Starlette) -> MediaSignalling:
    return app.state.live_media


def _secret(app: Starlette) -> str:
    return app.state.settings.secret_key


class TokenBucket:
    """``rate`` messages a second on average, ``burst`` at once."""

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


@dataclass(slots=True)
class LiveChannel:
    """One participant's open socket in a room: what a message handler needs to answer."""

    websocket: WebSocket
    live_id: int
    room_id: str
    actor: Actor
    connection: Connection | None = None
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Names this socket's peer connections in the media engine (one user may have two tabs).
    media_id: str = field(default_factory=lambda: secrets.token_hex(8))
    # The server's write that does not wait (live.ws_server), once the first frames are sent;
    # ``sending`` counts the sends under way the ordinary way (it may write only when none is).
    direct: SendNow | None = None
    sending: int = 0

    @property
    def app(self) -> Starlette:
        """The application (its ``state`` holds the hub, the broker and the settings)."""
        return self.websocket.app

    async def send(self, frame: str) -> None:
        """Send one text frame (frames from several tasks never interleave)."""
        await self.send_each([frame])

    async def send_each(self, frames: list[str]) -> None:
        """Send text frames in order, after any send under way."""
        self.sending += 1
        try:
            async with self.send_lock:
                for frame in frames:
                    await self.websocket.send_text(frame)
        finally:
            self.sending -= 1

    def send_now(self, frame: str) -> bool:
        """Write one text frame at once, when the server can and no send is under way (one
        would go after this frame); ``False``, with nothing written, when not."""
        direct = self.direct
        return direct is not None and not self.sending and direct(frame)

    async def close(self, code: int, reason: str = "") -> None:
        """Close the socket (once)."""
        self.sending += 1
        try:
            async with self.send_lock:
                with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                    await self.websocket.close(code, reason)
        finally:
            self.sending -= 1


async def rtc_signal(channel: LiveChannel, message: ClientMessage) -> None:
    """Every ``rtc.*`` signalling message from a participant arrives here (see live/media.py)."""
    await _media(channel.app).handle(channel, message)


async def rtc_disconnected(channel: LiveChannel) -> None:
    """A participant's socket has gone: the media engine lets go of their peer connections."""
    _media(channel.app).disconnected(channel)


def origin_allowed(websocket: WebSocket) -> bool:
    """A browser's handshake must come from this site (or an allowed origin); a client that
    sends no Origin is not a browser and is let through to authentication."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    if origin in websocket.app.state.settings.allowed_origins:
        return True
    # Scheme, host and port must all match the server's own: an http page may not open a
    # socket to an https server (nor the other way round). Behind a TLS proxy the scheme
    # comes from X-Forwarded-Proto of a trusted proxy (ESCHOOL_TRUSTED_PROXIES).
    scheme = "https" if websocket.url.scheme in ("wss", "https") else "http"
    default_port = {"http": 80, "https": 443}
    try:
        theirs = urlsplit(origin.lower())
        ours = urlsplit(f"{scheme}://{websocket.headers.get('host', '').lower()}")
        their_port = theirs.port or default_port.get(theirs.scheme)
        our_port = ours.port or default_port[scheme]
    except ValueError:  # a port that is not a number
        return False
    return (
        theirs.scheme == scheme
        and not theirs.path
        and theirs.username is None
        and bool(ours.hostname)
        and theirs.hostname == ours.hostname
        and their_port == our_port
    )


async def _refuse(websocket: WebSocket, code: int, error: str, message: str) -> None:
    await websocket.accept()
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):
        await websocket.send_text(error_frame(None, error, message))
        await websocket.close(code, error)


def _room_message(error: RoomError) -> str:
    """The room's refusal in the participant's language (the room itself speaks English)."""
    return _(error.message)


def _bearer(websocket: WebSocket) -> str | None:
    scheme, _space, value = websocket.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def _since(websocket: WebSocket) -> int | None:
    raw = websocket.query_params.get("since", "")
    return int(raw) if raw.isdigit() and len(raw) < 16 else None


async def live_socket(websocket: WebSocket) -> None:
    """``GET /live/{code}/ws``: one participant's connection to the room.

    The handshake's Origin is checked first (403 without accepting); the participant is the
    signed-in user or the holder of a pass (an observer's or a board's) given as ``?token=``
    or ``Authorization: Bearer``; ``?view=board`` connects the teacher's session as the board;
    ``?since=N`` resumes after seq N.
    """
    channel = await _admit(websocket)
    if channel is None:
        return
    hub = _hub(websocket.app)
    try:
        connection, first = await hub.join(channel.room_id, channel.actor, since=_since(websocket))
    except RoomError as exc:
        code = CLOSE_BY_ROOM_ERROR.get(exc.code, CloseCode.BAD_REQUEST)
        await _refuse(websocket, code, exc.code, _room_message(exc))
        return
    except BrokerError:
        logger.exception("live room %s: cannot join", channel.room_id)
        await _refuse(
            websocket, CloseCode.UNAVAILABLE, "unavailable", _("The live lesson is unavailable.")
        )
        return
    channel.connection = connection
    try:
        await websocket.accept()
        await _log(websocket.app).sync(session_id=channel.live_id, room_id=channel.room_id)
        await _send_all(channel, first)
        del first  # a welcome may be large: the socket does not keep it
        await notes_welcome(channel)
        await _serve(channel, connection)
    except _GONE:
        pass
    finally:
        await _leave(channel, connection)


async def _admit(websocket: WebSocket) -> LiveChannel | None:
    """Who connects, to which running lesson: their channel, or ``None`` once refused. (The
    session's database objects stay here: a socket holds only its channel.)"""
    if not origin_allowed(websocket):
        await websocket.close(CloseCode.FORBIDDEN, "origin")
        return None
    app = websocket.app
    # The sign-in's records are let go of here (the socket may stay open for hours, a
    # thousand of them in an open lesson): the socket keeps only its channel.
    state = websocket.scope.get("state", {})
    user: User | None = state.pop("user", None)
    state.pop("auth", None)
    token = websocket.query_params.get("token") or None
    if user is None and token is None:
        # A pass (an observer's or a board's) may come as ``Authorization: Bearer`` too.
        token = _bearer(websocket)
    if user is None and token is None:
        # Said before looking the code up, so the answer tells nothing about the code.
        message = _("Sign in, or join as a guest with the code and your name.")
        await _refuse(websocket, CloseCode.UNAUTHORIZED, "unauthorized", message)
        return None
    # A visitor's pass names its session; a signed-in person reaches only their school's.
    school_id = user.school_id if user is not None and token is None else None
    try:
        async with app.state.sessionmaker() as session:
            live = await queries.session_by_code(
                session, code=str(websocket.path_params["code"]), school_id=school_id
            )
            actor = await board_pass.participant(
                session,
                live=live,
                user=user,
                token=token,
                secret=_secret(app),
                view=websocket.query_params.get("view"),
            )
    except DomainError as exc:
        code = CLOSE_BY_STATUS.get(exc.status, CloseCode.BAD_REQUEST)
        await _refuse(websocket, code, exc.code, exc.message)
        return None
    if live.status != SessionStatus.active:
        await _refuse(websocket, CloseCode.ENDED, "ended", _("This live lesson has ended."))
        return None
    return LiveChannel(websocket, live.id or 0, live.code, actor)


async def _send_all(channel: LiveChannel, frames: list[str]) -> None:
    await channel.send_each(frames)


async def _leave(channel: LiveChannel, connection: Connection) -> None:
    app = channel.app
    try:
        await rtc_disconnected(channel)
        await _hub(app).leave(connection)
        await _log(app).sync(session_id=channel.live_id, room_id=channel.room_id)
    except Exception:  # the broker or the database may be going away with the server
        logger.warning("live room %s: leaving was not recorded", channel.room_id, exc_info=True)


async def _serve(channel: LiveChannel, connection: Connection) -> None:
    """Pump frames both ways until one side stops: two tasks, and a third only when the hub
    closes the connection while the pump is still sending (:func:`_end_pumping`). The hub's
    frames go straight to the socket while it keeps up (:meth:`LiveChannel.send_now`); the
    pump sends the ones queued while it did not."""
    channel.direct = send_now_of(channel.websocket.scope)
    connection.writer = channel.send_now
    pump = asyncio.create_task(_pump(channel, connection))
    listen = asyncio.create_task(_listen(channel))
    ending: list[asyncio.Task[None]] = []

    def closed_by_the_hub() -> None:
        if not pump.done():
            ending.append(asyncio.ensure_future(_end_pumping(channel, connection, pump)))

    connection.on_close(closed_by_the_hub)
    tasks = (pump, listen)
    try:
        done, _pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        if ending:
            await ending[0]  # bounded: the grace, then a second to write the close
    finally:
        for task in (*tasks, *ending):
            task.cancel()
        for task in (*tasks, *ending):
            with contextlib.suppress(asyncio.CancelledError, *_GONE):
                await task
    for task in done:
        error = None if task.cancelled() else task.exception()
        if error is not None and not isinstance(error, _GONE):
            logger.error("live room %s: socket task failed", channel.room_id, exc_info=error)


async def _end_pumping(channel: LiveChannel, connection: Connection, pump: asyncio.Task) -> None:
    """The hub closed the connection: let the pump deliver what is queued and close the
    socket, unless the client is what holds it up (it fell behind). Then close it here, or,
    when even the close cannot be written, give up: the server drops the socket and the
    client reconnects with ``since``."""
    reason = connection.close_reason or "closed"
    grace = 0.0 if reason == "overflow" else CLOSE_GRACE_SECONDS
    await asyncio.wait({pump}, timeout=grace)
    if pump.done():
        return
    pump.cancel()
    with contextlib.suppress(asyncio.CancelledError, *_GONE):
        await pump
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(
            channel.close(CLOSE_BY_REASON.get(reason, CloseCode.NORMAL), reason), 1.0
        )


async def _pump(channel: LiveChannel, connection: Connection) -> None:
    """Hub → socket: the connection's outbox, in order, until the hub closes it."""
    while (frame := await connection.receive()) is not None:
        await _send_all(channel, [frame, *connection.take_queued()])
    reason = connection.close_reason or "closed"
    await channel.close(CLOSE_BY_REASON.get(reason, CloseCode.NORMAL), reason)


async def _listen(channel: LiveChannel) -> None:
    """Socket → hub: each frame parsed, limited, applied and answered, until the client goes
    or falls silent."""
    settings = channel.app.state.settings
    idle = settings.live_idle_seconds
    bucket = TokenBucket(settings.live_rate_per_second, settings.live_rate_burst)
    refusals = 0
    while True:
        try:
            async with asyncio.timeout(idle):  # no task of its own, unlike wait_for
                message = await channel.websocket.receive()
        except TimeoutError:
            await channel.close(CLOSE_IDLE, "idle")
            return
        if message["type"] == "websocket.disconnect":
            return
        raw = message.get("text")
        if raw is None:
            raw = message.get("bytes") or b""
        if not bucket.take():
            refusals += 1
            if refusals >= MAX_REFUSALS:
                await channel.close(CLOSE_FLOOD, "flood")
                return
            await channel.send(
                error_frame(
                    _message_id(raw), "rate_limited", _("Too many messages: slow down a little.")
                )
            )
            continue
        refusals = 0
        await _handle(channel, raw)


def _message_id(raw: str | bytes) -> str | None:
    try:
        return parse_client_message(raw).id
    except ProtocolError as exc:
        return exc.message_id


async def _handle(channel: LiveChannel, raw: str | bytes) -> None:
    """Apply one client frame and answer it with ``ack`` or ``error``."""
    try:
        message = parse_client_message(raw)
    except ProtocolError as exc:
        await channel.send(error_frame(exc.message_id, exc.code, exc.message))
        return
    app = channel.app
    if message.type == "ping":
        replica = _hub(app).replica(channel.room_id)
        await channel.send(ack_frame(message.id, replica.seq if replica else 0))
        return
    if message.type in SIGNALLING_TYPES:
        await rtc_signal(channel, message)
        return
    if message.type == "note.add":  # an observer's private note: never an event of the room
        return await note_add(channel, message)
    try:
        seq = await _hub(app).submit(channel.room_id, channel.actor, message)
        await _log(app).sync(session_id=channel.live_id, room_id=channel.room_id)
    except RoomError as exc:
        await channel.send(error_frame(message.id, exc.code, _room_message(exc)))
        return
    except BrokerError:
        logger.exception("live room %s: a command was not stored", channel.room_id)
        await channel.send(
            error_frame(message.id, "unavailable", _("Not saved: try again in a moment."))
        )
        return
    await channel.send(ack_frame(message.id, seq))
    try:
        if message.type == "rtc.grant":
            await _media(app).grant_changed(channel.room_id)
        elif message.type == "rtc.record":
            await _media(app).recording_changed(channel.room_id)
    except Exception:
        logger.warning(
            "live room %s: %s not passed on", channel.room_id, message.type, exc_info=True
        )
