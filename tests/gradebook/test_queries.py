"""Reads: the journal takes a constant number of SQL statements; course teachers see their
classes; the slot query the live package uses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import event

from eschool.access import classes_taught, visible_pupil_ids
from eschool.errors import NotFound
from gradebook import queries
from gradebook.models import Attendance, Mark
from tests.gradebook.conftest import Gradebook


@contextmanager
def counted(app) -> Iterator[list[str]]:
    """Collect every SQL statement the app's engine runs inside the block."""
    statements: list[str] = []

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)


async def test_journal_uses_a_constant_number_of_statements(
    app, client: httpx.AsyncClient, as_user, gradebook: Gradebook, people
) -> None:
    teacher = await as_user("teacher")
    admin = people.staff["admin"]
    # Fill the larger course (7B, five lessons a week) with marks and attendance.
    async with app.state.sessionmaker() as session:
        for slot in gradebook.slots[gradebook.math_7b][:12]:
            for pupil in gradebook.pupils_7b[:20]:
                common = {"school_id": slot.school_id, "slot_id": slot.id, "pupil_id": pupil.id}
                session.add(
                    Mark(**common, value="4", work_type="test", weight=2, created_by=admin.id)
                )
                session.add(Attendance(**common, status="late", set_by=admin.id))
        await session.commit()
    sizes = {}
    counts = {}
    for course_id in (gradebook.math_7a, gradebook.math_7b):
        # Warm up once (first-request work such as the auth lookup is the same either way).
        await client.get(f"/api/v1/courses/{course_id}/journal", headers=teacher)
        with counted(app) as statements:
            response = await client.get(f"/api/v1/courses/{course_id}/journal", headers=teacher)
        assert response.status_code == 200
        journal = response.json()
        sizes[course_id] = (len(journal["slots"]), len(journal["marks"]))
        counts[course_id] = len(statements)
    small, large = sizes[gradebook.math_7a], sizes[gradebook.math_7b]
    assert large[0] > small[0] and large[1] == 240 and small[1] == 0
    assert counts[gradebook.math_7a] == counts[gradebook.math_7b]
    assert counts[gradebook.math_7a] <= 16, counts


async def test_course_teachers_see_the_classes_of_their_courses(
    app, gradebook: Gradebook, people
) -> None:
    teacher2 = people.staff["teacher2"]  # teaches Russian in 7A; tutors no class
    async with app.state.sessionmaker() as session:
        assert await classes_taught(session, teacher2) == {people.classes["7A"].id}
        visible = await visible_pupil_ids(session, teacher2)
        assert visible == {p.id for p in gradebook.pupils_7a}
        assert await classes_taught(session, people.staff["physics"]) == set()
        # The form tutor of 7A who also teaches Mathematics in 7B.
        assert await classes_taught(session, people.staff["teacher"]) == {
            people.classes["7A"].id,
            people.classes["7B"].id,
        }


async def test_slot_get_for_the_live_package(app, gradebook: Gradebook, people) -> None:
    slot_id = gradebook.past_slot(gradebook.math_7a).id
    async with app.state.sessionmaker() as session:
        view = await queries.slot_get(session, actor=people.staff["teacher"], slot_id=slot_id)
        assert view.slot.id == slot_id
        assert view.school_class.name == "7A"
        assert view.course.subject.name == "Математика"
        assert view.course.access == "write"
        assert view.term.id == gradebook.term_id
        pupils = await queries.class_pupils_of(session, view.school_class.id)
        assert [p.id for p in pupils] == [p.id for p in gradebook.pupils_7a]
        with pytest.raises(NotFound):
            await queries.slot_get(session, actor=people.staff["physics"], slot_id=slot_id)
        with pytest.raises(NotFound):
            await queries.slot_get(session, actor=people.pupils["7A"][0], slot_id=slot_id)


async def test_teacher_slots_on_a_day_are_their_own_courses_only(
    app, gradebook: Gradebook, people
) -> None:
    slot = gradebook.past_slot(gradebook.math_7a)
    async with app.state.sessionmaker() as session:
        mine = await queries.teacher_slots_on(session, actor=people.staff["teacher"], day=slot.date)
        others = await queries.teacher_slots_on(
            session, actor=people.staff["biology"], day=slot.date
        )
    assert slot.id in {s.id for s, _class, _subject in mine}
    assert all(s.date == slot.date for s, _class, _subject in mine)
    assert [s.period for s, _c, _s in mine] == sorted(s.period for s, _c, _s in mine)
    assert others == []


async def test_a_mark_post_uses_a_constant_number_of_statements(
    app, client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    """The sign-in; the slot with its course, term, the actor's access, the pupil's enrolment,
    the work type, the school's threshold and the pupil's term mark (one statement); the
    pupil's marks in the term (one); the family with their addresses and channels (one); the
    notification rows, the mark and its history (one each on SQLite; on PostgreSQL one
    statement for the three, see gradebook.mark_direct)."""
    teacher = await as_user("teacher")
    slot = gradebook.past_slot(gradebook.math_7a)
    counts = []
    for pupil in (gradebook.pupil("pupil"), gradebook.classmate(), gradebook.pupil("pupil")):
        body = {"pupil_id": pupil.id, "slot_id": slot.id, "value": "5", "work_type": "test"}
        with counted(app) as statements:
            response = await client.post("/api/v1/marks", json=body, headers=teacher)
        assert response.status_code == 201, response.text
        assert response.json()["average"] is not None
        counts.append(len(statements))
    expected = 5 if app.state.engine.dialect.name == "postgresql" else 7
    assert counts == [expected] * 3, counts
