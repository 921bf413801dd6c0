"""The plain people CSV, for a school without a school information system.

Columns (by name, any order): ``login,name,role`` and optionally ``class`` (a pupil's class
in the current academic year, made when missing) and ``parent_of`` (a parent's children: a
login or ``;``-separated logins, of this file or of the school). The login is the key: a
login already in the school is updated, never duplicated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.models import (
    CLASS_NAME_PATTERN,
    LOGIN_PATTERN,
    AcademicYear,
    Enrolment,
    Guardianship,
    SchoolClass,
    User,
)
from gradebook.rosters.apply import empty_changes
from gradebook.rosters.apply_people import UnknownPassword
from gradebook.rosters.csv_reader import Problems, read_csv

PEOPLE_FILE = "people.csv"
ROLES = {
    "pupil": "pupil",
    "student": "pupil",
    "teacher": "teacher",
    "parent": "parent",
    "guardian": "parent",
    "admin": "admin",
}
_LOGIN = re.compile(LOGIN_PATTERN)
_CLASS = re.compile(CLASS_NAME_PATTERN)


@dataclass
class Person:
    """One checked line of the people CSV."""

    line: int
    login: str
    name: str
    role: str
    class_name: str | None
    parent_of: list[str]


def parse_people(data: bytes, problems: Problems) -> list[Person]:
    """Every line checked; problems at their line and column."""
    required = ("login", "name", "role")
    table = read_csv(PEOPLE_FILE, data, problems, required=required)
    if table is None or not set(required) <= set(table.header):
        return []
    people: list[Person] = []
    seen: dict[str, int] = {}
    for row in table.rows:
        ok = True

        def bad(column: str, message: str, line: int = row.line, **values: Any) -> None:
            nonlocal ok
            problems.add(PEOPLE_FILE, line, column, message, **values)
            ok = False

        login = row.get("login").lower()
        if not _LOGIN.match(login):
            bad("login", "A login is 2-64 letters a-z, digits, '.', '_' or '-'.")
        elif login in seen:
            bad("login", "The login is also on line {other}.", other=seen[login])
        seen.setdefault(login, row.line)
        name = " ".join(row.get("name").split())
        if not name:
            bad("name", "name is required.")
        elif len(name) > 200:
            bad("name", "name is longer than 200 characters.")
        role = ROLES.get(row.get("role").lower(), "")
        if not role:
            bad(
                "role",
                "Unknown role '{value}'; allowed: pupil, teacher, parent, admin.",
                value=row.get("role"),
            )
        class_name = row.get("class").upper() or None
        if class_name and role != "pupil":
            bad("class", "Only a pupil has a class.")
        elif class_name and not _CLASS.match(class_name):
            bad("class", "A class is named like 7A.")
        parent_of = [
            item.strip().lower() for item in row.get("parent_of").split(";") if item.strip()
        ]
        if parent_of and role != "parent":
            bad("parent_of", "Only a parent has children.")
        if ok:
            people.append(Person(row.line, login, name[:200], role, class_name, parent_of))
    return people


async def apply_people(
    session: AsyncSession, *, school_id: int, rows: list[Person], problems: Problems
) -> dict[str, dict[str, int]]:
    """Create or update the people, their classes and links; count what changes."""
    changes = empty_changes()
    unknown_password = UnknownPassword()
    logins = {p.login for p in rows} | {c for p in rows for c in p.parent_of}
    users = {
        u.login: u
        for u in (await session.exec(select(User).where(col(User.login).in_(logins)))).all()
    }
    for person in rows:
        user = users.get(person.login)
        if user is not None and user.school_id != school_id:
            problems.add(
                PEOPLE_FILE,
                person.line,
                "login",
                "The login '{login}' is taken.",
                login=person.login,
            )
            continue
        if user is not None and user.role != person.role:
            problems.add(
                PEOPLE_FILE,
                person.line,
                "role",
                "{login} is a {role} here; a role does not change on import.",
                login=person.login,
                role=user.role,
            )
            continue
        if user is None:
            user = User(
                school_id=school_id,
                login=person.login,
                name=person.name,
                role=person.role,
                password_hash=unknown_password(),
            )
            users[person.login] = user
            changes["users"]["create"] += 1
            session.add(user)
        elif user.name != person.name:
            user.name = person.name
            changes["users"]["update"] += 1
            session.add(user)
    await session.flush()
    await _classes_and_links(
        session, school_id=school_id, rows=rows, users=users, problems=problems, changes=changes
    )
    return changes


async def _classes_and_links(
    session: AsyncSession,
    *,
    school_id: int,
    rows: list[Person],
    users: dict[str, User],
    problems: Problems,
    changes: dict[str, dict[str, int]],
) -> None:
    year = (
        await session.exec(
            select(AcademicYear)
            .where(AcademicYear.school_id == school_id)
            .order_by(col(AcademicYear.starts).desc())
        )
    ).first()
    classes = {
        c.name: c
        for c in (
            await session.exec(
                select(SchoolClass).where(
                    SchoolClass.school_id == school_id,
                    SchoolClass.year_id == (year.id if year else 0),
                )
            )
        ).all()
    }
    ids = [u.id for u in users.values()]
    enrolments = {
        e.pupil_id: e
        for e in (
            await session.exec(
                select(Enrolment).where(
                    col(Enrolment.pupil_id).in_(ids),
                    col(Enrolment.class_id).in_([c.id for c in classes.values()]),
                )
            )
        ).all()
    }
    links = {
        (g.parent_id, g.child_id)
        for g in (
            await session.exec(select(Guardianship).where(col(Guardianship.parent_id).in_(ids)))
        ).all()
    }
    for person in rows:
        user = users.get(person.login)
        if user is None or user.school_id != school_id:
            continue
        if person.class_name:
            if year is None:
                problems.add(
                    PEOPLE_FILE, person.line, "class", "The school has no academic year yet."
                )
                continue
            school_class = classes.get(person.class_name)
            if school_class is None:
                grade = int("".join(ch for ch in person.class_name if ch.isdigit()))
                school_class = SchoolClass(
                    school_id=school_id, year_id=year.id or 0, name=person.class_name, grade=grade
                )
                classes[person.class_name] = school_class
                session.add(school_class)
                await session.flush()
                changes["classes"]["create"] += 1
            current = enrolments.get(user.id or 0)
            if current is None or current.class_id != school_class.id:
                changes["enrollments"]["create" if current is None else "update"] += 1
                if current is not None:
                    await session.delete(current)
                    await session.flush()
                enrolments[user.id or 0] = Enrolment(
                    class_id=school_class.id or 0, pupil_id=user.id or 0
                )
                session.add(enrolments[user.id or 0])
        for child_login in person.parent_of:
            child = users.get(child_login)
            if child is None or child.school_id != school_id or child.role != "pupil":
                problems.add(
                    PEOPLE_FILE,
                    person.line,
                    "parent_of",
                    "No pupil with the login '{login}'.",
                    login=child_login,
                )
                continue
            link = (user.id or 0, child.id or 0)
            if link not in links:
                links.add(link)
                session.add(Guardianship(parent_id=link[0], child_id=link[1]))
                changes["guardianships"]["create"] += 1
