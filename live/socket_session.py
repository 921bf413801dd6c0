"""The room's WebSocket: one participant's session, from the handshake to the close.

This is the only module that touches a live room's socket. :func:`live_socket` checks the
handshake's Origin, finds who connects (a signed-in user, or the holder of an observer's or a
board's pass), joins them to the hub and then pumps frames both ways until one side stops:
the hub's frames to the socket (written by the hub's fan-out itself while the socket keeps up,
see :mod:`live.ws_server`, else from the connection's outbox by a sender task that runs only
while frames wait), the client's commands from the socket to the hub (in the socket's own
task), each answered with ``ack`` or ``error``, in order (an ack once the durable log holds the
event, without holding up the commands after it: see
:meth:`~live.socket_channel.LiveChannel.acknowledge`).

An open lesson holds a thousand mostly idle sockets, so an idle one keeps little: the channel,
the hub's :class:`~live.outbox.Connection` and its own task, with no timer: silent sockets are
found by one sweep per application (:class:`live.socket_channel.IdleSweep`), a few times per
idle limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.types import Message
from starlette.websockets import WebSocket, WebSocketDisconnect

from eschool.broker.base import BrokerError, LogClosed
from eschool.errors import DomainError
from eschool.i18n import gettext as _
from eschool.models import User
from eschool.session_on_demand import session_on_demand
from live import board_pass, services
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
from live.room import RoomError
from live.socket_channel import (
    GONE,
    LiveChannel,
    TokenBucket,
    idle_sweep,
)
from live.ws_server import detach_of, send_later_of, send_now_of, send_one_of

logger = logging.getLogger(__name__)

# The socket's idle and rate limits are settings (``live_idle_seconds``, ``live_rate_*``).
# A client that keeps sending after this many refusals in a row is cut off.
MAX_REFUSALS = 200

# WebSocket close codes (live.close_codes): the client reconnects after 1012 and 4001, and
# stops after the others.
# (How the hub's reasons to close a connection become codes: live.socket_channel.)
CLOSE_RESYNC = CloseCode.RESYNC
CLOSE_SHUTDOWN = CloseCode.SHUTDOWN
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
CLOSE_FLOOD = CloseCode.FLOOD
# Commands the media engine hears of once they are acknowledged.
_MEDIA_COMMANDS = frozenset({"rtc.grant", "rtc.record"})
_GONE = GONE


def _hub(app: Starlette) -> Hub:
    return app.state.hub


def _log(app: Starlette) -> EventLog:
    return app.state.live_log


def _media(app: Starlette) -> MediaSignalling:
    return app.state.live_media


def _secret(app: Starlette) -> str:
    return app.state.settings.secret_key


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
    except LogClosed:  # the lesson has ended since this process read it (see _admit)
        await _refuse(websocket, CloseCode.ENDED, "ended", _("This live lesson has ended."))
        return
    except BrokerError:
        logger.exception("live room %s: cannot join", channel.room_id)
        await _refuse(
            websocket, CloseCode.UNAVAILABLE, "unavailable", _("The live lesson is unavailable.")
        )
        return
    channel.connection = connection
    try:
        # What the welcome shows is stored before the client sees it, but for comings and
        # goings (the joiner's own arrival and classmates': the log's writer takes them with
        # others'; see EventLog.lasting_recorded); then the handshake's answer and the
        # welcome go out together (in one write, see live.ws_server).
        await _log(websocket.app).sync(
            session_id=channel.live_id, room_id=channel.room_id, upto=connection.shown_recorded
        )
        await websocket.accept()
        channel.direct = send_now_of(websocket.scope)
        channel.direct_later = send_later_of(websocket.scope)
        channel.direct_one = send_one_of(websocket.scope)
        await _send_all(channel, first)
        del first  # a welcome may be large: the socket does not keep it
        await notes_welcome(channel)
        # What the hub queued since the join (classmates arriving meanwhile) goes with the
        # welcome, in the same write; from here the hub's frames go straight to the socket.
        await _send_all(channel, connection.take_queued())
        connection.writer, connection.writer_later = channel.send_one, channel.send_later
    except BaseException as exc:
        await _leave(channel, connection)
        if isinstance(exc, _GONE):
            return
        raise
    # The rest, hours maybe, in a task of the socket's own when the server offers one (the
    # app's call chain is let go of: live.ws_server), else here.
    detach = detach_of(websocket.scope)
    if detach is None or not detach(_served(channel, connection)):
        await _served(channel, connection)


async def _served(channel: LiveChannel, connection: Connection) -> None:
    """Serve an admitted, welcomed socket until one side stops; then leave the room."""
    try:
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
        # Opened only if a read needs it: a pupil's join to a lesson this process knows reads
        # the class straight on the driver (SQLite), with no session.
        reads = getattr(app.state, "direct_reads", None)
        async with session_on_demand(app.state.sessionmaker) as session:
            live = await services.session_for_socket(
                session, code=str(websocket.path_params["code"]), school_id=school_id, reads=reads
            )
            actor = await board_pass.participant(
                session,
                live=live,
                user=user,
                token=token,
                secret=_secret(app),
                view=websocket.query_params.get("view"),
                reads=reads,
            )
    except DomainError as exc:
        code = CLOSE_BY_STATUS.get(exc.status, CloseCode.BAD_REQUEST)
        await _refuse(websocket, code, exc.code, exc.message)
        return None
    if live.status != SessionStatus.active:
        await _refuse(websocket, CloseCode.ENDED, "ended", _("This live lesson has ended."))
        return None
    # Admitted: the handshake's headers are not read again (a socket may stay open for hours).
    websocket.scope["headers"].clear()
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
    """Pump frames both ways until one side stops, in the socket's own task: it listens to the
    client; the hub's frames go straight to the socket while it keeps up
    (:meth:`LiveChannel.send_now`), and a sender task sends the ones queued while it did not,
    only while there are some. When the hub closes the connection, a closer task ends the
    socket (:func:`~live.socket_channel.end_socket`)."""
    # (The hub writes to the socket straight already: live_socket set its writers.)
    connection.on_queued = channel.frames_queued
    if connection.pending:  # queued since the welcome, behind the first frames
        channel.frames_queued()
    sweep = idle_sweep(channel.app)
    channel.listener = asyncio.current_task()
    connection.on_close(channel.hub_closed)
    sweep.add(channel)
    try:
        await _listen(channel)
    except asyncio.CancelledError:
        if not channel.dropped:
            raise
        current = asyncio.current_task()
        if current is not None:
            current.uncancel()  # dropped (LiveChannel.drop): the socket is let go of below
    finally:
        sweep.discard(channel)
        channel.listener = None  # no closer starts any more
        connection.on_queued = None
        connection.writer = connection.writer_later = None
        tasks = [
            task for task in (channel.sender, channel.closer, channel.answerer) if task is not None
        ]
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except (asyncio.CancelledError, *_GONE):
                pass
            except Exception:
                logger.exception("live room %s: a socket task failed", channel.room_id)
        channel.sender = channel.closer = channel.answerer = None


async def _listen(channel: LiveChannel) -> None:
    """Socket → hub: each frame parsed, limited, applied and answered, until the client goes
    (or the socket is closed: its closing is the last message)."""
    settings = channel.app.state.settings
    bucket = TokenBucket(settings.live_rate_per_second, settings.live_rate_burst)
    refusals = 0
    while (raw := _content(await channel.websocket.receive())) is not None:
        channel.heard_at = time.monotonic()
        if not bucket.take():
            refusals += 1
            if refusals >= MAX_REFUSALS:
                await channel.close(CLOSE_FLOOD, "flood")
                return
            await channel.answer(
                error_frame(
                    _message_id(raw), "rate_limited", _("Too many messages: slow down a little.")
                )
            )
            continue
        refusals = 0
        await _handle(channel, raw)


def _content(message: Message) -> str | bytes | None:
    """A received message's text or bytes; ``None`` when the client has gone (the message
    itself is not kept while the socket waits for the next one)."""
    if message["type"] == "websocket.disconnect":
        return None
    text: str | None = message.get("text")
    return text if text is not None else message.get("bytes") or b""


def _message_id(raw: str | bytes) -> str | None:
    try:
        return parse_client_message(raw).id
    except ProtocolError as exc:
        return exc.message_id


def _unsaved(message_id: str | None) -> str:
    return error_frame(message_id, "unavailable", _("Not saved: try again in a moment."))


async def _handle(channel: LiveChannel, raw: str | bytes) -> None:
    """Apply one client frame and answer it with ``ack`` or ``error`` (answers keep the
    commands' order; an ack goes once the durable log holds the event, and the next commands
    need not wait for that: see :meth:`~live.socket_channel.LiveChannel.acknowledge`)."""
    try:
        message = parse_client_message(raw)
    except ProtocolError as exc:
        await channel.answer(error_frame(exc.message_id, exc.code, exc.message))
        return
    app = channel.app
    if message.type == "ping":
        replica = _hub(app).replica(channel.room_id)
        await channel.answer(ack_frame(message.id, replica.seq if replica else 0))
        return
    if message.type in SIGNALLING_TYPES:
        await rtc_signal(channel, message)
        return
    if message.type == "note.add":  # an observer's private note: never an event of the room
        return await note_add(channel, message)
    stored = functools.partial(_log(app).sync, session_id=channel.live_id, room_id=channel.room_id)
    try:
        seq = await _hub(app).submit(channel.room_id, channel.actor, message)
        if message.type not in _MEDIA_COMMANDS:
            channel.acknowledge(message.id, seq, stored, _unsaved)
            return
        await stored()
    except RoomError as exc:
        await channel.answer(error_frame(message.id, exc.code, _room_message(exc)))
        return
    except BrokerError:
        logger.exception("live room %s: a command was not stored", channel.room_id)
        await channel.answer(_unsaved(message.id))
        return
    await channel.answer(ack_frame(message.id, seq))
    try:
        if message.type == "rtc.grant":
            await _media(app).grant_changed(channel.room_id)
        elif message.type == "rtc.record":
            await _media(app).recording_changed(channel.room_id)
    except Exception:
        logger.warning(
            "live room %s: %s not passed on", channel.room_id, message.type, exc_info=True
        )
