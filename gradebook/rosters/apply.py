"""Applying a checked OneRoster upload to a school in one transaction.

:class:`Importer` walks the records in dependency order (sessions, subjects, classes and
courses, then people, guardians and enrolments — the last three in
:mod:`gradebook.rosters.apply_people`), finds each record's local row through
``roster_sources`` (or adopts an unmapped row with the same natural key: a year or class
name, a login), and writes only what differs. A record whose row hash equals the last
import's is skipped, so a re-import changes nothing. ``tobedeleted`` deactivates; nothing
is ever deleted that the journal's history points at.

The services of eschool and the gradebook commit on their own, so the rows are written
here with the shared lower-level helpers (``class_teaching_refresh``, ``work_types_ensure``)
and the caller commits once — or rolls back for a dry run.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.models import AcademicYear, SchoolClass, Term, User
from eschool.timeutil import utcnow
from gradebook.models import Course, Subject
from gradebook.rosters.apply_classes import ClassesMixin
from gradebook.rosters.csv_reader import Problems
from gradebook.rosters.models import RosterSource
from gradebook.rosters.oneroster import Known, Record, Roster

CHANGE_KINDS = (
    "academicSessions",
    "subjects",
    "classes",
    "courses",
    "users",
    "guardianships",
    "enrollments",
)
SHORT_NAME_LENGTH = 8


def empty_changes() -> dict[str, dict[str, int]]:
    """``{"users": {"create": 0, "update": 0, "deactivate": 0}, …}`` for every kind."""
    return {kind: {"create": 0, "update": 0, "deactivate": 0} for kind in CHANGE_KINDS}


def key_hash(text: str) -> str:
    """The row hash of a record that is only a key (a guardian link)."""
    return hashlib.sha256(text.encode()).hexdigest()


async def known_records(session: AsyncSession, *, school_id: int) -> Known:
    """What earlier imports of the school brought in, for checking a delta's references."""
    known = Known()
    rows = (
        await session.exec(
            select(RosterSource).where(
                RosterSource.school_id == school_id, col(RosterSource.active).is_(True)
            )
        )
    ).all()
    by_kind: dict[str, dict[str, int]] = defaultdict(dict)
    for row in rows:
        by_kind[row.kind][row.sourced_id] = row.local_id
    known.orgs = set(by_kind["org"])
    known.sessions = {sid: "schoolYear" for sid in by_kind["session.year"]}
    known.sessions |= {sid: "term" for sid in by_kind["session.term"]}
    known.sessions |= {sid: "semester" for sid in by_kind["session.container"]}
    known.courses = set(by_kind["course"])
    users = by_kind["user"]
    if users:
        roles = dict(
            (
                await session.exec(
                    select(User.id, User.role).where(col(User.id).in_(users.values()))
                )
            ).all()
        )
        known.users = {sid: roles.get(local, "") for sid, local in users.items()}
    names = dict(
        (
            await session.exec(
                select(SchoolClass.id, SchoolClass.name).where(SchoolClass.school_id == school_id)
            )
        ).all()
    )
    for sid, local in by_kind["class.homeroom"].items():
        known.classes[sid] = ("homeroom", names.get(local, ""))
    if by_kind["class.scheduled"]:
        course_class = dict(
            (
                await session.exec(
                    select(Course.id, Course.class_id).where(Course.school_id == school_id)
                )
            ).all()
        )
        for sid, local in by_kind["class.scheduled"].items():
            known.classes[sid] = ("scheduled", names.get(course_class.get(local, 0), ""))
    return known


class Importer(ClassesMixin):
    """One import into one school: the mapping, the counts and the problems found."""

    def __init__(
        self, session: AsyncSession, *, school_id: int, actor_id: int, problems: Problems
    ) -> None:
        self.session = session
        self.school_id = school_id
        self.actor_id = actor_id
        self.problems = problems
        self.changes = empty_changes()
        self.sources: dict[tuple[str, str], RosterSource] = {}

    async def load(self) -> None:
        """Read the school's mapping rows."""
        rows = await self.session.exec(
            select(RosterSource).where(RosterSource.school_id == self.school_id)
        )
        self.sources = {(row.kind, row.sourced_id): row for row in rows.all()}

    def source(self, kind: str, sourced_id: str) -> RosterSource | None:
        """The mapping row of a record, if it was imported before."""
        return self.sources.get((kind, sourced_id))

    def local(self, kind: str, sourced_id: str) -> int | None:
        """The local id a record became (active or not), or None."""
        found = self.sources.get((kind, sourced_id))
        return found.local_id if found is not None else None

    def unchanged(self, kind: str, record: Record) -> bool:
        """Whether the record is exactly as last imported (nothing to do)."""
        found = self.source(kind, record.sourced_id)
        return found is not None and found.row_hash == record.hash

    def count(self, what: str, kind: str, record: Record, *, adopted: bool = False) -> None:
        """Count a record as created, updated or deactivated (by its mapping's state); a row
        that existed before the record was first imported (``adopted``) counts as updated."""
        found = self.source(kind, record.sourced_id)
        if record.deleted:
            if found is not None and found.active:
                self.changes[what]["deactivate"] += 1
        elif found is None and not adopted:
            self.changes[what]["create"] += 1
        else:
            self.changes[what]["update"] += 1

    def remember(
        self, kind: str, sourced_id: str, local_id: int, row_hash: str, *, active: bool = True
    ) -> None:
        """Store (or update) which local row a record is."""
        found = self.sources.get((kind, sourced_id))
        if found is None:
            found = RosterSource(
                school_id=self.school_id,
                kind=kind,
                sourced_id=sourced_id,
                local_id=local_id,
                row_hash=row_hash,
                active=active,
            )
            self.sources[(kind, sourced_id)] = found
        else:
            found.local_id, found.row_hash, found.active = local_id, row_hash, active
            found.updated_at = utcnow()
        self.session.add(found)

    def bad(self, record: Record, column: str | None, message: str, **values: Any) -> None:
        """A problem only the database reveals (a login taken, a role change)."""
        self.problems.add(record.file, record.line, column, message, **values)

    # --- orgs ------------------------------------------------------------------------------

    def apply_orgs(self, roster: Roster) -> None:
        """Every org of the upload is this school (its name stays the school's own)."""
        for record in roster.of("orgs.csv"):
            if not self.unchanged("org", record):
                self.remember(
                    "org", record.sourced_id, self.school_id, record.hash, active=not record.deleted
                )

    # --- academic sessions -------------------------------------------------------------------

    async def apply_sessions(self, roster: Roster) -> None:
        """School years → academic years; the innermost sessions → terms; a session that
        holds others (a semester of grading periods) is remembered with its year's id."""
        records = roster.of("academicSessions.csv")
        if not records:
            return
        years = list(
            (
                await self.session.exec(
                    select(AcademicYear).where(AcademicYear.school_id == self.school_id)
                )
            ).all()
        )
        for record in (r for r in records if r.data["type"] == "schoolYear"):
            await self._year(record, years)
        await self.session.flush()
        parents = {r.sourced_id: r.data["parent"] for r in records}
        holders = {r.data["parent"] for r in records if r.data["parent"]}
        terms = list(
            (await self.session.exec(select(Term).where(Term.school_id == self.school_id))).all()
        )
        touched: set[int] = set()
        for record in (r for r in records if r.data["type"] != "schoolYear"):
            year_id = self._year_of_session(record.sourced_id, parents)
            if year_id is None:
                self.bad(record, "parentSourcedId", "The session's school year is not imported.")
                continue
            is_holder = record.sourced_id in holders or self.source(
                "session.container", record.sourced_id
            )
            if is_holder:
                if not self.unchanged("session.container", record):
                    self.count("academicSessions", "session.container", record)
                    self.remember(
                        "session.container",
                        record.sourced_id,
                        year_id,
                        record.hash,
                        active=not record.deleted,
                    )
                continue
            if await self._term(record, year_id, terms):
                touched.add(year_id)
        await self.session.flush()
        for year_id in touched:  # number each touched year's terms by their dates
            ordered = sorted((t for t in terms if t.year_id == year_id), key=lambda t: t.starts)
            for number, term in enumerate(ordered, start=1):
                if term.number != number:
                    term.number = number
                    self.session.add(term)

    async def _year(self, record: Record, years: list[AcademicYear]) -> None:
        if self.unchanged("session.year", record):
            return
        data = record.data
        local = self.local("session.year", record.sourced_id)
        year = next((y for y in years if y.id == local), None) if local else None
        if year is None:
            year = next((y for y in years if y.name == data["title"]), None)
        self.count("academicSessions", "session.year", record, adopted=year is not None)
        if year is None:
            if record.deleted:
                return
            year = AcademicYear(
                school_id=self.school_id,
                name=data["title"],
                starts=data["starts"],
                ends=data["ends"],
            )
            years.append(year)
        elif not record.deleted:
            clash = next((y for y in years if y.name == data["title"] and y is not year), None)
            if clash is not None:
                self.bad(
                    record, "title", "Another academic year is called '{name}'.", name=data["title"]
                )
                return
            year.name, year.starts, year.ends = data["title"], data["starts"], data["ends"]
        self.session.add(year)
        await self.session.flush()
        self.remember(
            "session.year", record.sourced_id, year.id or 0, record.hash, active=not record.deleted
        )

    def _year_of_session(self, sourced_id: str, parents: dict[str, str]) -> int | None:
        seen: set[str] = set()
        current = sourced_id
        while current and current not in seen:
            seen.add(current)
            year = self.source("session.year", current)
            if year is not None:
                return year.local_id
            holder = self.source("session.container", current)
            if holder is not None and current != sourced_id:
                return holder.local_id
            current = parents.get(current, "")
        return None

    async def _term(self, record: Record, year_id: int, terms: list[Term]) -> bool:
        if self.unchanged("session.term", record):
            return False
        data = record.data
        local = self.local("session.term", record.sourced_id)
        mapped = {s.local_id for (kind, _sid), s in self.sources.items() if kind == "session.term"}
        term = next((t for t in terms if t.id == local), None) if local else None
        if term is None:  # adopt a term made by hand with the same dates or name
            term = next(
                (
                    t
                    for t in terms
                    if t.year_id == year_id
                    and t.id not in mapped
                    and (
                        (t.starts, t.ends) == (data["starts"], data["ends"])
                        or t.name == data["title"]
                    )
                ),
                None,
            )
        self.count("academicSessions", "session.term", record, adopted=term is not None)
        if term is None:
            if record.deleted:
                return False
            term = Term(
                school_id=self.school_id,
                year_id=year_id,
                number=len(terms) + 1,
                name=data["title"],
                starts=data["starts"],
                ends=data["ends"],
            )
            terms.append(term)
        elif not record.deleted:
            term.year_id, term.name = year_id, data["title"]
            term.starts, term.ends = data["starts"], data["ends"]
        self.session.add(term)
        await self.session.flush()
        self.remember(
            "session.term", record.sourced_id, term.id or 0, record.hash, active=not record.deleted
        )
        return True

    # --- courses → subjects ------------------------------------------------------------------

    async def apply_courses(self, roster: Roster) -> None:
        """A OneRoster course is a subject here (``subjects`` or else its title names it);
        courses used only by homerooms make no subject."""
        records = roster.of("courses.csv")
        if not records:
            return
        homeroom_only = self._homeroom_courses(roster)
        subjects = {
            s.name: s
            for s in (
                await self.session.exec(select(Subject).where(Subject.school_id == self.school_id))
            ).all()
        }
        by_id = {s.id: s for s in subjects.values()}
        for record in records:
            if self.unchanged("course", record) or record.sourced_id in homeroom_only:
                continue
            local = self.local("course", record.sourced_id)
            if record.deleted:  # the subject stays: courses and journals use it
                found = self.source("course", record.sourced_id)
                if found is not None and found.active:
                    self.changes["subjects"]["deactivate"] += 1
                if local is not None:
                    self.remember("course", record.sourced_id, local, record.hash, active=False)
                continue
            name = record.data["subject"]
            subject = subjects.get(name)
            if (
                subject is None
                and local is not None
                and local in by_id
                and self._sole_user_of(local, record.sourced_id)
            ):
                subject = by_id[local]  # renamed in the source: rename here too
                subjects.pop(subject.name, None)
                subject.name = name
                subjects[name] = subject
            if subject is None:
                short = record.data["short_name"] or name[:SHORT_NAME_LENGTH]
                subject = Subject(school_id=self.school_id, name=name, short_name=short)
                subjects[name] = subject
                self.changes["subjects"]["create"] += 1
            elif local is not None:  # a subject made by hand or by another course: shared
                self.changes["subjects"]["update"] += 1
            self.session.add(subject)
            await self.session.flush()
            by_id[subject.id] = subject
            self.remember("course", record.sourced_id, subject.id or 0, record.hash)

    def _homeroom_courses(self, roster: Roster) -> set[str]:
        uses: dict[str, set[str]] = defaultdict(set)
        for record in roster.of("classes.csv"):
            uses[record.data["course"]].add(record.data["type"])
        return {course for course, types in uses.items() if types == {"homeroom"}}

    def _sole_user_of(self, subject_id: int, sourced_id: str) -> bool:
        return not any(
            kind == "course" and s.local_id == subject_id and sid != sourced_id and s.active
            for (kind, sid), s in self.sources.items()
        )


__all__ = ["Importer", "empty_changes", "known_records"]
