"""Who teaches in which class is data the shell owns (`class_teaching`), kept true by the
gradebook in the same transaction as its course teachers: a change is seen at once, the demo
seed fills it, two apps in one process share nothing, and the gradebook's data migration fills
it from the courses of a database made before it existed."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from alembic import command
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlmodel import col, select
from starlette.applications import Starlette

from eschool.access import classes_taught, visible_pupil_ids
from eschool.app import create_app
from eschool.db import create_engine
from eschool.migrate import alembic_config, migrate
from eschool.models import ClassTeaching
from eschool.seed import DemoPeople, seed_people
from eschool.settings import Settings
from gradebook import seed as gradebook_seed
from gradebook import structure_services
from gradebook.models import Course, CourseTeacher
from tests.conftest import POSTGRES_URL, TODAY

# --- through the API -----------------------------------------------------------------------


async def _pupils_seen(client: httpx.AsyncClient, headers: dict, people: DemoPeople) -> dict:
    """Class name → logins of its pupils the user sees, by both routes that list pupils
    (a class the user may not see is left out)."""
    seen: dict[str, set[str]] = {}
    for name, school_class in people.classes.items():
        listed = await client.get(f"/api/v1/classes/{school_class.id}/pupils", headers=headers)
        by_class = await client.get(
            "/api/v1/users",
            params={"role": "pupil", "class": name, "per_page": 200},
            headers=headers,
        )
        assert by_class.status_code == 200, by_class.text
        logins = {u["login"] for u in by_class.json()["items"]}
        if listed.status_code == 404:
            assert logins == set()
            continue
        assert listed.status_code == 200, listed.text
        assert {u["login"] for u in listed.json()["items"]} == logins
        if logins:
            seen[name] = logins
    return seen


async def test_course_teachers_see_a_class_as_soon_as_they_teach_in_it(
    client: httpx.AsyncClient, as_user, people: DemoPeople, sessionmaker
) -> None:
    admin, physics, history = (
        await as_user("admin"),
        await as_user("physics"),
        await as_user("history"),  # form tutor of 7B
    )
    physics_id, history_id = people.staff["physics"].id, people.staff["history"].id
    class_7a, class_7b = people.classes["7A"].id, people.classes["7B"].id
    pupils = {name: {p.login for p in people.pupils[name]} for name in ("7A", "7B")}

    async def course(class_id: int, subject: str, teacher_ids: list[int]) -> int:
        made = await client.post(
            "/api/v1/subjects", json={"name": subject, "short_name": subject[:3]}, headers=admin
        )
        assert made.status_code == 201, made.text
        response = await client.post(
            "/api/v1/courses",
            json={
                "class_id": class_id,
                "subject_id": made.json()["id"],
                "teacher_ids": teacher_ids,
            },
            headers=admin,
        )
        assert response.status_code == 201, response.text
        return response.json()["id"]

    async def teachers(course_id: int, teacher_ids: list[int]) -> None:
        response = await client.patch(
            f"/api/v1/courses/{course_id}", json={"teacher_ids": teacher_ids}, headers=admin
        )
        assert response.status_code == 200, response.text

    assert await _pupils_seen(client, physics, people) == {}
    physics_7a = await course(class_7a, "Физика", [])
    assert await _pupils_seen(client, physics, people) == {}

    await teachers(physics_7a, [physics_id])
    assert await _pupils_seen(client, physics, people) == {"7A": pupils["7A"]}

    # Taken off one course of 7A while still teaching another there: still sees 7A.
    astronomy_7a = await course(class_7a, "Астрономия", [physics_id, history_id])
    await teachers(physics_7a, [])
    assert await _pupils_seen(client, physics, people) == {"7A": pupils["7A"]}
    assert await _pupils_seen(client, history, people) == pupils

    await teachers(astronomy_7a, [history_id])
    assert await _pupils_seen(client, physics, people) == {}
    empty = await client.get("/api/v1/users", params={"role": "pupil"}, headers=physics)
    assert empty.json()["total"] == 0

    # The form tutor keeps the class when taken off its course.
    history_7b = await course(class_7b, "История", [history_id])
    await teachers(history_7b, [])
    await teachers(astronomy_7a, [])
    assert await _pupils_seen(client, history, people) == {"7B": pupils["7B"]}

    async with sessionmaker() as session:
        assert list((await session.exec(select(ClassTeaching))).all()) == []


async def test_the_demo_gradebook_says_who_teaches_where(
    app: Starlette, people: DemoPeople
) -> None:
    seed_day = date(people.year.starts.year, 11, 25)  # a fixed day of the demo year
    async with app.state.sessionmaker() as session:
        await gradebook_seed.seed_demo(
            session, people=people, today=seed_day, settings=app.state.settings
        )
        rows = await session.exec(
            select(Course.class_id, CourseTeacher.teacher_id).join(
                CourseTeacher, col(CourseTeacher.course_id) == Course.id
            )
        )
        from_courses = set(rows.all())
        stored = await session.exec(select(ClassTeaching.class_id, ClassTeaching.teacher_id))
        assert set(stored.all()) == from_courses
        class_7a, class_7b = people.classes["7A"].id, people.classes["7B"].id
        assert await classes_taught(session, people.staff["teacher"]) == {class_7a, class_7b}
        assert await classes_taught(session, people.staff["teacher2"]) == {class_7a}


# --- two apps in one process ------------------------------------------------------------------


@pytest.fixture
async def other_app(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Starlette]:
    """A second application in this process, with its own (SQLite) database and lifespan."""
    path = tmp_path / "other.db"
    shutil.copyfile(sqlite_template, path)
    settings = Settings(
        data_dir=tmp_path / "other-data",
        database_url=f"sqlite+aiosqlite:///{path}",
        broker_url="memory://",
        secret_key="other-secret-key",
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


async def _course(app: Starlette, people: DemoPeople, *, class_name: str, teacher: str) -> None:
    async with app.state.sessionmaker() as session:
        admin = people.staff["admin"]
        subject = await structure_services.subject_create(
            session, actor=admin, name=f"Физика {class_name}", short_name="Физ"
        )
        await structure_services.course_create(
            session,
            actor=admin,
            class_id=people.classes[class_name].id or 0,
            subject_id=subject.id or 0,
            teacher_ids=[people.staff[teacher].id or 0],
        )


async def _taught(app: Starlette, people: DemoPeople, login: str) -> tuple[set[int], set[int]]:
    async with app.state.sessionmaker() as session:
        teacher = people.staff[login]
        return await classes_taught(session, teacher), await visible_pupil_ids(
            session, teacher
        ) or set()


async def test_two_apps_in_one_process_do_not_share_who_teaches_where(
    app: Starlette, people: DemoPeople, other_app: Starlette
) -> None:
    async with other_app.state.sessionmaker() as session:
        other_people, _created = await seed_people(session, today=TODAY)
    # The second app was built and started last: in the first, physics teaches 7A only.
    await _course(app, people, class_name="7A", teacher="physics")
    assert await _taught(app, people, "physics") == (
        {people.classes["7A"].id},
        {p.id for p in people.pupils["7A"]},
    )
    assert await _taught(other_app, other_people, "physics") == (set(), set())

    await _course(other_app, other_people, class_name="7B", teacher="physics")
    assert await _taught(other_app, other_people, "physics") == (
        {other_people.classes["7B"].id},
        {p.id for p in other_people.pupils["7B"]},
    )
    assert await _taught(app, people, "physics") == (
        {people.classes["7A"].id},
        {p.id for p in people.pupils["7A"]},
    )


# --- the data migration ---------------------------------------------------------------------

# The schema of eschool_0001 + gradebook_0001 (the heads before class_teaching existed).
OLD_ROWS = [
    "INSERT INTO schools (id, name, slug, term_system, created_at) "
    "VALUES (1, 'School', 'school', 'quarters', CURRENT_TIMESTAMP)",
    "INSERT INTO users (id, school_id, login, name, role, password_hash, active, created_at, "
    "password_changed_at) VALUES "
    "(10, 1, 'maths', 'Maths', 'teacher', 'x', TRUE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP), "
    "(11, 1, 'russian', 'Russian', 'teacher', 'x', TRUE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP), "
    "(12, 1, 'tutor', 'Tutor', 'teacher', 'x', TRUE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    "INSERT INTO academic_years (id, school_id, name, starts, ends) "
    "VALUES (1, 1, '2025/26', '2025-09-01', '2026-05-31')",
    "INSERT INTO classes (id, school_id, year_id, name, grade, form_tutor_id, active) "
    "VALUES (20, 1, 1, '7A', 7, 12, TRUE), (21, 1, 1, '7B', 7, NULL, TRUE)",
    "INSERT INTO subjects (id, school_id, name, short_name) "
    "VALUES (30, 1, 'Maths', 'M'), (31, 1, 'Russian', 'R')",
    "INSERT INTO courses (id, school_id, class_id, subject_id, scale, created_at) VALUES "
    "(40, 1, 20, 30, 'five', CURRENT_TIMESTAMP), (41, 1, 20, 31, 'five', CURRENT_TIMESTAMP), "
    "(42, 1, 21, 30, 'five', CURRENT_TIMESTAMP)",
    "INSERT INTO course_teachers (id, course_id, teacher_id) "
    "VALUES (1, 40, 10), (2, 41, 10), (3, 41, 11), (4, 42, 11)",
]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def blank_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of its own: a new SQLite file, or a scratch PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("ESCHOOL_TEST_POSTGRES_URL not set: PostgreSQL variant needs a server")
    base = make_url(POSTGRES_URL)
    name = f"eschool_migration_{uuid.uuid4().hex[:10]}"
    server = create_engine(base.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    try:
        async with server.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield base.set(database=name).render_as_string(hide_password=False)
        async with server.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await server.dispose()


def _upgrade_to(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def test_migrating_an_old_database_fills_class_teaching_from_course_teachers(
    blank_database: str,
) -> None:
    engine = create_engine(blank_database)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_to, "gradebook_0001")  # with eschool_0001
            for statement in OLD_ROWS:
                await connection.execute(text(statement))
        await migrate(engine)  # what `eschool init` does
        async with engine.connect() as connection:
            rows = await connection.execute(
                text(
                    "SELECT school_id, class_id, teacher_id FROM class_teaching "
                    "ORDER BY class_id, teacher_id"
                )
            )
            # maths teaches two courses of 7A (one row); the tutor teaches no course.
            assert [tuple(row) for row in rows] == [(1, 20, 10), (1, 20, 11), (1, 21, 11)]
        await migrate(engine)  # at the heads already: nothing changes, nothing fails
    finally:
        await engine.dispose()
