"""The teachers' senders of the live benchmarks, app and baseline alike: each socket sends
events and tells which ``seq`` each one got.

Each event is a slide change or a whiteboard stroke, alternately. The app's teacher gets an
``ack`` with the event's ``seq`` for each command; the baseline's sender numbers its frames
itself. Send times are ``time.monotonic()`` (one clock for every process of the machine).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from bench.common import HOST
from bench.lean_client import LeanSocket
from bench.live_setup import LiveSetupError
from bench.seeded_school import School
from bench.servers import Server
from eschool.settings import Settings

EVENT_TYPES = ("slide.goto", "board.stroke")
_ids = itertools.count(1)

# The app's per-socket command limit (the benchmark's server keeps the default settings),
# which the app's teachers must respect.
RATE_PER_SECOND = Settings.live_rate_per_second
RATE_BURST = Settings.live_rate_burst
# Commands one socket sends in a burst: what the app's token bucket allows, with a margin.
BURST_PER_SOCKET = int(RATE_BURST) - 5


@dataclass
class Room:
    """One room as the senders see it: its path, its current slide (only one sender at a time
    changes slides, so every ``slide.goto`` really changes it) and sample frames of the app."""

    path: str
    slide: int = 0
    seq: int = 0  # the baseline's own numbering
    templates: dict[str, bytes] = field(default_factory=dict)


class Sender(Protocol):
    """A teacher's socket that sends events and tells which ``seq`` each one got."""

    room: Room
    slides: bool

    async def ready_for(self, count: int) -> None:
        """Wait until ``count`` events may be sent at once (the app limits each socket)."""

    async def send(self, count: int, rate: float | None = None) -> list[float]:
        """Send ``count`` events (paced at ``rate`` per second, or all at once); send times."""

    async def seqs(self, count: int, timeout: float) -> list[int | None]:
        """The seq of each of the last ``count`` events sent, ``None`` where refused/unknown."""

    async def close(self) -> None:
        """Disconnect."""


def _stroke(index: int) -> dict[str, Any]:
    x = (index % 97) / 100
    return {"points": [[x, 0.2], [0.3, 0.4], [0.5, x]], "color": "#1d4f91", "width": 3}


def _event_kind(sender: Sender, index: int) -> str:
    # A sender that changes slides alternates slide changes and strokes; others only draw.
    return "slide.goto" if sender.slides and index % 2 == 0 else "board.stroke"


class _SocketSender:
    """What both senders share: the send loop over a :class:`LeanSocket`."""

    room: Room
    slides: bool
    socket: LeanSocket
    _reader: asyncio.Task[None] | None = None

    def send_one(self, index: int) -> float:
        """Send the ``index``-th event of a run now; returns the send time."""
        raise NotImplementedError

    async def ready_for(self, count: int) -> None:
        """Wait until ``count`` more messages may be sent."""

    async def send(self, count: int, rate: float | None = None) -> list[float]:
        """Send ``count`` events at ``rate`` per second (all at once without); send times."""
        await self.ready_for(count)
        times: list[float] = []
        started = time.monotonic()
        for index in range(count):
            if rate is not None:
                delay = started + index / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            times.append(self.send_one(index))
            if rate is not None or index % 64 == 63:
                await self.socket.drain()
        await self.socket.drain()
        return times

    async def close(self) -> None:
        """Disconnect."""
        await self.socket.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await self._reader


class AppTeacher(_SocketSender):
    """A socket of the teacher of a live lesson of the app. It keeps to the app's command limit
    (a token bucket per socket) by waiting when its own copy of the bucket runs low."""

    def __init__(self, room: Room, socket: LeanSocket, *, slides: bool) -> None:
        self.room = room
        self.socket = socket
        self.slides = slides
        self.acks: dict[str, int] = {}
        self.errors: dict[str, Any] = {}
        self._sent_ids: list[str] = []
        self._answered = asyncio.Event()
        self._tokens = RATE_BURST
        self._tokens_at = time.monotonic()

    @classmethod
    async def join(
        cls, server: Server, school: School, login: str, room: Room, *, slides: bool
    ) -> AppTeacher:
        """Connect ``login`` to ``room`` and read the welcome (which tells the current slide)."""
        socket = await LeanSocket.open(HOST, server.port, room.path, school.bearer(login))
        first = await asyncio.wait_for(socket.receive(), 30)
        if first is None:
            raise LiveSetupError("the teacher's socket closed before the welcome")
        welcome = json.loads(first)
        if welcome.get("type") != "welcome":
            raise LiveSetupError(f"expected welcome, got {first[:200]!r}")
        room.slide = int(welcome["data"]["state"].get("slide", 0))
        teacher = cls(room, socket, slides=slides)
        teacher._reader = asyncio.create_task(teacher._read())
        return teacher

    async def _read(self) -> None:
        while (payload := await self.socket.receive()) is not None:
            head = payload[:40]
            if b'"type":"ack"' in head or b'"type":"error"' in head:
                message = json.loads(payload)
                if message["type"] == "ack":
                    self.acks[message["id"]] = message["seq"]
                else:
                    self.errors[str(message.get("id"))] = message.get("error")
                self._answered.set()
                continue
            for kind in EVENT_TYPES:
                if kind not in self.room.templates and f'"type":"{kind}"'.encode() in head:
                    self.room.templates[kind] = payload

    def _refill(self) -> None:
        now = time.monotonic()
        self._tokens = min(RATE_BURST, self._tokens + (now - self._tokens_at) * RATE_PER_SECOND)
        self._tokens_at = now

    async def ready_for(self, count: int) -> None:
        """Wait until the app's bucket for this socket holds ``count`` tokens (plus a margin)."""
        self._refill()
        wanted = min(RATE_BURST, count + 2)
        if self._tokens < wanted:
            await asyncio.sleep((wanted - self._tokens) / RATE_PER_SECOND)
            self._refill()

    def send_one(self, index: int) -> float:
        """Send the ``index``-th command now; returns the send time."""
        message_id = f"bench-{next(_ids)}"
        self._sent_ids.append(message_id)
        if _event_kind(self, index) == "slide.goto":
            self.room.slide = 1 - min(self.room.slide, 1)
            message = {"type": "slide.goto", "id": message_id, "data": {"index": self.room.slide}}
        else:
            message = {"type": "board.stroke", "id": message_id, "data": _stroke(index)}
        text = json.dumps(message, separators=(",", ":"))
        self._refill()
        self._tokens -= 1
        sent = time.monotonic()
        self.socket.send_text(text)
        return sent

    async def seqs(self, count: int, timeout: float) -> list[int | None]:
        """The acked seqs of the last ``count`` commands (``None`` for refused ones)."""
        wanted = self._sent_ids[-count:] if count else []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(i in self.acks or i in self.errors for i in wanted):
                break
            self._answered.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._answered.wait(), max(0.01, deadline - time.monotonic())
                )
        return [self.acks.get(i) for i in wanted]


class BaselineTeacher(_SocketSender):
    """A sender to the bare broadcast server: frames shaped like the app's (copied from the
    room's templates once the app has sent some), numbered per room here."""

    def __init__(self, room: Room, socket: LeanSocket, *, slides: bool) -> None:
        self.room = room
        self.socket = socket
        self.slides = slides
        self._sent: list[int] = []

    @classmethod
    async def join(cls, server: Server, room: Room, *, slides: bool) -> BaselineTeacher:
        """Connect to the baseline server's ``room``."""
        socket = await LeanSocket.open(HOST, server.port, room.path)
        await asyncio.wait_for(socket.receive(), 30)  # the welcome
        sender = cls(room, socket, slides=slides)
        sender._reader = asyncio.create_task(sender._drain())
        return sender

    async def _drain(self) -> None:
        while await self.socket.receive() is not None:
            pass

    def send_one(self, index: int) -> float:
        """Send the ``index``-th frame now; returns the send time."""
        self.room.seq += 1
        self._sent.append(self.room.seq)
        kind = _event_kind(self, index)
        template = self.room.templates.get(kind)
        if template is None:
            data: dict[str, Any] = {"index": index % 2} if kind == "slide.goto" else _stroke(index)
            frame: dict[str, Any] = {"v": 1, "type": kind, "seq": 0, "data": data}
        else:
            frame = json.loads(template)
        frame["seq"] = self.room.seq
        text = json.dumps(frame, separators=(",", ":"), ensure_ascii=False)
        sent = time.monotonic()
        self.socket.send_text(text)
        return sent

    async def seqs(self, count: int, timeout: float) -> list[int | None]:
        """The seqs of the last ``count`` frames (numbered here, so known at once)."""
        return list(self._sent[-count:]) if count else []


def burst_sockets(events: int) -> int:
    """How many sockets a burst of ``events`` in one room needs under the app's limit."""
    return max(1, -(-events // BURST_PER_SOCKET))
