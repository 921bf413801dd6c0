"""Scale-out: the fan-out of :mod:`bench.live_fanout` served by one worker process and by two,
both on Redis (each server its own namespace), alternating runs and reporting medians.

Both servers serve the same school: PostgreSQL when ``ESCHOOL_BENCH_POSTGRES_URL`` /
``ESCHOOL_TEST_POSTGRES_URL`` is set (what ``--workers`` is meant for), else SQLite
(``--database`` chooses). With two
workers the participants land on either process and every event crosses Redis to the other.
The ratios are two workers / one worker; server CPU is that of all the server's processes.

With ``--worker-share S`` (0.4 by default; 0 turns it off) each server process — the one
worker, and each of the two — is held to S of a core (:mod:`bench.cpu_slices`), a model of a
machine with a core per worker: on the 2-core machine the receivers would otherwise take what
a second worker needs. Without a writable cgroup CPU controller it runs without slices and
says so (``worker_share`` 0 in the figures).

``python -m bench.scale_out --participants 1000`` prints one JSON object.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.common import options_from_argv, run_async, work_dir
from bench.cpu_slices import CpuSlices
from bench.figures import emit
from bench.live_comparison import RoomsPlan, Side, compare, compare_sides
from bench.processes import cpu_seconds, process_tree
from bench.scratch_stores import (
    postgres_base_url,
    postgres_database,
    redis_base_url,
    redis_namespace,
)
from bench.seeded_school import seed_school
from bench.servers import Server, app_server


@dataclass
class ScaleOutOptions:
    """The sizes of the scale-out benchmark."""

    participants: int = 200
    burst_events: int = 400
    paced_events: int = 60
    rate: float = 20.0
    rounds: int = 3
    workers: int = 2
    database: str = "auto"  # "sqlite", "postgres", or "auto": PostgreSQL when configured
    timeout: float = 60.0
    worker_share: float = 0.4  # of a core per server process (0: no slices)
    keep: bool = False


def _workers_of(server: Server, count: int, timeout: float = 30.0) -> list[int]:
    """The worker processes of a multi-worker server (its ``multiprocessing`` children that
    serve, not the resource tracker), once all ``count`` have started."""
    deadline = time.monotonic() + timeout
    while True:
        workers = [
            pid for pid in process_tree(server.pid)[1:] if "spawn_main" in _command_line(pid)
        ]
        if len(workers) >= count or time.monotonic() > deadline:
            return workers
        time.sleep(0.1)


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


@contextlib.asynccontextmanager
async def _database(choice: str) -> AsyncIterator[str | None]:
    base = postgres_base_url()
    if choice == "postgres" and base is None:
        raise RuntimeError("--database postgres needs ESCHOOL_BENCH_POSTGRES_URL or _TEST_")
    if choice == "sqlite" or base is None:
        yield None
        return
    async with postgres_database(base) as url:
        yield url


async def run(options: ScaleOutOptions) -> dict[str, Any]:
    """Run the benchmark; returns its figures (see the module docstring)."""
    redis = redis_base_url() or "redis://127.0.0.1:6379/0"
    share = options.worker_share if CpuSlices.available() else 0.0
    plan = RoomsPlan(
        rooms=1,
        per_room=options.participants,
        burst_events=options.burst_events,
        paced_events=options.paced_events,
        rate=options.rate,
        rounds=options.rounds,
        timeout=options.timeout,
    )
    with work_dir("scale-out", keep=options.keep) as tmp:
        async with _database(options.database) as database_url:
            school = await seed_school(
                tmp / "data", database_url=database_url, pupils=options.participants
            )
            with (
                redis_namespace(redis) as one_url,
                redis_namespace(redis) as many_url,
                app_server(school, broker_url=one_url, log_dir=tmp, name="one") as one,
                app_server(
                    school,
                    broker_url=many_url,
                    workers=options.workers,
                    log_dir=tmp,
                    name="workers",
                ) as many,
            ):
                slices = CpuSlices(share) if share else None
                workers = _workers_of(many, options.workers)
                with slices or contextlib.nullcontext():
                    if slices is not None:
                        slices.hold(one.pid)
                        for worker in workers:
                            slices.hold(worker)
                    before = [cpu_seconds(worker) for worker in workers]
                    sides = [Side("one_worker", one), Side("workers", many)]
                    figures = await compare_sides(sides, school, plan, tmp)
                    # How evenly the work fell to the workers (the sockets each accepted).
                    spent = [
                        cpu_seconds(worker) - was
                        for worker, was in zip(workers, before, strict=True)
                    ]
    return {
        "benchmark": "scale_out",
        "database": "postgresql" if database_url else "sqlite",
        "options": asdict(options),
        "worker_share": share,
        "workers_cpu_s": [round(each, 2) for each in spent],
        **{
            f"workers_{key}": value
            for key, value in compare(figures["workers"], figures["one_worker"]).items()
        },
        **figures,
    }


def parse_args(argv: list[str] | None = None) -> ScaleOutOptions:
    """Options from the command line."""
    return options_from_argv(ScaleOutOptions, argv, __doc__.splitlines()[0])


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point: print the figures as JSON."""
    emit(run_async(run(parse_args(argv))))


if __name__ == "__main__":
    main()
