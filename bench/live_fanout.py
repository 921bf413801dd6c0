"""Live fan-out: one room, N participants, the teacher's events reach every one of them.

Measured against the bare ``websockets`` broadcast server of :mod:`bench.baseline_ws` in the same
run, alternating app and baseline runs (A B A B …) and reporting medians:

- burst: the events are sent at once (over as many teacher sockets as the app's per-socket
  command limit needs); deliveries per second until the last arrival, server and client CPU µs
  per delivery;
- paced: ``rate`` events per second from one socket; send→receive latency p50/p99/max of every
  delivery.

Participants are generated pupils of 7A with bearer tokens, received by
:mod:`bench.lean_client` processes. ``--broker redis`` runs the app on Redis (a fresh namespace,
deleted afterwards).

``python -m bench.live_fanout --participants 1000`` prints one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.common import run_async, work_dir
from bench.figures import emit
from bench.live_comparison import RoomsPlan, Side, compare, compare_sides
from bench.scratch_stores import redis_base_url, redis_namespace
from bench.seeded_school import School, seed_school
from bench.servers import Server, app_server, baseline_server


@dataclass
class FanoutOptions:
    """The sizes of one fan-out benchmark."""

    participants: int = 200
    burst_events: int = 400
    paced_events: int = 60
    rate: float = 20.0
    rounds: int = 3
    broker: str = "memory"  # or "redis"
    receiver_processes: int = 0  # 0: chosen by the number of participants
    timeout: float = 60.0
    keep: bool = False


@contextlib.contextmanager
def broker_url_for(broker: str) -> Iterator[str]:
    """``memory://`` or a Redis URL with a fresh namespace (its keys deleted afterwards)."""
    if broker == "memory":
        yield "memory://"
        return
    base = redis_base_url() or "redis://127.0.0.1:6379/0"
    with redis_namespace(base) as url:
        yield url


async def run(options: FanoutOptions) -> dict[str, Any]:
    """Run the benchmark; returns its figures (see the module docstring)."""
    with work_dir("fanout", keep=options.keep) as tmp:
        school = await seed_school(tmp / "data", pupils=options.participants)
        with (
            broker_url_for(options.broker) as broker_url,
            app_server(school, broker_url=broker_url, log_dir=tmp) as app,
            baseline_server(log_dir=tmp) as baseline,
        ):
            return await _measure(options, school, app, baseline, tmp)


async def _measure(
    options: FanoutOptions, school: School, app: Server, baseline: Server, tmp: Path
) -> dict[str, Any]:
    plan = RoomsPlan(
        rooms=1,
        per_room=options.participants,
        burst_events=options.burst_events,
        paced_events=options.paced_events,
        rate=options.rate,
        rounds=options.rounds,
        timeout=options.timeout,
        receiver_processes=options.receiver_processes,
    )
    sides = [Side("app", app), Side("baseline", baseline, kind="baseline")]
    figures = await compare_sides(sides, school, plan, tmp)
    return {
        "benchmark": "live_fanout",
        "broker": options.broker,
        "options": asdict(options),
        **compare(figures["app"], figures["baseline"]),
        **figures,
    }


def parse_args(argv: list[str] | None = None) -> FanoutOptions:
    """Options from the command line."""
    defaults = FanoutOptions()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=defaults.participants)
    parser.add_argument("--burst-events", type=int, default=defaults.burst_events)
    parser.add_argument("--paced-events", type=int, default=defaults.paced_events)
    parser.add_argument("--rate", type=float, default=defaults.rate, help="paced events/s")
    parser.add_argument("--rounds", type=int, default=defaults.rounds, help="runs of each side")
    parser.add_argument("--broker", choices=["memory", "redis"], default=defaults.broker)
    parser.add_argument("--receiver-processes", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=defaults.timeout)
    parser.add_argument("--keep", action="store_true", help="keep the work dir (logs)")
    return FanoutOptions(**vars(parser.parse_args(argv)))


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point: print the figures as JSON."""
    emit(run_async(run(parse_args(argv))))


if __name__ == "__main__":
    main()
