"""RFC 6455 client frames for the benchmarks' lean WebSocket client (:mod:`bench.lean_client`):
the opening handshake, masked client frames, and a parser of unmasked server frames that looks
at only two fields of each JSON frame (``type`` and ``seq``) without decoding it."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Mapping

OP_CONTINUATION = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def encode_client_frame(payload: bytes, opcode: int = OP_TEXT) -> bytes:
    """One final client frame, masked as RFC 6455 requires of clients."""
    length = len(payload)
    if length < 126:
        header = bytes((0x80 | opcode, 0x80 | length))
    elif length < 1 << 16:
        header = bytes((0x80 | opcode, 0x80 | 126)) + length.to_bytes(2, "big")
    else:
        header = bytes((0x80 | opcode, 0x80 | 127)) + length.to_bytes(8, "big")
    mask = os.urandom(4)
    if not payload:
        return header + mask
    repeated = (mask * (length // 4 + 1))[:length]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(
        length, "big"
    )
    return header + mask + masked


def accept_key(key: str) -> str:
    """The ``Sec-WebSocket-Accept`` a server must answer to ``key``."""
    return base64.b64encode(hashlib.sha1(key.encode() + _GUID).digest()).decode()  # noqa: S324


def upgrade_request(host: str, port: int, path: str, key: str, headers: Mapping[str, str]) -> bytes:
    """The HTTP/1.1 request that opens a WebSocket at ``path``."""
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class FrameParser:
    """Turns a byte stream of unmasked server frames into ``(opcode, payload)`` messages.

    Fragmented messages are joined; control frames in between come out on their own. The
    common case, whole small text frames, takes the shortest path: this runs once per frame
    for every receiver, so its cost is the client's cost.
    """

    def __init__(self) -> None:
        self._rest = b""
        self._fragments: list[bytes] = []
        self._fragment_opcode = 0

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        """Add bytes; return the complete messages they finish."""
        if self._rest:
            data = self._rest + data
            self._rest = b""
        messages: list[tuple[int, bytes]] = []
        position, available = 0, len(data)
        while available - position >= 2:
            second = data[position + 1]
            length, header = second & 0x7F, 2
            if length == 126:
                if available - position < 4:
                    break
                length = int.from_bytes(data[position + 2 : position + 4], "big")
                header = 4
            elif length == 127:
                if available - position < 10:
                    break
                length = int.from_bytes(data[position + 2 : position + 10], "big")
                header = 10
            if second & 0x80:
                raise ValueError("a server must not mask its frames")
            end = position + header + length
            if end > available:
                break
            first = data[position]
            payload = data[position + header : end]
            position = end
            if first == 0x81:  # a whole text frame
                messages.append((OP_TEXT, payload))
                continue
            opcode = first & 0x0F
            if opcode >= OP_CLOSE or (first & 0x80 and opcode != OP_CONTINUATION):
                messages.append((opcode, payload))
                continue
            if opcode != OP_CONTINUATION:
                self._fragment_opcode = opcode
            self._fragments.append(payload)
            if first & 0x80:
                messages.append((self._fragment_opcode, b"".join(self._fragments)))
                self._fragments = []
        if position < available:
            self._rest = data[position:]
        return messages


_FRAME_PREFIX = b'{"v":1,"type":"'


def frame_type(payload: bytes) -> bytes:
    """The ``type`` of a compact JSON frame, read without decoding it (``b""`` when absent)."""
    if payload.startswith(_FRAME_PREFIX):
        return payload[15 : payload.find(b'"', 15)]
    return frame_type_and_seq(payload)[0]


def frame_type_and_seq(payload: bytes) -> tuple[bytes, int]:
    """The ``type`` and ``seq`` of a compact JSON frame ``{"v":1,"type":"..","seq":N,..}``.

    Reads only those two fields (``b""`` and -1 when absent), much cheaper than decoding.
    """
    start = payload.find(b'"type":"')
    if start < 0:
        return b"", -1
    start += 8
    end = payload.find(b'"', start)
    kind = payload[start:end]
    at = payload.find(b'"seq":', end)
    if at < 0:
        return kind, -1
    at += 6
    stop = len(payload)
    for delimiter in (b",", b"}"):
        found = payload.find(delimiter, at)
        if 0 <= found < stop:
            stop = found
    try:
        return kind, int(payload[at:stop])
    except ValueError:
        return kind, -1
