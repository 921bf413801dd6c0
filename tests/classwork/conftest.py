"""Fixtures of the classwork tests: the gradebook of tests/gradebook and a published library
lesson with a quiz of every question kind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlmodel import select
from starlette.applications import Starlette

from eschool.seed import DemoPeople
from gradebook.models import Course
from lessons.models import LessonCreate
from lessons.services import lesson_create, lesson_publish
from tests.gradebook.conftest import Gradebook, as_user, gradebook, school_today

__all__ = ["Gradebook", "as_user", "gradebook"]

QUIZ_BLOCKS = [
    {"kind": "text", "id": "intro", "text": "Read about **fractions**."},
    {
        "kind": "quiz",
        "id": "q1",
        "questions": [
            {"kind": "single", "prompt": "1/2 = ?", "options": ["0.2", "0.5"], "answer": 1},
            {
                "kind": "multiple",
                "prompt": "Even numbers",
                "options": ["1", "2", "4"],
                "answer": [1, 2],
            },
            {"kind": "text", "prompt": "Capital of Russia", "answer": ["Moscow", "Москва"]},
        ],
    },
    {
        "kind": "quiz",
        "id": "q2",
        "questions": [
            {"kind": "number", "prompt": "3/4 = ?", "answer": {"value": 0.75, "tolerance": 0.01}},
            {
                "kind": "order",
                "prompt": "Smallest first",
                "options": ["3", "1", "2"],
                "answer": [1, 2, 0],
            },
            {
                "kind": "match",
                "prompt": "Match",
                "options": {"left": ["a", "b"], "right": ["A", "B"]},
                "answer": [[0, 0], [1, 1]],
            },
        ],
    },
]
RIGHT_Q1 = [1, [1, 2], "москва"]
RIGHT_Q2 = [0.75, [1, 2, 0], [[0, 0], [1, 1]]]


@dataclass
class Library:
    lesson_id: int
    version: int


@pytest.fixture
async def library(app: Starlette, people: DemoPeople) -> Library:
    """A lesson by ``teacher`` with two quiz blocks (six questions, six points), published."""
    teacher = people.staff["teacher"]
    async with app.state.sessionmaker() as session:
        lesson = await lesson_create(
            session,
            actor=teacher,
            data=LessonCreate(title="Дроби", subject="Математика", grades=[7], blocks=QUIZ_BLOCKS),
        )
        version = await lesson_publish(session, actor=teacher, lesson_id=lesson.id)
    return Library(lesson_id=lesson.id or 0, version=version)


def due_in(app: Starlette, days: int) -> str:
    """A due date ``days`` from the school's today."""
    return (school_today(app) + timedelta(days=days)).isoformat()


async def set_scale(app: Starlette, course_id: int, scale: str) -> None:
    """Give a course another grade scale, straight in the database."""
    async with app.state.sessionmaker() as session:
        course = (await session.exec(select(Course).where(Course.id == course_id))).one()
        course.scale = scale
        session.add(course)
        await session.commit()
