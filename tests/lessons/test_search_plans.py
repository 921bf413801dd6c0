"""The library's search statements use the indexes made for them (``lessons_0002``).

PostgreSQL chooses its plan from the table statistics, so its library gets a few thousand
other published lessons first (inserted in SQL) and is analysed: then a selective search must
go through the GIN indexes. SQLite is told which narrow indexes to read; there the plan must
come from FTS5 and never scan the wide tables.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from bench.search import (
    BASELINE,
    add_lessons,
    copy_lessons,
    endpoints,
    explain_search,
    search_plans,
)
from bench.seeded_school import School
from eschool.queries import user_by_login
from lessons.models import LessonFilters
from tests.lessons.test_search import LESSONS, publish

# (query of GET /api/v1/lessons, PostgreSQL's GIN indexes of which its plan uses at least
# one (the planner picks the more selective), the narrow index SQLite's plan must use)
CASES = [
    ({"q": "уравн"}, {"ix_lesson_versions_search_vector"}, {"ix_lesson_versions_search"}),
    (
        {"q": "уравн", "subject": "Mathematics", "grade": "7"},
        {"ix_lesson_versions_search_vector", "ix_lesson_versions_facet_keys"},
        {"ix_lesson_versions_search"},
    ),
    (
        {"subject": "Mathematics", "grade": "7"},
        {"ix_lesson_versions_facet_keys"},
        {"ix_lesson_versions_search"},
    ),
    (
        {"q": "уравн", "tag": "алгебра"},
        {"ix_lesson_versions_search_vector", "ix_lesson_versions_facet_keys"},
        {"ix_lesson_versions_search"},
    ),
    ({"q": "уравн", "author": "me"}, {"ix_lessons_search_vector"}, {"ix_lessons_search"}),
]
OTHER_LESSONS = """
INSERT INTO lessons (title, summary, subject, grades, tags, language, licence, credits,
    blocks, facets,
    search_text, school_id, author_id, status, revision, version,
    published_revision, published_at, copied_from_title, copied_from_author, copies,
    created_at, updated_at)
SELECT 'История ' || n, '', 'History', '[5]', '[]', 'ru', 'CC0-1.0', '[]', '[]',
    E'\\ngrade:5\\nsubject:history\\n', 'history ' || n, school_id, id, 'published', 1, 1, 1,
    now(), '', '', 0, now(), now()
FROM users, generate_series(1, 3000) AS n WHERE login = 'teacher'
"""
OTHER_VERSIONS = """
INSERT INTO lesson_versions (title, summary, subject, grades, tags, language, licence,
    credits, blocks, facets,
    search_text, lesson_id, school_id,
    number, author_id, published_by, published_at)
SELECT title, summary, subject, grades, tags, language, licence, credits, blocks, facets,
    search_text, id, school_id, 1, author_id, author_id, published_at
FROM lessons WHERE subject = 'History' AND version = 1
"""


@pytest.fixture
async def searched(client, as_user, sessionmaker, database_url):
    """A published library to plan against; yields (session, teacher)."""
    teacher = await as_user("teacher")
    for body in LESSONS:
        await publish(client, teacher, body)
    async with sessionmaker() as session:
        if database_url.startswith("postgresql"):
            connection = await session.connection()
            for statement in (OTHER_LESSONS, OTHER_VERSIONS, "ANALYZE lessons"):
                await connection.execute(text(statement))
            await connection.execute(text("ANALYZE lesson_versions"))
        yield session, await user_by_login(session, "teacher")


@pytest.mark.parametrize(("query", "postgres", "sqlite"), CASES)
async def test_search_statements_use_their_indexes(searched, query, postgres, sqlite):
    session, teacher = searched
    plan = await explain_search(session, actor=teacher, filters=LessonFilters(**query))
    if session.get_bind().dialect.name == "postgresql":
        assert any(f"Bitmap Index Scan on {index}" in plan for index in postgres), plan
        assert "Seq Scan on lesson" not in plan, plan
        # The array match is exact: no second check reading each match's out-of-line facets.
        assert "facets ~~" not in plan, plan
        return
    face = "lessons" if query.get("author") == "me" else "lesson_versions"
    assert f"SCAN {face}_fts VIRTUAL TABLE" in plan, plan
    for index in sqlite:
        assert f"USING COVERING INDEX {index} (id=?" in plan, plan
    assert f"SCAN {face}\n" not in plan + "\n" and f"SCAN {face} " not in plan, plan


async def test_the_search_benchmark_steps_taken_on_postgresql_only(
    as_user, sessionmaker, database_url: str, tmp_path: Path
) -> None:
    """``bench.search`` on PostgreSQL (left out of the benchmarks' tiny run in tests/bench):
    generated lessons stored in bulk, copied inside the database (numbered titles, a version
    each) up to the size asked for, and the indexes each measured search's statement reads."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: the SQLite search benchmark takes none of these steps")
    await as_user("teacher")
    school = School(data_dir=tmp_path, database_url=database_url, tokens={"teacher": "unused"})
    assert await add_lessons(school, count=3) == 3
    assert await copy_lessons(school, count=7) == 7
    async with sessionmaker() as session:
        connection = await session.connection()
        titles = (await connection.execute(text("SELECT title FROM lessons"))).scalars().all()
        versions = await connection.execute(text("SELECT count(*) FROM lesson_versions"))
        assert versions.scalar() == len(titles) == 7
    assert sum(" №" in title for title in titles) == 4
    requests = endpoints(school)
    plans = await search_plans(school, requests)
    assert set(plans) == set(requests) - {BASELINE}
    assert all(isinstance(indexes, list) for indexes in plans.values())
