"""The demo school's classwork: slots teaching library lessons, homework handed in and marked
on each course's own scale, open work the demo pupil has not started, and idempotence."""

from __future__ import annotations

import pytest
from sqlmodel import col, func, select
from starlette.applications import Starlette

from classwork import seed
from classwork.models import Assignment, AssignmentAttempt, AssignmentWork
from classwork.queries import assignments_list, is_closed
from eschool.models import User
from eschool.queries import term_current
from eschool.seed import DemoPeople
from gradebook import seed as gradebook_seed
from gradebook.models import Course, HistoryEntry, Mark, Slot, Subject
from gradebook.scales import get_scale
from lessons import seed as lessons_seed
from lessons.models import Lesson
from tests.gradebook.conftest import school_today

TABLES = (Assignment, AssignmentWork, AssignmentAttempt, Mark, HistoryEntry)


async def _counts(session) -> dict[str, int]:
    counts = {
        table.__tablename__: (await session.exec(select(func.count()).select_from(table))).one()
        for table in TABLES
    }
    linked = select(func.count()).select_from(Slot).where(col(Slot.lesson_id).is_not(None))
    counts["linked slots"] = (await session.exec(linked)).one()
    return counts


async def _course(session, people: DemoPeople, class_name: str, subject: str) -> Course:
    return (
        await session.exec(
            select(Course)
            .join(Subject, col(Subject.id) == Course.subject_id)
            .where(Course.class_id == people.classes[class_name].id, Subject.name == subject)
        )
    ).one()


async def test_demo_classwork(app: Starlette, people: DemoPeople) -> None:
    today = school_today(app)
    settings = app.state.settings
    async with app.state.sessionmaker() as session:
        for package in (lessons_seed, gradebook_seed, seed):
            await package.seed_demo(session, people=people, today=today, settings=settings)
        counts = await _counts(session)
        await seed.seed_demo(session, people=people, today=today, settings=settings)
        assert await _counts(session) == counts  # idempotent

        # Slots of 7A Mathematics teach library lessons, pinned to their published version:
        # the past ones on the lessons' topics and the next few.
        math_7a = await _course(session, people, "7A", "Математика")
        term = await term_current(session, school_id=people.school.id, today=today)
        slots = (
            await session.exec(
                select(Slot)
                .where(Slot.course_id == math_7a.id, Slot.term_id == term.id)
                .order_by(col(Slot.date), col(Slot.period))
            )
        ).all()
        plan = seed.seed_data("slot_lessons.json")["subjects"]["Математика"]
        on_topic = [s for s in slots if s.date < today and s.topic in plan["past"]]
        upcoming = [s for s in slots if s.date >= today][: len(plan["upcoming"])]
        assert on_topic or upcoming
        lessons = {lesson.id: lesson for lesson in (await session.exec(select(Lesson))).all()}
        for slot in on_topic + upcoming:
            lesson = lessons[slot.lesson_id]
            assert (slot.lesson_version, slot.lesson_title) == (lesson.version, lesson.title)
        assert [s.lesson_title for s in on_topic] == [plan["past"][s.topic] for s in on_topic]
        assert [s.lesson_title for s in upcoming] == [t for _topic, t in plan["upcoming"]][
            : len(upcoming)
        ]

        # The demo pupil has open work not started yet; the parent sees it too.
        pupil = next(p for p in people.pupils["7A"] if p.login == "pupil")
        parent = (await session.exec(select(User).where(User.login == "parent"))).one()
        seen = {
            (item.course_id, item.status, item.progress and item.progress.state)
            for item in await assignments_list(session, actor=pupil)
        }
        assert (math_7a.id, "open", "not_started") in seen
        by_parent = await assignments_list(session, actor=parent)
        assert {item.pupil_id for item in by_parent} == {pupil.id}
        assert ("open", "not_started") in {
            (item.status, item.progress and item.progress.state) for item in by_parent
        }
        past = select(Slot.id).where(Slot.school_id == people.school.id, Slot.date < today)
        if (await session.exec(past)).first() is None:
            pytest.skip("the demo year has had no lessons yet: no homework to have marked")

        # ...and a piece of homework handed in and marked, which the parent sees too.
        assert (math_7a.id, "closed", "marked") in seen
        assert ("closed", "marked") in {
            (item.status, item.progress and item.progress.state) for item in by_parent
        }

        # Marked homework: most of the class handed in, some perfect, some not; the marks
        # are in the course's journal on its own scale — ten-point in 7B Mathematics.
        math_7b = await _course(session, people, "7B", "Математика")
        assert (math_7a.scale, math_7b.scale) == ("five", "ten")
        for course, class_name in ((math_7a, "7A"), (math_7b, "7B")):
            given = await session.exec(select(Assignment).where(Assignment.course_id == course.id))
            assignment = next(a for a in given.all() if is_closed(a))
            works = (
                await session.exec(
                    select(AssignmentWork).where(AssignmentWork.assignment_id == assignment.id)
                )
            ).all()
            handed_in = [w for w in works if w.attempts_used]
            shares = [w.score / w.max_score for w in handed_in]
            assert (
                0.7 * len(people.pupils[class_name])
                < len(handed_in)
                < len(people.pupils[class_name])
            )
            assert 1.0 in shares and any(0 < share < 1 for share in shares)
            assert all(w.mark_id is not None for w in handed_in)
            marks = (
                await session.exec(
                    select(Mark, Slot.course_id)
                    .join(Slot, col(Slot.id) == Mark.slot_id)
                    .where(col(Mark.id).in_([w.mark_id for w in handed_in]))
                )
            ).all()
            assert len(marks) == len(handed_in)
            scale = get_scale(course.scale)
            assert all(course_id == course.id for _mark, course_id in marks)
            assert all(scale.normalize(mark.value) == mark.value for mark, _c in marks)
            if course.scale == "ten":
                assert {mark.value for mark, _c in marks} - {"2", "3", "4", "5"}
