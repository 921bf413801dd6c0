"""The lean WebSocket client's frame codec: what the benchmarks' receivers rely on to count."""

from __future__ import annotations

import pytest

from bench.lean_client import (
    OP_CLOSE,
    OP_PING,
    OP_TEXT,
    FrameParser,
    accept_key,
    encode_client_frame,
    frame_type,
    frame_type_and_seq,
)


def server_frame(payload: bytes, opcode: int = OP_TEXT, *, fin: bool = True) -> bytes:
    """An unmasked frame as a server sends it."""
    first = (0x80 if fin else 0) | opcode
    length = len(payload)
    if length < 126:
        return bytes((first, length)) + payload
    if length < 1 << 16:
        return bytes((first, 126)) + length.to_bytes(2, "big") + payload
    return bytes((first, 127)) + length.to_bytes(8, "big") + payload


def unmask(frame: bytes) -> tuple[int, bytes]:
    """Opcode and payload of a client frame (short or 16-bit lengths)."""
    length, at = frame[1] & 0x7F, 2
    if length == 126:
        length, at = int.from_bytes(frame[2:4], "big"), 4
    mask, data = frame[at : at + 4], frame[at + 4 :]
    assert frame[1] & 0x80 and len(data) == length
    return frame[0] & 0x0F, bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def test_frames_split_anywhere_come_out_whole_and_in_order() -> None:
    payloads = [b'{"v":1,"type":"a","seq":1}', b"x" * 300, b"y" * 70_000]
    stream = b"".join(server_frame(p) for p in payloads)
    parser = FrameParser()
    got = []
    for start in range(0, len(stream), 7):
        got += parser.feed(stream[start : start + 7])
    assert got == [(OP_TEXT, p) for p in payloads]


def test_fragments_are_joined_and_control_frames_pass_between_them() -> None:
    stream = (
        server_frame(b"hel", fin=False)
        + server_frame(b"!", OP_PING)
        + server_frame(b"lo", opcode=0, fin=True)
    )
    assert FrameParser().feed(stream) == [(OP_PING, b"!"), (OP_TEXT, b"hello")]


def test_a_masked_server_frame_is_refused() -> None:
    with pytest.raises(ValueError, match="mask"):
        FrameParser().feed(bytes((0x81, 0x80 | 1)) + b"abcd" + b"x")


@pytest.mark.parametrize("size", [0, 5, 125, 126, 4_000])
def test_client_frames_are_masked_and_carry_the_payload(size: int) -> None:
    payload = bytes(range(256)) * (size // 256) + bytes(size % 256)
    assert unmask(encode_client_frame(payload)) == (OP_TEXT, payload)
    assert unmask(encode_client_frame(b"\x03\xe8", OP_CLOSE)) == (OP_CLOSE, b"\x03\xe8")


def test_type_and_seq_are_read_without_decoding() -> None:
    frame = b'{"v":1,"type":"board.stroke","seq":4711,"data":{"seq":2,"type":"x"}}'
    assert frame_type(frame) == b"board.stroke"
    assert frame_type_and_seq(frame) == (b"board.stroke", 4711)
    assert frame_type_and_seq(b'{"type":"ack","id":"m1","seq":12}') == (b"ack", 12)
    assert frame_type_and_seq(b'{"v":1,"type":"welcome"}') == (b"welcome", -1)
    assert frame_type(b"[]") == b""


def test_accept_key_matches_rfc_6455_example() -> None:
    assert accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
