"""Every benchmark at its quick size (``make bench``), or tiny or full with ``--size``.

Seeds the demo school once (each benchmark copies it), runs the benchmarks one after another,
prints a table of their ratios and writes everything to ``bench/results/latest.json``: the
figures of each benchmark under its name, and every ratio again under ``ratios`` as
``<benchmark>.<key>`` (e.g. ``fanout.throughput_ratio``). A benchmark that fails is recorded
with its error and the others still run; one whose service is missing (Redis, PostgreSQL) is
recorded as skipped with the reason. Exits 1 when any benchmark failed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import (
    auth_overhead,
    diary,
    journal,
    live_fanout,
    live_joins,
    live_rooms,
    live_sockets,
    media_relay,
    scale_out,
    search,
)
from bench.common import RESULTS_DIR, run_async
from bench.figures import ratio_keys
from bench.scratch_stores import postgres_base_url, redis_base_url, redis_reachable
from bench.seeded_school import demo_template

DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


SIZES = ("tiny", "quick", "full")


@dataclass(frozen=True)
class Benchmark:
    """One entry of the run: its name, its ``run(options)``, its options at each size (tiny:
    the smoke test's, quick: ``make bench``, full: the issue's sizes) and what it needs."""

    name: str
    run: Callable[[Any], Awaitable[dict[str, Any]]]
    sizes: dict[str, Any]
    needs: str = ""  # "redis" or "postgres"


def benchmarks() -> list[Benchmark]:
    """Every benchmark, in the order they run."""
    fanout = live_fanout.FanoutOptions
    rooms = live_rooms.RoomsOptions
    sockets = live_sockets.SocketsOptions
    joins = live_joins.JoinsOptions
    journals = journal.JournalOptions
    diaries = diary.DiaryOptions
    auths = auth_overhead.AuthOverheadOptions
    searches = search.SearchOptions
    media = media_relay.MediaOptions
    scale = scale_out.ScaleOutOptions
    tiny_fanout = {"participants": 5, "burst_events": 10, "paced_events": 6, "rounds": 1}
    tiny_journal = {
        "pupils": 5,
        "slots": 10,
        "small_pupils": 3,
        "small_slots": 5,
        "connections": 2,
        "seconds": 0.1,
        "warmup": 0.05,
        "rounds": 1,
        "min_requests": 1,
        "probe_requests": 2,
    }
    tiny_diary = {
        "connections": 2,
        "seconds": 0.1,
        "warmup": 0.05,
        "rounds": 1,
        "min_requests": 1,
        "probe_requests": 2,
    }
    return [
        Benchmark(
            "fanout",
            live_fanout.run,
            {
                "tiny": fanout(**tiny_fanout),
                "quick": fanout(participants=200, rounds=3),
                "full": fanout(participants=1_000, rounds=3),
            },
        ),
        Benchmark(
            # The 1,000 in one room on the memory broker, in the quick run too: burst
            # throughput, paced latency and server CPU per paced delivery.
            "fanout_1000",
            live_fanout.run,
            {
                "tiny": fanout(participants=3, burst_events=4, paced_events=3, rounds=1),
                "quick": fanout(participants=1_000, burst_events=200, rounds=2),
                "full": fanout(participants=1_000, rounds=3),
            },
        ),
        Benchmark(
            "fanout_redis",
            live_fanout.run,
            {
                "tiny": fanout(**tiny_fanout, broker="redis"),
                "quick": fanout(participants=200, rounds=2, broker="redis"),
                "full": fanout(participants=1_000, rounds=3, broker="redis"),
            },
            needs="redis",
        ),
        Benchmark(
            "rooms",
            live_rooms.run,
            {
                "tiny": rooms(rooms=2, per_room=3, burst_events=6, paced_events=4, rounds=1),
                "quick": rooms(rooms=20, per_room=30, rounds=2),
                "full": rooms(rooms=100, per_room=30, rounds=3),
            },
        ),
        Benchmark(
            "sockets",
            live_sockets.run,
            {
                "tiny": sockets(participants=20, room_size=10, settle=0.2),
                "quick": sockets(participants=2_000),
                "full": sockets(participants=10_000),
            },
        ),
        Benchmark(
            "joins",
            live_joins.run,
            {
                "tiny": joins(joiners=60, quiet=0.05),
                "quick": joins(joiners=1_000),
                "full": joins(joiners=1_000, rounds=3),
            },
        ),
        Benchmark(
            "journal",
            journal.run,
            {
                "tiny": journals(**tiny_journal),
                "quick": journals(rounds=3, seconds=1.5),
                "full": journals(rounds=3, seconds=5.0),
            },
        ),
        Benchmark(
            "journal_postgres",
            journal.run,
            {
                "tiny": journals(**tiny_journal, database="postgres"),
                "quick": journals(rounds=3, seconds=1.5, database="postgres"),
                "full": journals(rounds=3, seconds=5.0, database="postgres"),
            },
            needs="postgres",
        ),
        Benchmark(
            "diary",
            diary.run,
            {
                "tiny": diaries(**tiny_diary),
                "quick": diaries(rounds=3, seconds=1.5),
                "full": diaries(rounds=3, seconds=5.0),
            },
        ),
        Benchmark(
            "diary_postgres",
            diary.run,
            {
                "tiny": diaries(**tiny_diary, database="postgres"),
                "quick": diaries(rounds=3, seconds=1.5, database="postgres"),
                "full": diaries(rounds=3, seconds=5.0, database="postgres"),
            },
            needs="postgres",
        ),
        Benchmark(
            # The fixed cost of a signed-in request: GET /api/v1/me (cookie, bearer) ÷ /healthz.
            "auth_overhead",
            auth_overhead.run,
            {
                "tiny": auths(**tiny_diary),
                "quick": auths(rounds=3, seconds=1.5),
                "full": auths(rounds=3, seconds=5.0),
            },
        ),
        Benchmark(
            "auth_overhead_postgres",
            auth_overhead.run,
            {
                "tiny": auths(**tiny_diary, database="postgres"),
                "quick": auths(rounds=2, seconds=1.0, database="postgres"),
                "full": auths(rounds=3, seconds=5.0, database="postgres"),
            },
            needs="postgres",
        ),
        Benchmark(
            "search",
            search.run,
            {
                "tiny": searches(
                    lessons=50,
                    connections=2,
                    seconds=0.1,
                    warmup=0.05,
                    rounds=1,
                    min_requests=1,
                    probe_requests=2,
                ),
                "quick": searches(
                    lessons=10_000,
                    rounds=2,
                    seconds=1.0,
                    min_requests=5,
                    max_seconds=2.5,
                    probe_requests=3,
                ),
                "full": searches(lessons=10_000, rounds=3, seconds=5.0),
            },
        ),
        Benchmark(
            "search_postgres",
            search.run,
            {
                "tiny": searches(
                    lessons=50,
                    connections=2,
                    seconds=0.1,
                    warmup=0.05,
                    rounds=1,
                    min_requests=1,
                    probe_requests=2,
                    database="postgres",
                ),
                # 100,000 lessons take about 2.5 minutes to seed; the quick size seeds 30,000.
                "quick": searches(
                    lessons=30_000,
                    rounds=2,
                    seconds=1.0,
                    min_requests=5,
                    max_seconds=2.5,
                    probe_requests=3,
                    database="postgres",
                ),
                "full": searches(lessons=100_000, rounds=3, seconds=5.0, database="postgres"),
            },
            needs="postgres",
        ),
        Benchmark(
            "media",
            media_relay.run,
            {
                "tiny": media(max_viewers=1, settle=0.5, window=1.0),
                "quick": media(max_viewers=6, settle=1.5, window=2.0),
                "full": media(max_viewers=64, rounds=2),
            },
        ),
        Benchmark(
            "scale_out",
            scale_out.run,
            {
                "tiny": scale(
                    participants=5, burst_events=10, paced_events=6, rounds=1, database="sqlite"
                ),
                # Five alternating rounds: a round's CPU a delivery wanders by +-15% on this
                # machine even between two identical servers (1.03, 1.17, 0.93x A/A runs of
                # three rounds), and one disturbed round of two or three decided the median.
                "quick": scale(participants=200, rounds=5, database="sqlite"),
                "full": scale(participants=1_000, rounds=3),
            },
            needs="redis",
        ),
    ]


def missing_service(needs: str, *, probe_local_redis: bool) -> str | None:
    """Why a benchmark's service is unavailable, or ``None`` when it is there. Without a
    configured Redis, the local default one is tried when ``probe_local_redis``."""
    if needs == "redis":
        url = redis_base_url() or (DEFAULT_REDIS if probe_local_redis else None)
        if url is None:
            return "set ESCHOOL_TEST_REDIS_URL (or ESCHOOL_BENCH_REDIS_URL) to run it"
        if not redis_reachable(url):
            return f"no Redis answers at {url} (set ESCHOOL_BENCH_REDIS_URL)"
        os.environ.setdefault("ESCHOOL_BENCH_REDIS_URL", url)
    if needs == "postgres" and not postgres_base_url():
        return "set ESCHOOL_BENCH_POSTGRES_URL or ESCHOOL_TEST_POSTGRES_URL to run it"
    return None


async def run(*, size: str, only: set[str] | None, log: Callable[[str], None]) -> dict[str, Any]:
    """Run the chosen benchmarks; the document written to ``latest.json``."""
    started = time.monotonic()
    results: dict[str, Any] = {}
    async with demo_template():
        for bench in benchmarks():
            if only and bench.name not in only:
                continue
            reason = missing_service(bench.needs, probe_local_redis=size != "tiny")
            if reason:
                results[bench.name] = {"skipped": reason}
                log(f"{bench.name}: skipped ({reason})")
                continue
            log(f"{bench.name}: running…")
            began = time.monotonic()
            try:
                result = await bench.run(bench.sizes[size])
            except Exception as exc:
                results[bench.name] = {
                    "error": f"{type(exc).__name__}: {exc}",
                    "traceback": traceback.format_exc(limit=8),
                }
                log(f"{bench.name}: FAILED: {type(exc).__name__}: {exc}")
                continue
            result["seconds"] = round(time.monotonic() - began, 1)
            results[bench.name] = result
            log(f"{bench.name}: done in {result['seconds']} s")
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m bench.run_all" + ("" if size == "quick" else f" --size {size}"),
        "size": size,
        "seconds": round(time.monotonic() - started, 1),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "ratios": ratio_keys(results),
        "benchmarks": results,
    }


def merged(earlier: dict[str, Any] | None, document: dict[str, Any]) -> dict[str, Any]:
    """``document`` (a run of some benchmarks, ``--only``) over the ``earlier`` run of the same
    size in the same file: the benchmarks not run again keep their figures (and their own
    ``generated_at``), so a partial run does not drop the others (nor the city model's
    inputs)."""
    if not earlier or earlier.get("size") != document["size"]:
        return document
    results = {**earlier.get("benchmarks", {}), **document["benchmarks"]}
    for name, result in results.items():
        if name not in document["benchmarks"] and "generated_at" in earlier:
            result.setdefault("generated_at", earlier["generated_at"])
    return {**document, "ratios": ratio_keys(results), "benchmarks": results}


def _read(path: Path) -> dict[str, Any] | None:
    try:
        found = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def table(document: dict[str, Any]) -> str:
    """The ratios, one per line, and what was skipped or failed."""
    lines = [f"{key:<55} {value}" for key, value in document["ratios"].items()]
    for name, result in document["benchmarks"].items():
        if "skipped" in result:
            lines.append(f"{name:<55} skipped: {result['skipped']}")
        elif "error" in result:
            lines.append(f"{name:<55} FAILED: {result['error']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--size",
        choices=SIZES,
        default="quick",
        help="tiny (the smoke test), quick (make bench, the default) or full (much longer)",
    )
    parser.add_argument(
        "--only",
        help="comma-separated benchmark names, merged into --output's earlier run of the same "
        "size: " + ", ".join(b.name for b in benchmarks()),
    )
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "latest.json")
    args = parser.parse_args(argv)
    only = set(args.only.split(",")) if args.only else None

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    document = run_async(run(size=args.size, only=only, log=log))
    if only:
        document = merged(_read(args.output), document)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print(table(document))
    print(f"\n{len(document['ratios'])} ratios in {args.output} ({document['seconds']} s)")
    return 1 if any("error" in r for r in document["benchmarks"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
