"""The gradebook part of the demo school: subjects, courses, timetables, holidays, the
year's lesson slots, topics and homework, and a term and a half of marks and attendance.

Deterministic (a fixed random seed) and idempotent: nothing is added when the school
already has subjects. Rows go in with `add_all` and few commits, so the whole year takes
a few seconds.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.models import Term, User
from eschool.queries import term_current, terms_of_school
from eschool.seed import DemoPeople
from eschool.settings import Settings
from gradebook import slot_services, structure_services
from gradebook.averages import suggest_term_mark, weighted_average
from gradebook.models import (
    Attendance,
    BellTime,
    Course,
    CourseTeacher,
    GradebookSettings,
    HistoryEntry,
    Holiday,
    Mark,
    Slot,
    Subject,
    TermMark,
    TimetableEntryRow,
)
from gradebook.scales import DEFAULT_SCALE, get_scale
from gradebook.timetable import DEFAULT_BELLS

SEED_DATA = Path(__file__).resolve().parent / "seed_data" / "demo_school.json"


@dataclass(frozen=True)
class SubjectPlan:
    """A subject of grade 7: weekly lessons, teacher login per class, topics, homework;
    `room` only for a subject with its own room (the gym, the computer lab)."""

    name: str
    short: str
    weekly: int
    teachers: dict[str, str]
    room: str
    topics: tuple[str, ...]
    homework: tuple[str, ...]
    tests: bool = True


def _load_school() -> dict[str, Any]:
    """``seed_data/demo_school.json``: the week's shape, the teachers' rooms, the courses on
    another scale and the grade-7 subjects (the data of the demo, kept out of the code)."""
    return json.loads(SEED_DATA.read_text(encoding="utf-8"))


_SCHOOL = _load_school()
LESSONS_PER_DAY: tuple[int, ...] = tuple(_SCHOOL["lessons_per_day"])  # Monday … Friday
# Each teacher has a room; a teacher is never in two classes at once, so rooms never clash.
ROOMS: dict[str, str] = _SCHOOL["rooms"]
# Courses not on the five-point scale: 7B tries the ten-point scale in Mathematics.
COURSE_SCALES: dict[tuple[str, str], str] = {
    (entry["class"], entry["subject"]): entry["scale"] for entry in _SCHOOL["course_scales"]
}
PLANS: tuple[SubjectPlan, ...] = tuple(
    SubjectPlan(
        **{
            **plan,
            "topics": tuple(plan["topics"]),
            "homework": tuple(plan["homework"]),
        }
    )
    for plan in _SCHOOL["subjects"]
)


def _holidays(first_year: int) -> list[tuple[str, date, date]]:
    """Autumn, winter and spring breaks plus the public holidays on school days."""
    november = date(first_year, 11, 1)
    autumn = november + timedelta(days=(7 - november.weekday()) % 7)  # first Monday of November
    march = date(first_year + 1, 3, 22)
    spring = march + timedelta(days=(7 - march.weekday()) % 7)
    return [
        ("Осенние каникулы", autumn, autumn + timedelta(days=6)),
        ("Новогодние каникулы", date(first_year, 12, 29), date(first_year + 1, 1, 8)),
        ("День защитника Отечества", date(first_year + 1, 2, 23), date(first_year + 1, 2, 23)),
        ("Международный женский день", date(first_year + 1, 3, 9), date(first_year + 1, 3, 9)),
        ("Весенние каникулы", spring, spring + timedelta(days=6)),
        ("Праздник Весны и Труда", date(first_year + 1, 5, 1), date(first_year + 1, 5, 1)),
        ("День Победы", date(first_year + 1, 5, 9), date(first_year + 1, 5, 11)),
    ]


def _timetables(rng: random.Random) -> dict[str, dict[tuple[int, int], SubjectPlan]]:
    """Weekly timetables of 7A and 7B: each subject at most once a day, no teacher in two
    classes at once, no gaps (periods 1…n every day)."""
    busy: dict[tuple[int, int], set[str]] = defaultdict(set)
    return {class_name: _place_class(class_name, busy, rng) for class_name in ("7A", "7B")}


def _place_class(
    class_name: str, busy: dict[tuple[int, int], set[str]], rng: random.Random
) -> dict[tuple[int, int], SubjectPlan]:
    """Fill one class's week by backtracking over its lesson cells in order."""
    cells = [
        (day, period) for day, count in enumerate(LESSONS_PER_DAY) for period in range(1, count + 1)
    ]
    remaining = {plan.name: plan.weekly for plan in PLANS}
    by_name = {plan.name: plan for plan in PLANS}
    placed: dict[tuple[int, int], SubjectPlan] = {}

    def fill(index: int) -> bool:
        if index == len(cells):
            return True
        day, period = cells[index]
        on_this_day = {p.name for (d, _p), p in placed.items() if d == day}
        names = [n for n, left in remaining.items() if left and n not in on_this_day]
        # The subjects with the most lessons left go first, shuffled among equals.
        rng.shuffle(names)
        names.sort(key=lambda n: -remaining[n])
        for name in names:
            teacher = by_name[name].teachers[class_name]
            if teacher in busy[(day, period)] or (name == "Физическая культура" and period == 1):
                continue
            placed[(day, period)] = by_name[name]
            remaining[name] -= 1
            busy[(day, period)].add(teacher)
            if fill(index + 1):
                return True
            busy[(day, period)].discard(teacher)
            remaining[name] += 1
            del placed[(day, period)]
        return False

    if not fill(0):
        raise RuntimeError(f"no timetable fits the demo plans for {class_name}")
    return placed


def _homework(plan: SubjectPlan, rng: random.Random, number: int) -> str:
    if not plan.homework:
        return ""
    template = rng.choice(plan.homework)
    paragraph = 1 + number // 2
    first = rng.randint(10, 300)
    return template.format(
        p=paragraph,
        q=paragraph + 1,
        a=first,
        b=first + rng.randint(1, 6),
        c=first + rng.randint(7, 12),
    )


def _mark(rng: random.Random, ability: float, scale: str = DEFAULT_SCALE) -> str:
    """A mark near a pupil's ability (2–5); on the ten-point scale, near twice it."""
    if scale == "ten":
        return str(min(10, max(2, round(rng.gauss(2 * ability, 1.5)))))
    value = round(rng.gauss(ability, 0.75))
    return str(min(5, max(2, value)))


def _moment(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


async def seed_demo(
    session: AsyncSession, *, people: DemoPeople, today: date, settings: Settings
) -> None:
    """Add the demo school's gradebook (idempotent: nothing when it already has subjects)."""
    school_id = people.school.id or 0
    taken = await session.exec(select(Subject.id).where(Subject.school_id == school_id))
    if taken.first() is not None:
        return
    rng = random.Random(7)
    zone = ZoneInfo(settings.timezone)
    staff = people.staff

    subjects = {
        plan.name: Subject(school_id=school_id, name=plan.name, short_name=plan.short)
        for plan in PLANS
    }
    session.add_all(subjects.values())
    holidays = [
        Holiday(school_id=school_id, name=name, starts=first, ends=last)
        for name, first, last in _holidays(people.year.starts.year)
    ]
    session.add_all(holidays)
    session.add(GradebookSettings(school_id=school_id, rounding_threshold=0.5))
    session.add_all(
        BellTime(school_id=school_id, period=n, starts=s, ends=e)
        for n, (s, e) in DEFAULT_BELLS.items()
    )
    await structure_services.work_types_ensure(session, school_id=school_id)
    await session.flush()

    courses: dict[tuple[str, str], Course] = {}
    for class_name, school_class in people.classes.items():
        for plan in PLANS:
            courses[(class_name, plan.name)] = Course(
                school_id=school_id,
                class_id=school_class.id or 0,
                subject_id=subjects[plan.name].id or 0,
                scale=COURSE_SCALES.get((class_name, plan.name), DEFAULT_SCALE),
            )
    session.add_all(courses.values())
    await session.flush()
    teacher_of: dict[int, User] = {}
    links = []
    for (class_name, name), course in courses.items():
        plan = next(p for p in PLANS if p.name == name)
        teacher = staff[plan.teachers[class_name]]
        teacher_of[course.id or 0] = teacher
        links.append(CourseTeacher(course_id=course.id or 0, teacher_id=teacher.id or 0))
    session.add_all(links)
    await session.flush()
    for school_class in people.classes.values():
        await structure_services.class_teaching_refresh(session, class_id=school_class.id or 0)
    rows = []
    for class_name, placed in _timetables(rng).items():
        for (weekday, period), plan in sorted(placed.items()):
            starts, ends = DEFAULT_BELLS[period]
            rows.append(
                TimetableEntryRow(
                    school_id=school_id,
                    class_id=people.classes[class_name].id or 0,
                    course_id=courses[(class_name, plan.name)].id or 0,
                    weekday=weekday,
                    period=period,
                    room=plan.room or ROOMS[plan.teachers[class_name]],
                    starts=starts,
                    ends=ends,
                )
            )
    session.add_all(rows)
    await session.commit()

    terms = [
        t
        for t in await terms_of_school(session, school_id=school_id)
        if t.year_id == people.year.id
    ]
    for term in terms:
        await slot_services.slots_generate(session, actor=None, term_id=term.id or 0)

    current = await term_current(session, school_id=school_id, today=today)
    earlier = [t for t in terms if current is not None and t.ends < current.starts]
    marked_terms = [t for t in ([earlier[-1]] if earlier else []) + ([current] if current else [])]
    await _fill_journal(
        session,
        people=people,
        courses=courses,
        teacher_of=teacher_of,
        terms=marked_terms,
        today=today,
        zone=zone,
        rng=rng,
    )
    # The term before the current one is over: its term marks are given and it is closed.
    for term in earlier[-1:]:
        await _close_with_term_marks(
            session, term=term, courses=courses, teacher_of=teacher_of, people=people, zone=zone
        )
    await session.commit()


async def _fill_journal(
    session: AsyncSession,
    *,
    people: DemoPeople,
    courses: dict[tuple[str, str], Course],
    teacher_of: dict[int, User],
    terms: list[Term],
    today: date,
    zone: ZoneInfo,
    rng: random.Random,
) -> None:
    """Topics, homework, marks and attendance in the past slots of the given terms."""
    if not terms:
        return
    plan_of = {
        course.id: next(p for p in PLANS if p.name == name)
        for (_c, name), course in courses.items()
    }
    class_of = {course.id: class_name for (class_name, _n), course in courses.items()}
    scale_of = {course.id: course.scale for course in courses.values()}
    slots = list(
        (
            await session.exec(
                select(Slot)
                .where(
                    col(Slot.term_id).in_([t.id for t in terms]),
                    col(Slot.course_id).in_(list(plan_of)),
                )
                .order_by(col(Slot.date), col(Slot.period))
            )
        ).all()
    )
    ability = {
        pupil.id: rng.uniform(3.3, 4.9) for pupils in people.pupils.values() for pupil in pupils
    }
    # Illness: some pupils miss a few school days in a row, once a term.
    ill_days: dict[int, set[date]] = defaultdict(set)
    school_days = sorted({slot.date for slot in slots if slot.date < today})
    for pupils in people.pupils.values():
        for pupil in pupils:
            for term in terms:
                days = [d for d in school_days if term.starts <= d <= term.ends]
                if days and rng.random() < 0.3:
                    first = rng.randrange(len(days))
                    ill_days[pupil.id or 0].update(days[first : first + rng.randint(2, 5)])

    lesson_number: dict[int, int] = defaultdict(int)
    marks: list[Mark] = []
    records: list[Attendance] = []
    for slot in slots:
        plan = plan_of[slot.course_id]
        number = lesson_number[slot.course_id]
        lesson_number[slot.course_id] += 1
        if slot.date >= today:
            continue
        teacher = teacher_of[slot.course_id]
        is_test = plan.tests and number % 9 == 8
        slot.topic = "Контрольная работа" if is_test else plan.topics[number % len(plan.topics)]
        if rng.random() < 0.8:
            slot.homework = _homework(plan, rng, number)
        ended = _moment(slot.date, slot.ends, zone)
        if slot.homework:
            slot.homework_at = ended
        session.add(slot)
        pupils = people.pupils[class_of[slot.course_id]]
        present = []
        for pupil in pupils:
            pupil_id = pupil.id or 0
            roll = rng.random()
            status = None
            if slot.date in ill_days[pupil_id]:
                status = "ill"
            elif roll < 0.012:
                status = "absent"
            elif roll < 0.027:
                status = "late"
            elif roll < 0.03:
                status = "excused"
            if status is not None:
                records.append(
                    Attendance(
                        school_id=slot.school_id,
                        slot_id=slot.id or 0,
                        pupil_id=pupil_id,
                        status=status,
                        set_by=teacher.id or 0,
                        updated_at=ended,
                    )
                )
            if status in (None, "late"):
                present.append(pupil)
        if is_test:
            graded = [(p, "test", 2.0) for p in present]
        else:
            chosen = rng.sample(present, k=min(len(present), rng.randint(2, 5)))
            graded = [(p, rng.choice(("classwork", "classwork", "oral")), 1.0) for p in chosen]
            if slot.homework and rng.random() < 0.5:
                others = [p for p in present if p not in chosen]
                graded += [(p, "homework", 1.0) for p in rng.sample(others, k=min(len(others), 2))]
        for pupil, work_type, weight in graded:
            bonus = 0.4 if plan.name == "Физическая культура" else 0.0
            marks.append(
                Mark(
                    school_id=slot.school_id,
                    slot_id=slot.id or 0,
                    pupil_id=pupil.id or 0,
                    value=_mark(rng, ability[pupil.id] + bonus, scale_of[slot.course_id]),
                    work_type=work_type,
                    weight=weight,
                    created_by=teacher.id or 0,
                    created_at=ended,
                    updated_at=ended,
                )
            )
    session.add_all(marks)
    session.add_all(records)
    await session.flush()
    history = [
        HistoryEntry(
            school_id=mark.school_id,
            entity="mark",
            entity_id=mark.id or 0,
            pupil_id=mark.pupil_id,
            action="create",
            new=mark.value,
            by_id=mark.created_by,
            at=mark.created_at,
        )
        for mark in marks
    ] + [
        HistoryEntry(
            school_id=record.school_id,
            entity="attendance",
            entity_id=record.id or 0,
            pupil_id=record.pupil_id,
            action="create",
            new=record.status,
            by_id=record.set_by,
            at=record.updated_at,
        )
        for record in records
    ]
    session.add_all(history)
    await session.flush()


async def _close_with_term_marks(
    session: AsyncSession,
    *,
    term: Term,
    courses: dict[tuple[str, str], Course],
    teacher_of: dict[int, User],
    people: DemoPeople,
    zone: ZoneInfo,
) -> None:
    """Give every pupil the suggested term mark of each course, then close the term."""
    rows = await session.exec(
        select(Slot.course_id, Mark.pupil_id, Mark.value, Mark.weight)
        .join(Slot, col(Slot.id) == Mark.slot_id)
        .where(Slot.term_id == term.id, col(Mark.deleted_at).is_(None))
    )
    marks_of: dict[tuple[int, int], list[tuple[str, float]]] = defaultdict(list)
    for course_id, pupil_id, value, weight in rows.all():
        marks_of[(course_id, pupil_id)].append((value, weight))
    given_at = _moment(term.ends, time(15, 0), zone)
    term_marks = []
    for (class_name, _name), course in courses.items():
        scale = get_scale(course.scale)
        for pupil in people.pupils[class_name]:
            average = weighted_average(marks_of.get((course.id or 0, pupil.id or 0), ()), scale)
            suggested = suggest_term_mark(average, scale, 0.5)
            if suggested is None:
                continue
            term_marks.append(
                TermMark(
                    school_id=course.school_id,
                    course_id=course.id or 0,
                    term_id=term.id or 0,
                    pupil_id=pupil.id or 0,
                    value=suggested,
                    set_by=teacher_of[course.id or 0].id or 0,
                    updated_at=given_at,
                )
            )
    session.add_all(term_marks)
    await session.flush()
    session.add_all(
        [
            HistoryEntry(
                school_id=row.school_id,
                entity="term_mark",
                entity_id=row.id or 0,
                pupil_id=row.pupil_id,
                action="create",
                new=row.value,
                by_id=row.set_by,
                at=given_at,
            )
            for row in term_marks
        ]
    )
    term.closed = True
    session.add(term)
