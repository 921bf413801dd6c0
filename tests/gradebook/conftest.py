"""A small gradebook on top of the demo people, built through the services.

Two subjects and three courses — Mathematics in 7A (teacher) and 7B (teacher, five
lessons a week: the "larger" course), Russian in 7A (teacher2) — with their weekly
timetables and the slots of the current term. No marks: each test makes its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select
from starlette.applications import Starlette

from eschool.models import Term, User
from eschool.queries import term_current, user_by_login
from eschool.seed import DemoPeople
from eschool.services import api_token_create
from gradebook import slot_services, structure_services
from gradebook.models import Slot, TimetableEntryIn


@pytest.fixture
def as_user(app: Starlette, people: DemoPeople):
    """`await as_user("teacher")` → bearer headers, like the suite's fixture but with the
    token made directly (no password check per user: these tests are not about signing in)."""
    cache: dict[str, dict[str, str]] = {}

    async def headers(login: str) -> dict[str, str]:
        if login not in cache:
            async with app.state.sessionmaker() as session:
                user = await user_by_login(session, login)
                assert user is not None, login
                token = await api_token_create(session, user=user, label="gradebook tests")
            cache[login] = {"Authorization": f"Bearer {token}"}
        return cache[login]

    return headers


def school_today(app: Starlette) -> date:
    """Today where the school is (the app's `settings.timezone`), as the server sees it."""
    return datetime.now(ZoneInfo(app.state.settings.timezone)).date()


@dataclass
class Gradebook:
    """Ids of what the fixture built."""

    term_id: int
    math_7a: int
    russian_7a: int
    math_7b: int
    slots: dict[int, list[Slot]] = field(default_factory=dict)  # course id → slots by date
    pupils_7a: list[User] = field(default_factory=list)
    pupils_7b: list[User] = field(default_factory=list)
    today: date = field(default_factory=date.today)

    def pupil(self, login: str) -> User:
        """A 7A or 7B pupil by login."""
        return next(p for p in self.pupils_7a + self.pupils_7b if p.login == login)

    def classmate(self) -> User:
        """A 7A pupil other than `pupil`."""
        return next(p for p in self.pupils_7a if p.login != "pupil")

    def recent_slots(self, course_id: int, count: int) -> list[Slot]:
        """The course's last `count` slots on or before today (early in a term, when there
        are not that many yet, the first `count` slots of the term)."""
        past = [s for s in self.slots[course_id] if s.date <= self.today]
        return past[-count:] if len(past) >= count else self.slots[course_id][:count]

    def past_slot(self, course_id: int) -> Slot:
        """The course's last slot on or before today (see `recent_slots`)."""
        return self.recent_slots(course_id, 1)[0]


def _entries(course_id: int, places: list[tuple[int, int]], room: str) -> list[TimetableEntryIn]:
    return [
        TimetableEntryIn(weekday=weekday, period=period, course_id=course_id, room=room)
        for weekday, period in places
    ]


@pytest.fixture
async def gradebook(app: Starlette, people: DemoPeople) -> Gradebook:
    """Subjects, courses, timetables and the current term's slots (no marks)."""
    admin = people.staff["admin"]
    today = school_today(app)
    async with app.state.sessionmaker() as session:
        maths = await structure_services.subject_create(
            session, actor=admin, name="Математика", short_name="Мат"
        )
        russian = await structure_services.subject_create(
            session, actor=admin, name="Русский язык", short_name="Рус"
        )
        classes = people.classes
        teacher, teacher2 = people.staff["teacher"], people.staff["teacher2"]
        math_7a = await structure_services.course_create(
            session,
            actor=admin,
            class_id=classes["7A"].id,
            subject_id=maths.id,
            teacher_ids=[teacher.id],
        )
        russian_7a = await structure_services.course_create(
            session,
            actor=admin,
            class_id=classes["7A"].id,
            subject_id=russian.id,
            teacher_ids=[teacher2.id],
        )
        math_7b = await structure_services.course_create(
            session,
            actor=admin,
            class_id=classes["7B"].id,
            subject_id=maths.id,
            teacher_ids=[teacher.id],
        )
        await structure_services.timetable_set(
            session,
            actor=admin,
            class_id=classes["7A"].id,
            entries=_entries(math_7a.id, [(0, 1), (2, 2), (4, 3)], "21")
            + _entries(russian_7a.id, [(1, 1), (3, 2)], "14"),
        )
        await structure_services.timetable_set(
            session,
            actor=admin,
            class_id=classes["7B"].id,
            entries=_entries(math_7b.id, [(0, 2), (1, 3), (2, 1), (3, 4), (4, 5)], "21"),
        )
        term = await term_current(session, school_id=people.school.id, today=today)
        assert term is not None
        await slot_services.slots_generate(session, actor=admin, term_id=term.id)
        slots: dict[int, list[Slot]] = {}
        for course in (math_7a, russian_7a, math_7b):
            rows = await session.exec(
                select(Slot).where(Slot.course_id == course.id).order_by(Slot.date, Slot.period)
            )
            slots[course.id] = list(rows.all())
        return Gradebook(
            term_id=term.id,
            math_7a=math_7a.id,
            russian_7a=russian_7a.id,
            math_7b=math_7b.id,
            slots=slots,
            pupils_7a=people.pupils["7A"],
            pupils_7b=people.pupils["7B"],
            today=today,
        )


async def close_term(app: Starlette, term_id: int, closed: bool = True) -> None:
    """Close (or reopen) a term directly in the database."""
    async with app.state.sessionmaker() as session:
        term = await session.get(Term, term_id)
        assert term is not None
        term.closed = closed
        session.add(term)
        await session.commit()
