"""The real demo gradebook: what it contains, that it is idempotent, that it is plausible."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

from sqlmodel import col, func, select

from eschool.models import Term, User
from eschool.queries import term_current
from gradebook import seed
from gradebook.models import (
    Attendance,
    Course,
    CourseTeacher,
    HistoryEntry,
    Holiday,
    Mark,
    Slot,
    Subject,
    TermMark,
    TimetableEntryRow,
)

TABLES = (
    Subject,
    Course,
    CourseTeacher,
    TimetableEntryRow,
    Holiday,
    Slot,
    Mark,
    Attendance,
    TermMark,
    HistoryEntry,
)


async def _counts(session) -> dict[str, int]:
    return {
        table.__tablename__: (await session.exec(select(func.count()).select_from(table))).one()
        for table in TABLES
    }


async def test_demo_gradebook(app, people) -> None:
    # A fixed day of the demo year (late November, in the second quarter), so that what
    # the seed writes does not depend on when the suite runs.
    seed_day = date(people.year.starts.year, 11, 25)
    async with app.state.sessionmaker() as session:
        await seed.seed_demo(session, people=people, today=seed_day, settings=app.state.settings)
        counts = await _counts(session)
        await seed.seed_demo(session, people=people, today=seed_day, settings=app.state.settings)
        assert await _counts(session) == counts  # idempotent

        subjects = {s.id: s.name for s in (await session.exec(select(Subject))).all()}
        assert len(subjects) >= 6
        courses = (
            await session.exec(
                select(Course.class_id, Course.subject_id, User.login)
                .join(CourseTeacher, col(CourseTeacher.course_id) == Course.id)
                .join(User, col(User.id) == CourseTeacher.teacher_id)
            )
        ).all()
        class_name = {c.id: name for name, c in people.classes.items()}
        taught = {(class_name[c], subjects[s]): login for c, s, login in courses}
        assert taught[("7A", "Математика")] == taught[("7B", "Математика")] == "teacher"
        assert taught[("7A", "Русский язык")] == taught[("7A", "Английский язык")] == "teacher2"
        assert taught[("7B", "Русский язык")] != "teacher2"
        assert {name for name, _s in taught} == {"7A", "7B"}

        # The weekly timetable: 5–6 lessons a day, Monday to Friday, no teacher double-booked.
        entries = (
            await session.exec(
                select(TimetableEntryRow, CourseTeacher.teacher_id).join(
                    CourseTeacher, col(CourseTeacher.course_id) == TimetableEntryRow.course_id
                )
            )
        ).all()
        per_day = Counter((entry.class_id, entry.weekday) for entry, _t in entries)
        assert set(per_day.values()) <= {5, 6} and {wd for _c, wd in per_day} == set(range(5))
        booked = Counter((teacher, entry.weekday, entry.period) for entry, teacher in entries)
        assert max(booked.values()) == 1
        rooms = Counter((entry.room, entry.weekday, entry.period) for entry, _t in entries)
        assert max(rooms.values()) == 1

        # Slots fill the current term and skip every holiday.
        current = await term_current(session, school_id=people.school.id, today=seed_day)
        assert current is not None
        in_term = (
            await session.exec(
                select(func.count()).select_from(Slot).where(Slot.term_id == current.id)
            )
        ).one()
        assert in_term > 100
        holidays = (await session.exec(select(Holiday))).all()
        names = {h.name for h in holidays}
        assert {"Осенние каникулы", "Новогодние каникулы"} <= names
        slot_dates = set((await session.exec(select(Slot.date))).all())
        for holiday in holidays:
            assert not any(holiday.starts <= d <= holiday.ends for d in slot_dates), holiday.name

        # Marks only in past slots, mostly 4s and 5s, tests weigh 2.
        marks = (
            await session.exec(select(Mark, Slot).join(Slot, col(Slot.id) == Mark.slot_id))
        ).all()
        assert marks and all(slot.date < seed_day for _m, slot in marks)
        scale_of = {c.id: c.scale for c in (await session.exec(select(Course))).all()}
        values = Counter(m.value for m, slot in marks if scale_of[slot.course_id] == "five")
        assert values["4"] + values["5"] > 0.6 * values.total()
        assert values["2"] < values["3"] < values["4"]
        assert {mark.weight for mark, _s in marks if mark.work_type == "test"} == {2.0}
        assert set(values) <= {"2", "3", "4", "5"}
        # 7B Mathematics is on the ten-point scale (seed.COURSE_SCALES), its marks too.
        ten = {m.value for m, slot in marks if scale_of[slot.course_id] == "ten"}
        assert ten - {"2", "3", "4", "5"} and ten <= {str(n) for n in range(1, 11)}
        marked_terms = {slot.term_id for _m, slot in marks}
        assert current.id in marked_terms or current.starts >= seed_day
        # Each mark's creation is in the history.
        created = (
            await session.exec(
                select(func.count())
                .select_from(HistoryEntry)
                .where(HistoryEntry.entity == "mark", HistoryEntry.action == "create")
            )
        ).one()
        assert created == len(marks)

        # Attendance: mostly present (rows only for the exceptions), all kinds occur.
        statuses = Counter((await session.exec(select(Attendance.status))).all())
        past_places = sum(
            27 for _ in (await session.exec(select(Slot.id).where(Slot.date < seed_day))).all()
        )
        assert 0 < sum(statuses.values()) < 0.1 * past_places
        assert {"ill", "absent", "late"} <= set(statuses)

        # Topics and homework in past slots only.
        topics = (
            await session.exec(select(Slot.date, Slot.topic, Slot.homework).where(Slot.topic != ""))
        ).all()
        assert topics and all(d < seed_day for d, _t, _h in topics)
        assert sum(1 for _d, _t, h in topics if h) > 0.5 * len(topics)

        # A finished term before the current one is closed, with term marks.
        earlier = (await session.exec(select(Term).where(Term.ends < current.starts))).all()
        per_term = defaultdict(int)
        for term_id in (await session.exec(select(TermMark.term_id))).all():
            per_term[term_id] += 1
        if earlier:
            last = max(earlier, key=lambda t: t.ends)
            assert last.closed and per_term[last.id] > 200
        assert not current.closed
