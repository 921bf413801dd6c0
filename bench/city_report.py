"""The README section "The city on paper", written from a :class:`bench.city_model.Plan`."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench.city_model import Assumptions, City, Input, Plan


def _n(value: float) -> str:
    """A figure as people read it: 1,234 / 12.3 / 0.123."""
    if value >= 100 or float(value).is_integer():
        return f"{round(value):,}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def _inputs_table(inputs: Mapping[str, Input]) -> list[str]:
    lines = ["| input | value | from |", "|---|---|---|"]
    for item in inputs.values():
        where = f"measured: `{item.source}`" if item.measured else item.source
        lines.append(f"| {item.name} | {_n(item.value)} {item.unit} | {where} |")
    return lines


def _processes_table(plan: Plan) -> list[str]:
    live, http, media = plan.live, plan.http, plan.media
    by = ", ".join(f"{key} {_n(n)}" for key, n in live["processes_by"].items())
    return [
        "| what | load at peak | processes (1 core each) |",
        "|---|---|---|",
        f"| live rooms | {_n(live['sockets'])} sockets, {_n(live['events_per_s'])} events/s, "
        f"{_n(live['deliveries_per_s'])} deliveries/s | **{_n(live['processes'])}** "
        f"(bound by {live['bound_by']}; {by}) |",
        f"| pages and API | {_n(http['requests_per_s'])} requests/s "
        f"| **{_n(http['processes'])}** |",
        f"| **live and pages** | | **{_n(plan.totals['processes'])} processes ≈ "
        f"{_n(plan.totals['cores'])} cores** |",
        f"| media through our relay (aiortc) | {_n(media['viewers'])} viewer streams "
        f"| {_n(media['processes'])} — an SFU's job (below) |",
    ]


def _saturation_table(plan: Plan) -> list[str]:
    lines = ["| single-node limit | capacity | city's demand | reached at |", "|---|---|---|---|"]
    for item in plan.saturation:
        share = item["share_of_city"]
        if share >= 1:
            at = "never at this size"
        else:
            at = f"{share:.0%} of the peak" if share >= 0.1 else f"{share:.1%} of the peak"
        lines.append(f"| {item['limit']} | {_n(item['capacity'])} | {_n(item['demand'])} | {at} |")
    return lines


def render(
    city: City,
    inputs: Mapping[str, Input],
    a: Assumptions,
    plan: Plan,
    document: Mapping[str, Any],
    results: Path,
) -> str:
    """The section, in Markdown."""
    measured = [i.name for i in inputs.values() if i.measured]
    assumed = [i.name for i in inputs.values() if not i.measured]
    when = document.get("generated_at", "no results")
    live, pg, redis, media = plan.live, plan.postgres, plan.redis, plan.media
    first = plan.saturation[0] if plan.saturation else None
    lines = [
        "## The city on paper",
        "",
        "`python -m bench.city_model` (after `make bench`) turns the per-process figures of "
        f"`{results.name}` ({when}) into what a city's peak day needs: "
        f"{city.concurrent_users:,} concurrent users, {city.sessions_per_day:,} sessions a day, "
        f"{city.lessons:,} live lessons at once with {city.pupils_per_lesson} pupils each, and "
        f"{city.open_lessons} open lessons with {city.observers_per_open_lesson:,} observers. "
        "The users are counted on the pages and the API and the lessons' sockets on top of "
        "them (if the pupils in lessons are among the concurrent users, this is on the safe "
        "side). What is not measured is in `Assumptions` in `bench/city_model.py`: "
        f"{a.events_per_lesson_s:g} event/s per lesson ({a.events_per_open_lesson_s:g} in an "
        f"open one), a teacher's console and a board in every room, a page or API call every "
        f"{1 / a.requests_per_user_s:.0f} s per user ({a.write_fraction:.0%} of them writes), "
        f"every socket connecting within {a.bell_seconds:.0f} s of a bell, "
        f"{a.process_memory_mib:,} MiB and one core per process used to "
        f"{a.target_utilisation:.0%}.",
        "",
        f"Measured: {', '.join(measured) or 'nothing (no results: run `make bench`)'}. "
        f"Assumed: {', '.join(assumed) or 'none'}.",
        "",
        *_inputs_table(inputs),
        "",
        "**Processes and cores.** One server process is one core (Python, one event loop).",
        "",
        *_processes_table(plan),
        "",
        f"A process holds up to {_n(live['sockets_per_process'])} sockets by memory. An open "
        f"lesson's {_n(media['open_room_viewers'])} viewers cost "
        f"{_n(live['open_room_cores'])} of a core in deliveries, and their join storm takes "
        f"{_n(live['open_room_storm_s'])} s at the measured join rate.",
        "",
        f"**PostgreSQL.** {_n(pg['writes_per_s'])} row writes/s at the bell ("
        + ", ".join(f"{k} {_n(n)}" for k, n in pg["writes_by"].items())
        + f"), {_n(pg['storage_gib_per_day'])} GiB a day (the live event log is most of it), "
        f"{_n(pg['connections_direct'])} connections if every process kept its own pool of "
        f"{a.db_pool_per_process} and its listeners of sign-in and diary notices. Sharded "
        "**by school** (a school's people, journals and "
        f"lessons live together and no request crosses schools): {_n(pg['primaries'])} "
        f"primaries of ≈ {_n(pg['schools_per_primary'])} schools each at "
        f"{_n(a.pg_writes_per_primary_s)} writes/s per primary; the live log batches a tick's "
        "events into one commit, so rows/s, not commits/s, is the figure that grows.",
        "",
        f"**Redis.** {_n(redis['messages_per_s'])} messages/s (each event appended once and "
        "read once by the process that holds its room, plus presence at the bell), "
        f"{_n(redis['clients'])} client connections (each process's pool, and one listener per "
        f"followed room), {_n(redis['memory_gib_uncapped'])} GiB of streams as configured today "
        f"(no per-room cap, kept {a.redis_retention_days:g} days) against "
        f"{_n(redis['memory_gib_capped'])} GiB with a cap of {a.redis_capped_entries:,} entries "
        "per room (the database keeps the whole log; a client further behind resyncs). Sharded "
        f"**by room** (the room code as hash tag): {_n(redis['shards'])} shards. Rooms are "
        "routed to processes by room too (the load balancer hashes the code): without that "
        f"affinity a room's sockets spread over many processes and, at the measured "
        f"2-workers-vs-1 efficiency, the live tier needs "
        f"{_n(live['processes_without_room_affinity'])} processes instead of "
        f"{_n(live['processes'])}.",
        "",
        "**What saturates first**, as the city grows from nothing to its peak:",
        "",
        *_saturation_table(plan),
        "",
    ]
    if first is not None:
        lines.append(f"First: {first['limit']}.")
        lines.append("")
    lines += [
        "**When to move to an existing engine.**",
        "",
        f"- A PostgreSQL connection pooler (PgBouncer, transaction mode) past "
        f"{_n(pg['pooler_past_processes'])} processes ({a.pg_max_connections} connections / "
        f"{pg['connections_per_process']} per process): the city needs one "
        "from the start (each process's listeners of sign-in and diary notices go to the "
        "primary: a pooler in transaction mode cannot carry a LISTEN).",
        "- Redis Cluster (rooms spread by hash tag) once one Redis runs out of connections, "
        "memory or commands — the table above says which comes first; the listeners' one "
        "connection per followed room is the broker's design to change before that (one "
        "blocking read over many streams per process).",
        "- PostgreSQL shards by school (and read replicas for reports) once the writes pass "
        "one primary's.",
        f"- An SFU such as Janus for media past one process: a room's media is homed on one "
        f"process, which serves {_n(media['viewers_per_process'])} viewers (its CPU at the "
        f"measured cost per viewer, or `ESCHOOL_RTC_MAX_VIEWERS` = {a.rtc_max_viewers}), so an "
        f"open lesson's {_n(media['open_room_viewers'])} viewers need "
        f"{_n(media['processes_per_open_room'])} processes' worth, and the city's "
        f"{_n(media['viewers'])} viewer streams (one lesson in "
        f"{1 / a.media_lesson_fraction:.0f} with the camera through the server, every open "
        f"lesson) {_n(media['cores_busy'])} cores: an SFU that forwards packets instead of "
        "relaying tracks, from the first open lesson with remote media.",
        "",
    ]
    return "\n".join(_wrap(line) for line in lines)


def _wrap(line: str, width: int = 100) -> str:
    """A paragraph or list item folded to the README's width (tables stay on one line)."""
    if line.startswith("|") or len(line) <= width:
        return line
    indent = "  " if line.startswith("- ") else ""
    return textwrap.fill(line, width, subsequent_indent=indent, break_on_hyphens=False)
