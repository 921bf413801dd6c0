"""Applying the people of a OneRoster upload: users, guardians and enrolments.

Part of :class:`gradebook.rosters.apply.Importer`'s run (see there for the rules). New
people get a password nobody knows (see `UnknownPassword`): the admin sets one, or the person
gets one through a password reset.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import delete, update
from sqlmodel import col, select

from eschool.models import AuthSession, Enrolment, Guardianship, SchoolClass, User
from eschool.security import hash_password, new_secret
from eschool.timeutil import utcnow
from gradebook.models import Course, CourseTeacher
from gradebook.rosters.apply import Importer, key_hash
from gradebook.rosters.oneroster import Record, Roster
from gradebook.structure_services import class_teaching_refresh


class UnknownPassword:
    """The password hash of the people one import creates: the argon2id hash of a random
    secret that is thrown away at once, so nobody knows a password that matches. One hash
    per import (hashing is deliberately slow; 300 people would take seconds), and a real
    argon2 hash, so that signing in as such a person costs the same time as any other."""

    def __init__(self) -> None:
        self._hash: str | None = None

    def __call__(self) -> str:
        if self._hash is None:
            self._hash = hash_password(new_secret(32))
        return self._hash


async def apply_users(importer: Importer, roster: Roster) -> None:
    """Create, update or deactivate the people of ``users.csv``."""
    records = roster.of("users.csv")
    if not records:
        return
    session = importer.session
    logins = [r.data["login"] for r in records]
    by_login = {
        u.login: u
        for u in (await session.exec(select(User).where(col(User.login).in_(logins)))).all()
    }
    mapped_ids = [s.local_id for (kind, _sid), s in importer.sources.items() if kind == "user"]
    by_id = {
        u.id: u
        for u in (await session.exec(select(User).where(col(User.id).in_(mapped_ids)))).all()
    }
    owner = {s.local_id: sid for (kind, sid), s in importer.sources.items() if kind == "user"}
    pending: list[tuple[Record, User]] = []
    revoke: list[int] = []
    unknown_password = UnknownPassword()
    for record in records:
        if importer.unchanged("user", record):
            continue
        data = record.data
        local = importer.local("user", record.sourced_id)
        user = by_id.get(local) if local else None
        if user is None:
            user = by_login.get(data["login"])
            if user is not None and (
                user.school_id != importer.school_id
                or owner.get(user.id or 0, record.sourced_id) != record.sourced_id
            ):
                importer.bad(
                    record,
                    "username",
                    "The login '{login}' belongs to someone else.",
                    login=data["login"],
                )
                continue
        elif user.login != data["login"] and data["login"] in by_login:
            importer.bad(
                record,
                "username",
                "The login '{login}' belongs to someone else.",
                login=data["login"],
            )
            continue
        if user is not None and user.role != data["role"]:
            importer.bad(
                record,
                "role",
                "This person is a {role} here; a role does not change on import.",
                role=user.role,
            )
            continue
        importer.count("users", "user", record, adopted=user is not None)
        active = data["enabled"] and not record.deleted
        if user is None:
            if record.deleted:
                continue
            user = User(
                school_id=importer.school_id,
                login=data["login"],
                name=data["name"],
                role=data["role"],
                email=data["email"],
                password_hash=unknown_password(),
                active=active,
            )
            by_login[user.login] = user
        else:
            if not active and user.id == importer.actor_id:
                importer.bad(record, "status", "The import may not deactivate you.")
                continue
            if user.active and not active:
                revoke.append(user.id or 0)
            if record.deleted:
                user.active = False
            else:
                user.login, user.name, user.email, user.active = (
                    data["login"],
                    data["name"],
                    data["email"],
                    active,
                )
        session.add(user)
        pending.append((record, user))
    await session.flush()
    for record, user in pending:
        importer.remember(
            "user", record.sourced_id, user.id or 0, record.hash, active=not record.deleted
        )
    if revoke:  # a deactivated person is signed out everywhere
        await session.exec(
            update(AuthSession)
            .where(col(AuthSession.user_id).in_(revoke), col(AuthSession.revoked_at).is_(None))
            .values(revoked_at=utcnow())
        )


async def apply_guardians(importer: Importer, roster: Roster) -> None:
    """Link parents and children named in ``agentSourcedIds`` (either side may name the
    other). A person's line lists all their links: a link an earlier import made that their
    changed line no longer lists is removed (it gives access to a child's diary)."""
    records = [r for r in roster.of("users.csv") if not r.deleted]
    if not records:
        return
    pairs: set[tuple[str, str]] = set()
    for record in records:
        for agent in record.data["agents"]:
            pair = (
                (record.sourced_id, agent)
                if record.data["role"] == "parent"
                else (agent, record.sourced_id)
            )
            pairs.add(pair)
    session = importer.session
    existing = {
        (g.parent_id, g.child_id): g
        for g in (
            await session.exec(
                select(Guardianship)
                .join(User, col(User.id) == Guardianship.child_id)
                .where(User.school_id == importer.school_id)
            )
        ).all()
    }
    made: list[tuple[str, Guardianship]] = []
    for parent_sid, child_sid in sorted(pairs):
        key = f"{parent_sid}|{child_sid}"
        parent_id, child_id = importer.local("user", parent_sid), importer.local("user", child_sid)
        found = importer.source("guardianship", key)
        if parent_id is None or child_id is None or (found is not None and found.active):
            continue
        importer.changes["guardianships"]["create" if found is None else "update"] += 1
        link = existing.get((parent_id, child_id))
        if link is None:
            link = Guardianship(parent_id=parent_id, child_id=child_id)
            existing[(parent_id, child_id)] = link
            session.add(link)
        made.append((key, link))
    await session.flush()
    for key, link in made:
        importer.remember("guardianship", key, link.id or 0, key_hash(key))
    listed = {r.sourced_id for r in records}
    wanted = {f"{p}|{c}" for p, c in pairs}
    for (kind, key), found in list(importer.sources.items()):
        if kind != "guardianship" or not found.active or key in wanted:
            continue
        parent_sid, _bar, child_sid = key.partition("|")
        if parent_sid in listed or child_sid in listed:
            importer.changes["guardianships"]["deactivate"] += 1
            await session.exec(delete(Guardianship).where(col(Guardianship.id) == found.local_id))
            importer.remember("guardianship", key, found.local_id, found.row_hash, active=False)


class _Enrolments:
    """The school's enrolments, course teachers and form tutors, kept in memory while the
    records of ``enrollments.csv`` are applied."""

    def __init__(self, importer: Importer) -> None:
        self.importer = importer
        self.session = importer.session
        self.pupil_rows: dict[int, list[Enrolment]] = defaultdict(list)
        self.teachers: dict[tuple[int, int], CourseTeacher] = {}
        self.classes: dict[int, SchoolClass] = {}
        self.course_class: dict[int, int] = {}
        self.touched_classes: set[int] = set()
        self.deleted: list[Enrolment | CourseTeacher] = []

    async def load(self) -> None:
        school_id = self.importer.school_id
        session = self.session
        self.classes = {
            c.id or 0: c
            for c in (
                await session.exec(select(SchoolClass).where(SchoolClass.school_id == school_id))
            ).all()
        }
        self.course_class = {
            course_id or 0: class_id
            for course_id, class_id in (
                await session.exec(
                    select(Course.id, Course.class_id).where(Course.school_id == school_id)
                )
            ).all()
        }
        rows = await session.exec(
            select(Enrolment).where(col(Enrolment.class_id).in_(list(self.classes)))
        )
        for row in rows.all():
            self.pupil_rows[row.pupil_id].append(row)
        teachers = await session.exec(
            select(CourseTeacher).where(col(CourseTeacher.course_id).in_(list(self.course_class)))
        )
        self.teachers = {(t.course_id, t.teacher_id): t for t in teachers.all()}

    def target(self, record: Record) -> tuple[str, int | None]:
        """(kind of class, local id): the school class of a homeroom, the course of a
        scheduled class."""
        homeroom = self.importer.local("class.homeroom", record.data["class"])
        if homeroom is not None:
            return "homeroom", homeroom
        return "scheduled", self.importer.local("class.scheduled", record.data["class"])

    def enrol(self, pupil_id: int, class_id: int) -> Enrolment:
        """The pupil's enrolment in the class, moving them out of another class of the year."""
        year_id = self.classes[class_id].year_id
        for row in list(self.pupil_rows[pupil_id]):
            if row.class_id == class_id:
                return row
            other = self.classes.get(row.class_id)
            if other is not None and other.year_id == year_id:
                self.pupil_rows[pupil_id].remove(row)
                self.deleted.append(row)
        row = Enrolment(class_id=class_id, pupil_id=pupil_id)
        self.session.add(row)
        self.pupil_rows[pupil_id].append(row)
        return row


async def apply_enrollments(importer: Importer, roster: Roster) -> None:
    """Students are enrolled in the school class of the class they take (homeroom or
    scheduled: one school class per pupil and year); teachers of a scheduled class teach its
    course; a teacher of a homeroom is its form tutor. ``tobedeleted`` ends the enrolment
    (when no other active record keeps it) or the teaching."""
    records = roster.of("enrollments.csv")
    if not records:
        return
    state = _Enrolments(importer)
    await state.load()
    session = importer.session
    pending: list[tuple[Record, str, Enrolment | CourseTeacher | SchoolClass]] = []
    # Ends first, flushed, then the rest: a row an ending frees may be made again by another
    # record of the same file without meeting its old self in one flush.
    for batch in ([r for r in records if r.deleted], [r for r in records if not r.deleted]):
        for record in batch:
            _apply_enrollment(state, importer, record, pending)
        for gone in state.deleted:
            if gone.id is None:
                session.expunge(gone)
            else:
                await session.delete(gone)
        state.deleted.clear()
        await session.flush()
    for record, kind, row in pending:
        importer.remember(kind, record.sourced_id, row.id or 0, record.hash)
    for class_id in sorted(state.touched_classes - {0}):
        await class_teaching_refresh(session, class_id=class_id)


def _apply_enrollment(
    state: _Enrolments,
    importer: Importer,
    record: Record,
    pending: list[tuple[Record, str, Enrolment | CourseTeacher | SchoolClass]],
) -> None:
    """Apply one enrollment record (see :func:`apply_enrollments`)."""
    session = importer.session
    role = record.data["role"]
    if role not in ("student", "teacher", "aide"):
        return  # administrators and proctors of a class have no place in the journal
    kind = "enrollment.student" if role == "student" else None
    class_kind, local = state.target(record)
    if kind is None:
        kind = "enrollment.tutor" if class_kind == "homeroom" else "enrollment.teacher"
    if importer.unchanged(kind, record):
        return
    user_id = importer.local("user", record.data["user"])
    if local is None or user_id is None:
        importer.bad(record, "classSourcedId", "Its class or person was not imported.")
        return
    importer.count("enrollments", kind, record)
    found = importer.source(kind, record.sourced_id)
    if record.deleted:
        _release(state, importer, kind, record.sourced_id, user_id)
        if found is not None:
            importer.remember(kind, record.sourced_id, found.local_id, record.hash, active=False)
        return
    row: Enrolment | CourseTeacher | SchoolClass
    if kind == "enrollment.student":
        class_id = local if class_kind == "homeroom" else state.course_class.get(local, 0)
        row = state.enrol(user_id, class_id)  # moves the pupil out of their old class
    elif kind == "enrollment.teacher":
        row = state.teachers.get((local, user_id)) or CourseTeacher(
            course_id=local, teacher_id=user_id
        )
        if row.id is None:
            state.teachers[(local, user_id)] = row
            session.add(row)
        state.touched_classes.add(state.course_class.get(local, 0))
    else:
        row = state.classes[local]
        if row.form_tutor_id is None or record.data["primary"]:
            row.form_tutor_id = user_id
            session.add(row)
    if (
        kind != "enrollment.student"
        and found is not None
        and found.active
        and found.local_id != row.id
    ):
        _release(state, importer, kind, record.sourced_id, user_id)  # it moved elsewhere
    pending.append((record, kind, row))


def _release(
    state: _Enrolments, importer: Importer, kind: str, sourced_id: str, user_id: int
) -> None:
    """Undo what an enrolment record did, unless another active record still needs it."""
    found = importer.source(kind, sourced_id)
    if found is None or not found.active:
        return
    others = any(
        k == kind and s.local_id == found.local_id and sid != sourced_id and s.active
        for (k, sid), s in importer.sources.items()
    )
    if kind == "enrollment.tutor":
        school_class = state.classes.get(found.local_id)
        if school_class is not None and school_class.form_tutor_id == user_id:
            school_class.form_tutor_id = None
            state.session.add(school_class)
        return
    if others:
        return
    if kind == "enrollment.student":
        for rows in state.pupil_rows.values():
            for row in list(rows):
                if row.id == found.local_id:
                    rows.remove(row)
                    state.deleted.append(row)
    else:
        for key, link in list(state.teachers.items()):
            if link.id == found.local_id:
                del state.teachers[key]
                state.deleted.append(link)
                state.touched_classes.add(state.course_class.get(key[0], 0))


__all__ = ["UnknownPassword", "apply_enrollments", "apply_guardians", "apply_users"]
