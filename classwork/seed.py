"""The classwork part of the demo school: journal slots linked to the library lessons they
teach, and library lessons set as homework — handed in and marked on each course's own
scale, or still open, with the demo pupil yet to start.

The data is in ``seed_data/``: which slots teach which lesson (``slot_lessons.json``), the
assignments (``assignments.json``) and the mistakes pupils make (``answers.json``).
Deterministic (fixed random seeds) and idempotent: slots are linked only while no slot of the
school has a lesson, and an assignment is skipped when its course already has one of that
lesson. Lessons are pinned through :func:`classwork.slot_lessons.pinned_lesson`; links and
pupils' work are written directly (the services refuse work past its due time and commit per
row), and marks reach the journal through :func:`classwork.services.marks_write`.
"""

from __future__ import annotations

import copy
import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from classwork.marking import marks_proposed
from classwork.models import Assignment, AssignmentAttempt, AssignmentWork
from classwork.queries import quiz_questions
from classwork.services import due_moment, marks_write, score_work
from classwork.slot_lessons import pinned_lesson
from eschool.models import Term, User
from eschool.queries import term_current
from eschool.seed import DemoPeople
from eschool.settings import Settings
from eschool.timeutil import utcnow
from gradebook.models import Course, CourseTeacher, Slot, Subject
from lessons.answers import answer_problem
from lessons.models import Lesson, LessonStatus
from lessons.queries import version_row

SEED_DATA = Path(__file__).resolve().parent / "seed_data"
SKIPPED = 0.04  # the share of questions a pupil leaves unanswered


@cache
def seed_data(name: str) -> dict[str, Any]:
    """One of the JSON files in ``seed_data/``."""
    return json.loads((SEED_DATA / name).read_text(encoding="utf-8"))


@dataclass
class DemoCourse:
    """A course of the demo gradebook with its teacher and its slots in the term in view."""

    course: Course
    class_name: str
    subject: str
    teacher: User
    slots: list[Slot]


async def seed_demo(
    session: AsyncSession, *, people: DemoPeople, today: date, settings: Settings
) -> None:
    """Link journal slots to library lessons and set the demo assignments (idempotent)."""
    school_id = people.school.id or 0
    term = await term_current(session, school_id=school_id, today=today)
    if term is None:
        return
    courses = await _demo_courses(session, people=people, term=term)
    lessons = await _published_lessons(session, school_id=school_id)
    if not courses or not lessons:
        return
    await _link_slots(session, courses=courses, lessons=lessons, today=today)
    specs = seed_data("assignments.json")
    for number, spec in enumerate(specs["assignments"]):
        course = courses.get((spec["class"], spec["subject"]))
        lesson = lessons.get(spec["lesson"])
        if course is None or lesson is None or await _has_assignment(session, course, lesson):
            continue
        await _assign(
            session,
            spec=spec,
            texts=specs,
            course=course,
            lesson=lesson,
            people=people,
            today=today,
            settings=settings,
            rng=random.Random(1000 + number),
        )


# --- what the seed builds on ---------------------------------------------------------------


async def _demo_courses(
    session: AsyncSession, *, people: DemoPeople, term: Term
) -> dict[tuple[str, str], DemoCourse]:
    """The courses by (class, subject), each with its first teacher and its slots in ``term``."""
    class_name = {c.id: name for name, c in people.classes.items()}
    staff = {u.id: u for u in people.staff.values()}
    rows = await session.exec(
        select(Course, Subject.name, CourseTeacher.teacher_id)
        .join(Subject, col(Subject.id) == Course.subject_id)
        .join(CourseTeacher, col(CourseTeacher.course_id) == Course.id)
        .where(Course.school_id == people.school.id)
        .order_by(col(Course.id), col(CourseTeacher.id))
    )
    courses: dict[int, DemoCourse] = {}
    for course, subject, teacher_id in rows.all():
        teacher = staff.get(teacher_id)
        if course.id in courses or teacher is None or course.class_id not in class_name:
            continue
        courses[course.id or 0] = DemoCourse(
            course, class_name[course.class_id], subject, teacher, []
        )
    slots = await session.exec(
        select(Slot)
        .where(Slot.term_id == term.id, col(Slot.course_id).in_(list(courses)))
        .order_by(col(Slot.date), col(Slot.period))
    )
    for slot in slots.all():
        courses[slot.course_id].slots.append(slot)
    return {(c.class_name, c.subject): c for c in courses.values()}


async def _published_lessons(session: AsyncSession, *, school_id: int) -> dict[str, Lesson]:
    """The school's published library lessons by title (the first of a title)."""
    rows = await session.exec(
        select(Lesson)
        .where(Lesson.school_id == school_id, Lesson.status == LessonStatus.published)
        .order_by(col(Lesson.id))
    )
    lessons: dict[str, Lesson] = {}
    for lesson in rows.all():
        lessons.setdefault(lesson.title, lesson)
    return lessons


async def _has_assignment(session: AsyncSession, course: DemoCourse, lesson: Lesson) -> bool:
    row = await session.exec(
        select(Assignment.id).where(
            Assignment.course_id == course.course.id, Assignment.lesson_id == lesson.id
        )
    )
    return row.first() is not None


def _moment(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


# --- slots and the lessons they teach ---------------------------------------------------------


async def _link_slots(
    session: AsyncSession,
    *,
    courses: dict[tuple[str, str], DemoCourse],
    lessons: dict[str, Lesson],
    today: date,
) -> None:
    """Past slots on a lesson's topics and the next few slots get their library lesson,
    pinned to its published version; once per school (nothing when a slot has a lesson)."""
    school_id = next(iter(courses.values())).course.school_id
    linked = await session.exec(
        select(Slot.id).where(Slot.school_id == school_id, col(Slot.lesson_id).is_not(None))
    )
    if linked.first() is not None:
        return
    plans = seed_data("slot_lessons.json")["subjects"]
    pinned: dict[tuple[int, int], dict[str, Any]] = {}

    async def pin(course: DemoCourse, title: str) -> dict[str, Any] | None:
        lesson = lessons.get(title)
        if lesson is None:
            return None
        key = (course.teacher.id or 0, lesson.id or 0)
        if key not in pinned:
            pinned[key] = await pinned_lesson(
                session, actor=course.teacher, lesson_id=lesson.id or 0
            )
        return pinned[key]

    now = utcnow()
    for course in courses.values():
        plan = plans.get(course.subject)
        if plan is None:
            continue
        chosen: list[tuple[Slot, str, str | None]] = [
            (slot, plan["past"][slot.topic], None)
            for slot in course.slots
            if slot.date < today and slot.topic in plan["past"]
        ]
        upcoming = [slot for slot in course.slots if slot.date >= today]
        chosen += [
            (slot, title, topic)
            for slot, (topic, title) in zip(upcoming, plan["upcoming"], strict=False)
        ]
        for slot, title, topic in chosen:
            link = await pin(course, title)
            if link is None:
                continue
            slot.lesson_id = int(link["lesson_id"])
            slot.lesson_version = int(link["version"])
            slot.lesson_title = str(link["title"])[:300]
            slot.topic = slot.topic or topic or ""
            slot.updated_at = now
            session.add(slot)
    await session.commit()


# --- assignments -----------------------------------------------------------------------------


async def _past_slots(
    session: AsyncSession, *, course: DemoCourse, today: date, count: int
) -> list[Slot]:
    """The course's slots before today, oldest first: those of the term in view, else (on
    its first days) the last ``count`` before it."""
    past = [slot for slot in course.slots if slot.date < today]
    if past:
        return past
    rows = await session.exec(
        select(Slot)
        .where(Slot.course_id == course.course.id, col(Slot.date) < today)
        .order_by(col(Slot.date).desc(), col(Slot.period).desc())
        .limit(count)
    )
    return list(reversed(rows.all()))


async def _assign(
    session: AsyncSession,
    *,
    spec: dict[str, Any],
    texts: dict[str, Any],
    course: DemoCourse,
    lesson: Lesson,
    people: DemoPeople,
    today: date,
    settings: Settings,
    rng: random.Random,
) -> None:
    """One assignment with the class's work on it and, when marked, its marks."""
    zone = ZoneInfo(settings.timezone)
    now = utcnow()
    marked = spec["stage"] == "marked"
    back = spec.get("set_slots_ago", 1)
    past = await _past_slots(session, course=course, today=today, count=back)
    if marked:
        if not past:
            return  # before the first lesson of the year there is nothing to have marked
        # Set in the latest lesson that taught it, if that was lately; else `back` lessons ago.
        taught = [slot for slot in past[-2 * back :] if slot.lesson_id == lesson.id]
        set_in = taught[-1] if taught else past[-min(back, len(past))]
        due_day = max(
            set_in.date,
            min(set_in.date + timedelta(days=spec["days_to_do"]), today - timedelta(days=1)),
        )
        due = min(due_moment(due_day, settings.timezone), now - timedelta(hours=1))
    else:
        set_in = past[-1] if past else None
        due_day = today + timedelta(days=spec["due_in_days"])
        due = max(due_moment(due_day, settings.timezone), now + timedelta(days=1))
    set_at = _moment(set_in.date, set_in.ends, zone) if set_in else now - timedelta(days=1)
    set_at = min(set_at, due - timedelta(hours=2))
    link = await pinned_lesson(session, actor=course.teacher, lesson_id=lesson.id or 0)
    version = await version_row(session, lesson_id=lesson.id or 0, number=int(link["version"]))
    assignment = Assignment(
        school_id=course.course.school_id,
        course_id=course.course.id or 0,
        slot_id=set_in.id if set_in else None,
        lesson_id=lesson.id or 0,
        lesson_version=int(link["version"]),
        lesson_title=str(link["title"])[:300],
        due=due,
        attempts=spec.get("attempts", 1),
        auto_mark=spec.get("auto_mark", False),
        created_by=course.teacher.id or 0,
        created_at=set_at,
    )
    session.add(assignment)
    await session.flush()
    works, attempts = _class_work(
        assignment=assignment,
        blocks=list(version.blocks),
        states=_states(spec, people.pupils[course.class_name], rng),
        logins={p.id or 0: p.login for p in people.pupils[course.class_name]},
        window=(set_at, due if marked else now),
        zone=zone,
        rng=rng,
    )
    session.add_all(works)
    await session.flush()
    for work, attempt in attempts:
        attempt.work_id = work.id or 0
    session.add_all([attempt for _work, attempt in attempts])
    await session.commit()
    shares = {
        w.pupil_id: w.score / w.max_score
        for w in works
        if w.attempts_used and w.score is not None and w.max_score
    }
    if not shares or not (marked or assignment.auto_mark):
        return
    actor, reason = course.teacher, None
    term = await session.get(Term, set_in.term_id) if set_in else None
    if term is not None and term.closed:
        # Handed in before the term closed: only the administrator writes into it now.
        actor, reason = people.staff["admin"], texts["closed_term_reason"]
    proposed = await marks_proposed(session, course=course.course, shares=shares)
    await marks_write(
        session,
        actor=actor,
        assignment_id=assignment.id or 0,
        marks=sorted(proposed.items()),
        timezone=settings.timezone,
        comment=texts["comment"].format(title=assignment.lesson_title),
        reason=reason,
    )


def _states(spec: dict[str, Any], pupils: list[User], rng: random.Random) -> dict[int, str]:
    """What each pupil has done: ``submitted``, ``in_progress`` or ``not_started``."""
    fixed = {
        p.id or 0: spec["pupils"][p.login] for p in pupils if p.login in spec.get("pupils", {})
    }
    others = [p.id or 0 for p in pupils if (p.id or 0) not in fixed]
    rng.shuffle(others)
    wanted = {
        state: max(round(spec.get(state, 0) * len(pupils)) - list(fixed.values()).count(state), 0)
        for state in ("submitted", "in_progress")
    }
    states = dict(fixed)
    for pupil_id in others:
        state = next((s for s, left in wanted.items() if left), "not_started")
        if state in wanted:
            wanted[state] -= 1
        states[pupil_id] = state
    return states


def _class_work(
    *,
    assignment: Assignment,
    blocks: list[dict[str, Any]],
    states: dict[int, str],
    logins: dict[int, str],
    window: tuple[datetime, datetime],
    zone: ZoneInfo,
    rng: random.Random,
) -> tuple[list[AssignmentWork], list[tuple[AssignmentWork, AssignmentAttempt]]]:
    """Each pupil's work and every attempt they handed in (not yet in the session)."""
    refs = quiz_questions(blocks)
    works: list[AssignmentWork] = []
    attempts: list[tuple[AssignmentWork, AssignmentAttempt]] = []
    for pupil_id, state in sorted(states.items()):
        if state == "not_started":
            continue
        skill = _ability(logins[pupil_id])
        work = AssignmentWork(
            school_id=assignment.school_id, assignment_id=assignment.id or 0, pupil_id=pupil_id
        )
        works.append(work)
        when = _evening(rng, *window, zone)
        if state == "in_progress":
            work.answers = _answers(refs, skill, rng, keep=rng.randint(1, max(len(refs) - 1, 1)))
            work.saved_at = when
            continue
        # A pupil allowed two attempts now and then tries again to do better.
        tries = 2 if assignment.attempts > 1 and rng.random() < 0.35 else 1
        for number in range(1, tries + 1):
            answers = _answers(refs, min(skill + 0.2 * (number - 1), 0.99), rng)
            scores, total, most = score_work(blocks, answers)
            moment = when - timedelta(minutes=rng.randint(20, 90) * (tries - number))
            attempts.append(
                (
                    work,
                    AssignmentAttempt(
                        work_id=0,
                        number=number,
                        answers=answers,
                        question_scores=scores,
                        score=total,
                        max_score=most,
                        submitted_at=moment,
                    ),
                )
            )
            work.answers, work.question_scores = answers, scores
            work.score, work.max_score = total, most
        work.attempts_used = tries
        work.submitted_at = when
        work.saved_at = when - timedelta(minutes=rng.randint(1, 5))
    return works, attempts


def _ability(login: str) -> float:
    """How likely a pupil answers a question right: the same pupil in every assignment."""
    return random.Random(f"ability:{login}").uniform(0.45, 0.97)


def _evening(rng: random.Random, start: datetime, end: datetime, zone: ZoneInfo) -> datetime:
    """A moment between ``start`` and ``end``, an afternoon or evening when one fits."""
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    for _ in range(6):
        day = first + timedelta(days=rng.randint(0, max((last - first).days, 0)))
        moment = _moment(day, time(rng.randint(15, 21), rng.randint(0, 59)), zone)
        if start < moment < end:
            return moment
    return start + (end - start) * rng.uniform(0.2, 0.8)


def _answers(
    refs: list[Any], skill: float, rng: random.Random, keep: int | None = None
) -> dict[str, list[Any]]:
    """A pupil's answers to the lesson's quizzes, by block; only the first ``keep`` questions
    answered when given (work saved halfway)."""
    mistakes = seed_data("answers.json")["wrong"]
    answers: dict[str, list[Any]] = {}
    for position, ref in enumerate(refs):
        question = ref.question
        roll = rng.random()
        if (keep is not None and position >= keep) or roll < SKIPPED:
            answer = None
        elif roll < SKIPPED + skill * (1 - SKIPPED):
            answer = _right(question, rng)
        else:
            answer = _wrong(question, rng, mistakes.get(str(question.get("prompt"))))
        if answer_problem(question, answer) is not None:
            raise ValueError(f"seed answer {answer!r} does not fit {question.get('prompt')!r}")
        answers.setdefault(ref.block_id, []).append(answer)
    return answers


def _right(question: dict[str, Any], rng: random.Random) -> Any:
    key = question["answer"]
    kind = question.get("kind")
    if kind == "text":
        spelled = rng.choice(list(key))
        return spelled.capitalize() if rng.random() < 0.4 else spelled
    if kind == "number":
        return key["value"]
    if kind == "multiple":
        return rng.sample(list(key), k=len(key))
    return copy.deepcopy(key)


def _wrong(question: dict[str, Any], rng: random.Random, known: list[Any] | None) -> Any:
    """A typical mistake from ``answers.json``, else a near miss of the key."""
    if known:
        return copy.deepcopy(rng.choice(known))
    key = question["answer"]
    kind = question.get("kind")
    options = question.get("options")
    if kind == "single" and isinstance(options, list) and len(options) > 1:
        return rng.choice([i for i in range(len(options)) if i != key])
    if kind == "multiple" and len(key) > 1:
        return list(key)[:-1]
    if kind == "number":
        return key["value"] + rng.choice((-2, -1, 1, 10))
    if kind in ("order", "match") and len(key) > 1:
        wrong = copy.deepcopy(list(key))
        if kind == "order":
            wrong[0], wrong[1] = wrong[1], wrong[0]
        else:
            wrong[0][1], wrong[1][1] = wrong[1][1], wrong[0][1]
        return wrong
    return None
