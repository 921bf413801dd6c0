"""The diary under load: a parent reading one pupil's week (JSON and the HTML page), the term
summary and the news, and a calendar client polling the pupil's feed, against ``/healthz`` of
the same app in the same run (the baseline).

The pupil is the demo school's ``pupil`` (7A: a full timetable, a term and a half of marks and
attendance), read by the demo ``parent``; the week is the latest one up to today with lessons.
Besides the full reads, the conditional ones are measured: the same request with the
``If-None-Match`` of the previous answer (what a browser or calendar app sends on a reload),
answered 304 when nothing changed; and ``/api/v1/me`` of the same parent, the cost every
signed-in request starts from. Each endpoint's latency is first probed alone, then the
endpoints are loaded in turn, ``/healthz`` first in every round, by :mod:`bench.lean_http`
processes; medians over rounds. The SQL statements of each request made alone are counted
(the server is :mod:`bench.counting_app`).

SQLite by default; ``--database postgres`` uses a scratch database on
``ESCHOOL_BENCH_POSTGRES_URL`` / ``ESCHOOL_TEST_POSTGRES_URL``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

import httpx

from bench.common import options_from_argv, run_async, work_dir
from bench.figures import emit, medians
from bench.journal import _database_url, count_statements
from bench.lean_http import LoadPlan, compare_endpoints, endpoint_ratios, probe_endpoints
from bench.seeded_school import School, analyze, seed_school
from bench.servers import Server, app_server

BASELINE = "healthz"
PUPIL, PARENT = "pupil", "parent"


@dataclass
class DiaryOptions:
    """The sizes of the diary benchmark."""

    days: int = 7  # the range of the diary read (a week)
    connections: int = 8
    seconds: float = 2.0  # of load per endpoint and round, after the warm-up
    warmup: float = 0.5
    rounds: int = 3
    load_processes: int = 1
    min_requests: int = 20  # a slow endpoint is measured longer to get at least these…
    max_seconds: float = 10.0  # …but no longer than this
    probe_requests: int = 4  # requests made alone per endpoint (the first one not counted)
    database: str = "sqlite"  # or "postgres"
    keep: bool = False


@dataclass
class DiaryTarget:
    """What the benchmark reads: the pupil, the first day of the range, the feed's path."""

    pupil_id: int
    start: date
    feed_path: str


async def find_week(school: School, pupil_id: int) -> date:
    """The Monday of the latest week up to today in which the pupil has lessons."""
    from sqlmodel import col, func, select

    from eschool.db import create_engine, create_sessionmaker
    from eschool.models import Enrolment
    from gradebook.models import Course, Slot

    engine = create_engine(school.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            latest = (
                await session.exec(
                    select(func.max(Slot.date))
                    .join(Course, col(Course.id) == Slot.course_id)
                    .join(Enrolment, col(Enrolment.class_id) == Course.class_id)
                    .where(Enrolment.pupil_id == pupil_id, Slot.date <= date.today())
                )
            ).first()
    finally:
        await engine.dispose()
    if latest is None:
        raise RuntimeError("the demo pupil has no lessons")
    return latest - timedelta(days=latest.weekday())


def endpoints(
    school: School, target: DiaryTarget, options: DiaryOptions, etags: dict[str, str]
) -> dict[str, list[dict[str, Any]]]:
    """The requests of each measured endpoint; ``etags`` (by endpoint) add the conditional
    variants ``<name>_304``."""
    parent = school.bearer(PARENT)
    end = target.start + timedelta(days=options.days - 1)
    full = {
        "diary_json": {
            "method": "GET",
            "path": f"/api/v1/diary/{target.pupil_id}?from={target.start}&to={end}",
            "headers": {**parent, "Accept": "application/json"},
        },
        "diary_summary": {
            "method": "GET",
            "path": f"/api/v1/diary/{target.pupil_id}/summary",
            "headers": parent,
        },
        "diary_news": {
            "method": "GET",
            "path": f"/api/v1/diary/{target.pupil_id}/news",
            "headers": parent,
        },
        "diary_html": {
            "method": "GET",
            "path": f"/diary?pupil={target.pupil_id}&week={target.start}",
            "headers": parent,
        },
        "feed_ics": {"method": "GET", "path": target.feed_path, "headers": {}},
    }
    # The signed-in floor: what any API request of the parent costs (sign-in, session).
    requests = {
        BASELINE: [{"method": "GET", "path": "/healthz", "headers": {}}],
        "me": [{"method": "GET", "path": "/api/v1/me", "headers": parent}],
    }
    for name, request in full.items():
        requests[name] = [request]
        if name in etags:
            conditional = {**request["headers"], "If-None-Match": etags[name]}
            requests[f"{name}_304"] = [{**request, "headers": conditional}]
    return requests


async def run(options: DiaryOptions) -> dict[str, Any]:
    """Run the benchmark; returns its figures (see the module docstring)."""
    with work_dir("diary", keep=options.keep) as tmp:
        async with _database_url(options.database) as database_url:
            school = await seed_school(
                tmp / "data", database_url=database_url, token_logins=(PARENT, PUPIL)
            )
            pupil_id = school.user_ids[PUPIL]
            start = await find_week(school, pupil_id)
            await analyze(school)
            with app_server(school, counting=True, log_dir=tmp) as server:
                async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
                    made = await client.post(
                        f"/api/v1/diary/{pupil_id}/feed", headers=school.bearer(PARENT)
                    )
                    made.raise_for_status()
                feed_path = "/feeds/" + made.json()["url"].rsplit("/feeds/", 1)[1]
                target = DiaryTarget(pupil_id=pupil_id, start=start, feed_path=feed_path)
                return await _measure(options, school, server, target)


async def _measure(
    options: DiaryOptions, school: School, server: Server, target: DiaryTarget
) -> dict[str, Any]:
    plain = endpoints(school, target, options, {})
    sql: dict[str, Any] = {}
    etags: dict[str, str] = {}
    sizes: dict[str, int] = {}
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
        for name, (request,) in plain.items():
            if name == BASELINE:
                continue
            response = await client.request(
                request["method"], request["path"], headers=request["headers"]
            )
            response.raise_for_status()
            sizes[name] = len(response.content)
            if "etag" in response.headers:
                etags[name] = response.headers["etag"]
            sql[name] = await count_statements(client, request)
    requests = endpoints(school, target, options, etags)
    load = LoadPlan(
        connections=options.connections,
        seconds=options.seconds,
        warmup=options.warmup,
        rounds=options.rounds,
        processes=options.load_processes,
        min_requests=options.min_requests,
        max_seconds=options.max_seconds,
    )
    alone = await probe_endpoints(server, requests, count=options.probe_requests)
    runs = await compare_endpoints(server, requests, load)
    figures = {name: {**medians(measured), **alone[name]} for name, measured in runs.items()}
    return {
        "benchmark": "diary",
        "database": options.database,
        "options": asdict(options),
        "week": {"pupil_id": target.pupil_id, "from": target.start.isoformat()},
        "body_bytes": sizes,
        **endpoint_ratios(figures, BASELINE),
        "sql_statements": sql,
        "endpoints": figures,
        "runs": runs,
    }


def parse_args(argv: list[str] | None = None) -> DiaryOptions:
    """Options from the command line."""
    return options_from_argv(DiaryOptions, argv, __doc__.splitlines()[0])


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point: print the figures as JSON."""
    emit(run_async(run(parse_args(argv))))


if __name__ == "__main__":
    main()
