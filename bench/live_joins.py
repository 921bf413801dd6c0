"""Join storm: N people join one live room as fast as they can.

The app: the demo teacher starts a live lesson and is connected; ``joiners`` observers (each
with a pass from ``POST /api/v1/live/{code}/join``, issued before the clock starts) or
generated pupils (``--role pupil``, with bearer tokens) then connect to its WebSocket at once.
The figure is the wall time until every one of them has joined and received its first frame
(the ``welcome`` with the room's state). The baseline, the bare ``websockets`` server of
:mod:`bench.baseline_ws`, accepts as many sockets on one path and sends each one message.

Also, for each side: server CPU per join, and how many frames the socket that was there first
(the teacher) received during the storm — one presence frame per join makes a storm O(n²).
Each round starts both servers afresh, app first; medians over rounds.

``python -m bench.live_joins --joiners 1000`` prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.common import HOST, run_async, work_dir
from bench.figures import emit, medians, ratio
from bench.lean_client import LeanSocket
from bench.limits import ensure_open_files
from bench.live_setup import APP_KEEPALIVE, LiveSetupError, start_rooms, ws_path
from bench.receiver_pool import ReceiverPool
from bench.seeded_school import School, seed_school
from bench.servers import Server, app_server, baseline_server

ROLES = ("observer", "pupil")


@dataclass
class JoinsOptions:
    """The sizes of the join-storm benchmark."""

    joiners: int = 1_000
    role: str = "observer"  # or "pupil"
    rounds: int = 1
    concurrency: int = 256  # handshakes in flight at once per receiver process
    quiet: float = 0.3  # seconds after the last welcome still counted as the storm's
    timeout: float = 300.0
    keep: bool = False


class FrameCounter:
    """The socket that was in the room first: counts what it receives."""

    def __init__(self, socket: LeanSocket, *, keepalive: bool) -> None:
        self.socket = socket
        self.frames = 0
        self._tasks = [asyncio.create_task(self._count())]
        if keepalive:  # the app closes a socket that says nothing for a minute
            self._tasks.append(asyncio.create_task(self._keep_alive()))

    async def _count(self) -> None:
        while await self.socket.receive() is not None:
            self.frames += 1

    async def _keep_alive(self) -> None:
        for sent in itertools.count(1):
            await asyncio.sleep(float(APP_KEEPALIVE["every"]))
            self.socket.send_text(str(APP_KEEPALIVE["text"]) % sent)

    async def close(self) -> None:
        """Disconnect and stop counting."""
        for task in self._tasks:
            task.cancel()
        await self.socket.close()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await task


async def observer_passes(server: Server, code: str, count: int) -> list[str]:
    """``count`` observer passes for the lesson ``code``, from its public join endpoint."""
    limit = asyncio.Semaphore(16)

    async def one(client: httpx.AsyncClient, index: int) -> str:
        async with limit:
            response = await client.post(
                f"/api/v1/live/{code}/join", json={"name": f"Observer {index}"}
            )
        if response.status_code != 200:
            raise LiveSetupError(f"POST /join: {response.status_code} {response.text[:200]}")
        return str(response.json()["token"])

    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
        return list(await asyncio.gather(*(one(client, n) for n in range(count))))


async def _storm(
    server: Server,
    path: str,
    first: dict[str, str],
    targets: list[dict[str, Any]],
    options: JoinsOptions,
    tmp: Path,
    *,
    app: bool,
) -> dict[str, Any]:
    """Connect the first socket, then every target at once; the storm's figures."""
    processes = ReceiverPool.processes_for(len(targets), per_process=500, most=4)
    async with ReceiverPool(processes, log_dir=tmp) as pool:
        teacher = await LeanSocket.open(HOST, server.port, path, first)
        await asyncio.wait_for(teacher.receive(), 30)  # its own welcome
        counter = FrameCounter(teacher, keepalive=app)
        try:
            cpu_before, rss_before = server.cpu_seconds(), server.child.rss_bytes()
            connected = await pool.connect(
                HOST,
                server.port,
                targets,
                concurrency=options.concurrency,
                timeout=options.timeout,
                keepalive=APP_KEEPALIVE if app else None,
            )
            await asyncio.sleep(options.quiet)
            cpu_used = server.cpu_seconds() - cpu_before
            rss_after = server.child.rss_bytes()
            stats = await pool.stats()
            frames = counter.frames
        finally:
            with contextlib.suppress(Exception):
                await counter.close()
    joined, seconds = connected["ok"], connected["seconds"]
    return {
        "joined": joined,
        "failed": connected["failed"],
        "errors": connected["errors"],
        "still_open": stats["open"],
        "close_codes": stats["close_codes"],  # how the ones no longer open were closed
        "join_seconds": round(seconds, 3),
        "joins_per_s": round(joined / seconds, 1) if seconds else None,
        "server_cpu_s": round(cpu_used, 3),
        "server_cpu_ms_per_join": round(cpu_used * 1e3 / joined, 3) if joined else None,
        "rss_per_join_kib": round((rss_after - rss_before) / 1024 / joined, 2) if joined else None,
        "first_socket_frames": frames,
    }


async def _app_round(school: School, options: JoinsOptions, tmp: Path) -> dict[str, Any]:
    with app_server(school, log_dir=tmp) as app:
        (live,) = await start_rooms(app, school, ["teacher"])
        path = ws_path(live)
        issuing = time.monotonic()
        if options.role == "pupil":
            logins = school.pupils[: options.joiners]
            targets = [{"path": path, "headers": school.bearer(login)} for login in logins]
        else:
            passes = await observer_passes(app, str(live["code"]), options.joiners)
            targets = [{"path": path, "headers": {"Authorization": f"Bearer {p}"}} for p in passes]
        issued = time.monotonic() - issuing
        storm = await _storm(app, path, school.bearer("teacher"), targets, options, tmp, app=True)
        return {**storm, "passes_seconds": round(issued, 3)}


async def _baseline_round(options: JoinsOptions, tmp: Path) -> dict[str, Any]:
    with baseline_server(log_dir=tmp) as baseline:
        targets = [{"path": "/room-0"} for _ in range(options.joiners)]
        return await _storm(baseline, "/room-0", {}, targets, options, tmp, app=False)


async def run(options: JoinsOptions) -> dict[str, Any]:
    """Run the benchmark; returns its figures (see the module docstring)."""
    if options.role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, not {options.role!r}")
    if options.joiners < 1:
        raise ValueError("joiners must be at least 1")
    limits = ensure_open_files(options.joiners + 1)
    runs: dict[str, list[dict[str, Any]]] = {"app": [], "baseline": []}
    started = time.monotonic()
    with work_dir("joins", keep=options.keep) as tmp:
        pupils = options.joiners if options.role == "pupil" else 0
        school = await seed_school(tmp / "data", pupils=pupils)
        for _round in range(options.rounds):
            runs["app"].append(await _app_round(school, options, tmp))
            runs["baseline"].append(await _baseline_round(options, tmp))
    app_median, baseline_median = medians(runs["app"]), medians(runs["baseline"])
    return {
        "benchmark": "live_joins",
        "options": asdict(options),
        "open_files": limits,
        "join_time_ratio": ratio(app_median["join_seconds"], baseline_median["join_seconds"]),
        "join_server_cpu_ratio": ratio(
            app_median["server_cpu_ms_per_join"], baseline_median["server_cpu_ms_per_join"]
        ),
        "app": app_median,
        "baseline": baseline_median,
        "runs": runs,
        "wall_seconds": round(time.monotonic() - started, 1),
    }


def parse_args(argv: list[str] | None = None) -> JoinsOptions:
    """Options from the command line."""
    defaults = JoinsOptions()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--joiners", type=int, default=defaults.joiners)
    parser.add_argument("--role", choices=ROLES, default=defaults.role)
    parser.add_argument("--rounds", type=int, default=defaults.rounds)
    parser.add_argument("--concurrency", type=int, default=defaults.concurrency)
    parser.add_argument("--quiet", type=float, default=defaults.quiet)
    parser.add_argument("--timeout", type=float, default=defaults.timeout)
    parser.add_argument("--keep", action="store_true", help="keep the work dir (logs)")
    return JoinsOptions(**vars(parser.parse_args(argv)))


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point: print the figures as JSON."""
    emit(run_async(run(parse_args(argv))))


if __name__ == "__main__":
    main()
