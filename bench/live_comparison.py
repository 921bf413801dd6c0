"""The app against the bare baseline in live rooms: the same rooms filled on each side, then
alternating runs of a burst and a paced measurement over a :class:`ReceiverPool`.

Send times and arrival times are ``time.monotonic()`` (one clock for every process of the
machine), so latency is arrival minus send, per event and receiver.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import HOST, alternate
from bench.figures import latency_figures, medians, ratio
from bench.live_senders import (
    EVENT_TYPES,
    AppTeacher,
    BaselineTeacher,
    Room,
    Sender,
    burst_sockets,
)
from bench.live_setup import APP_KEEPALIVE, participant_targets, start_rooms, ws_path
from bench.receiver_pool import ReceiverPool
from bench.seeded_school import School
from bench.servers import Server


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
