"""Many rooms: R live lessons of P pupils each, every teacher acting at once.

The app against the baseline of :mod:`bench.live_fanout` (the bare ``websockets`` server, with
the same R rooms of P connections, one room per request path), alternating runs and reporting
medians: aggregate deliveries per second when every room gets a burst of events at the same
time, and send→receive latency p50/p99/max with every teacher sending ``rate`` events per
second at once.

``python -m bench.live_rooms --rooms 100 --per-room 30`` prints one JSON object.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass
from typing import Any

from bench.common import run_async, work_dir
from bench.figures import emit
from bench.live_comparison import RoomsPlan, Side, compare, compare_sides
from bench.live_fanout import broker_url_for
from bench.seeded_school import seed_school
from bench.servers import app_server, baseline_server


@dataclass
class RoomsOptions:
    """The sizes of the many-rooms benchmark."""

    rooms: int = 20
    per_room: int = 30
    burst_events: int = 70
    paced_events: int = 20
    rate: float = 5.0
    rounds: int = 3
    broker: str = "memory"
    receiver_processes: int = 0
    timeout: float = 60.0
    keep: bool = False


async def run(options: RoomsOptions) -> dict[str, Any]:
    """Run the benchmark; returns its figures (see the module docstring)."""
    plan = RoomsPlan(
        rooms=options.rooms,
        per_room=options.per_room,
        burst_events=options.burst_events,
        paced_events=options.paced_events,
        rate=options.rate,
        rounds=options.rounds,
        timeout=options.timeout,
        receiver_processes=options.receiver_processes,
    )
    with work_dir("rooms", keep=options.keep) as tmp:
        school = await seed_school(tmp / "data", pupils=options.rooms * options.per_room)
        with (
            broker_url_for(options.broker) as broker_url,
            app_server(school, broker_url=broker_url, log_dir=tmp) as app,
            baseline_server(log_dir=tmp) as baseline,
        ):
            sides = [Side("app", app), Side("baseline", baseline, kind="baseline")]
            figures = await compare_sides(sides, school, plan, tmp)
    return {
        "benchmark": "live_rooms",
        "broker": options.broker,
        "options": asdict(options),
        **compare(figures["app"], figures["baseline"]),
        **figures,
    }


def parse_args(argv: list[str] | None = None) -> RoomsOptions:
    """Options from the command line."""
    defaults = RoomsOptions()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=defaults.rooms)
    parser.add_argument("--per-room", type=int, default=defaults.per_room)
    parser.add_argument("--burst-events", type=int, default=defaults.burst_events)
    parser.add_argument("--paced-events", type=int, default=defaults.paced_events)
    parser.add_argument("--rate", type=float, default=defaults.rate, help="events/s per room")
    parser.add_argument("--rounds", type=int, default=defaults.rounds)
    parser.add_argument("--broker", choices=["memory", "redis"], default=defaults.broker)
    parser.add_argument("--receiver-processes", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=defaults.timeout)
    parser.add_argument("--keep", action="store_true")
    return RoomsOptions(**vars(parser.parse_args(argv)))


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point: print the figures as JSON."""
    emit(run_async(run(parse_args(argv))))


if __name__ == "__main__":
    main()
