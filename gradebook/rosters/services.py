"""Roster imports as services: check everything, then apply in one transaction (or, for a dry
run, apply and roll back, so that the preview counts exactly what applying would do)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.access import require_role
from eschool.models import Role, User
from gradebook.rosters import people
from gradebook.rosters.apply import Importer, empty_changes, known_records
from gradebook.rosters.apply_people import apply_enrollments, apply_guardians, apply_users
from gradebook.rosters.csv_reader import ZIP_FILE, Problems, read_zip
from gradebook.rosters.oneroster import parse_roster
from gradebook.structure_services import work_types_ensure


@dataclass
class ImportResult:
    """What an import did (or, in a dry run, would do), and every problem found."""

    changes: dict[str, dict[str, int]] = field(default_factory=empty_changes)
    errors: list[dict[str, Any]] = field(default_factory=list)
    applied: bool = False

    def public(self) -> dict[str, Any]:
        """``{"changes": {…}, "errors": […], "applied": bool}``."""
        return {"changes": self.changes, "errors": self.errors, "applied": self.applied}


async def _finish(
    session: AsyncSession, *, problems: Problems, changes: dict, dry_run: bool
) -> ImportResult:
    """Commit when all is well and it is no dry run; otherwise store nothing."""
    if not problems and not dry_run:
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()
            problems.add(
                ZIP_FILE, None, None, "Someone changed the same people meanwhile; try again."
            )
        else:
            return ImportResult(changes=changes, applied=True)
    await session.rollback()
    if problems:
        return ImportResult(errors=problems.public())
    return ImportResult(changes=changes)


async def oneroster_import(
    session: AsyncSession, *, actor: User, data: bytes, dry_run: bool
) -> ImportResult:
    """Import a OneRoster 1.1 CSV zip into the admin's school: every problem is listed and
    nothing is stored unless there are none. ``session`` is the import's own session."""
    require_role(actor, Role.admin)
    school_id, actor_id = actor.school_id, actor.id or 0
    problems = Problems()
    contents = read_zip(data, problems)
    if contents is None:
        return ImportResult(errors=problems.public())
    roster = parse_roster(contents, problems, await known_records(session, school_id=school_id))
    if problems:
        await session.rollback()
        return ImportResult(errors=problems.public())
    importer = Importer(session, school_id=school_id, actor_id=actor_id, problems=problems)
    try:
        await importer.load()
        importer.apply_orgs(roster)
        await importer.apply_sessions(roster)
        await importer.apply_courses(roster)
        await importer.apply_classes(roster)
        await apply_users(importer, roster)
        await apply_guardians(importer, roster)
        await apply_enrollments(importer, roster)
        await work_types_ensure(session, school_id=school_id)  # the export's categories
        await session.flush()
    except IntegrityError:
        await session.rollback()
        problems.add(
            ZIP_FILE, None, None, "The roster clashes with records made meanwhile; try again."
        )
        return ImportResult(errors=problems.public())
    return await _finish(session, problems=problems, changes=importer.changes, dry_run=dry_run)


async def people_import(
    session: AsyncSession, *, actor: User, data: bytes, dry_run: bool
) -> ImportResult:
    """Import the plain people CSV (login,name,role,class,parent_of) into the admin's school."""
    require_role(actor, Role.admin)
    problems = Problems()
    rows = people.parse_people(data, problems)
    if problems:
        return ImportResult(errors=problems.public())
    try:
        changes = await people.apply_people(
            session, school_id=actor.school_id, rows=rows, problems=problems
        )
        await session.flush()
    except IntegrityError:
        await session.rollback()
        problems.add(
            people.PEOPLE_FILE,
            None,
            None,
            "The file clashes with records made meanwhile; try again.",
        )
        return ImportResult(errors=problems.public())
    return await _finish(session, problems=problems, changes=changes, dry_run=dry_run)
