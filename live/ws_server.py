"""The WebSocket protocol ``eschool serve`` runs: uvicorn's ``websockets-sansio``, plus a send
that does not wait.

An open lesson fans one event out to a thousand sockets. Through ASGI each frame is an
``await send(...)`` per recipient, in a task per recipient, through every middleware's wrapper:
most of the fan-out's time. This protocol adds an ASGI extension to each socket's scope,
``scope["extensions"][SEND_NOW]``: a plain function that writes one text frame to the socket
at once, as ``websockets.broadcast`` does, and returns ``True``, or returns ``False`` without
writing when it cannot (the handshake is not done, the socket is closing, or its transport
is paused because the client reads too slowly). The caller then sends that frame the ordinary
way (``await websocket.send_text``), which waits for the client, and sends nothing directly
until that is done, so frames stay in order (see :mod:`live.socket_session`).

A frame is encoded once for every socket it goes to (server frames are not masked; a text
frame is the same bytes for everyone), unless the socket negotiated an extension
(compression), when it goes through the socket's own encoder. ``eschool serve`` turns
compression off: live frames are small, and a compressor per socket costs tens of KiB.

A server without this extension (another ASGI server, the test client) works the same, only
slower: every frame then takes the ordinary way.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

# The scope extension's name; its value is ``send_now(text: str) -> bool``.
SEND_NOW = "eschool.websocket.send_now"

SendNow = Callable[[str], bool]

_FIN_TEXT = 0x81  # FIN, opcode 1 (text)


@functools.lru_cache(maxsize=32)
def text_frame(text: str) -> bytes:
    """``text`` as one unmasked, uncompressed WebSocket text frame (RFC 6455 §5.2): what a
    server sends. Cached, so a fan-out encodes each frame once (the hub hands every socket
    of one kind of viewer the very same ``str``)."""
    payload = text.encode()
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", _FIN_TEXT, length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", _FIN_TEXT, 126, length)
    else:
        header = struct.pack("!BBQ", _FIN_TEXT, 127, length)
    return header + payload


def send_now_of(scope: Any) -> SendNow | None:
    """The socket's ``send_now`` when the server offers it (see the module), else ``None``."""
    extensions = scope.get("extensions") or {}
    send_now = extensions.get(SEND_NOW)
    return send_now if callable(send_now) else None


class LiveWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's ``websockets-sansio`` protocol with the :data:`SEND_NOW` extension, keeping
    less once the handshake is done."""

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)  # set only when the handshake is to go on
        if scope is not None:
            scope["extensions"][SEND_NOW] = self.send_now

    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.accept":
            # The handshake is done: its request and response (their headers) are not read
            # again, and a socket may stay open for hours.
            self.request = self.response = None  # type: ignore[assignment]

    def send_now(self, text: str) -> bool:
        """Write one text frame now, or return ``False`` (nothing written) when the socket
        is not open or not writable; never waits."""
        if (
            not self.handshake_complete
            or self.close_sent
            or self.disconnected
            or self.initial_response is not None
            or not self.writable.is_set()
            or self.conn.state is not State.OPEN
            or self.transport.is_closing()
        ):
            return False
        if self.conn.extensions:
            self.conn.send_text(text.encode())
            self.transport.write(b"".join(self.conn.data_to_send()))
        else:
            self.transport.write(text_frame(text))
        return True
