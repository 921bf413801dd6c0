"""The close codes of the live room's WebSocket, in one table.

A client reconnects after :attr:`CloseCode.RESYNC` and :attr:`CloseCode.SHUTDOWN` (with
``?since=<last seq>``) and stops after the others. A refusal at the handshake is an ``error``
frame (``id`` ``null``) followed by the close. Published in the protocol's JSON Schema
(:mod:`live.protocol_schema`) and in docs/live-protocol.md.
"""

from __future__ import annotations

from enum import IntEnum


class CloseCode(IntEnum):
    """Why the server closed a live room's socket."""

    NORMAL = 1000
    UNAVAILABLE = 1011
    SHUTDOWN = 1012
    RESYNC = 4001
    BAD_REQUEST = 4400
    UNAUTHORIZED = 4401
    FORBIDDEN = 4403
    NOT_FOUND = 4404
    IDLE = 4408
    CONFLICT = 4409
    ENDED = 4410
    LOCKED = 4423
    FLOOD = 4429


CLOSE_MEANINGS: dict[CloseCode, str] = {
    CloseCode.NORMAL: "Closed by the server with no other reason.",
    CloseCode.UNAVAILABLE: (
        "The room could not be joined: the broker is unreachable (after `error unavailable`)."
    ),
    CloseCode.SHUTDOWN: "The server is shutting down or restarting: reconnect with `?since=`.",
    CloseCode.RESYNC: (
        "Resync: the client fell behind (its outbox overflowed) or the room's log was restored "
        "from the database. Reconnect with `?since=<last seq>` and resend unacknowledged "
        "commands with the same `id`."
    ),
    CloseCode.BAD_REQUEST: "Refused at the handshake for another reason (see the error frame).",
    CloseCode.UNAUTHORIZED: (
        "Not signed in, or the pass (observer's or board's) is missing, forged, expired or "
        "for another lesson."
    ),
    CloseCode.FORBIDDEN: (
        "Not allowed: the person may not join this lesson or this view (`?view=board`), or "
        "the teacher removed them (`room.kick`). (A handshake from another site's Origin is "
        "refused with HTTP 403 before the socket opens.)"
    ),
    CloseCode.NOT_FOUND: "No running lesson has this code (or not in the person's school).",
    CloseCode.IDLE: "Nothing was received for the idle limit (send `ping`).",
    CloseCode.CONFLICT: "Refused at the handshake: a conflict (see the error frame).",
    CloseCode.ENDED: "The lesson has ended (after `lesson.end`, or at the handshake).",
    CloseCode.LOCKED: "The teacher has locked the room to newcomers.",
    CloseCode.FLOOD: "The client kept sending after 200 `rate_limited` refusals in a row.",
}

# The codes after which a client connects again (with ``?since=``).
RECONNECT_AFTER = frozenset({CloseCode.SHUTDOWN, CloseCode.RESYNC})
