"""Smoke test of ``bench/``: every benchmark (the PostgreSQL variants aside, see below) runs at a
tiny size (``python -m bench.run_all --size tiny --only …``), prints well-formed figures with its
baseline and ratios, and leaves no process behind. Not its speed: speed is what the benchmarks
themselves are for.

The Redis variants (fan-out on Redis, scale-out) run only when ``ESCHOOL_TEST_REDIS_URL`` is set.
The PostgreSQL variants are left out of the run (seeding the demo on PostgreSQL takes some ten
seconds each): each is its SQLite sibling's code on a scratch PostgreSQL database, which
``test_the_variants_left_out_run_code_the_smoke_runs`` holds them to;
``test_the_variants_left_out_get_a_scratch_postgres_database`` checks the making of that database
and tests/lessons/test_search_plans.py the search's steps taken on PostgreSQL only.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench import journal, live_fanout, live_joins, live_sockets, run_all, search
from bench.scratch_stores import postgres_base_url
from eschool.db import create_engine

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MARK = "ESCHOOL_BENCH_SMOKE_RUN"
# Far above the ~35 s the tiny run takes: a bound so a hang fails instead of blocking CI.
TIMEOUT = 240

# The ratios each benchmark must report, by benchmark.
EXPECTED_RATIOS = {
    "fanout": ["throughput_ratio", "latency_p99_ratio", "server_cpu_per_delivery_ratio"],
    "fanout_1000": ["throughput_ratio", "latency_p99_ratio", "paced_server_cpu_per_delivery_ratio"],
    "rooms": ["throughput_ratio", "latency_p99_ratio", "server_cpu_per_delivery_ratio"],
    "sockets": ["memory_per_connection_ratio", "connect_rate_ratio"],
    "joins": ["join_time_ratio", "join_server_cpu_ratio"],
    "journal": [
        "journal_json_rps_ratio",
        "journal_json_p99_ratio",
        "journal_json_alone_ratio",
        "journal_html_rps_ratio",
        "mark_post_rps_ratio",
        "sql_json_large_to_small_ratio",
    ],
    "diary": [
        "diary_json_rps_ratio",
        "diary_json_p99_ratio",
        "diary_json_alone_ratio",
        "diary_json_304_rps_ratio",
        "diary_html_rps_ratio",
        "feed_ics_rps_ratio",
        "feed_ics_304_rps_ratio",
    ],
    "search": [
        "search_text_p99_ratio",
        "search_text_alone_ratio",
        "search_filtered_p99_ratio",
        "search_text_rps_ratio",
    ],
    "media": ["cpu_per_viewer_second_ratio", "cpu_per_frame_ratio"],
}
WITH_REDIS = ["fanout_redis", "scale_out"]
# The benchmarks the tiny run leaves out: each with the one whose code it runs on PostgreSQL and
# the function that makes its scratch database.
LEFT_OUT = {
    "journal_postgres": ("journal", journal._database_url),
    "diary_postgres": ("diary", journal._database_url),
    "auth_overhead_postgres": ("auth_overhead", journal._database_url),
    "search_postgres": ("search", search.database_url),
}
SMOKED = [bench.name for bench in run_all.benchmarks() if bench.name not in LEFT_OUT]


def _marked_processes(token: str) -> list[int]:
    """Processes whose environment carries this run's mark (inherited by all it started)."""
    needle = f"{MARK}={token}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run every benchmark but those ``LEFT_OUT`` at its tiny size once, in a process of its
    own."""
    output = tmp_path_factory.mktemp("bench") / "latest.json"
    token = uuid.uuid4().hex
    command = [sys.executable, "-m", "bench.run_all", "--size", "tiny", "--output", str(output)]
    process = subprocess.Popen(
        [*command, "--only", ",".join(SMOKED)],
        cwd=PROJECT_ROOT,
        env={**os.environ, MARK: token},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=30)
        pytest.fail(f"the tiny benchmarks took over {TIMEOUT}s:\n{stderr.decode()[-3000:]}")
    # Children get SIGTERM when the run ends; give them a moment to go.
    deadline = time.monotonic() + 10
    while (left := _marked_processes(token)) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in left:  # do not leave them to the next test, but fail below
        os.kill(pid, signal.SIGKILL)
    return {
        "returncode": process.returncode,
        "stdout": stdout.decode(),
        "stderr": stderr.decode(),
        "document": json.loads(output.read_text()) if output.exists() else None,
        "left_behind": left,
    }


def test_every_benchmark_runs_without_error(tiny_run: dict[str, Any]) -> None:
    assert tiny_run["returncode"] == 0, tiny_run["stderr"][-3000:]
    benchmarks = tiny_run["document"]["benchmarks"]
    failed = {name: r["error"] for name, r in benchmarks.items() if "error" in r}
    assert not failed
    assert set(EXPECTED_RATIOS) <= set(benchmarks) == set(SMOKED)


def test_the_variants_left_out_run_code_the_smoke_runs() -> None:
    """Each benchmark left out of the run is its sibling's ``run`` (in the run) with the
    sibling's tiny options on PostgreSQL, whose database that ``run``'s module makes with the
    function named in ``LEFT_OUT``; every PostgreSQL benchmark is either run or left out so."""
    registered = {bench.name: bench for bench in run_all.benchmarks()}
    assert {name for name, bench in registered.items() if bench.needs == "postgres"} == set(
        LEFT_OUT
    )
    for name, (sibling, scratch) in LEFT_OUT.items():
        variant, plain = registered[name], registered[sibling]
        assert sibling in SMOKED and variant.run is plain.run and variant.needs == "postgres"
        assert variant.sizes["tiny"] == dataclasses.replace(
            plain.sizes["tiny"], database="postgres"
        )
        assert {options.database for options in variant.sizes.values()} == {"postgres"}
        assert scratch in vars(sys.modules[plain.run.__module__]).values()


@pytest.mark.parametrize(
    "scratch",
    sorted({made for _, made in LEFT_OUT.values()}, key=lambda made: made.__module__),
    ids=lambda made: made.__module__,
)
async def test_the_variants_left_out_get_a_scratch_postgres_database(scratch: Any) -> None:
    """The URL a benchmark's ``database`` option gives: none for SQLite (the school's own
    file); for PostgreSQL a database of its own on the configured server, gone afterwards."""
    base = postgres_base_url()
    if not base:
        pytest.skip("ESCHOOL_TEST_POSTGRES_URL not set: the PostgreSQL variants are skipped too")
    async with scratch("sqlite") as none:
        assert none is None
    async with scratch("postgres") as url:
        assert url is not None
        name = await _scalar(url, "SELECT current_database()")
        assert name != make_url(base).database
    left = await _scalar(base, "SELECT count(*) FROM pg_database WHERE datname = :name", name=name)
    assert left == 0


async def _scalar(url: str, statement: str, **params: Any) -> Any:
    """The one value ``statement`` selects on the database of ``url``."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return (await connection.execute(text(statement), params)).scalar()
    finally:
        await engine.dispose()


@pytest.mark.parametrize("name", sorted(EXPECTED_RATIOS))
def test_benchmark_reports_its_ratios(tiny_run: dict[str, Any], name: str) -> None:
    result = tiny_run["document"]["benchmarks"][name]
    for key in EXPECTED_RATIOS[name]:
        value = result[key]
        assert isinstance(value, int | float) and math.isfinite(value) and value > 0, (key, value)
        # Every ratio is listed again at the top, under "<benchmark>.<key>".
        assert tiny_run["document"]["ratios"][f"{name}.{key}"] == value


def test_fanout_delivers_every_event_to_every_receiver(tiny_run: dict[str, Any]) -> None:
    result = tiny_run["document"]["benchmarks"]["fanout"]
    for side in ("app", "baseline"):
        figures = result[side]
        assert figures["burst_deliveries"] == figures["burst_expected_deliveries"] > 0
        assert figures["paced_deliveries"] == figures["paced_expected_deliveries"] > 0
        assert figures["paced_unmatched"] == 0
        assert figures["burst_refused_commands"] == 0
        assert figures["paced_p99_ms"] >= figures["paced_p50_ms"] > 0
    assert result["after"]["app"]["open"] == result["options"]["participants"]


def test_journal_counts_sql_statements_at_both_sizes(tiny_run: dict[str, Any]) -> None:
    sql = tiny_run["document"]["benchmarks"]["journal"]["sql_statements"]
    for size in ("small", "large"):
        assert sql[f"journal_json_{size}"]["status"] == 200
        assert sql[f"journal_json_{size}"]["statements"] > 0
        assert sql[f"journal_html_{size}"]["status"] == 200
    assert sql["mark_post"]["status"] == 201


def test_sockets_connect_everyone_on_both_sides(tiny_run: dict[str, Any]) -> None:
    result = tiny_run["document"]["benchmarks"]["sockets"]
    wanted = result["options"]["participants"]
    assert result["app"]["connected"] == result["baseline"]["connected"] == wanted
    assert result["app"]["still_open"] == wanted


def test_join_storm_welcomes_every_joiner_on_both_sides(tiny_run: dict[str, Any]) -> None:
    result = tiny_run["document"]["benchmarks"]["joins"]
    wanted = result["options"]["joiners"]
    assert result["app"]["joined"] == result["baseline"]["joined"] == wanted
    assert result["app"]["still_open"] == wanted
    assert result["open_files"]["enough"]


def test_redis_variants_run_only_with_redis(tiny_run: dict[str, Any]) -> None:
    benchmarks = tiny_run["document"]["benchmarks"]
    for name in WITH_REDIS:
        if os.environ.get("ESCHOOL_TEST_REDIS_URL"):
            assert "throughput_ratio" in benchmarks["fanout_redis"]
            assert "workers_throughput_ratio" in benchmarks["scale_out"]
        else:
            assert "ESCHOOL_TEST_REDIS_URL" in benchmarks[name]["skipped"]


def test_nothing_is_left_running(tiny_run: dict[str, Any]) -> None:
    assert tiny_run["left_behind"] == []


def test_command_lines_set_the_sizes() -> None:
    fanout = live_fanout.parse_args(["--participants", "7", "--broker", "redis", "--rounds", "2"])
    assert (fanout.participants, fanout.broker, fanout.rounds) == (7, "redis", 2)
    sockets = live_sockets.parse_args(["--participants", "10000", "--room-size", "25"])
    assert (sockets.participants, sockets.room_size) == (10_000, 25)
    joins = live_joins.parse_args(["--joiners", "1000", "--role", "pupil"])
    assert (joins.joiners, joins.role) == (1_000, "pupil")
    options = journal.parse_args(["--database", "postgres", "--seconds", "1.5", "--keep"])
    assert (options.database, options.seconds, options.keep) == ("postgres", 1.5, True)
