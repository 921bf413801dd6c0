"""The journal under load: GETs of a course's journal (JSON and the HTML page) and POSTs of
marks, against ``/healthz`` of the same app in the same run (the baseline).

The demo school gets a class of ``pupils`` (35) with a course of ``slots`` (80) lessons in the
current term and ~``marks_per_week`` (3) marks per pupil-week, and a smaller one (17 pupils,
40 slots) for the SQL count at two sizes and for the POSTs. Each endpoint's latency is first
probed alone (requests one after another), then endpoints are loaded in turn, ``/healthz``
first in every round (A B C D A B C D …), by :mod:`bench.lean_http` processes holding
``connections`` keep-alive connections; medians over rounds.

The server is :mod:`bench.counting_app` (the app plus a statement counter): each journal
request is also made alone and its SQL statements counted, at both sizes.

SQLite by default; ``--database postgres`` uses a scratch database on
``ESCHOOL_BENCH_POSTGRES_URL`` / ``ESCHOOL_TEST_POSTGRES_URL``.
"""

from __future__ import annotations

import contextlib
import json
import math
import random
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from datetime import date, time, timedelta
from typing import Any

import httpx

from bench.common import options_from_argv, run_async, work_dir
from bench.counting_app import COUNT_PATH
from bench.figures import emit, medians, ratio
from bench.lean_http import LoadPlan, compare_endpoints, endpoint_ratios, probe_endpoints
from bench.scratch_stores import postgres_base_url, postgres_database
from bench.seeded_school import School, analyze, seed_school
from bench.servers import Server, app_server

BASELINE = "healthz"


@dataclass
class JournalOptions:
    """The sizes of the journal benchmark."""

    pupils: int = 35
    slots: int = 80
    small_pupils: int = 17
    small_slots: int = 40
    marks_per_week: float = 3.0
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
class JournalCourse:
    """A course made for the benchmark."""

    course_id: int
    class_id: int
    term_id: int
    pupil_ids: list[int]
    slot_ids: list[int]
    marks: int


async def add_course(
    school: School,
    *,
    class_name: str,
    pupils: int,
    slots: int,
    marks_per_week: float,
    teacher: str = "teacher",
    seed: int = 57,
) -> JournalCourse:
    """A class of ``pupils`` generated pupils with a course taught by ``teacher``: ``slots``
    lessons in the current term (two a day from its first weekday) and about
    ``marks_per_week`` marks per pupil-week, with their history, as the journal stores them."""
    from sqlmodel import col, select

    from bench.seeded_school import add_people
    from eschool.db import create_engine, create_sessionmaker
    from eschool.models import AcademicYear, SchoolClass, User
    from eschool.queries import term_current
    from gradebook.models import Course, CourseTeacher, HistoryEntry, Mark, Slot, Subject
    from gradebook.structure_services import class_teaching_refresh

    rng = random.Random(seed)
    engine = create_engine(school.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            teacher_user = (await session.exec(select(User).where(User.login == teacher))).one()
            school_id = teacher_user.school_id
            term = await term_current(session, school_id=school_id, today=date.today())
            if term is None:
                raise RuntimeError("the demo school has no terms")
            year = await session.get(AcademicYear, term.year_id)
            assert year is not None
            school_class = SchoolClass(
                school_id=school_id, year_id=year.id or 0, name=class_name, grade=9
            )
            subject = (
                await session.exec(select(Subject).where(Subject.school_id == school_id))
            ).first()
            if subject is None:
                raise RuntimeError("the demo school has no subjects")
            session.add(school_class)
            await session.flush()
            course = Course(
                school_id=school_id, class_id=school_class.id or 0, subject_id=subject.id or 0
            )
            session.add(course)
            await session.flush()
            session.add(CourseTeacher(course_id=course.id or 0, teacher_id=teacher_user.id or 0))
            await session.flush()
            await class_teaching_refresh(session, class_id=school_class.id or 0)
            await session.commit()
            logins = [f"{class_name.lower()}.pupil{n}" for n in range(pupils)]
            await add_people(session, pupils=logins, teachers=[], class_name=class_name)
            pupil_ids = list(
                (
                    await session.exec(
                        select(User.id).where(col(User.login).in_(logins)).order_by(User.id)
                    )
                ).all()
            )
            days = _weekdays(term.starts, term.ends)
            per_day = max(1, math.ceil(slots / max(1, len(days))))
            slot_rows = []
            for index in range(slots):
                day = days[min(index // per_day, len(days) - 1)]
                period = index % per_day + 1
                slot_rows.append(
                    Slot(
                        school_id=school_id,
                        course_id=course.id or 0,
                        term_id=term.id or 0,
                        date=day,
                        period=period,
                        starts=time(8 + period, 0),
                        ends=time(8 + period, 45),
                        topic=f"Тема {index + 1}",
                    )
                )
            session.add_all(slot_rows)
            await session.flush()
            by_week: dict[int, list[Slot]] = {}
            for slot in slot_rows:
                by_week.setdefault(slot.date.isocalendar()[1], []).append(slot)
            marks = []
            for pupil_id in pupil_ids:
                for week_slots in by_week.values():
                    wanted = min(len(week_slots), _around(rng, marks_per_week))
                    for slot in rng.sample(week_slots, k=wanted):
                        marks.append(
                            Mark(
                                school_id=school_id,
                                slot_id=slot.id or 0,
                                pupil_id=pupil_id,
                                value=rng.choice(("3", "4", "4", "5", "5")),
                                work_type="classwork",
                                weight=1.0,
                                created_by=teacher_user.id or 0,
                            )
                        )
            session.add_all(marks)
            await session.flush()
            session.add_all(
                HistoryEntry(
                    school_id=school_id,
                    entity="mark",
                    entity_id=mark.id or 0,
                    pupil_id=mark.pupil_id,
                    action="create",
                    new=mark.value,
                    by_id=mark.created_by,
                )
                for mark in marks
            )
            await session.commit()
            return JournalCourse(
                course_id=course.id or 0,
                class_id=school_class.id or 0,
                term_id=term.id or 0,
                pupil_ids=[int(i) for i in pupil_ids],
                slot_ids=[slot.id or 0 for slot in slot_rows],
                marks=len(marks),
            )
    finally:
        await engine.dispose()


def _weekdays(first: date, last: date) -> list[date]:
    days, day = [], first
    while day <= last:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def _around(rng: random.Random, mean: float) -> int:
    whole = int(mean)
    return whole + (1 if rng.random() < mean - whole else 0)


def endpoints(
    school: School, large: JournalCourse, small: JournalCourse
) -> dict[str, list[dict[str, Any]]]:
    """The requests of each measured endpoint (several for the POSTs, sent in turn)."""
    bearer = school.bearer("teacher")
    json_headers = {**bearer, "Accept": "application/json"}
    post_headers = {**bearer, "Content-Type": "application/json"}
    today = date.today()
    # Marks go to the small course's slots up to today, so the large journal keeps its size.
    past_slots = small.slot_ids[: max(1, len(small.slot_ids) // 2)]
    posts = [
        {
            "method": "POST",
            "path": "/api/v1/marks",
            "headers": post_headers,
            "body": json.dumps(
                {
                    "pupil_id": small.pupil_ids[n % len(small.pupil_ids)],
                    "slot_id": past_slots[n % len(past_slots)],
                    "value": "5",
                    "work_type": "classwork",
                    "comment": f"bench {today.isoformat()}",
                }
            ),
        }
        for n in range(24)
    ]
    return {
        BASELINE: [{"method": "GET", "path": "/healthz", "headers": {}}],
        "journal_json": [
            {
                "method": "GET",
                "path": f"/api/v1/courses/{large.course_id}/journal?term={large.term_id}",
                "headers": json_headers,
            }
        ],
        "journal_html": [
            {
                "method": "GET",
                "path": f"/journal/{large.course_id}?term={large.term_id}",
                "headers": bearer,
            }
        ],
        "mark_post": posts,
    }


async def count_statements(
    client: httpx.AsyncClient, request: dict[str, Any], *, repeat: int = 3
) -> dict[str, Any]:
    """SQL statements of one request made alone (the smallest of ``repeat`` tries: a first
    request may also warm caches), with its status."""
    counts, status = [], None
    for _ in range(repeat):
        before = (await client.get(COUNT_PATH)).json()["statements"]
        response = await client.request(
            request["method"],
            request["path"],
            headers=request.get("headers"),
            content=request.get("body"),
        )
        status = response.status_code
        counts.append((await client.get(COUNT_PATH)).json()["statements"] - before)
    return {"statements": min(counts), "status": status}


async def run(options: JournalOptions) -> dict[str, Any]:
    """Run the benchmark; returns its figures (see the module docstring)."""
    with work_dir("journal", keep=options.keep) as tmp:
        async with _database_url(options.database) as database_url:
            school = await seed_school(tmp / "data", database_url=database_url)
            large = await add_course(
                school,
                class_name="9L",
                pupils=options.pupils,
                slots=options.slots,
                marks_per_week=options.marks_per_week,
            )
            small = await add_course(
                school,
                class_name="9S",
                pupils=options.small_pupils,
                slots=options.small_slots,
                marks_per_week=options.marks_per_week,
                seed=58,
            )
            await analyze(school)
            with app_server(school, counting=True, log_dir=tmp) as server:
                return await _measure(options, school, server, large, small)


@contextlib.asynccontextmanager
async def _database_url(database: str) -> AsyncIterator[str | None]:
    if database == "sqlite":
        yield None
        return
    base = postgres_base_url()
    if not base:
        raise RuntimeError("--database postgres needs ESCHOOL_BENCH_POSTGRES_URL or _TEST_")
    async with postgres_database(base) as url:
        yield url


async def _measure(
    options: JournalOptions,
    school: School,
    server: Server,
    large: JournalCourse,
    small: JournalCourse,
) -> dict[str, Any]:
    requests = endpoints(school, large, small)
    sql: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
        for size, course in (("small", small), ("large", large)):
            sized = endpoints(school, course, small)
            for name in ("journal_json", "journal_html"):
                sql[f"{name}_{size}"] = await count_statements(client, sized[name][0])
        sql["mark_post"] = await count_statements(client, requests["mark_post"][0], repeat=1)
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
    ratios = endpoint_ratios(figures, BASELINE)
    ratios["sql_json_large_to_small_ratio"] = ratio(
        sql["journal_json_large"]["statements"], sql["journal_json_small"]["statements"]
    )
    ratios["sql_html_large_to_small_ratio"] = ratio(
        sql["journal_html_large"]["statements"], sql["journal_html_small"]["statements"]
    )
    return {
        "benchmark": "journal",
        "database": options.database,
        "options": asdict(options),
        "sizes": {
            "large": {
                "pupils": len(large.pupil_ids),
                "slots": len(large.slot_ids),
                "marks": large.marks,
            },
            "small": {
                "pupils": len(small.pupil_ids),
                "slots": len(small.slot_ids),
                "marks": small.marks,
            },
        },
        **ratios,
        "sql_statements": sql,
        "endpoints": figures,
        "runs": runs,
    }


def parse_args(argv: list[str] | None = None) -> JournalOptions:
    """Options from the command line."""
    return options_from_argv(JournalOptions, argv, __doc__.splitlines()[0])


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point: print the figures as JSON."""
    emit(run_async(run(parse_args(argv))))


if __name__ == "__main__":
    main()
