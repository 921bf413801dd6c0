"""OneRoster classes → school classes (homerooms) and courses (scheduled classes): the part
of :class:`gradebook.rosters.apply.Importer` that needs the journal's structure."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.models import AcademicYear, SchoolClass, Term
from gradebook.models import Course
from gradebook.rosters.models import RosterSource
from gradebook.rosters.records import Record, Roster


class ClassesMixin:
    """Needs the importer's session, school, mapping and counters."""

    session: AsyncSession
    school_id: int
    sources: dict[tuple[str, str], RosterSource]
    changes: dict[str, dict[str, int]]
    count: Any
    local: Any
    source: Any
    unchanged: Any
    remember: Any
    bad: Any

    async def apply_classes(self, roster: Roster) -> None:
        """A homeroom is a school class; a scheduled class is a course of the school class its
        ``classCode`` (or title) names, for the subject of its OneRoster course."""
        records = roster.of("classes.csv")
        if not records:
            return
        session = self.session
        classes = list(
            (
                await session.exec(
                    select(SchoolClass).where(SchoolClass.school_id == self.school_id)
                )
            ).all()
        )
        courses = {
            c.id: c
            for c in (
                await session.exec(select(Course).where(Course.school_id == self.school_id))
            ).all()
        }
        terms = {
            t.id: t.year_id
            for t in (
                await session.exec(select(Term).where(Term.school_id == self.school_id))
            ).all()
        }
        years = list(
            (
                await session.exec(
                    select(AcademicYear)
                    .where(AcademicYear.school_id == self.school_id)
                    .order_by(col(AcademicYear.starts).desc())
                )
            ).all()
        )
        for record in records:
            if self.unchanged(f"class.{record.data['type']}", record):
                continue
            if record.deleted:
                await self._class_deleted(record, classes)
                continue
            year_id = self._year_of_class(record, terms, years)
            if year_id is None:
                self.bad(
                    record,
                    "termSourcedIds",
                    "No academic year to put the class in: import academicSessions.csv.",
                )
                continue
            school_class = self._school_class(record.data["name"], year_id, classes)
            if record.data["type"] == "homeroom":
                # A class made just now counts once, as created; a known one as updated.
                if self.source("class.homeroom", record.sourced_id) is not None:
                    self.changes["classes"]["update"] += 1
                if school_class.id is not None and not school_class.active:
                    school_class.active = True
                    session.add(school_class)
                await session.flush()
                self.remember(
                    "class.homeroom", record.sourced_id, school_class.id or 0, record.hash
                )
                continue
            await session.flush()
            await self._course(record, school_class, courses)

    def _year_of_class(self, record: Record, terms: dict, years: list[AcademicYear]) -> int | None:
        for sid in record.data["terms"]:
            for kind in ("session.year", "session.container"):
                if (found := self.local(kind, sid)) is not None:
                    return found
            if (term_id := self.local("session.term", sid)) in terms:
                return terms[term_id]
        return years[0].id if years else None

    def _school_class(self, name: str, year_id: int, classes: list[SchoolClass]) -> SchoolClass:
        found = next((c for c in classes if c.name == name and c.year_id == year_id), None)
        if found is None:
            digits = "".join(ch for ch in name if ch.isdigit())
            found = SchoolClass(
                school_id=self.school_id, year_id=year_id, name=name, grade=int(digits)
            )
            classes.append(found)
            self.session.add(found)
            self.changes["classes"]["create"] += 1
        return found

    async def _course(self, record: Record, school_class: SchoolClass, courses: dict) -> None:
        subject_id = self.local("course", record.data["course"])
        if not subject_id:
            self.bad(
                record,
                "courseSourcedId",
                "Its course is a homeroom course: use classType homeroom.",
            )
            return
        local = self.local("class.scheduled", record.sourced_id)
        course = courses.get(local) if local else None
        if course is None:  # adopt an unmapped course of the same class and subject
            mapped = {
                s.local_id for (kind, _sid), s in self.sources.items() if kind == "class.scheduled"
            }
            course = next(
                (
                    c
                    for c in courses.values()
                    if c.id not in mapped
                    and c.class_id == school_class.id
                    and c.subject_id == subject_id
                ),
                None,
            )
        self.count("courses", "class.scheduled", record, adopted=course is not None)
        if course is None:
            course = Course(
                school_id=self.school_id, class_id=school_class.id or 0, subject_id=subject_id
            )
        else:
            course.class_id, course.subject_id = school_class.id or 0, subject_id
        self.session.add(course)
        await self.session.flush()
        courses[course.id] = course
        self.remember("class.scheduled", record.sourced_id, course.id or 0, record.hash)

    async def _class_deleted(self, record: Record, classes: list[SchoolClass]) -> None:
        kind = f"class.{record.data['type']}"
        found = self.source(kind, record.sourced_id)
        if found is None:
            return
        self.count("classes" if kind == "class.homeroom" else "courses", kind, record)
        if kind == "class.homeroom":  # the class is deactivated; a course keeps its journal
            school_class = next((c for c in classes if c.id == found.local_id), None)
            if school_class is not None and school_class.active:
                school_class.active = False
                self.session.add(school_class)
        self.remember(kind, record.sourced_id, found.local_id, record.hash, active=False)
