"""The city on paper: what a city's peak day needs, from the per-process figures measured here.

Reads ``bench/results/latest.json`` (``make bench``), takes from it what one server process
costs — CPU per live delivery (lessons of 30, and one room of 1,000), memory per socket, join
and connect rates, CPU per HTTP request, the 2-workers-vs-1 scale-out factor, media CPU per
viewer — and turns a city's demand (:class:`City`) into processes, cores, PostgreSQL and
Redis capacity, how they shard, what saturates first and when an existing engine should take
over. A figure missing from the results (a benchmark skipped or failed, or no results at all)
falls back to the value in :data:`INPUTS`, and the output says which inputs were measured and
which assumed. Everything that is not measured is in :class:`Assumptions`, with its reason.

``python -m bench.city_model`` prints the README's "The city on paper" section (``--json``: the
figures as JSON; ``--results PATH``: another results file).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.common import RESULTS_DIR


@dataclass(frozen=True)
class City:
    """The demand of the city's peak day (issue #17)."""

    concurrent_users: int = 600_000  # on the pages and the API at peak
    sessions_per_day: int = 4_000_000  # sign-ins (auth sessions created) a day
    lessons: int = 30_000  # live lessons at once at peak
    pupils_per_lesson: int = 30
    open_lessons: int = 50  # open lessons at once, each with observers
    observers_per_open_lesson: int = 1_000


@dataclass(frozen=True)
class Assumptions:
    """What the model assumes rather than measures (each with why, in the comment)."""

    # A lesson's events: slide changes, strokes, quiz answers, hands, chat (≈ 2,700 in 45 min).
    events_per_lesson_s: float = 1.0
    events_per_open_lesson_s: float = 2.0  # more drawing and polls for a big audience
    extra_sockets_per_lesson: int = 2  # the teacher's console and the board
    target_utilisation: float = 0.6  # of a core and of memory: room for bursts, GC, a failover
    process_memory_mib: int = 2_048  # what one server process may use (a 2 GiB container)
    max_sockets_per_process: int = 10_000  # the largest size the sockets benchmark measures
    bell_seconds: float = 120.0  # every lesson's sockets connect within two minutes of a bell
    writes_per_join: float = 1.0  # the join path writes at most once (attendance/presence)
    requests_per_user_s: float = 1 / 30  # a page or API call every 30 s per active user
    write_fraction: float = 0.1  # of those, one in ten writes (a mark, an answer, a message)
    lesson_hours_per_day: float = 4.5  # six 45-minute periods at the peak's occupancy
    busy_hours_per_day: float = 8.0  # the pages' load, peak-equivalent hours
    sessions_peak_factor: float = 3.0  # sign-ins cluster in the morning
    event_row_bytes: int = 400  # a live event row with its JSON and indexes
    session_row_bytes: int = 500  # an auth session row with its indexes
    write_row_bytes: int = 300  # a mark, answer or message row with its indexes
    db_pool_per_process: int = 10  # eschool/db.py: pool_size 10 (+ 20 overflow) on PostgreSQL
    # eschool/auth_cache.py and gradebook/diary_versions.py: the sign-in and diary notices' LISTEN
    db_listeners_per_process: int = 2
    db_driver_writes_per_process: int = 10  # eschool/driver_pool.py: the driver writes' own
    pg_max_connections: int = 500  # past this a PostgreSQL primary spends itself on backends
    pg_writes_per_primary_s: float = 20_000.0  # batched row writes (group commit), one SSD node
    schools: int = 2_000  # the city's schools: the unit PostgreSQL shards by
    redis_ops_per_shard_s: float = 100_000.0  # one Redis core, small commands and Lua appends
    redis_max_clients: int = 10_000  # Redis's default maxclients
    redis_pool_per_process: int = 64  # eschool/broker/redis.py DEFAULT_MAX_CONNECTIONS (at most)
    listeners_per_followed_room: int = 1  # eschool/broker/redis.py: one connection per room
    redis_node_memory_gib: float = 25.0  # usable memory of one Redis node
    redis_entry_bytes: int = 250  # a stream entry (the event's JSON) with Redis's overhead
    redis_retention_days: float = 2.0  # eschool/broker/redis.py: a room's streams live 2 days
    redis_capped_entries: int = 1_000  # a per-room MAXLEN, if one is set (the DB keeps the log)
    media_lesson_fraction: float = 0.1  # lessons whose camera goes through the server
    rtc_max_viewers: int = 200  # ESCHOOL_RTC_MAX_VIEWERS: media viewers per process


@dataclass(frozen=True)
class Input:
    """One per-process figure: its value, and where it came from."""

    name: str
    value: float
    unit: str
    measured: bool
    source: str


def _at(document: Mapping[str, Any], path: str) -> Any:
    node: Any = document.get("benchmarks", {})
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _first(*paths: str) -> Callable[[Mapping[str, Any]], tuple[float, str] | None]:
    def read(document: Mapping[str, Any]) -> tuple[float, str] | None:
        for path in paths:
            value = _at(document, path)
            if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
                return float(value), path
        return None

    return read


def _redis_factor(document: Mapping[str, Any]) -> tuple[float, str] | None:
    key = "app.paced_server_cpu_us_per_delivery"
    redis, memory = _at(document, f"fanout_redis.{key}"), _at(document, f"fanout.{key}")
    if isinstance(redis, int | float) and isinstance(memory, int | float) and memory > 0:
        return redis / memory, f"fanout_redis.{key} ÷ fanout.{key}"
    return None


def _scale_out_efficiency(document: Mapping[str, Any]) -> tuple[float, str] | None:
    speedup, workers = (
        _at(document, "scale_out.workers_throughput_ratio"),
        _at(document, "scale_out.options.workers"),
    )
    if isinstance(speedup, int | float) and isinstance(workers, int) and workers > 0:
        return speedup / workers, "scale_out.workers_throughput_ratio ÷ workers"
    return None


def _media_cpu(document: Mapping[str, Any]) -> tuple[float, str] | None:
    at = _at(document, "media.compared_at_viewers")
    if at is None:
        return None
    return _first(f"media.app.by_viewers.{at}.host_cpu_s_per_viewer_s")(document)


# name -> (unit, how to read it from the results, fallback, why that fallback)
INPUTS: dict[str, tuple[str, Callable[[Mapping[str, Any]], tuple[float, str] | None], float, str]]
INPUTS = {
    "lesson_cpu_us_per_delivery": (
        "µs",
        _first("rooms.app.paced_server_cpu_us_per_delivery"),
        60.0,
        "issue #17's 1,000-room figure, rounded up",
    ),
    "open_lesson_cpu_us_per_delivery": (
        "µs",
        _first(
            "fanout_1000.app.paced_server_cpu_us_per_delivery",
            "fanout.app.paced_server_cpu_us_per_delivery",
        ),
        53.0,
        "issue #17: 1,000 in one room, paced",
    ),
    "redis_cpu_factor": ("×", _redis_factor, 1.3, "Redis's extra hop, guessed"),
    "socket_kib": (
        "KiB",
        _first("sockets.app.rss_per_connection_kib"),
        75.0,
        "issue #17: 2,000 idle sockets",
    ),
    "process_base_mib": ("MiB", _first("sockets.app.rss_before_mib"), 150.0, "a guess"),
    "connects_per_s": (
        "/s",
        _first("sockets.app.connections_per_s"),
        300.0,
        "a guess (rooms of 30)",
    ),
    "storm_joins_per_s": (
        "/s",
        _first("joins.app.joins_per_s"),
        1_000 / 144,
        "issue #17: 1,000 observers in 144 s",
    ),
    "http_cpu_ms_per_request": (
        "ms",
        _first("journal.endpoints.journal_json.server_cpu_ms_per_request"),
        20.0,
        "a guess (a journal page)",
    ),
    "scale_out_efficiency": ("×", _scale_out_efficiency, 0.59, "issue #17: 2 workers 1.18×"),
    "media_cpu_s_per_viewer_s": ("core·s/s", _media_cpu, 0.01, "a guess"),
}


def read_inputs(document: Mapping[str, Any]) -> dict[str, Input]:
    """Every input, measured from ``document`` where it has the figure, else its fallback."""
    inputs = {}
    for name, (unit, read, fallback, why) in INPUTS.items():
        found = read(document)
        if found is None:
            inputs[name] = Input(name, fallback, unit, False, f"assumed: {why}")
        else:
            inputs[name] = Input(name, found[0], unit, True, found[1])
    return inputs


def load_results(path: Path) -> dict[str, Any]:
    """The results document at ``path``, or an empty one when there is none."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


@dataclass
class Plan:
    """What the city needs; every figure at the peak unless it says a day."""

    live: dict[str, Any] = field(default_factory=dict)
    http: dict[str, Any] = field(default_factory=dict)
    media: dict[str, Any] = field(default_factory=dict)
    postgres: dict[str, Any] = field(default_factory=dict)
    redis: dict[str, Any] = field(default_factory=dict)
    totals: dict[str, Any] = field(default_factory=dict)
    saturation: list[dict[str, Any]] = field(default_factory=list)


def _up(value: float) -> int:
    return max(0, math.ceil(value - 1e-9))


@dataclass(frozen=True)
class Load:
    """The city's live load at the peak, from :class:`City` and :class:`Assumptions` alone."""

    lesson_room: int  # sockets in a lesson's room
    open_room: int  # sockets in an open lesson's room
    rooms: int
    sockets: int
    events_per_s: float
    lesson_deliveries_per_s: float
    open_deliveries_per_s: float
    bell_joins_per_s: float
    events_per_day: float

    @classmethod
    def of(cls, city: City, a: Assumptions) -> Load:
        """The load of ``city``."""
        lesson_room = city.pupils_per_lesson + a.extra_sockets_per_lesson
        open_room = lesson_room + city.observers_per_open_lesson
        sockets = city.lessons * lesson_room + city.open_lessons * open_room
        events = (
            city.lessons * a.events_per_lesson_s + city.open_lessons * a.events_per_open_lesson_s
        )
        return cls(
            lesson_room=lesson_room,
            open_room=open_room,
            rooms=city.lessons + city.open_lessons,
            sockets=sockets,
            events_per_s=events,
            lesson_deliveries_per_s=city.lessons * a.events_per_lesson_s * lesson_room,
            open_deliveries_per_s=city.open_lessons * a.events_per_open_lesson_s * open_room,
            bell_joins_per_s=sockets / a.bell_seconds,
            events_per_day=events * a.lesson_hours_per_day * 3_600,
        )


def _live(city: City, load: Load, v: Mapping[str, float], a: Assumptions) -> dict[str, Any]:
    """Live processes: the most that CPU, memory or the bell's joins ask for."""
    cores = (
        (
            (load.lesson_deliveries_per_s * v["lesson_cpu_us_per_delivery"])
            + (load.open_deliveries_per_s * v["open_lesson_cpu_us_per_delivery"])
        )
        * v["redis_cpu_factor"]
        / 1e6
    )
    memory_sockets = (a.process_memory_mib - v["process_base_mib"]) * 1024 / v["socket_kib"]
    sockets_per_process = max(1, min(a.max_sockets_per_process, memory_sockets))
    joins = load.bell_joins_per_s / (v["connects_per_s"] * a.target_utilisation)
    by = {
        "CPU (deliveries)": _up(cores / a.target_utilisation),
        "memory (sockets)": _up(load.sockets / (sockets_per_process * a.target_utilisation)),
        "joins at the bell": _up(joins),
    }
    processes = max(1, *by.values())
    open_room_cores = (
        a.events_per_open_lesson_s
        * load.open_room
        * v["open_lesson_cpu_us_per_delivery"]
        * v["redis_cpu_factor"]
        / 1e6
    )
    return {
        "sockets": load.sockets,
        "events_per_s": load.events_per_s,
        "deliveries_per_s": load.lesson_deliveries_per_s + load.open_deliveries_per_s,
        "cores_busy": cores,
        "sockets_per_process": int(sockets_per_process),
        "processes_by": by,
        "processes": processes,
        "bound_by": max(by, key=lambda key: by[key]),
        # Without routing a room's sockets to one process, every event crosses processes.
        "processes_without_room_affinity": _up(processes / min(1.0, v["scale_out_efficiency"])),
        "bell_joins_per_s": load.bell_joins_per_s,
        "open_room_cores": open_room_cores,
        "open_room_storm_s": city.observers_per_open_lesson / v["storm_joins_per_s"],
    }


def _http(city: City, v: Mapping[str, float], a: Assumptions) -> dict[str, Any]:
    requests = city.concurrent_users * a.requests_per_user_s
    cores = requests * v["http_cpu_ms_per_request"] / 1e3
    return {
        "requests_per_s": requests,
        "cores_busy": cores,
        "processes": _up(cores / a.target_utilisation),
    }


def _media(city: City, load: Load, v: Mapping[str, float], a: Assumptions) -> dict[str, Any]:
    viewers = (
        city.lessons * a.media_lesson_fraction * city.pupils_per_lesson
        + city.open_lessons * (load.open_room - 1)
    )
    cores = viewers * v["media_cpu_s_per_viewer_s"]
    # A room's media is homed on one process: its CPU or ESCHOOL_RTC_MAX_VIEWERS bounds it.
    per_process = min(
        float(a.rtc_max_viewers), a.target_utilisation / v["media_cpu_s_per_viewer_s"]
    )
    return {
        "viewers": viewers,
        "cores_busy": cores,
        "processes": _up(cores / a.target_utilisation),
        "viewers_per_process": per_process,
        "open_room_viewers": load.open_room - 1,
        "processes_per_open_room": _up((load.open_room - 1) / per_process),
    }


def _postgres(city: City, load: Load, plan: Plan, a: Assumptions) -> dict[str, Any]:
    http_writes = plan.http["requests_per_s"] * a.write_fraction
    writes_by = {
        "live events": load.events_per_s,
        "joins at the bell": load.bell_joins_per_s * a.writes_per_join,
        "pages and API": http_writes,
        "sign-ins": city.sessions_per_day / 86_400 * a.sessions_peak_factor,
    }
    writes = sum(writes_by.values())
    storage = (
        load.events_per_day * a.event_row_bytes
        + city.sessions_per_day * a.session_row_bytes
        + http_writes * a.busy_hours_per_day * 3_600 * a.write_row_bytes
    )
    primaries = max(1, _up(writes / (a.pg_writes_per_primary_s * a.target_utilisation)))
    per_process = _db_connections_per_process(a)
    return {
        "writes_per_s": writes,
        "writes_by": writes_by,
        "connections_per_process": per_process,
        "connections_direct": plan.totals["processes"] * per_process,
        "pooler_past_processes": a.pg_max_connections // per_process,
        "storage_gib_per_day": storage / 2**30,
        "primaries": primaries,
        "schools_per_primary": _up(a.schools / primaries),
    }


def _db_connections_per_process(a: Assumptions) -> int:
    """A process's PostgreSQL connections: its pool, the driver writes' own (at most), and
    its listeners of sign-in and diary notices (a pooler in transaction mode cannot carry a
    LISTEN: those go to the primary)."""
    return a.db_pool_per_process + a.db_driver_writes_per_process + a.db_listeners_per_process


def _redis(load: Load, plan: Plan, a: Assumptions) -> dict[str, Any]:
    # Each event appended once and read once (room affinity); presence at the bell.
    messages = load.events_per_s * 2 + load.bell_joins_per_s
    # The live processes use the broker; the pages' processes barely do.
    clients = (
        plan.live["processes"] * a.redis_pool_per_process
        + load.rooms * a.listeners_per_followed_room
    )
    uncapped = load.events_per_day * a.redis_retention_days * a.redis_entry_bytes / 2**30
    capped = load.rooms * a.redis_capped_entries * a.redis_entry_bytes / 2**30
    usable = a.redis_node_memory_gib * a.target_utilisation
    shards_by = {
        "messages": _up(messages / (a.redis_ops_per_shard_s * a.target_utilisation)),
        "clients": _up(clients / a.redis_max_clients),
        "memory (no cap)": _up(uncapped / usable),
        "memory (capped)": _up(capped / usable),
    }
    return {
        "messages_per_s": messages,
        "clients": clients,
        "memory_gib_uncapped": uncapped,
        "memory_gib_capped": capped,
        "memory_gib_usable_per_node": usable,
        "shards_by": shards_by,
        "shards": max(1, *(n for key, n in shards_by.items() if key != "memory (capped)")),
    }


def _saturation(load: Load, plan: Plan, a: Assumptions) -> list[dict[str, Any]]:
    """Each single-node limit and the share of the peak's load at which it is reached,
    the first reached first."""
    limits = [
        ("one Redis: client connections", a.redis_max_clients, plan.redis["clients"]),
        (
            "one Redis: memory (GiB), streams uncapped",
            plan.redis["memory_gib_usable_per_node"],
            plan.redis["memory_gib_uncapped"],
        ),
        (
            "one Redis: messages/s",
            a.redis_ops_per_shard_s * a.target_utilisation,
            plan.redis["messages_per_s"],
        ),
        (
            "one PostgreSQL: direct connections",
            a.pg_max_connections,
            plan.postgres["connections_direct"],
        ),
        (
            "one PostgreSQL: writes/s",
            a.pg_writes_per_primary_s * a.target_utilisation,
            plan.postgres["writes_per_s"],
        ),
        (
            "one process: an open lesson's media viewers",
            plan.media["viewers_per_process"],
            load.open_room - 1,
        ),
        (
            "one process: an open lesson's deliveries (cores)",
            a.target_utilisation,
            plan.live["open_room_cores"],
        ),
    ]
    return sorted(
        (
            {"limit": name, "capacity": cap, "demand": need, "share_of_city": cap / need}
            for name, cap, need in limits
            if need > 0
        ),
        key=lambda item: item["share_of_city"],
    )


def plan_city(city: City, inputs: Mapping[str, Input], a: Assumptions) -> Plan:
    """The arithmetic of the model (pure: the unit tests call it directly)."""
    v = {name: item.value for name, item in inputs.items()}
    load = Load.of(city, a)
    plan = Plan()
    plan.live = _live(city, load, v, a)
    plan.http = _http(city, v, a)
    plan.media = _media(city, load, v, a)
    # The media relay is counted apart: it is what an SFU replaces (see the report).
    app_processes = plan.live["processes"] + plan.http["processes"]
    plan.totals = {
        "processes": app_processes,
        "cores": app_processes,
        "with_media_relay": app_processes + plan.media["processes"],
    }
    plan.postgres = _postgres(city, load, plan, a)
    plan.redis = _redis(load, plan, a)
    plan.saturation = _saturation(load, plan, a)
    return plan


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    from bench.city_report import render

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS_DIR / "latest.json")
    parser.add_argument("--json", action="store_true", help="the figures as JSON")
    args = parser.parse_args(argv)
    document = load_results(args.results)
    inputs = read_inputs(document)
    city, assumptions = City(), Assumptions()
    plan = plan_city(city, inputs, assumptions)
    if args.json:
        out = {"inputs": {k: asdict(i) for k, i in inputs.items()}, "plan": asdict(plan)}
        sys.stdout.write(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(render(city, inputs, assumptions, plan, document, args.results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
