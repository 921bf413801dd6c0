"""A lean WebSocket receiver for benchmarks: raw RFC 6455 frames over asyncio, many per process.

The ``websockets`` client spends ~50 µs of CPU per received message; with a thousand receivers it,
not the server, would be what a benchmark measures. This client does the HTTP upgrade itself,
reads unmasked server frames with a few slicing operations, answers pings and closes, and looks
at only two fields of each JSON frame (``type`` and ``seq``) without decoding it.

Run as ``python -m bench.lean_client``: a receiver process that takes JSON commands, one per line,
on stdin and answers with JSON lines on stdout (see :class:`ReceiverProcess`). The benchmark side
drives several of them through :class:`ReceiverPool`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import math
import os
import random
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from bench.common import PROJECT_ROOT, cpu_seconds, die_with_parent, stop_process_group

OP_CONTINUATION = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_MAX_HEADER_BYTES = 64 * 1024
_READ_LIMIT = 256 * 1024 * 1024  # JSON reply lines with every arrival time can be large
# A receiver process never outlives this, whatever its driver does.
_MAX_LIFETIME_SECONDS = 3_600


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
        reader, writer = await asyncio.open_connection(host, port, limit=_READ_LIMIT)
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
        reader = asyncio.StreamReader(limit=_READ_LIMIT)
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


# --- the driver's side -------------------------------------------------------------------------


@dataclass
class CollectReport:
    """The merged figures of one ``collect`` over every receiver process."""

    received: int
    complete: int
    connections: int
    first: float | None
    last: float | None
    closed_during: int
    arrivals: dict[tuple[str, int], list[float]]  # (path, seq) -> arrival times


class ReceiverPool:
    """Several receiver processes, driven together; use ``async with ReceiverPool(n) as pool``."""

    def __init__(self, processes: int, *, log_dir: os.PathLike[str] | str | None = None) -> None:
        self.size = max(1, processes)
        self.log_dir = log_dir
        self.processes: list[asyncio.subprocess.Process] = []
        self._logs: list[Any] = []

    @staticmethod
    def processes_for(connections: int, per_process: int = 300, most: int = 4) -> int:
        """A sensible number of receiver processes for ``connections`` sockets."""
        return max(1, min(most, math.ceil(connections / per_process)))

    async def __aenter__(self) -> ReceiverPool:
        try:
            for index in range(self.size):
                stderr: Any = asyncio.subprocess.DEVNULL
                if self.log_dir is not None:
                    log = open(os.path.join(self.log_dir, f"receiver-{index}.log"), "wb")  # noqa: SIM115
                    self._logs.append(log)
                    stderr = log
                process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bench.lean_client",
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=stderr,
                    cwd=str(PROJECT_ROOT),
                    start_new_session=True,
                    preexec_fn=die_with_parent,
                    limit=_READ_LIMIT,
                )
                self.processes.append(process)
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def pids(self) -> list[int]:
        """The receiver processes' ids."""
        return [p.pid for p in self.processes]

    def cpu_seconds(self) -> float:
        """CPU time used so far by every receiver process together."""
        return sum(cpu_seconds(pid) for pid in self.pids)

    async def _send(self, process: asyncio.subprocess.Process, command: dict[str, Any]) -> None:
        assert process.stdin is not None
        process.stdin.write(json.dumps(command, separators=(",", ":")).encode() + b"\n")
        await process.stdin.drain()

    async def _read(self, process: asyncio.subprocess.Process, timeout: float) -> dict[str, Any]:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout)
        if not line:
            raise RuntimeError(f"receiver {process.pid} exited ({process.returncode})")
        return json.loads(line)

    async def connect(
        self,
        host: str,
        port: int,
        targets: Iterable[Mapping[str, Any]],
        *,
        concurrency: int = 64,
        timeout: float = 120,
        await_welcome: bool = True,
        keepalive: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Open ``targets`` (``{"path", "headers"}``) spread over the processes; returns
        ``{"ok", "failed", "errors", "seconds"}`` (seconds: wall time for all of them).
        ``keepalive`` ``{"every": s, "text": "...%d..."}`` makes each connection send a message
        every ``s`` seconds."""
        shares: list[list[Mapping[str, Any]]] = [[] for _ in self.processes]
        for index, target in enumerate(targets):
            shares[index % len(shares)].append(target)
        started = time.monotonic()
        for process, share in zip(self.processes, shares, strict=True):
            await self._send(
                process,
                {
                    "cmd": "connect",
                    "host": host,
                    "port": port,
                    "targets": list(share),
                    "concurrency": concurrency,
                    "timeout": timeout,
                    "await_welcome": await_welcome,
                    "keepalive": dict(keepalive) if keepalive else None,
                },
            )
        replies = await asyncio.gather(*(self._read(p, timeout + 30) for p in self.processes))
        return {
            "ok": sum(r["ok"] for r in replies),
            "failed": sum(r["failed"] for r in replies),
            "errors": [e for r in replies for e in r["errors"]][:5],
            "seconds": time.monotonic() - started,
        }

    async def arm(
        self, types: Iterable[str], *, expect: int, timeout: float, arrivals: bool = False
    ) -> None:
        """Start counting frames of ``types``; returns once every process is counting."""
        command = {
            "cmd": "collect",
            "types": list(types),
            "expect": expect,
            "timeout": timeout,
            "arrivals": arrivals,
        }
        for process in self.processes:
            await self._send(process, command)
        replies = await asyncio.gather(*(self._read(p, 30) for p in self.processes))
        if any(r.get("event") != "armed" for r in replies):
            raise RuntimeError(f"receivers did not arm: {replies}")

    async def collected(self, timeout: float) -> CollectReport:
        """Wait for the reports of the armed measurement and merge them."""
        replies = await asyncio.gather(*(self._read(p, timeout) for p in self.processes))
        firsts = [r["first"] for r in replies if r["first"] is not None]
        lasts = [r["last"] for r in replies if r["last"] is not None]
        arrivals: dict[tuple[str, int], list[float]] = {}
        for reply in replies:
            for path, seq, times in reply.get("arrivals", []):
                arrivals.setdefault((path, int(seq)), []).extend(times)
        return CollectReport(
            received=sum(r["received"] for r in replies),
            complete=sum(r["complete"] for r in replies),
            connections=sum(r["connections"] for r in replies),
            first=min(firsts) if firsts else None,
            last=max(lasts) if lasts else None,
            closed_during=sum(r["closed_during"] for r in replies),
            arrivals=arrivals,
        )

    async def stats(self) -> dict[str, Any]:
        """Open connections and close codes over every process."""
        for process in self.processes:
            await self._send(process, {"cmd": "stats"})
        replies = await asyncio.gather(*(self._read(p, 30) for p in self.processes))
        codes: dict[str, int] = {}
        for reply in replies:
            for code, count in reply["close_codes"].items():
                codes[code] = codes.get(code, 0) + count
        return {
            "open": sum(r["open"] for r in replies),
            "lost": sum(r["lost"] for r in replies),
            "close_codes": codes,
        }

    async def close(self, timeout: float = 10) -> None:
        """Close every connection and stop every process (killing what does not stop)."""
        for process in self.processes:
            if process.returncode is None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self._send(process, {"cmd": "close"}), 2)
        for process in self.processes:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), timeout)
            if process.returncode is None:
                stop_process_group(process.pid)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(process.wait(), 5)
        self.processes = []
        for log in self._logs:
            log.close()
        self._logs = []


def main() -> None:
    """Entry point of a receiver process."""
    _event_loop_runner()(ReceiverProcess().serve())


if __name__ == "__main__":
    main()
