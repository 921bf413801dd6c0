"""Socket capacity: C idle, authenticated participants in live rooms on one server process.

The app gets ``participants`` generated pupils spread over rooms of ``room_size`` (each room a
live lesson of the demo teacher); the baseline, the bare ``websockets`` server of
:mod:`bench.baseline_ws`, gets the same number of connections over as many room paths.
Figures, for each: the server's resident memory per connection (RSS after all have connected,
minus RSS before, over C), the wall time to connect them all, connections per second and the
server's CPU time per connection (less noisy than the wall time on a shared machine).
Each round starts both servers afresh (memory once grown is not given back), app first.

10,000 sockets (``--participants 10000``, the full size) need more open files than many
systems allow by default: the benchmark raises its soft ``RLIMIT_NOFILE`` towards the hard
limit (the servers and receivers inherit it) and reports what it found under ``open_files``.

``python -m bench.live_sockets --participants 10000`` prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.common import HOST, run_async, work_dir
from bench.figures import emit, medians, ratio
from bench.limits import ensure_open_files
from bench.live_setup import APP_KEEPALIVE, participant_targets, start_rooms, ws_path
from bench.receiver_pool import ReceiverPool
from bench.seeded_school import School, seed_school
from bench.servers import Server, app_server, baseline_server


@dataclass
class SocketsOptions:
    """The sizes of the socket capacity benchmark."""

    participants: int = 2_000
    room_size: int = 30
    rounds: int = 1
    concurrency: int = 64  # connections being opened at once per receiver process
    settle: float = 2.0  # seconds to wait before reading the memory
    timeout: float = 300.0
    keep: bool = False


async def _connect_all(
    server: Server, targets: list[dict[str, Any]], options: SocketsOptions, tmp: Path, app: bool
) -> dict[str, Any]:
    processes = ReceiverPool.processes_for(len(targets), per_process=2_500, most=8)
    rss_before = server.child.rss_bytes()
    cpu_before = server.cpu_seconds()
    async with ReceiverPool(processes, log_dir=tmp) as pool:
        connected = await pool.connect(
            HOST,
            server.port,
            targets,
            concurrency=options.concurrency,
            timeout=options.timeout,
            keepalive=APP_KEEPALIVE if app else None,
        )
        cpu_used = server.cpu_seconds() - cpu_before
        await asyncio.sleep(options.settle)
        rss_after = server.child.rss_bytes()
        stats = await pool.stats()
    ok = connected["ok"]
    return {
        "connected": ok,
        "failed": connected["failed"],
        "errors": connected["errors"],
        "still_open": stats["open"],
        "connect_seconds": round(connected["seconds"], 3),
        "connections_per_s": round(ok / connected["seconds"], 1) if connected["seconds"] else None,
        "server_cpu_ms_per_connection": round(cpu_used * 1e3 / ok, 3) if ok else None,
        "rss_before_mib": round(rss_before / 2**20, 1),
        "rss_after_mib": round(rss_after / 2**20, 1),
        "rss_per_connection_kib": round((rss_after - rss_before) / 1024 / ok, 2) if ok else None,
    }


async def run(options: SocketsOptions) -> dict[str, Any]:
    """Run the benchmark; returns its figures (see the module docstring)."""
    rooms = max(1, math.ceil(options.participants / options.room_size))
    limits = ensure_open_files(options.participants)
    runs: dict[str, list[dict[str, Any]]] = {"app": [], "baseline": []}
    with work_dir("sockets", keep=options.keep) as tmp:
        school = await seed_school(tmp / "data", pupils=options.participants)
        for _round in range(options.rounds):
            with app_server(school, log_dir=tmp) as app:
                lives = await start_rooms(app, school, ["teacher"] * rooms)
                targets = _spread(school, school.pupils, [ws_path(live) for live in lives])
                runs["app"].append(await _connect_all(app, targets, options, tmp, app=True))
            with baseline_server(log_dir=tmp) as baseline:
                paths = [f"/room-{n}" for n in range(rooms)]
                targets = [{"path": paths[n % rooms]} for n in range(options.participants)]
                runs["baseline"].append(
                    await _connect_all(baseline, targets, options, tmp, app=False)
                )
    app_median, baseline_median = medians(runs["app"]), medians(runs["baseline"])
    return {
        "benchmark": "live_sockets",
        "options": asdict(options),
        "rooms": rooms,
        "open_files": limits,
        "memory_per_connection_ratio": ratio(
            app_median["rss_per_connection_kib"], baseline_median["rss_per_connection_kib"]
        ),
        "connect_rate_ratio": ratio(
            app_median["connections_per_s"], baseline_median["connections_per_s"]
        ),
        "connect_cpu_ratio": ratio(
            app_median["server_cpu_ms_per_connection"],
            baseline_median["server_cpu_ms_per_connection"],
        ),
        "app": app_median,
        "baseline": baseline_median,
        "runs": runs,
    }


def _spread(school: School, logins: list[str], paths: list[str]) -> list[dict[str, Any]]:
    targets = []
    for index, path in enumerate(paths):
        targets += participant_targets(school, logins[index :: len(paths)], path)
    return targets


def parse_args(argv: list[str] | None = None) -> SocketsOptions:
    """Options from the command line."""
    defaults = SocketsOptions()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=defaults.participants)
    parser.add_argument("--room-size", type=int, default=defaults.room_size)
    parser.add_argument("--rounds", type=int, default=defaults.rounds)
    parser.add_argument("--concurrency", type=int, default=defaults.concurrency)
    parser.add_argument("--settle", type=float, default=defaults.settle)
    parser.add_argument("--timeout", type=float, default=defaults.timeout)
    parser.add_argument("--keep", action="store_true")
    return SocketsOptions(**vars(parser.parse_args(argv)))


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point: print the figures as JSON."""
    emit(run_async(run(parse_args(argv))))


if __name__ == "__main__":
    main()
