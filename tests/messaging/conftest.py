"""Fixtures of the messaging tests: the demo people, who teaches where (the shell's
``class_teaching`` rows, as the gradebook would keep them), and a second school."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from sqlmodel import select
from starlette.applications import Starlette

from eschool.access import class_teaching_set
from eschool.models import Guardianship, Role, User
from eschool.seed import DemoPeople
from eschool.services import api_token_create
from tests.gradebook.conftest import as_user

__all__ = ["as_user"]


@dataclass
class World:
    """Ids of the people the tests talk about."""

    ids: dict[str, int]
    class_7a: int
    class_7b: int
    other_class: int
    headers: dict[str, dict[str, str]]


async def _parent_of(session, pupil: User) -> User:
    row = await session.exec(
        select(User)
        .join(Guardianship, Guardianship.parent_id == User.id)
        .where(Guardianship.child_id == pupil.id)
    )
    return row.one()


@pytest.fixture
async def world(app: Starlette, people: DemoPeople, as_user) -> World:
    """teacher teaches 7A and 7B (and tutors 7A), teacher2 teaches 7A, history tutors 7B.
    ``parent2`` is the parent of another 7A family, ``parent7b`` of ``pupil2`` (7B);
    ``stranger`` (a teacher) and ``stranger.admin`` belong to another school."""
    from eschool.models import SchoolClass
    from eschool.services import school_create

    a, b = people.classes["7A"], people.classes["7B"]
    async with app.state.sessionmaker() as session:
        staff = people.staff
        await class_teaching_set(
            session,
            school_id=people.school.id,
            class_id=a.id,
            teacher_ids=[staff["teacher"].id, staff["teacher2"].id],
        )
        await class_teaching_set(
            session, school_id=people.school.id, class_id=b.id, teacher_ids=[staff["teacher"].id]
        )
        classmate = next(p for p in people.pupils["7A"] if p.login != "pupil")
        pupil2 = next(p for p in people.pupils["7B"] if p.login == "pupil2")
        parent2 = await _parent_of(session, classmate)
        parent7b = await _parent_of(session, pupil2)
        school = await school_create(session, name="Лицей № 2", slug="lyceum-2")
        strangers = {}
        for login, role in (("stranger", Role.teacher), ("stranger.admin", Role.admin)):
            user = User(
                school_id=school.id, login=login, name=f"Чужой {login}", role=role,
                password_hash="x",
            )  # fmt: skip
            session.add(user)
            strangers[login] = user
        other_class = SchoolClass(school_id=school.id, year_id=people.year.id, name="7A", grade=7)
        session.add(other_class)
        await session.commit()
        headers = {}
        for login, user in strangers.items():
            token = await api_token_create(session, user=user, label="messaging tests")
            headers[login] = {"Authorization": f"Bearer {token}"}
        ids = {
            login: people.staff[login].id for login in ("admin", "teacher", "teacher2", "history")
        }
        ids.update(
            pupil=next(p for p in people.pupils["7A"] if p.login == "pupil").id,
            classmate=classmate.id,
            pupil2=pupil2.id,
            parent2=parent2.id,
            parent7b=parent7b.id,
            **{login: user.id for login, user in strangers.items()},
        )
        parent = await session.exec(select(User).where(User.login == "parent"))
        ids["parent"] = parent.one().id
        logins = {"parent2": parent2.login, "parent7b": parent7b.login}
    names = ("admin", "teacher", "teacher2", "history", "pupil", "parent", "parent2", "parent7b")
    for name in names:
        headers[name] = await as_user(logins.get(name, name))
    return World(ids=ids, class_7a=a.id, class_7b=b.id, other_class=other_class.id, headers=headers)


async def start(
    client: httpx.AsyncClient, world: World, sender: str, to: list[str], **extra
) -> httpx.Response:
    """``sender`` writes to the people named ``to``."""
    body = {"to": [world.ids[name] for name in to], "subject": "Тема", "text": "Здравствуйте!"}
    body.update(extra)
    return await client.post("/api/v1/threads", json=body, headers=world.headers[sender])
