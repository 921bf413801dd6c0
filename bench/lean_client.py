"""A lean WebSocket receiver for benchmarks: raw RFC 6455 frames over asyncio, many per process.

The ``websockets`` client spends ~50 µs of CPU per received message; with a thousand receivers it,
not the server, would be what a benchmark measures. This client does the HTTP upgrade itself,
reads unmasked server frames with a few slicing operations, answers pings and closes, and looks
at only two fields of each JSON frame (``type`` and ``seq``) without decoding it.

Run as ``python -m bench.lean_client``: a receiver process that takes JSON commands, one per line,
on stdin and answers with JSON lines on stdout (see :class:`ReceiverProcess`). The benchmark side
drives several of them through :class:`bench.receiver_pool.ReceiverPool`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import math
import os
import random
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from bench.ws_frames import (
    OP_BINARY,
    OP_CLOSE,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    FrameParser,
    accept_key,
    encode_client_frame,
    frame_type,
    frame_type_and_seq,
    upgrade_request,
)

_MAX_HEADER_BYTES = 64 * 1024
READ_LIMIT = 256 * 1024 * 1024  # JSON reply lines with every arrival time can be large
# A receiver process never outlives this, whatever its driver does.
_MAX_LIFETIME_SECONDS = 3_600


class LeanSocket:
    """One client WebSocket over asyncio streams, for a benchmark's senders.

    ``await LeanSocket.open(host, port, path, headers)``, then :meth:`send_text` and
    :meth:`receive` (text payloads as bytes; pings are answered inside, ``None`` at the end).
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.parser = FrameParser()
        self._pending: list[tuple[int, bytes]] = []
        self.closed = False

    @classmethod
    async def open(
        cls, host: str, port: int, path: str, headers: Mapping[str, str] | None = None
    ) -> LeanSocket:
        """Connect and do the opening handshake; raises ``ConnectionError`` when refused."""
        reader, writer = await asyncio.open_connection(host, port, limit=READ_LIMIT)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(upgrade_request(host, port, path, key, headers or {}))
        await writer.drain()
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            writer.close()
            raise ConnectionError(f"no upgrade response: {exc}") from exc
        status = head.split(b"\r\n", 1)[0].decode("latin-1")
        if " 101 " not in f"{status} ":
            writer.close()
            raise ConnectionError(f"upgrade refused: {status}")
        if accept_key(key).encode() not in head:
            writer.close()
            raise ConnectionError("wrong Sec-WebSocket-Accept")
        return cls(reader, writer)

    def send_text(self, text: str) -> None:
        """Queue one text message (the transport writes it without waiting)."""
        self.writer.write(encode_client_frame(text.encode()))

    async def drain(self) -> None:
        """Wait until the queued frames are handed to the kernel."""
        await self.writer.drain()

    async def receive(self) -> bytes | None:
        """The next text or binary message, or ``None`` once the connection is closed."""
        while True:
            while self._pending:
                opcode, payload = self._pending.pop(0)
                if opcode in (OP_TEXT, OP_BINARY):
                    return payload
                if opcode == OP_PING:
                    self.writer.write(encode_client_frame(payload, OP_PONG))
                elif opcode == OP_CLOSE:
                    self.closed = True
                    with contextlib.suppress(ConnectionError):
                        self.writer.write(encode_client_frame(payload[:2], OP_CLOSE))
                    self.writer.close()
                    return None
            if self.closed:
                return None
            data = await self.reader.read(1 << 16)
            if not data:
                self.closed = True
                return None
            self._pending.extend(self.parser.feed(data))

    async def close(self) -> None:
        """Close politely, then drop the socket."""
        if not self.closed:
            self.closed = True
            with contextlib.suppress(ConnectionError, RuntimeError):
                self.writer.write(encode_client_frame((1000).to_bytes(2, "big"), OP_CLOSE))
                await asyncio.wait_for(self.writer.drain(), 2)
        self.writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.writer.wait_closed(), 2)


@dataclass
class Collector:
    """What one measurement counts: frames of ``types``, ``expect`` of them per connection."""

    types: frozenset[bytes]
    expect: int
    connections: int
    keep_arrivals: bool
    done: asyncio.Future[None]
    received: int = 0
    complete: int = 0
    first: float = math.inf
    last: float = 0.0
    arrivals: dict[tuple[str, int], list[float]] = field(default_factory=dict)

    def add(self, connection: LeanConnection, frames: int, now: float) -> None:
        """Record ``frames`` counted frames that ``connection`` got at ``now``."""
        before = connection.counted
        connection.counted = before + frames
        self.received += frames
        if now < self.first:
            self.first = now
        if now > self.last:
            self.last = now
        if before < self.expect <= before + frames:
            self.complete += 1
            if self.complete >= self.connections and not self.done.done():
                self.done.set_result(None)

    def report(self) -> dict[str, Any]:
        """The JSON-able figures of this measurement."""
        report: dict[str, Any] = {
            "received": self.received,
            "complete": self.complete,
            "connections": self.connections,
            "first": None if self.received == 0 else self.first,
            "last": None if self.received == 0 else self.last,
        }
        if self.keep_arrivals:
            report["arrivals"] = [
                [path, seq, times] for (path, seq), times in self.arrivals.items()
            ]
        return report


class LeanConnection(asyncio.Protocol):
    """One receiving WebSocket: handshake, then frames; counts frames for the current collector."""

    def __init__(self, owner: ReceiverProcess, request: bytes, key: str, path: str) -> None:
        self.owner = owner
        self.path = path
        self.request = request
        self.expected_accept = accept_key(key).encode()
        self.transport: asyncio.Transport | None = None
        self.handshake_buffer = bytearray()
        self.parser: FrameParser | None = None
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.welcomed: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self.counted = 0
        self.close_code: int | None = None
        self.keepalive_due = math.inf

    # --- asyncio.Protocol ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but behave like one.
        self.transport = cast(asyncio.Transport, transport)
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        if self.parser is None:
            data = self._handshake(data)
            if self.parser is None or not data:
                return
        try:
            messages = self.parser.feed(data)
        except ValueError as exc:
            self._fail(str(exc))
            return
        now = time.monotonic()
        collector = self.owner.collector
        counted = 0
        for opcode, payload in messages:
            if opcode in (OP_TEXT, OP_BINARY):
                if collector is None:
                    if not self.welcomed.done():
                        self.welcomed.set_result(None)
                    continue
                if frame_type(payload) in collector.types:
                    counted += 1
                    if collector.keep_arrivals:
                        key = (self.path, frame_type_and_seq(payload)[1])
                        collector.arrivals.setdefault(key, []).append(now)
            elif opcode == OP_PING:
                self._send(encode_client_frame(payload, OP_PONG))
            elif opcode == OP_CLOSE:
                self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                self._send(encode_client_frame(payload[:2], OP_CLOSE))
                if self.transport is not None:
                    self.transport.close()
        if counted and collector is not None:
            collector.add(self, counted, now)

    def connection_lost(self, exc: Exception | None) -> None:
        for future in (self.opened, self.welcomed):
            if not future.done():
                future.set_exception(ConnectionError(f"connection lost: {exc or 'closed'}"))
        if not self.closed.done():
            self.closed.set_result(None)
        self.owner.lost(self)

    # --- internals -----------------------------------------------------------------------------

    def _handshake(self, data: bytes) -> bytes:
        self.handshake_buffer += data
        end = self.handshake_buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.handshake_buffer) > _MAX_HEADER_BYTES:
                self._fail("the upgrade response is too large")
            return b""
        head = bytes(self.handshake_buffer[:end]).decode("latin-1")
        rest = bytes(self.handshake_buffer[end + 4 :])
        status_line, *header_lines = head.split("\r\n")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or parts[1] != "101":
            self._fail(f"upgrade refused: {status_line}")
            return b""
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("sec-websocket-accept", "").encode() != self.expected_accept:
            self._fail("wrong Sec-WebSocket-Accept")
            return b""
        self.parser = FrameParser()
        self.handshake_buffer = bytearray()
        if not self.opened.done():
            self.opened.set_result(None)
        return rest

    def _send(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def _fail(self, reason: str) -> None:
        for future in (self.opened, self.welcomed):
            if not future.done():
                future.set_exception(ConnectionError(reason))
        if self.transport is not None:
            self.transport.abort()

    def send_text(self, text: str) -> None:
        """Send one text message (a keepalive)."""
        self._send(encode_client_frame(text.encode()))

    def close(self) -> None:
        """Start the closing handshake (or drop the socket when it is not open yet)."""
        if self.transport is None or self.transport.is_closing():
            return
        if self.parser is None:
            self.transport.abort()
            return
        self._send(encode_client_frame((1000).to_bytes(2, "big"), OP_CLOSE))


class ReceiverProcess:
    """The receiver side: holds the connections and answers the driver's commands.

    Commands (one JSON object per line on stdin) and their answers (JSON lines on stdout):

    - ``{"cmd": "connect", "host", "port", "targets": [{"path", "headers"}], "concurrency",
      "timeout", "await_welcome", "keepalive"?: {"every", "text"}}`` → ``{"event":
      "connected", "ok", "failed", "errors", "seconds"}``. With ``keepalive`` each connection
      sends ``text % n`` every ``every`` seconds (staggered), for servers that close silent
      clients.
    - ``{"cmd": "collect", "types": [...], "expect": M, "timeout": T, "arrivals": bool}`` →
      ``{"event": "armed"}`` at once, then ``{"event": "collected", "received", "complete",
      "connections", "first", "last", "closed_during", "arrivals"?}`` when every connection has
      ``expect`` frames of those types or the timeout passed. Times are ``time.monotonic()``.
    - ``{"cmd": "stats"}`` → ``{"event": "stats", "open", "lost", "close_codes"}``
    - ``{"cmd": "close", "timeout"}`` → closes every connection, ``{"event": "closed"}``, exits.

    End of input closes everything and exits too.
    """

    def __init__(self) -> None:
        self.connections: list[LeanConnection] = []
        self.collector: Collector | None = None
        self.lost_count = 0
        self.close_codes: dict[int, int] = {}
        self._keepalive: asyncio.Task[None] | None = None

    def lost(self, connection: LeanConnection) -> None:
        """A connection's socket closed."""
        if connection.opened.done() and not connection.opened.exception():
            self.lost_count += 1
            code = connection.close_code or 1006
            self.close_codes[code] = self.close_codes.get(code, 0) + 1

    async def connect(self, command: Mapping[str, Any]) -> dict[str, Any]:
        """Open the connections of a ``connect`` command."""
        host, port = str(command["host"]), int(command["port"])
        await_welcome = bool(command.get("await_welcome", True))
        timeout = float(command.get("timeout", 60))
        limit = asyncio.Semaphore(int(command.get("concurrency", 64)))
        loop = asyncio.get_running_loop()
        errors: list[str] = []
        started = time.monotonic()

        async def open_one(target: Mapping[str, Any]) -> bool:
            key = base64.b64encode(os.urandom(16)).decode()
            request = upgrade_request(host, port, target["path"], key, target.get("headers", {}))
            connection = LeanConnection(self, request, key, str(target["path"]))
            async with limit:
                try:
                    async with asyncio.timeout(timeout):
                        await loop.create_connection(lambda: connection, host, port)
                        await connection.opened
                        if await_welcome:
                            await connection.welcomed
                except (OSError, TimeoutError) as exc:
                    if len(errors) < 5:
                        errors.append(f"{type(exc).__name__}: {exc}")
                    connection._fail("connect failed")
                    return False
            if keepalive:
                every = float(keepalive["every"])
                connection.keepalive_due = time.monotonic() + every * random.uniform(0.3, 1.0)
            self.connections.append(connection)
            return True

        keepalive = command.get("keepalive")
        if keepalive and self._keepalive is None:
            self._keepalive = asyncio.create_task(
                self._keep_alive(float(keepalive["every"]), str(keepalive["text"]))
            )
        results = await asyncio.gather(*(open_one(t) for t in command["targets"]))
        ok = sum(results)
        return {
            "event": "connected",
            "ok": ok,
            "failed": len(results) - ok,
            "errors": errors,
            "seconds": time.monotonic() - started,
        }

    async def _keep_alive(self, every: float, text: str) -> None:
        sent = 0
        while True:
            await asyncio.sleep(min(1.0, every / 4))
            now = time.monotonic()
            for connection in self.connections:
                if connection.keepalive_due <= now and not connection.closed.done():
                    sent += 1
                    connection.send_text(text % sent)
                    connection.keepalive_due = now + every

    async def collect(self, command: Mapping[str, Any], answer: Callable[[dict], None]) -> None:
        """Count frames for one measurement (see the class docstring)."""
        open_connections = [c for c in self.connections if not c.closed.done()]
        for connection in open_connections:
            connection.counted = 0
        collector = Collector(
            types=frozenset(t.encode() for t in command["types"]),
            expect=int(command["expect"]),
            connections=len(open_connections),
            keep_arrivals=bool(command.get("arrivals", False)),
            done=asyncio.get_running_loop().create_future(),
        )
        if collector.connections == 0 or collector.expect == 0:
            collector.done.set_result(None)
        lost_before = self.lost_count
        self.collector = collector
        answer({"event": "armed"})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(collector.done), float(command["timeout"]))
        self.collector = None
        answer(
            {
                "event": "collected",
                **collector.report(),
                "closed_during": self.lost_count - lost_before,
            }
        )

    def stats(self) -> dict[str, Any]:
        """How many connections are open, and how the others ended."""
        return {
            "event": "stats",
            "open": sum(1 for c in self.connections if not c.closed.done()),
            "lost": self.lost_count,
            "close_codes": {str(k): v for k, v in self.close_codes.items()},
        }

    async def close_all(self, timeout: float) -> None:
        """Close every connection, waiting up to ``timeout`` for the closing handshakes."""
        for connection in self.connections:
            connection.close()
        pending = [c.closed for c in self.connections if not c.closed.done()]
        if pending:
            await asyncio.wait(pending, timeout=timeout)
        for connection in self.connections:
            if connection.transport is not None and not connection.closed.done():
                connection.transport.abort()

    async def serve(self) -> None:
        """Read commands from stdin until ``close`` or end of input."""
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=READ_LIMIT)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

        def answer(reply: dict[str, Any]) -> None:
            sys.stdout.write(json.dumps(reply, separators=(",", ":")) + "\n")
            sys.stdout.flush()

        async def connect(command: dict[str, Any]) -> None:
            answer(await self.connect(command))

        # Commands run as tasks, so the end of input (the driver is gone) stops everything even
        # while a command is still waiting.
        tasks: set[asyncio.Task[None]] = set()
        try:
            async with asyncio.timeout(_MAX_LIFETIME_SECONDS):
                while line := await reader.readline():
                    command = json.loads(line)
                    match command.get("cmd"):
                        case "connect":
                            task = asyncio.create_task(connect(command))
                        case "collect":
                            task = asyncio.create_task(self.collect(command, answer))
                        case "stats":
                            answer(self.stats())
                            continue
                        case "close":
                            await self.close_all(float(command.get("timeout", 5)))
                            answer({"event": "closed"})
                            return
                        case other:
                            answer({"event": "error", "message": f"unknown command {other!r}"})
                            continue
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
        finally:
            for task in [*tasks, *([self._keepalive] if self._keepalive else [])]:
                task.cancel()
            await self.close_all(2.0)


def _event_loop_runner() -> Callable[[Any], Any]:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        return asyncio.run
    return uvloop.run


def main() -> None:
    """Entry point of a receiver process."""
    _event_loop_runner()(ReceiverProcess().serve())


if __name__ == "__main__":
    main()
