"""Library search at scale: ``lessons`` generated published lessons (10,000), searched with and
without filters, against ``/healthz`` of the same app in the same run (the baseline).

Lessons are generated from a small Russian vocabulary per subject (title, summary, a text block
and a quiz), stored the way the library stores them (their search words and filter keys
computed by ``lessons.services.face_values``, the full-text index kept by the database) and
published as version 1. Each endpoint's latency is first probed alone (requests one after
another), then endpoints are loaded in turn, ``/healthz`` first in every round, by
:mod:`bench.lean_http` processes; each search endpoint cycles through a list of queries.

The server keeps search answers until the school's library changes (``lessons.search_cache``):
the probe alone (each request a query not searched before) measures searches that read their
rows; under load, after the first request of each query, the answer kept is checked against
the library's generation and sent again.

On PostgreSQL (``--database postgres``, a scratch database on the server of
``ESCHOOL_BENCH_POSTGRES_URL`` or ``ESCHOOL_TEST_POSTGRES_URL``) the first 10,000 lessons are
generated that way and the rest copied from them inside the database (a numbered title each),
then the tables are vacuumed and analysed; the figures then include ``plans``: the indexes each
search's statement uses (from ``EXPLAIN``).

``python -m bench.search --lessons 10000`` prints one JSON object;
``python -m bench.search --database postgres --lessons 100000`` the PostgreSQL one.
"""

from __future__ import annotations

import contextlib
import random
import re
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any
from urllib.parse import urlencode

from bench.common import options_from_argv, run_async, work_dir
from bench.figures import emit, medians
from bench.lean_http import LoadPlan, compare_endpoints, endpoint_ratios, probe_endpoints
from bench.scratch_stores import postgres_base_url, postgres_database
from bench.seeded_school import School, seed_school
from bench.servers import app_server

BASELINE = "healthz"
SUBJECTS: dict[str, list[str]] = {
    "Математика": ["дроби", "уравнения", "проценты", "площадь", "делимость", "степени"],
    "Алгебра": ["функции", "неравенства", "многочлены", "корни", "графики", "системы"],
    "Геометрия": ["треугольники", "окружность", "углы", "подобие", "векторы", "призма"],
    "Физика": ["давление", "сила", "энергия", "скорость", "плотность", "электричество"],
    "Химия": ["атомы", "реакции", "кислоты", "растворы", "металлы", "валентность"],
    "Биология": ["клетка", "растения", "грибы", "экосистемы", "ткани", "наследственность"],
    "География": ["климат", "рельеф", "реки", "материки", "население", "карта"],
    "История": ["реформы", "революция", "империя", "войны", "культура", "торговля"],
    "Русский язык": ["причастие", "деепричастие", "орфография", "пунктуация", "суффиксы"],
    "Литература": ["поэзия", "роман", "басня", "сказка", "герой", "сюжет"],
}
COMMON = ["урок", "практика", "повторение", "задачи", "введение", "обобщение", "проект", "опыт"]
GENERATED_AT_MOST = 10_000  # on PostgreSQL, lessons beyond these are copied in the database
TAGS = ["огэ", "егэ", "олимпиада", "проект", "лабораторная", "повторение", "игра", "контроль"]


@dataclass
class SearchOptions:
    """The sizes of the search benchmark."""

    lessons: int = 10_000
    connections: int = 8
    seconds: float = 2.0  # of load per endpoint and round, after the warm-up
    warmup: float = 0.5
    rounds: int = 3
    load_processes: int = 1
    min_requests: int = 20  # a slow endpoint is measured longer to get at least these…
    max_seconds: float = 10.0  # …but no longer than this
    probe_requests: int = 4  # requests made alone per endpoint (the first one not counted)
    keep: bool = False
    database: str = "sqlite"  # or "postgres"


def generated_lesson(rng: random.Random, number: int) -> dict[str, Any]:
    """One lesson as ``POST /api/v1/lessons`` takes it."""
    subject = rng.choice(list(SUBJECTS))
    words = SUBJECTS[subject]
    topic, other = rng.sample(words, 2)
    text = " ".join(rng.choice(words + COMMON) for _ in range(60))
    return {
        "title": f"{topic.capitalize()} и {other}: {rng.choice(COMMON)} {number}",
        "summary": f"Урок о теме «{topic}». " + " ".join(rng.sample(words + COMMON, 8)) + ".",
        "subject": subject,
        "grades": sorted(rng.sample(range(5, 12), rng.randint(1, 2))),
        "tags": rng.sample(TAGS, rng.randint(0, 3)),
        "blocks": [
            {"kind": "text", "text": f"## {topic.capitalize()}\n\n{text}"},
            {
                "kind": "quiz",
                "questions": [
                    {
                        "kind": "single",
                        "prompt": f"Что изучает тема «{other}»?",
                        "options": [rng.choice(COMMON), other, topic],
                        "answer": 1,
                        "points": 1,
                    }
                ],
            },
        ],
    }


async def add_lessons(school: School, *, count: int, author: str = "teacher", seed: int = 5) -> int:
    """Store ``count`` generated lessons of ``author``, each published as version 1 (rows built
    as the library builds them, inserted in bulk)."""
    from sqlalchemy import insert
    from sqlmodel import select

    from eschool.db import create_engine, create_sessionmaker
    from eschool.models import User
    from eschool.timeutil import utcnow
    from lessons.models import Lesson, LessonCreate, LessonStatus, LessonVersion
    from lessons.services import copy_face, face_values

    rng = random.Random(seed)
    engine = create_engine(school.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            user = (await session.exec(select(User).where(User.login == author))).one()
            now = utcnow()
            for start in range(0, count, 500):
                connection = await session.connection()  # a commit gives the last one back
                lessons = [
                    Lesson(
                        school_id=user.school_id,
                        author_id=user.id or 0,
                        status=LessonStatus.published,
                        version=1,
                        published_revision=1,
                        published_at=now,
                        **face_values(
                            LessonCreate.model_validate(generated_lesson(rng, number)),
                            language="ru",
                        ),
                    )
                    for number in range(start, min(count, start + 500))
                ]
                inserted = await connection.execute(
                    insert(Lesson).returning(Lesson.id, sort_by_parameter_order=True),  # type: ignore[arg-type]
                    [lesson.model_dump(exclude={"id"}) for lesson in lessons],
                )
                versions = [
                    LessonVersion(
                        lesson_id=lesson_id,
                        school_id=lesson.school_id,
                        number=1,
                        author_id=lesson.author_id,
                        published_by=lesson.author_id,
                        published_at=now,
                        **copy_face(lesson),
                    ).model_dump(exclude={"id"})
                    for lesson_id, lesson in zip(inserted.scalars().all(), lessons, strict=True)
                ]
                await connection.execute(insert(LessonVersion), versions)
                await session.commit()
    finally:
        await engine.dispose()
    return count


def endpoints(school: School, *, queries: int = 16, seed: int = 9) -> dict[str, list[dict]]:
    """The requests of each measured endpoint; each search cycles through ``queries`` queries."""
    rng = random.Random(seed)
    headers = {**school.bearer("teacher"), "Accept": "application/json"}

    def search(params: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {"method": "GET", "path": f"/api/v1/lessons?{urlencode(p)}", "headers": headers}
            for p in params
        ]

    words, filters = [], []
    for _ in range(queries):
        subject = rng.choice(list(SUBJECTS))
        words.append(rng.choice(SUBJECTS[subject])[:5])
        filters.append({"subject": subject, "grade": rng.randint(5, 11)})
    return {
        BASELINE: [{"method": "GET", "path": "/healthz", "headers": {}}],
        "search_text": search([{"q": word} for word in words]),
        "search_text_filtered": search(
            [{"q": word, **where} for word, where in zip(words, filters, strict=True)]
        ),
        "search_filtered": search(filters),
        "search_text_tag": search([{"q": word, "tag": rng.choice(TAGS)} for word in words]),
    }


async def copy_lessons(school: School, *, count: int) -> int:
    """PostgreSQL: copy the lessons already there (and their versions) inside the database,
    each copy titled with its number, until there are ``count``; then vacuum and analyse."""
    from sqlalchemy import text

    from eschool.db import create_engine
    from lessons.services import FACE_COLUMNS

    face = ", ".join(FACE_COLUMNS)
    copied_face = face.replace("title,", "left(title || ' №' || :copy, 200),", 1)
    lesson_columns = "school_id, author_id, status, version, published_revision, published_at"
    lesson_columns += ", revision, copied_from_title, copied_from_author, copies, created_at"
    lesson_columns += ", updated_at"
    engine = create_engine(school.database_url)
    try:
        async with engine.begin() as connection:
            ids = "SELECT min(id), max(id), count(*) FROM lessons WHERE status = 'published'"
            first, last, have = (await connection.execute(text(ids))).one()
            copy = 0
            while have < count:
                copy += 1
                size = min(count - have, last - first + 1)
                top = (await connection.execute(text("SELECT max(id) FROM lessons"))).scalar()
                await connection.execute(
                    text(
                        f"INSERT INTO lessons ({face}, {lesson_columns}) "  # noqa: S608
                        f"SELECT {copied_face}, {lesson_columns} FROM lessons "
                        "WHERE id BETWEEN :first AND :last AND status = 'published' "
                        "ORDER BY id LIMIT :size"
                    ),
                    {"copy": str(copy), "first": first, "last": last, "size": size},
                )
                await connection.execute(
                    text(
                        f"INSERT INTO lesson_versions ({face}, lesson_id, school_id, number, "  # noqa: S608
                        "author_id, published_by, published_at) "
                        f"SELECT {face}, id, school_id, 1, author_id, author_id, published_at "
                        "FROM lessons WHERE id > :top"
                    ),
                    {"top": top},
                )
                have += size
        autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        async with autocommit.connect() as connection:
            await connection.execute(text("VACUUM ANALYZE lessons"))
            await connection.execute(text("VACUUM ANALYZE lesson_versions"))
    finally:
        await engine.dispose()
    return count


async def explain_search(session: Any, *, actor: Any, filters: Any) -> str:
    """The plan of the statement a search for ``filters`` runs (on a miss of
    ``lessons.search_cache``), one line per step:
    PostgreSQL's ``EXPLAIN``, SQLite's ``EXPLAIN QUERY PLAN``."""
    from lessons.search_queries import search_statement

    statement, params = search_statement(session, actor=actor, filters=filters)
    dialect = session.get_bind().dialect
    compiled = statement.compile(dialect=dialect)
    bound = compiled.construct_params(params)
    values = tuple(
        value.value if isinstance(value, Enum) else value
        for value in (bound[name] for name in compiled.positiontup or ())
    )
    sqlite = dialect.name == "sqlite"
    explain = "EXPLAIN QUERY PLAN" if sqlite else "EXPLAIN"
    connection = await session.connection()
    rows = await connection.exec_driver_sql(f"{explain} {compiled.string}", values)
    return "\n".join(str(row[-1] if sqlite else row[0]) for row in rows)


def plan_indexes(plan: str) -> list[str]:
    """The indexes an ``EXPLAIN`` text reads."""
    return sorted(set(re.findall(r"Index (?:Only )?Scan (?:Backward )?(?:using|on) (\w+)", plan)))


async def search_plans(school: School, requests: dict[str, list[dict]]) -> dict[str, list[str]]:
    """PostgreSQL: the indexes the statement of each search endpoint's first request uses."""
    from urllib.parse import parse_qsl, urlsplit

    from sqlmodel import select

    from eschool.db import create_engine, create_sessionmaker
    from eschool.models import User
    from lessons.models import LessonFilters

    plans: dict[str, list[str]] = {}
    engine = create_engine(school.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            user = (await session.exec(select(User).where(User.login == "teacher"))).one()
            for name, listed in requests.items():
                if name != BASELINE:
                    query = dict(parse_qsl(urlsplit(listed[0]["path"]).query))
                    filters = LessonFilters.model_validate(query)
                    plan = await explain_search(session, actor=user, filters=filters)
                    plans[name] = plan_indexes(plan)
    finally:
        await engine.dispose()
    return plans


@contextlib.asynccontextmanager
async def database_url(database: str) -> AsyncIterator[str | None]:
    """None for SQLite (the school's own file), or a scratch PostgreSQL database's URL."""
    if database == "sqlite":
        yield None
        return
    base = postgres_base_url()
    if not base:
        raise RuntimeError("--database postgres needs ESCHOOL_BENCH_POSTGRES_URL or _TEST_")
    async with postgres_database(base) as url:
        yield url


async def run(options: SearchOptions) -> dict[str, Any]:
    """Run the benchmark; returns its figures (see the module docstring)."""
    plans: dict[str, list[str]] = {}
    with work_dir("search", keep=options.keep) as tmp:
        async with database_url(options.database) as url:
            school = await seed_school(tmp / "data", database_url=url)
            postgres = options.database == "postgres"
            generated = min(options.lessons, GENERATED_AT_MOST) if postgres else options.lessons
            await add_lessons(school, count=generated)
            requests = endpoints(school)
            if postgres:
                await copy_lessons(school, count=options.lessons)
                plans = await search_plans(school, requests)
            with app_server(school, log_dir=tmp) as server:
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
        "benchmark": "search",
        "database": options.database,
        "options": asdict(options),
        **endpoint_ratios(figures, BASELINE),
        "endpoints": figures,
        **({"plans": plans} if plans else {}),
        "runs": runs,
    }


def parse_args(argv: list[str] | None = None) -> SearchOptions:
    """Options from the command line."""
    return options_from_argv(SearchOptions, argv, __doc__.splitlines()[0])


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point: print the figures as JSON."""
    emit(run_async(run(parse_args(argv))))


if __name__ == "__main__":
    main()
