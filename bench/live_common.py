"""What the live benchmarks share: starting live lessons, the teachers' senders (app and
baseline alike) and the burst and paced measurements over a :class:`ReceiverPool`.

Each event is a slide change or a whiteboard stroke, alternately. The app's teacher gets an
``ack`` with the event's ``seq`` for each command; the baseline's sender numbers its frames
itself. Send times and arrival times are ``time.monotonic()`` (one clock for every process of
the machine), so latency is arrival minus send, per event and receiver.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx

from bench.common import HOST, School, Server, alternate, latency_figures, medians, ratio
from bench.lean_client import LeanSocket
from bench.receiver_pool import ReceiverPool
from eschool.settings import Settings

EVENT_TYPES = ("slide.goto", "board.stroke")
_ids = itertools.count(1)


class LiveSetupError(RuntimeError):
    """The app could not start a live lesson for the benchmark."""


# --- the app's side -------------------------------------------------------------------------------


async def published_lesson(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    """The id of a published lesson with at least two blocks (slides to switch between)."""
    response = await client.get(
        "/api/v1/lessons", params={"status": "published", "per_page": 50}, headers=headers
    )
    if response.status_code != 200:
        raise LiveSetupError(f"GET /api/v1/lessons: {response.status_code} {response.text[:200]}")
    for item in response.json().get("items", []):
        detail = await client.get(f"/api/v1/lessons/{item['id']}", headers=headers)
        if detail.status_code == 200 and len(detail.json().get("blocks", [])) >= 2:
            return int(item["id"])
    raise LiveSetupError("no published lesson with two or more blocks")


async def start_live(
    client: httpx.AsyncClient, headers: dict[str, str], lesson_id: int
) -> dict[str, Any]:
    """Start a live lesson as the teacher of ``headers``; ``{"id","code","join_url","ws_url"}``."""
    response = await client.post(
        "/api/v1/live", json={"lesson_id": lesson_id, "allow_observers": True}, headers=headers
    )
    if response.status_code != 201:
        raise LiveSetupError(f"POST /api/v1/live: {response.status_code} {response.text[:300]}")
    return response.json()


async def start_rooms(
    server: Server, school: School, teachers: Sequence[str]
) -> list[dict[str, Any]]:
    """One live lesson per teacher login, all on the same published lesson."""
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
        lesson_id = await published_lesson(client, school.bearer(teachers[0]))
        return [await start_live(client, school.bearer(login), lesson_id) for login in teachers]


def ws_path(live: dict[str, Any]) -> str:
    """The WebSocket path of a started live lesson."""
    return f"/live/{live['code']}/ws"


def participant_targets(school: School, logins: Sequence[str], path: str) -> list[dict[str, Any]]:
    """Receiver targets for ``logins`` joining ``path`` with their bearer tokens."""
    return [{"path": path, "headers": school.bearer(login)} for login in logins]


# --- senders ----------------------------------------------------------------------------------

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


# --- measurements -------------------------------------------------------------------------------


def _shares(events: int, senders: int) -> list[int]:
    base, extra = divmod(events, senders)
    return [base + (1 if index < extra else 0) for index in range(senders)]


async def measure_burst(
    pool: ReceiverPool,
    rooms: Sequence[Sequence[Sender]],
    server_cpu: Callable[[], float],
    *,
    events: int,
    timeout: float,
) -> dict[str, Any]:
    """Each room gets ``events`` at once, split over its senders' sockets; deliveries per
    second until the last arrival, server and client CPU µs per delivery."""
    plan = [
        (sender, share)
        for senders in rooms
        for sender, share in zip(senders, _shares(events, len(senders)), strict=True)
        if share
    ]
    await asyncio.gather(*(sender.ready_for(share) for sender, share in plan))
    await pool.arm(EVENT_TYPES, expect=events, timeout=timeout)
    server_before, client_before = server_cpu(), pool.cpu_seconds()
    started = time.monotonic()
    await asyncio.gather(*(sender.send(share) for sender, share in plan))
    report = await pool.collected(timeout + 30)
    server_used, client_used = server_cpu() - server_before, pool.cpu_seconds() - client_before
    refused = 0
    for sender, share in plan:
        refused += sum(1 for seq in await sender.seqs(share, 30) if seq is None)
    seconds = (report.last - started) if report.last else None
    deliveries = report.received
    return {
        "deliveries": deliveries,
        "expected_deliveries": report.connections * events,
        "complete_receivers": report.complete,
        "receivers": report.connections,
        "closed_during": report.closed_during,
        "refused_commands": refused,
        "seconds": round(seconds, 4) if seconds else None,
        "deliveries_per_s": round(deliveries / seconds, 1) if seconds else None,
        "server_cpu_s": round(server_used, 3),
        "client_cpu_s": round(client_used, 3),
        "server_cpu_us_per_delivery": _per(server_used, deliveries),
        "client_cpu_us_per_delivery": _per(client_used, deliveries),
    }


async def measure_paced(
    pool: ReceiverPool,
    senders: Sequence[Sender],
    server_cpu: Callable[[], float],
    *,
    events: int,
    rate: float,
    timeout: float,
) -> dict[str, Any]:
    """Every sender (one per room) sends ``events`` at ``rate`` per second; send→receive
    latency of every delivery (p50/p99/max), and CPU µs per delivery at that pace."""
    await pool.arm(EVENT_TYPES, expect=events, timeout=timeout, arrivals=True)
    server_before, client_before = server_cpu(), pool.cpu_seconds()
    sent = await asyncio.gather(*(s.send(events, rate) for s in senders))
    report = await pool.collected(timeout + 30)
    server_used, client_used = server_cpu() - server_before, pool.cpu_seconds() - client_before
    send_time: dict[tuple[str, int], float] = {}
    for sender, times in zip(senders, sent, strict=True):
        for seq, at in zip(await sender.seqs(events, 30), times, strict=True):
            if seq is not None:
                send_time[(sender.room.path, seq)] = at
    latencies: list[float] = []
    unmatched = 0
    for key, arrivals in report.arrivals.items():
        at = send_time.get(key)
        if at is None:
            unmatched += len(arrivals)
        else:
            latencies.extend(arrival - at for arrival in arrivals)
    deliveries = report.received
    return {
        "deliveries": deliveries,
        "expected_deliveries": report.connections * events,
        "closed_during": report.closed_during,
        "unmatched": unmatched,
        "rate_per_s": rate,
        **latency_figures(latencies),
        "server_cpu_us_per_delivery": _per(server_used, deliveries),
        "client_cpu_us_per_delivery": _per(client_used, deliveries),
    }


def _per(cpu_seconds: float, deliveries: int) -> float | None:
    return round(cpu_seconds * 1e6 / deliveries, 3) if deliveries else None


def compare(one: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """The ratios ``one`` / ``other`` of the median figures of :func:`compare_sides`."""
    return {
        "throughput_ratio": ratio(
            one.get("burst_deliveries_per_s"), other.get("burst_deliveries_per_s")
        ),
        "latency_p50_ratio": ratio(one.get("paced_p50_ms"), other.get("paced_p50_ms")),
        "latency_p99_ratio": ratio(one.get("paced_p99_ms"), other.get("paced_p99_ms")),
        "server_cpu_per_delivery_ratio": ratio(
            one.get("burst_server_cpu_us_per_delivery"),
            other.get("burst_server_cpu_us_per_delivery"),
        ),
        "paced_server_cpu_per_delivery_ratio": ratio(
            one.get("paced_server_cpu_us_per_delivery"),
            other.get("paced_server_cpu_us_per_delivery"),
        ),
    }


# --- app against baseline ---------------------------------------------------------------------

# The app closes a socket that sends nothing for a minute; browsers send this ping.
APP_KEEPALIVE = {"every": 20.0, "text": '{"type":"ping","id":"keepalive-%d"}'}


@dataclass
class Side:
    """One server under comparison: the app (``kind="app"``) or the bare baseline."""

    name: str
    server: Server
    kind: str = "app"


@dataclass
class RoomsPlan:
    """What :func:`compare_sides` runs: ``rooms`` rooms of ``per_room`` participants."""

    rooms: int
    per_room: int
    burst_events: int
    paced_events: int
    rate: float
    rounds: int
    timeout: float = 60.0
    receiver_processes: int = 0


def _prefixed(prefix: str, figures: dict[str, Any]) -> dict[str, Any]:
    return {f"{prefix}_{key}": value for key, value in figures.items()}


async def compare_sides(
    sides: Sequence[Side], school: School, plan: RoomsPlan, log_dir: Path
) -> dict[str, Any]:
    """Fill the same rooms on every side, then alternate runs over the sides (A B A B …):
    a burst of ``burst_events`` per room (all rooms at once), then ``paced_events`` per room
    at ``rate`` each. Returns ``{"<side>": medians, "runs": {...}, "connected": {...},
    "after": {...}, "teacher_sockets": n}``; the app's teacher is the demo ``teacher`` and the
    participants ``school.pupils``, ``per_room`` to a room."""
    participants = plan.rooms * plan.per_room
    if len(school.pupils) < participants:
        raise ValueError(f"{participants} participants need as many pupils in the school")
    processes = plan.receiver_processes or ReceiverPool.processes_for(participants)
    sockets = burst_sockets(plan.burst_events)
    templates: list[dict[str, bytes]] = [{} for _ in range(plan.rooms)]
    senders: dict[str, list[list[Sender]]] = {side.name: [] for side in sides}
    pools: dict[str, ReceiverPool] = {}
    connected: dict[str, Any] = {}
    runs: dict[str, list[dict[str, Any]]] = {side.name: [] for side in sides}
    try:
        async with contextlib.AsyncExitStack() as stack:
            for side in sides:
                pool = await stack.enter_async_context(ReceiverPool(processes, log_dir=log_dir))
                pools[side.name] = pool
                rooms = await _open_rooms(side, school, plan.rooms, templates)
                targets: list[dict[str, Any]] = []
                for index, room in enumerate(rooms):
                    logins = school.pupils[index * plan.per_room : (index + 1) * plan.per_room]
                    if side.kind == "app":
                        targets += participant_targets(school, logins, room.path)
                    else:
                        targets += [{"path": room.path} for _ in logins]
                connected[side.name] = await pool.connect(
                    HOST,
                    side.server.port,
                    targets,
                    keepalive=APP_KEEPALIVE if side.kind == "app" else None,
                    timeout=plan.timeout * 2,
                )
                for room in rooms:
                    senders[side.name].append(
                        [await _sender(side, school, room, slides=n == 0) for n in range(sockets)]
                    )
            for name in alternate(plan.rounds, *(side.name for side in sides)):
                side = next(s for s in sides if s.name == name)
                burst = await measure_burst(
                    pools[name],
                    senders[name],
                    side.server.cpu_seconds,
                    events=plan.burst_events,
                    timeout=plan.timeout,
                )
                paced = await measure_paced(
                    pools[name],
                    [room_senders[0] for room_senders in senders[name]],
                    side.server.cpu_seconds,
                    events=plan.paced_events,
                    rate=plan.rate,
                    timeout=plan.timeout,
                )
                runs[name].append({**_prefixed("burst", burst), **_prefixed("paced", paced)})
            after = {name: await pool.stats() for name, pool in pools.items()}
    finally:
        for room_senders in senders.values():
            for sender in (s for group in room_senders for s in group):
                with contextlib.suppress(Exception):
                    await sender.close()
    return {
        **{side.name: medians(runs[side.name]) for side in sides},
        "connected": connected,
        "after": after,
        "teacher_sockets": sockets * plan.rooms,
        "runs": runs,
    }


async def _open_rooms(
    side: Side, school: School, count: int, templates: list[dict[str, bytes]]
) -> list[Room]:
    if side.kind == "app":
        lives = await start_rooms(side.server, school, ["teacher"] * count)
        rooms = [Room(ws_path(live)) for live in lives]
    else:
        rooms = [Room(f"/room-{index}") for index in range(count)]
    # Room i of every side shares its sample frames: the baseline sends what the app sent.
    for room, shared in zip(rooms, templates, strict=True):
        room.templates = shared
    return rooms


async def _sender(side: Side, school: School, room: Room, *, slides: bool) -> Sender:
    if side.kind == "app":
        return await AppTeacher.join(side.server, school, "teacher", room, slides=slides)
    return await BaselineTeacher.join(side.server, room, slides=slides)
